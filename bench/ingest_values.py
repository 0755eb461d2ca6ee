"""Benchmark: ingest indicator values from a CSV file through the bulk framework, against a raw insert.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), with a
synthetic collective of `--groups` groups in five levels, `--indicators` monthly indicators and 12 months:
1. *raw*: the file read with `csv.reader`, codes mapped to ids with dicts, rows inserted by the driver
   (`executemany`, COPY on PostgreSQL) in chunks of 5,000 in one transaction; then deleted again;
2. *ingest*: `run_import` of the same file as record type "datavalues" (reading, parsing, validation,
   scoping, the upsert's look-up of stored values, insert, upkeep of the pre-aggregated rollups),
   all-or-nothing;
3. *resend*: the same file again, which must report every value unchanged.
One JSON line per figure: bench, database, rows, seconds, ratio_to_raw, rows_per_second.

    .venv/bin/python -m bench.ingest_values [--rows 1000000] [--groups 50000] [--indicators 500]
                                            [--aggregation sum|…|last|count]
                                            [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

from bench._scratch import emit, scratch_database, use_in_process
from bench._values_setup import build_world, raw_insert_values, reaggregate, write_values_csv


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ingest_values", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=50_000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument(
        "--aggregation",
        default="sum",
        choices=("sum", "average", "min", "max", "last", "count"),
        help="every indicator's rule (last and count also keep span rows)",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from minga.core.bulk import get_record_type
        from minga.core.bulk.formats import open_table
        from minga.core.bulk.runner import run_import
        from minga.measurement.models import DataValue, Indicator

        world = build_world(groups=args.groups, indicators=args.indicators, months=12)
        Indicator.objects.filter(collective=world.collective).update(aggregation=args.aggregation)
        path = scratch.folder / "values.csv"
        rows = write_values_csv(path, world, args.rows)
        common = {"database": args.database, "rows": rows, "aggregation": args.aggregation}

        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            raw_insert_values(world, ((r[0], r[1], r[2], r[4]) for r in reader))
        raw = time.perf_counter() - started
        emit(bench="ingest-values-raw-insert", **common, seconds=round(raw, 3), ratio_to_raw=1.0,
             rows_per_second=round(rows / raw))  # fmt: skip
        DataValue.objects.filter(collective=world.collective)._raw_delete(DataValue.objects.db)
        reaggregate(world)  # aggregates current: the import keeps them in step, as in production

        failed = 0
        for label, expect in (("ingest-values", "created"), ("resend-values", "unchanged")):
            started = time.perf_counter()
            report = run_import(
                record_type=get_record_type("datavalues"),
                actor=world.admin,
                collective=world.collective,
                table=open_table(path),
            )
            seconds = time.perf_counter() - started
            emit(
                bench=label,
                **common,
                seconds=round(seconds, 3),
                ratio_to_raw=round(seconds / raw, 2),
                rows_per_second=round(rows / seconds),
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                rejected=report.rejected,
            )
            if getattr(report, expect) != rows or not report.committed:
                print(f"{label}: expected {rows:,} {expect}; {report.summary()}", file=sys.stderr)
                failed = 1
        return failed


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
