"""Helpers of the measurement benchmarks: a synthetic collective at scale (a 5-level tree, indicators,
monthly periods) and a file of values, written with raw inserts so the setup costs little.

Values are spread as a large collective's would be (DESIGN.md: 500 indicators, 10 million values a
year): for each indicator and month a random sample of the grassroots groups reports it.
"""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._scratch import median_p95

VALUE_COLUMNS = (
    "id", "collective_id", "indicator_id", "group_id", "period_id", "option", "value", "text", "comment",
    "source", "entered_by_id", "created_at", "updated_at",
)  # fmt: skip


@dataclass
class World:
    collective: Any
    admin: Any
    groups: dict[str, int]  # code → id (every group)
    paths: dict[int, str]  # id → path
    leaves: list[tuple[int, str]]  # grassroots groups: (id, code)
    level1: list[int]  # regions (depth 1)
    level2: list[int]  # districts (depth 2)
    indicators: dict[str, int]  # code → id
    periods: dict[str, int]  # code → id, oldest first


def build_world(*, groups: int, indicators: int, months: int, seed: int = 1) -> World:
    """A collective with about `groups` groups in five levels, `indicators` monthly integer indicators
    (sum) and `months` periods ending last December; an admin login (superuser)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from minga.architecture.models import Group, GroupKind
    from minga.architecture.services import DEFAULT_KINDS
    from minga.core.bulk.sql import allocate_ids, insert_rows
    from minga.core.models import Collective
    from minga.measurement import periods as iso
    from minga.measurement.models import Indicator, ReportingPeriod

    rng = random.Random(seed)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        collective = Collective.objects.create(slug="bench", name="Bench collective")
        kinds = {}
        for order, (code, name, layer) in enumerate(DEFAULT_KINDS):
            kinds[code] = GroupKind.objects.create(
                collective=collective, code=code, name=name, layer=layer, order=order
            ).pk
        fanout = [10, 5, 5, 5, max(1, groups // 1_250)]
        kind_of = ["country", "region", "district", "district", "group"]
        layer_of = ["network", "network", "network", "network", "action"]
        level: list[tuple[int | None, str]] = [(None, "/")]
        codes: dict[str, int] = {}
        paths: dict[int, str] = {}
        leaves: list[tuple[int, str]] = []
        by_depth: dict[int, list[int]] = {}
        for depth, count in enumerate(fanout):
            rows = []
            ids = allocate_ids(Group._meta.db_table, len(level) * count)
            n = 0
            next_level: list[tuple[int | None, str]] = []
            for parent, parent_path in level:
                for _ in range(count):
                    pk = ids[n]
                    n += 1
                    code = f"g{pk}"
                    path = f"{parent_path}{pk}/"
                    rows.append(
                        (pk, collective.pk, code, f"Group {pk}", layer_of[depth], kinds[kind_of[depth]],
                         parent, path, depth, "", "", "", "active", "", "", "public", now, now)
                    )  # fmt: skip
                    codes[code] = pk
                    paths[pk] = path
                    by_depth.setdefault(depth, []).append(pk)
                    next_level.append((pk, path))
                    if depth == len(fanout) - 1:
                        leaves.append((pk, code))
            insert_rows(
                Group._meta.db_table,
                ("id", "collective_id", "code", "name", "layer", "kind_id", "parent_id", "path", "depth",
                 "place_name", "admin_area", "country_code", "status", "contact_email", "description",
                 "visibility", "created_at", "updated_at"),
                rows,
            )  # fmt: skip
            level = next_level
        created = Indicator.objects.bulk_create(
            [
                Indicator(collective=collective, code=f"ind{n:03d}", name=f"Indicator {n}")
                for n in range(indicators)
            ]
        )
        last = iso.parse_period("202512")
        specs = [last]
        while len(specs) < months:
            specs.append(specs[-1].previous())
        specs.reverse()
        ReportingPeriod.objects.bulk_create(
            [
                ReportingPeriod(
                    collective=collective, kind=s.kind, code=s.code, start=s.start, end=s.end, due_on=s.end
                )
                for s in specs
            ]
        )
        period_ids = dict(ReportingPeriod.objects.filter(collective=collective).values_list("code", "pk"))
        admin = get_user_model().objects.create_superuser(username="bench", email="bench@example.org")
    rng.shuffle(leaves)
    return World(
        collective=collective,
        admin=admin,
        groups=codes,
        paths=paths,
        leaves=leaves,
        level1=by_depth[1],
        level2=by_depth[2],
        indicators={i.code: i.pk for i in Indicator.objects.filter(collective=collective)}
        if not created or created[0].pk is None
        else {i.code: i.pk for i in created},
        periods={s.code: period_ids[s.code] for s in specs},
    )


def load_world(*, seed: int = 1) -> World:
    """The world `build_world` made, read back from a kept database (`--reuse`)."""
    from django.contrib.auth import get_user_model

    from minga.architecture.models import Group
    from minga.core.models import Collective
    from minga.measurement.models import Indicator, ReportingPeriod

    rng = random.Random(seed)
    collective = Collective.objects.get(slug="bench")
    rows = list(
        Group.objects.filter(collective=collective).order_by("id").values_list("id", "code", "path", "depth")
    )
    leaves = [(pk, code) for pk, code, _, depth in rows if depth == 4]
    rng.shuffle(leaves)
    periods = (
        ReportingPeriod.objects.filter(collective=collective).order_by("start").values_list("code", "pk")
    )
    return World(
        collective=collective,
        admin=get_user_model().objects.get(username="bench"),
        groups={code: pk for pk, code, _, _ in rows},
        paths={pk: path for pk, _, path, _ in rows},
        leaves=leaves,
        level1=[pk for pk, _, _, depth in rows if depth == 1],
        level2=[pk for pk, _, _, depth in rows if depth == 2],
        indicators=dict(Indicator.objects.filter(collective=collective).values_list("code", "pk")),
        periods=dict(periods),
    )


def reaggregate(world: World) -> tuple[int, float]:
    """Rebuild the pre-aggregated rollups after a raw load (as `minga measurement reaggregate` does):
    (rows, seconds)."""
    from minga.measurement.aggregates import reaggregate as rebuild

    rebuilt = rebuild(collective=world.collective)
    return rebuilt.rows, rebuilt.seconds


def value_rows(world: World, rows: int, *, seed: int = 2) -> Any:
    """(indicator code, group code, period code, value) tuples: for each indicator and month a sample
    of grassroots groups, `rows` in all, each key once."""
    rng = random.Random(seed)
    cells = len(world.indicators) * len(world.periods)
    per_cell = max(1, rows // cells)
    if per_cell > len(world.leaves):
        raise SystemExit(f"{rows:,} values need more groups or indicators (at most one value per key).")
    made = 0
    for indicator in world.indicators:
        for period in world.periods:
            start = rng.randrange(len(world.leaves))
            for k in range(per_cell):
                if made >= rows:
                    return
                _, code = world.leaves[(start + k) % len(world.leaves)]
                yield indicator, code, period, rng.randrange(0, 200)
                made += 1


def write_values_csv(path: Path, world: World, rows: int) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["indicator", "group", "period", "option", "value", "comment"])
        for indicator, group, period, value in value_rows(world, rows):
            writer.writerow([indicator, group, period, "", value, ""])
            count += 1
    return count


def raw_insert_values(world: World, rows: Any, *, chunk: int = 5_000) -> int:
    """Insert value tuples as the driver would (executemany / COPY), ids reserved up front: the floor."""
    import itertools

    from django.db import connection, transaction
    from django.utils import timezone

    from minga.core.bulk.sql import allocate_ids, insert_rows
    from minga.measurement.models import DataValue

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = DataValue._meta.db_table
    coll = world.collective.pk
    ind, grp, per = world.indicators, world.groups, world.periods
    total = 0
    iterator = iter(rows)
    with transaction.atomic():
        while True:
            batch = list(itertools.islice(iterator, chunk))
            if not batch:
                break
            ids = allocate_ids(table, len(batch))
            insert_rows(
                table,
                VALUE_COLUMNS,
                [
                    (pk, coll, ind[i], grp[g], per[p], 0, float(v), "", "", "file", None, now, now)
                    for pk, (i, g, p, v) in zip(ids, batch, strict=True)
                ],
            )
            total += len(batch)
    return total


def raw_batches_p95(world: World, batches: list[list[Any]]) -> float:
    """The raw baseline of the batch benchmarks: p95 milliseconds of inserting each batch straight into
    the table. The rows are deleted again and the aggregates rebuilt, so the measured runs that follow
    start empty with aggregates current and kept in step, as in production."""
    from minga.measurement.models import DataValue

    timings = []
    for batch in batches:
        started = time.perf_counter()
        raw_insert_values(world, batch)
        timings.append((time.perf_counter() - started) * 1000)
    DataValue.objects.filter(collective=world.collective)._raw_delete(DataValue.objects.db)
    reaggregate(world)
    return median_p95(timings)[1]
