"""Benchmark: the measurement dashboard page (trend, child units, targets, completeness, SVG charts).

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), with a
synthetic collective (`--groups` groups in five levels, `--indicators` monthly indicators, 12 months,
`--rows` values inserted raw), `GET /c/bench/measurement/?indicator=…` is requested through the whole
Django stack as a superuser, for random indicators, over the whole collective and a region; the raw
baseline is the page's main query as one plain SQL `GROUP BY`. Charts are rendered by vl-convert
(warmed up first, as a running server is).
One JSON line per figure: bench, database, rows, p95_ms, median_ms, ratio_to_raw.

    .venv/bin/python -m bench.dashboard [--rows 1000000] [--groups 50000] [--indicators 500] [--repeat 20]
                                        [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench._scratch import emit, median_p95, scratch_database, use_in_process
from bench._values_setup import build_world, raw_insert_values, reaggregate, value_rows


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.dashboard", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=50_000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.db import connection
        from django.test import Client

        from minga.core.charts import warm_up

        world = build_world(groups=args.groups, indicators=args.indicators, months=12)
        rows = raw_insert_values(world, value_rows(world, args.rows))
        reaggregate(world)  # after a raw load, as `minga measurement reaggregate`
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        warm_up()
        client = Client()
        client.force_login(world.admin)
        url = f"/c/{world.collective.slug}/measurement/"
        period = "202501:202512"
        client.get(url, {"indicator": "ind000", "period": period})  # URLconf, templates
        rng = random.Random(5)
        codes = sorted(world.indicators)
        failed = 0
        for label, within in (("collective", None), ("region", world.level1[0])):
            timings, raw_timings = [], []
            for _ in range(args.repeat):
                code = rng.choice(codes)
                params = {"indicator": code, "period": period}
                if within is not None:
                    params["within"] = str(within)
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    print(f"dashboard {label}: {response.status_code}", file=sys.stderr)
                    failed = 1
                started = time.perf_counter()
                _raw(world.indicators[code], list(world.periods.values()), world.paths.get(within or 0, "/"))
                raw_timings.append((time.perf_counter() - started) * 1000)
            median, p95 = median_p95(timings)
            _, raw_p95 = median_p95(raw_timings)
            emit(bench=f"dashboard-{label}", database=args.database, rows=rows, median_ms=median, p95_ms=p95,
                 raw_p95_ms=raw_p95, ratio_to_raw=round(p95 / raw_p95, 2) if raw_p95 else None)  # fmt: skip
        return failed


def _raw(indicator_id: int, period_ids: list[int], prefix: str) -> list[tuple[object, ...]]:
    from django.db import connection

    marks = ", ".join(["%s"] * len(period_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.period_id, g.path, SUM(v.value) FROM measurement_datavalue v "
            "JOIN architecture_group g ON g.id = v.group_id "
            f"WHERE v.indicator_id = %s AND v.period_id IN ({marks}) AND g.path LIKE %s GROUP BY 1, 2",
            [indicator_id, *period_ids, prefix + "%"],
        )
        return cursor.fetchall()


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
