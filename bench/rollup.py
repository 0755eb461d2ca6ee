"""Benchmark: dashboard rollups (one indicator, a subtree, 12 months, by child unit) on many values.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), with a
synthetic collective of `--groups` groups in five levels, `--indicators` monthly indicators and 12 months
of `--rows` values inserted raw:
1. *recompute*: `aggregates.reaggregate`, the full recomputation of the pre-aggregated rollups, into an
   empty table (as after a raw load) and again over the rows it stored (all unchanged), against
   one plain scan summing the same values (the floor);
2. *rollup*: `selectors.rollup(by="child")` as an admin (superuser) and as a region's coordinator (the
   scoping filter included), for random indicators over the whole collective, a region and a district
   — answered from the aggregates where they apply, else from the values;
3. *scan*: the same rollups with the aggregates set aside (read from the values, as before them);
4. *raw*: the same sums as one plain SQL `GROUP BY` over the same rows (join to the group for the path
   prefix), no scoping, no aggregation rules — the floor of a scan;
5. *last value* and *count*: ten indicators switched to each rule through the service (which builds
   their span rows, `minga/measurement/spans.py`), a recomputation with them, then rollups by child
   over 12 months for the whole collective and a region, against the same read from the values.
One JSON line per figure: bench, database, rows, p95_ms, median_ms, ratio_to_raw.

    .venv/bin/python -m bench.rollup [--rows 1000000] [--groups 50000] [--indicators 500] [--repeat 40]
                                     [--database sqlite|postgres] [--keep] [--reuse FOLDER [--reuse-url URL]]

`--keep` leaves the database in place and prints its folder (and a PostgreSQL cluster's URL, left
running); `--reuse FOLDER` runs again on it without building the world (after migrating it), with
`--reuse-url URL` on that PostgreSQL cluster.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from bench._scratch import Scratch, emit, median_p95, scratch_database, use_in_process
from bench._values_setup import build_world, load_world, raw_insert_values, reaggregate, value_rows


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.rollup", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=50_000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", default="", help="folder of a database kept by --keep")
    parser.add_argument("--reuse-url", default="", help="with --reuse: the PostgreSQL URL --keep printed")
    args = parser.parse_args(argv)
    if args.reuse:
        folder = Path(args.reuse)
        if args.reuse_url:
            args.database = "postgres"
        url = args.reuse_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        context: Any = nullcontext(Scratch(folder, url, args.database))
    else:
        context = scratch_database(args.database, keep=args.keep)
    with context as scratch:
        use_in_process(scratch)
        return _measure(args, reuse=bool(args.reuse))


def _measure(args: argparse.Namespace, *, reuse: bool) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from minga.architecture.models import Group
    from minga.core.choices import Role
    from minga.measurement import selectors
    from minga.measurement.models import (
        AggregateState,
        Aggregation,
        DataValue,
        Indicator,
        ReportingPeriod,
        ValueAggregate,
        ValueSpan,
    )
    from minga.people.models import Membership, Person

    if reuse:
        world = load_world()
        rows = DataValue.objects.filter(collective=world.collective).count()
    else:
        world = build_world(groups=args.groups, indicators=args.indicators, months=12)
        started = time.perf_counter()
        rows = raw_insert_values(world, value_rows(world, args.rows))
        emit(bench="rollup-load-raw", database=args.database, rows=rows,
             seconds=round(time.perf_counter() - started, 3))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The floor of a recomputation: one plain scan summing the collective's values.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), SUM(value) FROM measurement_datavalue WHERE collective_id = %s",
                       [world.collective.pk])  # fmt: skip
        cursor.fetchall()
    scan_seconds = time.perf_counter() - started
    # First into an empty table, as after a raw load (every row inserted), then over the stored rows,
    # unchanged (only rows that differ are written, so after a group move only the moved ones).
    ValueAggregate.objects.filter(collective=world.collective)._raw_delete(ValueAggregate.objects.db)
    failed = 0
    for label in ("recompute-aggregates", "recompute-aggregates-again"):
        aggregate_rows, seconds = reaggregate(world)
        emit(bench=f"rollup-{label}", database=args.database, rows=rows, seconds=round(seconds, 3),
             aggregate_rows=aggregate_rows, scan_seconds=round(scan_seconds, 3),
             ratio_to_scan=round(seconds / scan_seconds, 1))  # fmt: skip
        failed |= int(seconds > 10)
    region = Group.objects.get(pk=world.level1[0])
    coordinator = get_user_model().objects.filter(username="coord").first()
    if coordinator is None:
        coordinator = get_user_model().objects.create_user(username="coord", email="coord@example.org")
        person = Person.objects.create(collective=world.collective, user=coordinator, full_name="Coordinator")
        Membership.objects.create(person=person, group=region, role=Role.COORDINATOR)
    period_list = list(ReportingPeriod.objects.filter(collective=world.collective).order_by("start"))
    indicators = list(Indicator.objects.filter(collective=world.collective, aggregation=Aggregation.SUM))
    collective = world.collective
    districts_in_region = [g for g in world.level2 if world.paths[g].startswith(region.path)]
    district_rng = random.Random(4)
    areas = {
        "collective": lambda: selectors.Area(collective),
        "region": lambda: selectors.Area(collective, group=region),
        "district": lambda: selectors.Area(
            collective, group=Group.objects.get(pk=district_rng.choice(districts_in_region))
        ),
    }
    state = AggregateState.objects.filter(collective=collective)

    def time_rollups(viewer: Any, make_area: Any, chosen: list[Any]) -> tuple[list[float], int, int]:
        timings, read, from_aggregates = [], 0, 0
        for indicator in chosen:
            area = make_area()
            started = time.perf_counter()
            result = selectors.rollup(
                viewer=viewer, indicator=indicator, area=area, period_list=period_list, by="child"
            )
            timings.append((time.perf_counter() - started) * 1000)
            read += result.values_read
            from_aggregates += result.from_aggregates
        return timings, read // len(chosen), from_aggregates

    for viewer_label, viewer in (("admin", world.admin), ("coordinator", coordinator)):
        for area_label, make_area in areas.items():
            if viewer_label == "coordinator" and area_label == "collective":
                continue
            chosen = random.Random(3).choices(indicators, k=args.repeat)
            timings, read, from_aggregates = time_rollups(viewer, make_area, chosen)
            state.update(current=False)  # the same rollups read from the values
            scan_timings, scan_read, _ = time_rollups(viewer, make_area, chosen)
            state.update(current=True)
            raw_timings = []
            for indicator in chosen:
                started = time.perf_counter()
                _raw_rollup(indicator.pk, [p.pk for p in period_list], make_area())
                raw_timings.append((time.perf_counter() - started) * 1000)
            median, p95 = median_p95(timings)
            _, scan_p95 = median_p95(scan_timings)
            _, raw_p95 = median_p95(raw_timings)
            emit(
                bench=f"rollup-{area_label}-by-child-as-{viewer_label}",
                database=args.database,
                rows=rows,
                rows_read=read,
                from_aggregates=f"{from_aggregates}/{len(chosen)}",
                median_ms=median,
                p95_ms=p95,
                scan_p95_ms=scan_p95,
                scan_values_read=scan_read,
                raw_p95_ms=raw_p95,
                ratio_to_raw=round(p95 / raw_p95, 2) if raw_p95 else None,
            )
            if p95 > 50:
                print(f"rollup {area_label} as {viewer_label}: p95 {p95} ms > 50 ms", file=sys.stderr)
                failed = 1
    # "Last value" and "count of reporting groups" over 12 periods need each group's latest value or each
    # group once: the span rows answer them. Ten indicators of each rule, switched through the service
    # (which builds their span rows), then a recomputation with them in place, then the rollups.
    from minga.measurement import services

    spanning = random.Random(6).sample(indicators, k=min(20, len(indicators)))
    switched: dict[str, list[Any]] = {Aggregation.LAST: spanning[::2], Aggregation.COUNT: spanning[1::2]}
    started = time.perf_counter()
    for rule, chosen_indicators in switched.items():
        for indicator in chosen_indicators:
            services.indicator_update(actor=world.admin, indicator=indicator, aggregation=rule)
    emit(bench="rollup-span-rows-of-20-indicators", database=args.database, rows=rows,
         seconds=round(time.perf_counter() - started, 3),
         span_rows=ValueSpan.objects.filter(collective=collective).count())  # fmt: skip
    aggregate_rows, seconds = reaggregate(world)
    emit(bench="rollup-recompute-aggregates-with-spans", database=args.database, rows=rows,
         seconds=round(seconds, 3), aggregate_rows=aggregate_rows, scan_seconds=round(scan_seconds, 3),
         ratio_to_scan=round(seconds / scan_seconds, 1))  # fmt: skip
    for rule, chosen_indicators in switched.items():
        label = "last-value" if rule == Aggregation.LAST else "count"
        for area_label in ("collective", "region"):
            chosen = random.Random(7).choices(chosen_indicators, k=args.repeat)
            timings, read, from_aggregates = time_rollups(world.admin, areas[area_label], chosen)
            state.update(current=False)
            scan_timings, scan_read, _ = time_rollups(world.admin, areas[area_label], chosen)
            state.update(current=True)
            median, p95 = median_p95(timings)
            _, scan_p95 = median_p95(scan_timings)
            emit(bench=f"rollup-{area_label}-by-child-{label}-as-admin", database=args.database, rows=rows,
                 rows_read=read, from_aggregates=f"{from_aggregates}/{len(chosen)}", median_ms=median,
                 p95_ms=p95, scan_p95_ms=scan_p95, scan_values_read=scan_read,
                 ratio_to_scan=round(p95 / scan_p95, 2) if scan_p95 else None)  # fmt: skip
            if p95 > 50:
                print(f"rollup {area_label} {label}: p95 {p95} ms > 50 ms", file=sys.stderr)
                failed = 1
    for indicator in spanning:
        services.indicator_update(actor=world.admin, indicator=indicator, aggregation=Aggregation.SUM)
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
