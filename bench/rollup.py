"""Benchmark: dashboard rollups (one indicator, a subtree, 12 months, by child unit) on many values.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), with a
synthetic collective of `--groups` groups in five levels, `--indicators` monthly indicators and 12 months
of `--rows` values inserted raw:
1. *rollup*: `selectors.rollup(by="child")` as an admin (superuser) and as a region's coordinator (the
   scoping filter included), for random indicators over the whole collective, a region and a district;
2. *raw*: the same sums as one plain SQL `GROUP BY` over the same rows (join to the group for the path
   prefix), no scoping, no aggregation rules — the floor;
3. *recompute*: nothing is pre-aggregated, so there is nothing to recompute: reported as 0 s.
One JSON line per figure: bench, database, rows, p95_ms, median_ms, ratio_to_raw.

    .venv/bin/python -m bench.rollup [--rows 1000000] [--groups 50000] [--indicators 500] [--repeat 40]
                                     [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench._scratch import emit, median_p95, scratch_database, use_in_process
from bench._values_setup import build_world, raw_insert_values, value_rows


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.rollup", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=50_000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.db import connection

        from minga.architecture.models import Group
        from minga.core.choices import Role
        from minga.measurement import selectors
        from minga.measurement.models import Indicator, ReportingPeriod
        from minga.people.models import Membership, Person

        world = build_world(groups=args.groups, indicators=args.indicators, months=12)
        started = time.perf_counter()
        rows = raw_insert_values(world, value_rows(world, args.rows))
        emit(bench="rollup-load-raw", database=args.database, rows=rows,
             seconds=round(time.perf_counter() - started, 3))  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        region = Group.objects.get(pk=world.level1[0])
        from django.contrib.auth import get_user_model

        coordinator = get_user_model().objects.create_user(username="coord", email="coord@example.org")
        person = Person.objects.create(collective=world.collective, user=coordinator, full_name="Coordinator")
        Membership.objects.create(person=person, group=region, role=Role.COORDINATOR)
        period_list = list(ReportingPeriod.objects.filter(collective=world.collective).order_by("start"))
        indicators = list(Indicator.objects.filter(collective=world.collective))
        rng = random.Random(3)
        collective = world.collective
        districts_in_region = [g for g in world.level2 if world.paths[g].startswith(region.path)]
        areas = {
            "collective": lambda: selectors.Area(collective),
            "region": lambda: selectors.Area(collective, group=region),
            "district": lambda: selectors.Area(
                collective, group=Group.objects.get(pk=rng.choice(districts_in_region))
            ),
        }
        failed = 0
        for viewer_label, viewer in (("admin", world.admin), ("coordinator", coordinator)):
            for area_label, make_area in areas.items():
                if viewer_label == "coordinator" and area_label == "collective":
                    continue
                timings, raw_timings, read = [], [], 0
                for _ in range(args.repeat):
                    indicator = rng.choice(indicators)
                    area = make_area()
                    started = time.perf_counter()
                    result = selectors.rollup(
                        viewer=viewer, indicator=indicator, area=area, period_list=period_list, by="child"
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                    read += result.values_read
                    started = time.perf_counter()
                    _raw_rollup(indicator.pk, [p.pk for p in period_list], area)
                    raw_timings.append((time.perf_counter() - started) * 1000)
                median, p95 = median_p95(timings)
                _, raw_p95 = median_p95(raw_timings)
                emit(
                    bench=f"rollup-{area_label}-by-child-as-{viewer_label}",
                    database=args.database,
                    rows=rows,
                    values_read=read // args.repeat,
                    median_ms=median,
                    p95_ms=p95,
                    raw_p95_ms=raw_p95,
                    ratio_to_raw=round(p95 / raw_p95, 2) if raw_p95 else None,
                )
                if p95 > 50:
                    print(f"rollup {area_label} as {viewer_label}: p95 {p95} ms > 50 ms", file=sys.stderr)
        emit(bench="rollup-recompute-aggregates", database=args.database, rows=rows, seconds=0.0,
             note="no pre-aggregated table is kept")  # fmt: skip
        return failed


def _raw_rollup(indicator_id: int, period_ids: list[int], area: object) -> list[tuple[object, ...]]:
    """The floor: one SQL sum per group of the indicator's values in the area (no scoping, no rules)."""
    from django.db import connection

    group = getattr(area, "group", None)
    prefix = group.path if group is not None else "/"
    marks = ", ".join(["%s"] * len(period_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.path, SUM(v.value) FROM measurement_datavalue v "
            "JOIN architecture_group g ON g.id = v.group_id "
            f"WHERE v.indicator_id = %s AND v.period_id IN ({marks}) AND g.path LIKE %s GROUP BY g.path",
            [indicator_id, *period_ids, prefix + "%"],
        )
        return cursor.fetchall()


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
