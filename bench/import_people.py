"""Benchmark: import a million people with memberships from CSV, against a raw insert of the same rows.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`):
1. *raw*: the same rows, already parsed, inserted with the driver's `executemany` (COPY on PostgreSQL):
   people, their ids read back, memberships; then deleted again;
2. *import*: `minga.core.bulk.runner.run_import` of the CSV as the backbone admin (reading, validation,
   upsert, scoping), all-or-nothing;
3. *re-import*: the same file again, which must report every row unchanged.
One JSON line per figure: bench, database, rows, seconds, ratio_to_raw, peak_mb.

    .venv/bin/python -m bench.import_people [--rows 1000000] [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
from typing import Any

from bench._people_file import write_people_csv
from bench._scratch import emit, scratch_database, use_in_process


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _raw_insert(path: Any, collective_id: int, groups: dict[str, int]) -> float:
    """The floor: parsed rows straight into the tables, no validation, no lookups beyond the ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    from minga.core.bulk.sql import in_list, insert_rows, select

    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = list(reader)
    people = [
        (
            collective_id,
            r[2],
            r[1],
            r[0],
            r[3],
            json.dumps(r[4].split("; ") if r[4] else []),
            r[5],
            r[6],
            now,
            now,
        )
        for r in rows
    ]
    started = time.perf_counter()
    with transaction.atomic():
        insert_rows(
            "people_person",
            (
                "collective_id",
                "full_name",
                "email",
                "external_id",
                "preferred_language",
                "skills",
                "consent_purpose",
                "consent_given_at",
                "created_at",
                "updated_at",
            ),
            people,
        )
        ids: dict[str, int] = {}
        keys = [r[0] for r in rows]
        for start in range(0, len(keys), 5_000):
            where, params = in_list("external_id", keys[start : start + 5_000])
            ids.update(
                (key, pk)
                for pk, key in select(
                    f"SELECT id, external_id FROM people_person WHERE collective_id = %s AND {where}",
                    [collective_id, *params],
                )
            )
        insert_rows(
            "people_membership",
            ("person_id", "group_id", "role", "started_on", "created_at"),
            [(ids[r[0]], groups[r[7]], r[8], r[9], now) for r in rows],
        )
    return time.perf_counter() - started


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.import_people", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.db import transaction

        from minga.architecture.models import Group
        from minga.core.bulk import get_record_type
        from minga.core.bulk.formats import open_table
        from minga.core.bulk.runner import run_import
        from minga.core.choices import Role
        from minga.demo.generate import demo_collective, generate_demo
        from minga.people.models import Membership, Person

        generate_demo(size="small", with_people=False, with_metrics=False)
        collective = demo_collective()
        assert collective is not None
        groups = dict(Group.objects.filter(collective=collective, depth__gte=3).values_list("code", "id"))
        path = scratch.folder / "people.csv"
        write_people_csv(path, rows=args.rows, group_codes=sorted(groups))
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.create_user(username="bench-admin", email="bench-admin@example.org")
        backbone = Group.objects.filter(collective=collective, layer="support").first()
        person = Person.objects.create(collective=collective, user=admin, full_name="Bench Admin")
        Membership.objects.create(person=person, group=backbone, role=Role.ADMIN)

        raw = _raw_insert(path, collective.pk, groups)
        common = {"database": args.database, "rows": args.rows}
        emit(
            bench="import-people-raw-insert",
            **common,
            seconds=round(raw, 3),
            ratio_to_raw=1.0,
            peak_mb=peak_mb(),
        )
        with transaction.atomic():
            Membership.objects.filter(person__collective=collective).exclude(person=person).delete()
            Person.objects.filter(collective=collective).exclude(pk=person.pk)._raw_delete(Person.objects.db)

        failed = 0
        for label, expect in (("import-people", "created"), ("reimport-people", "unchanged")):
            started = time.perf_counter()
            report = run_import(
                record_type=get_record_type("people"),
                actor=admin,
                collective=collective,
                table=open_table(path),
            )
            seconds = time.perf_counter() - started
            emit(
                bench=label,
                **common,
                seconds=round(seconds, 3),
                ratio_to_raw=round(seconds / raw, 2),
                peak_mb=peak_mb(),
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                rejected=report.rejected,
            )
            if getattr(report, expect) != args.rows or not report.committed:
                print(f"{label}: expected {args.rows:,} {expect}; {report.summary()}", file=sys.stderr)
                failed = 1
        return failed


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
