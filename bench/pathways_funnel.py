"""Benchmark: pathway progress at scale — a bulk update of every action-layer group, then the funnel.

Builds the demo architecture (no people) in a scratch database, adds a five-stage published pathway and
times, as the backbone admin:
- `progress_bulk_set` recording every open action-layer group at stage 1 (all new: progress rows and
  history rows), then moving them all to stage 2 (closing the open rows, moving the pointers, adding rows);
  baseline: the same number of history rows inserted through the driver (executemany / COPY);
- `pathway_funnel` for the whole collective and for one region (median and p95 of `--repeat` runs);
  baseline: the one `SELECT stage_id, COUNT(*) … GROUP BY stage_id` over the same groups, through the
  driver (the funnel adds pending counts, medians, the group count).
One JSON line per figure.

    .venv/bin/python -m bench.pathways_funnel [--database sqlite|postgres] [--size large] [--repeat 10]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench._scratch import emit, median_p95, scratch_database, use_in_process


def _admin(collective: Any) -> Any:
    from django.contrib.auth import get_user_model

    from minga.architecture.models import Group
    from minga.people.models import Membership, Person

    User = get_user_model()
    user = User.objects.create_user(username="admin@bench.local", email="admin@bench.local")
    person = Person.objects.create(collective=collective, user=user, full_name="Bench admin")
    Membership.objects.create(
        person=person, group=Group.objects.get(collective=collective, code="backbone"), role="admin"
    )
    return user


def _raw_insert_baseline(rows: int) -> float:
    """Seconds to insert `rows` history-like rows into a scratch table through the driver."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_entries (id integer PRIMARY KEY, progress_id integer, stage_id integer, "
                "kind varchar(8), status varchar(8), entered_on date, evidence text)"
            )
        data = [(i, i, 1, "bulk", "accepted", "2026-01-01", "Training roll") for i in range(1, rows + 1)]
        started = time.perf_counter()
        raw = connection.connection
        if connection.vendor == "sqlite":
            cursor = raw.cursor()
            cursor.executemany("INSERT INTO bench_entries VALUES (?, ?, ?, ?, ?, ?, ?)", data)
            cursor.close()
        else:
            with raw.cursor() as cur, cur.copy("COPY bench_entries FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.pathways_funnel", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--size", default="large")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.db import connection
        from django.db.models import Count

        from minga.architecture.models import Group, Layer
        from minga.demo.generate import demo_collective, generate_demo
        from minga.pathways import services
        from minga.pathways.models import GroupProgress
        from minga.pathways.selectors import GroupFilter, pathway_funnel, travellers

        generate_demo(size=args.size, with_people=False, with_metrics=False)
        collective = demo_collective()
        assert collective is not None
        admin = _admin(collective)
        pathway = services.pathway_create(actor=admin, collective=collective, name="Bench pathway")
        for name in ("Forming", "Trained", "Running activities", "Mentoring others", "Self-sustaining"):
            services.stage_create(actor=admin, pathway=pathway, name=name)
        pathway = services.pathway_publish(actor=admin, pathway=pathway)
        stages = list(pathway.stages.order_by("order"))
        root = Group.objects.filter(collective=collective, depth=0, layer=Layer.NETWORK).order_by("id")
        travelling = Group.objects.filter(collective=collective, layer=Layer.ACTION).exclude(status="closed")
        groups = travelling.count()
        moved = 0
        for label, stage in (("join", stages[0]), ("advance", stages[1])):
            started = time.perf_counter()
            for country in root:
                moved = services.progress_bulk_set(
                    actor=admin, pathway=pathway, within=country, stage=stage, note="Bench roll"
                )
            seconds = time.perf_counter() - started
            rows = GroupProgress.objects.filter(pathway=pathway, stage=stage).count()
            baseline = _raw_insert_baseline(rows)
            emit(
                benchmark="pathways-funnel",
                figure=f"bulk-{label}",
                database=connection.vendor,
                groups=rows,
                seconds=round(seconds, 3),
                baseline_seconds=round(baseline, 3),
                ratio=round(seconds / baseline, 1) if baseline else None,
                last_batch=moved,
            )
        region = (
            Group.objects.filter(collective=collective, depth=1, layer=Layer.NETWORK).order_by("id").first()
        )
        for label, filters in (("collective", GroupFilter()), ("region", GroupFilter(within=region))):
            samples = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                funnel = pathway_funnel(admin, pathway, filters)
                samples.append((time.perf_counter() - started) * 1000)
            ids = travellers(admin, pathway, filters).values("id")
            sql, params = (
                GroupProgress.objects.filter(pathway=pathway, group__in=ids)
                .values("stage")
                .annotate(n=Count("id"))
                .order_by()
                .query.sql_with_params()
            )
            base = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    cursor.fetchall()
                base.append((time.perf_counter() - started) * 1000)
            median, p95 = median_p95(samples)
            base_median, _ = median_p95(base)
            emit(
                benchmark="pathways-funnel",
                figure=f"funnel-{label}",
                database=connection.vendor,
                groups=funnel.groups,
                median_ms=median,
                p95_ms=p95,
                baseline_median_ms=base_median,
                ratio=round(median / base_median, 1) if base_median else None,
                travellers=groups,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
