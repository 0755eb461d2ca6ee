"""Benchmark: import activities (with participating groups) from CSV, against a raw insert of the same rows.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), on the
small demo's architecture:
1. *raw*: the file read with `csv.reader` and its activity rows inserted by the driver (`executemany`,
   COPY on PostgreSQL) in chunks, ids reserved up front, without validation, lookups or participating
   groups; then deleted again;
2. *import*: `run_import` of the CSV as the backbone admin (reading, validation, reach per row, upsert,
   participating groups), all-or-nothing;
3. *re-import*: the same file again, which must report every row unchanged.
One JSON line per figure: bench, database, rows, seconds, ratio_to_raw, peak_mb.

    .venv/bin/python -m bench.import_activities [--rows 100000] [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench._scratch import emit, scratch_database, use_in_process

HEADER = [
    "code", "title", "area", "group", "participating_groups", "starts_on", "ends_on", "place_name", "status",
    "participants_total", "participation",
]  # fmt: skip
AREAS = ("movement", "data", "institutions", "learning", "systemic")


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_csv(path: Path, rows: int, codes: list[str]) -> None:
    rng = random.Random(5)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            total = rng.randint(5, 300)
            women = rng.randint(0, total)
            writer.writerow(
                [
                    f"bench-{i:07d}", f"Activity number {i}", AREAS[i % 5], rng.choice(codes),
                    "; ".join(rng.sample(codes, 2)) if i % 3 == 0 else "",
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "", "Somewhere", "done", total,
                    f"women: {women}; youth: {rng.randint(0, total)}",
                ]
            )  # fmt: skip


def _raw_insert(path: Path, collective_id: int, groups: dict[str, int]) -> float:
    """The floor: rows read with `csv.reader` and inserted by the driver in chunks of 5,000, with ids
    reserved up front, no validation, lookups or scoping, no participating groups. One transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from minga.activities.bulk import ACTIVITY_COLUMNS, ACTIVITY_TABLE
    from minga.core.bulk.sql import allocate_ids, insert_rows

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    started = time.perf_counter()
    with transaction.atomic(), path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        while True:
            rows = list(itertools.islice(reader, 5_000))
            if not rows:
                break
            ids = allocate_ids(ACTIVITY_TABLE, len(rows))
            insert_rows(
                ACTIVITY_TABLE,
                ("id", *ACTIVITY_COLUMNS),
                [
                    (
                        pk, collective_id, groups[r[3]], r[0], r[2], None, r[1], "", r[5], None, r[7], r[8],
                        "", int(r[9]), json.dumps({"women": 1}), "public", now, now,
                    )
                    for pk, r in zip(ids, rows, strict=True)
                ],
            )  # fmt: skip
    return time.perf_counter() - started


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.import_activities", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.contrib.auth import get_user_model

        from minga.activities.models import Activity
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
        groups = dict(Group.objects.filter(collective=collective).values_list("code", "id"))
        path = scratch.folder / "activities.csv"
        write_csv(path, args.rows, sorted(groups))
        admin: Any = get_user_model().objects.create_user(
            username="bench-admin", email="bench-admin@example.org"
        )
        backbone = Group.objects.filter(collective=collective, layer="support").order_by("depth").first()
        assert backbone is not None
        person = Person.objects.create(collective=collective, user=admin, full_name="Bench Admin")
        Membership.objects.create(person=person, group=backbone, role=Role.ADMIN)

        raw = _raw_insert(path, collective.pk, groups)
        common = {"database": args.database, "rows": args.rows}
        emit(bench="import-activities-raw-insert", **common, seconds=round(raw, 3), ratio_to_raw=1.0,
             peak_mb=peak_mb())  # fmt: skip
        Activity.objects.filter(code__startswith="bench-")._raw_delete(Activity.objects.db)

        failed = 0
        for label, expect in (("import-activities", "created"), ("reimport-activities", "unchanged")):
            started = time.perf_counter()
            report = run_import(
                record_type=get_record_type("activities"),
                actor=admin,
                collective=collective,
                table=open_table(path),
            )
            seconds = time.perf_counter() - started
            emit(
                bench=label, **common, seconds=round(seconds, 3), ratio_to_raw=round(seconds / raw, 2),
                peak_mb=peak_mb(), created=report.created, updated=report.updated,
                unchanged=report.unchanged, rejected=report.rejected,
            )  # fmt: skip
            if getattr(report, expect) != args.rows or not report.committed:
                print(f"{label}: expected {args.rows:,} {expect}; {report.summary()}", file=sys.stderr)
                failed = 1
        return failed


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
