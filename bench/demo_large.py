"""Benchmark: `minga demo --size large` (50,000 groups, 2,000,000 people) into a scratch database.

Runs the real command in a subprocess against a fresh database (migrations applied beforehand, not
timed), then measures the baseline in the same run: a raw driver-level insert (executemany on SQLite,
COPY on PostgreSQL) of the same number of rows, table by table with the same column counts, no indexes.
The ratio says what the generator's planning, names, indexes and constraints cost on top of raw writes.

    minga bench demo-large [--database sqlite|postgres] [--size large] [--seed 42] [--keep]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import time
from typing import Any

from bench._scratch import Scratch, emit, scratch_database

TARGET_SECONDS = 300

# table → (column count, label): the widths the demo writes
TABLES = {
    "architecture_group": 23,
    "architecture_link": 10,
    "architecture_groupset_groups": 3,
    "people_person": 13,
    "people_membership": 7,
}


def _counts(scratch: Scratch) -> dict[str, int]:
    queries = {table: f"SELECT COUNT(*) FROM {table}" for table in TABLES}
    if scratch.database == "sqlite":
        path = scratch.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            return {table: int(db.execute(sql).fetchone()[0]) for table, sql in queries.items()}
    import psycopg

    with psycopg.connect(scratch.url) as db:
        return {table: int(db.execute(sql).fetchone()[0]) for table, sql in queries.items()}  # type: ignore[index]


def _raw_rows(width: int, count: int) -> Any:
    template = tuple(f"value {i}" if i % 2 else i for i in range(1, width))
    return ((n, *template) for n in range(1, count + 1))


def _raw_insert_seconds(scratch: Scratch, counts: dict[str, int]) -> float:
    """Insert the same numbers of rows, of the same widths, straight through the driver."""
    if scratch.database == "sqlite":
        db = sqlite3.connect(scratch.folder / "raw.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        db.execute("BEGIN")
        for table, width in TABLES.items():
            columns = ", ".join(f"c{i}" for i in range(1, width))
            db.execute(f"CREATE TABLE raw_{table} (id INTEGER PRIMARY KEY, {columns})")
            marks = ", ".join("?" for _ in range(width))
            db.executemany(f"INSERT INTO raw_{table} VALUES ({marks})", _raw_rows(width, counts[table]))
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        db.close()
        return seconds
    import psycopg

    with psycopg.connect(scratch.url) as pg:
        started = time.perf_counter()
        with pg.cursor() as cursor:
            for table, width in TABLES.items():
                columns = ", ".join(f"c{i} text" if i % 2 else f"c{i} bigint" for i in range(1, width))
                cursor.execute(f"CREATE TABLE raw_{table} (id bigint PRIMARY KEY, {columns})")
                with cursor.copy(f"COPY raw_{table} FROM STDIN") as copy:
                    for row in _raw_rows(width, counts[table]):
                        copy.write_row(row)
        pg.commit()
        return time.perf_counter() - started


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minga bench demo-large", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--size", default="large", help="demo size (small/medium for a quick check)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print where")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        migrate = [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, env=scratch.env, check=True)
        command = [sys.executable, "-m", "minga.cli", "demo", "--size", args.size, "--seed", str(args.seed)]
        started = time.perf_counter()
        env = {**scratch.env, "COLUMNS": "400"}  # rich: keep each summary line on one line
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            emit(bench="demo-large", database=args.database, error=f"minga demo exited {done.returncode}")
            return 1
        counts = _counts(scratch)
        raw = _raw_insert_seconds(scratch, counts)
        generated = re.search(r"generated in ([\d.]+) s", done.stdout)
        metrics = re.search(r"Network metrics: (.*)\.", done.stdout)
        steps_line = re.search(r"Steps: (.*)\.", done.stdout)
        steps = {
            label: float(seconds)
            for label, seconds in re.findall(
                r"([a-z ]+) ([\d.]+) s", steps_line.group(1) if steps_line else ""
            )
        }
        emit(
            bench="demo-large",
            database=args.database,
            size=args.size,
            groups=counts["architecture_group"],
            people=counts["people_person"],
            memberships=counts["people_membership"],
            links=counts["architecture_link"],
            rows=sum(counts.values()),
            seconds=round(seconds, 2),
            generate_seconds=float(generated.group(1)) if generated else None,
            network_metrics=metrics.group(1) if metrics else None,
            steps={label.strip(): seconds for label, seconds in steps.items()},
            target_seconds=TARGET_SECONDS,
            raw_seconds=round(raw, 2),
            ratio_to_raw=round(seconds / raw, 2) if raw else None,
        )
        return 0 if seconds < TARGET_SECONDS or args.size != "large" else 1


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
