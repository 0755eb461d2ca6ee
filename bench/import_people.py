"""Benchmark: import a million people with memberships from CSV, against a raw insert of the same rows.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`):
1. *raw*: the same file read with `csv.reader` and its rows inserted by the driver (`executemany`, COPY
   on PostgreSQL) in chunks, without validation or lookups; then deleted again;
2. *import*: `minga.core.bulk.runner.run_import` of the CSV as the backbone admin (reading, validation,
   upsert, scoping), all-or-nothing;
3. *re-import*: the same file again, which must report every row unchanged.
One JSON line per figure: bench, database, rows, seconds, ratio_to_raw, peak_mb, cpu_seconds (this
process's CPU time: on a busy machine it moves less than the wall-clock seconds; on PostgreSQL the
server's work is not in it).

    .venv/bin/python -m bench.import_people [--rows 1000000] [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import resource
import sys
import time
from typing import Any

from bench._people_file import write_people_csv
from bench._scratch import emit, scratch_database, use_in_process


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _raw_insert(path: Any, collective_id: int, groups: dict[str, int]) -> tuple[float, float]:
    """The floor: the file's rows read with `csv.reader` and inserted by the driver (executemany on
    SQLite, COPY on PostgreSQL) in chunks, with ids reserved up front as the importer does, but no
    validation, no lookups, no scoping. One transaction, like an all-or-nothing import."""
    from django.db import connection, transaction
    from django.utils import timezone

    from minga.core.bulk.sql import allocate_ids, insert_rows

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    started, cpu = time.perf_counter(), time.process_time()
    coll = collective_id
    with transaction.atomic(), path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        while True:
            rows = list(itertools.islice(reader, 5_000))
            if not rows:
                break
            ids = allocate_ids("people_person", len(rows))
            insert_rows(
                "people_person",
                PERSON_COLUMNS,
                [
                    (pk, coll, r[2], r[1], r[0], r[3], _skills(r[4]), r[5], f"{r[6]} 12:00", now, now)
                    for pk, r in zip(ids, rows, strict=True)
                ],
            )
            insert_rows(
                "people_membership",
                ("person_id", "group_id", "role", "started_on", "created_at"),
                [(pk, groups[r[7]], r[8], r[9], now) for pk, r in zip(ids, rows, strict=True)],
            )
    return time.perf_counter() - started, time.process_time() - cpu


def _skills(text: str) -> str:
    return json.dumps(text.split("; ") if text else [])


PERSON_COLUMNS = (
    "id",
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
)


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
        backbone = Group.objects.filter(collective=collective, layer="support").order_by("depth").first()
        assert backbone is not None
        person = Person.objects.create(collective=collective, user=admin, full_name="Bench Admin")
        Membership.objects.create(person=person, group=backbone, role=Role.ADMIN)

        raw, raw_cpu = _raw_insert(path, collective.pk, groups)
        common = {"database": args.database, "rows": args.rows}
        emit(
            bench="import-people-raw-insert",
            **common,
            seconds=round(raw, 3),
            ratio_to_raw=1.0,
            peak_mb=peak_mb(),
            cpu_seconds=round(raw_cpu, 3),
        )
        with transaction.atomic():
            Membership.objects.filter(person__collective=collective).exclude(person=person).delete()
            Person.objects.filter(collective=collective).exclude(pk=person.pk)._raw_delete(Person.objects.db)

        failed = 0
        for label, expect in (("import-people", "created"), ("reimport-people", "unchanged")):
            started, cpu = time.perf_counter(), time.process_time()
            report = run_import(
                record_type=get_record_type("people"),
                actor=admin,
                collective=collective,
                table=open_table(path),
            )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            emit(
                bench=label,
                **common,
                seconds=round(seconds, 3),
                ratio_to_raw=round(seconds / raw, 2),
                peak_mb=peak_mb(),
                cpu_seconds=round(cpu, 3),
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
