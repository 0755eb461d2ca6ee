"""Pre-aggregated values: per indicator x period x node x option partial aggregates, where a node is a
group of the top `NODE_LEVELS` levels of the tree and its row adds up the values of its whole subtree.

A collective-wide rollup by child unit then reads a few hundred rows (12 periods x the top-level
units) instead of every value of the indicator; a rollup under a top-level unit reads its children's
rows. Deeper areas hold few values and are read from the value table as before.

Three pieces keep the rows right:
- the value writer (`ingest.ValueWriter`, the only one that writes values) hands every change of a
  batch to `Deltas` and `Deltas.save` applies them in the same transaction: sums, counts and the
  minimum/maximum of new values are merged by an atomic upsert; when a removed value may have been the
  minimum or maximum of its row, that row's extremes are read again from the values;
- `reaggregate` rebuilds a collective's rows from the values (the CLI `minga measurement reaggregate`,
  after raw loads such as the demo's) and marks them current in `AggregateState`;
- the database clears `AggregateState.current` when a group moves or is deleted (a trigger, migration
  0007), and while it is not current rollups read the values and the writer skips the upkeep.

`answers` lets `selectors.rollup` read these rows (`partials`) only when they give exactly what the
value scan would: the viewer sees every value of the area (a superuser or an admin of the collective; a
coordinator or lead over a subtree holding the area), the area is the collective or a subtree whose
children are nodes, and the indicator's rule adds up from per-period partials (sum, average, min, max)
or, over several periods, from the span rows of `spans.py` ("last" and "count", which need to know
each group across periods).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from minga.architecture.models import Group
from minga.core.bulk.sql import in_list, insert_rows, is_postgres, select
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement.models import (
    AggregateState,
    Aggregation,
    DataValue,
    DisaggregationOption,
    Indicator,
    ReportingPeriod,
    ValueAggregate,
)

if TYPE_CHECKING:
    from minga.measurement.selectors import Area

# Groups at depth 0 and 1 keep the aggregates of their subtree: a collective-wide rollup by child reads
# the depth-0 rows, a rollup under a depth-0 unit its depth-1 children's rows. Deeper areas hold few
# values (a region: ~400 per indicator a year at 10 million), read directly. A third level would serve
# those from ~300 rows per indicator and period too, but its rows are as many as a fifth of the values
# written, which an import pays for.
NODE_LEVELS = 2
TABLE = ValueAggregate._meta.db_table
VALUES = DataValue._meta.db_table
GROUPS = Group._meta.db_table
STATE = AggregateState._meta.db_table
# Rules whose value over several periods follows from per-period partials.
ACROSS_PERIODS = frozenset({Aggregation.SUM, Aggregation.AVERAGE, Aggregation.MIN, Aggregation.MAX})

Key = tuple[int, int, int, int]  # indicator, period, node, option
# On SQLite a recomputation whose values span at least this many ids sums them in two halves at once,
# the second on a connection of its own (see `_stage_sqlite`); below it a thread costs more than it saves.
PARALLEL_FROM = 500_000


def nodes_of(path: str) -> tuple[tuple[int, str], ...]:
    """(id, path) of the nodes whose subtree holds a group of this path: its ancestors (or itself)
    at depth < NODE_LEVELS."""
    parts = path.strip("/").split("/")[:NODE_LEVELS]
    return tuple((int(part), "/" + "/".join(parts[: n + 1]) + "/") for n, part in enumerate(parts))


def cached_nodes_of(cache: dict[str, tuple[tuple[int, str], ...]], path: str) -> tuple[tuple[int, str], ...]:
    """`nodes_of(path)`, kept in `cache` (a writer keeps one across its batches)."""
    found = cache.get(path)
    if found is None:
        found = cache[path] = nodes_of(path)
    return found


def is_current(collective_id: int, *, share_lock: bool = False) -> bool:
    """Whether the collective's aggregates are current. The writer reads it with a share lock (on
    PostgreSQL) so a recomputation running meanwhile waits for its values, or it waits for it."""
    locking = share_lock and is_postgres()
    sql = f"SELECT current FROM {STATE} WHERE collective_id = %s{' FOR SHARE' if locking else ''}"
    rows = select(sql, [collective_id])
    if locking and not rows:
        # No state row to lock: a first recomputation may be inserting it, unseen until it commits; it
        # can't see this writer's values either, so it would mark rows current that lack them. Inserting
        # the row makes this writer wait for the recomputation's insert (or it for ours), so one of them
        # sees the other's work (tests/measurement/test_aggregates_concurrency.py).
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {STATE} (collective_id, current) VALUES (%s, false) ON CONFLICT DO NOTHING",
                [collective_id],
            )
        rows = select(sql, [collective_id])
    return bool(rows and rows[0][0])


class Deltas:
    """The changes one batch of writes makes to the aggregates, applied by `save`. `nodes` caches the
    nodes of each group path; a writer keeps one across its batches."""

    def __init__(self, nodes: dict[str, tuple[tuple[int, str], ...]] | None = None) -> None:
        # key → [total, numbers, reported, minimum of added values, maximum of added values]
        self.cells: dict[Key, list[Any]] = {}
        # key → [lowest, highest] removed numeric value, and the node's path
        self.removed: dict[Key, list[Any]] = {}
        self._nodes = nodes if nodes is not None else {}

    def _nodes_of(self, path: str) -> tuple[tuple[int, str], ...]:
        return cached_nodes_of(self._nodes, path)

    def add(self, indicator: int, period: int, path: str, option: int, value: float | None) -> None:
        """A value stored (text: `value` None)."""
        self.add_many([(indicator, period, path, option, value)])

    def add_many(self, rows: Iterable[tuple[int, int, str, int, float | None]]) -> None:
        """Values stored: (indicator, period, group path, option, value or None for text). The hot path
        of an import: each value is added once, under its deepest node; those sums then go up."""
        cache, nodes_of_path = self._nodes, self._nodes_of
        stage: dict[Key, list[Any]] = {}
        chains: dict[int, tuple[tuple[int, str], ...]] = {}
        for indicator, period, path, option, value in rows:
            nodes = cache.get(path) or nodes_of_path(path)
            deepest = nodes[-1][0]
            key = (indicator, period, deepest, option)
            cell = stage.get(key)
            if cell is None:
                cell = stage[key] = [0.0, 0, 0, value, value]
                chains[deepest] = nodes
            cell[2] += 1
            if value is not None:
                cell[0] += value
                cell[1] += 1
                if cell[3] is None or value < cell[3]:
                    cell[3] = value
                if cell[4] is None or value > cell[4]:
                    cell[4] = value
        cells = self.cells
        for (indicator, period, deepest, option), (total, numbers, reported, low, high) in stage.items():
            for node, _ in chains[deepest]:
                key = (indicator, period, node, option)
                cell = cells.get(key)
                if cell is None:
                    cells[key] = [total, numbers, reported, low, high]
                    continue
                cell[0] += total
                cell[1] += numbers
                cell[2] += reported
                if low is not None and (cell[3] is None or low < cell[3]):
                    cell[3] = low
                if high is not None and (cell[4] is None or high > cell[4]):
                    cell[4] = high

    def remove(self, indicator: int, period: int, path: str, option: int, value: float | None) -> None:
        """A stored value deleted or replaced (the replacement is `add`ed)."""
        for node, node_path in self._nodes_of(path):
            key = (indicator, period, node, option)
            cell = self.cells.get(key)
            if cell is None:
                cell = self.cells[key] = [0.0, 0, 0, None, None]
            cell[2] -= 1
            if value is not None:
                cell[0] -= value
                cell[1] -= 1
                gone = self.removed.get(key)
                if gone is None:
                    self.removed[key] = [value, value, node_path]
                else:
                    gone[0] = min(gone[0], value)
                    gone[1] = max(gone[1], value)
            elif key not in self.removed:
                self.removed[key] = [None, None, node_path]

    def save(self, collective_id: int) -> None:
        """Apply the changes: one upsert, then for rows that lost values, drop the empty ones and read
        the extremes again where a removed value may have been one."""
        if not self.cells:
            return
        t = TABLE
        # In key order, so two batches touching the same rows lock them in the same order (no deadlock).
        rows = [
            (collective_id, i, p, n, o, c[0], c[1], c[2], c[3], c[4])
            for (i, p, n, o), c in sorted(self.cells.items())
            if c[2] or c[1] or c[0] or c[3] is not None
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {t} (collective_id, indicator_id, period_id, node_id, option, total, numbers, "
                "reported, minimum, maximum) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (indicator_id, period_id, node_id, option) DO UPDATE SET "
                f"total = {t}.total + excluded.total, numbers = {t}.numbers + excluded.numbers, "
                f"reported = {t}.reported + excluded.reported, "
                f"minimum = CASE WHEN {t}.minimum IS NULL OR excluded.minimum < {t}.minimum "
                f"THEN COALESCE(excluded.minimum, {t}.minimum) ELSE {t}.minimum END, "
                f"maximum = CASE WHEN {t}.maximum IS NULL OR excluded.maximum > {t}.maximum "
                f"THEN COALESCE(excluded.maximum, {t}.maximum) ELSE {t}.maximum END",
                rows,
            )
            if not self.removed:
                return
            cursor.executemany(
                f"DELETE FROM {t} WHERE indicator_id = %s AND period_id = %s AND node_id = %s "
                "AND option = %s AND reported <= 0",
                sorted(self.removed),
            )
            extremes = [
                (i, p, o, path + "%") * 2 + (i, p, n, o, low, high)
                for (i, p, n, o), (low, high, path) in sorted(self.removed.items())
                if low is not None
            ]
            value_of = (
                f"FROM {VALUES} v JOIN {GROUPS} g ON g.id = v.group_id WHERE v.indicator_id = %s "
                "AND v.period_id = %s AND v.option = %s AND g.path LIKE %s"
            )
            cursor.executemany(
                f"UPDATE {t} SET minimum = (SELECT MIN(v.value) {value_of}), "
                f"maximum = (SELECT MAX(v.value) {value_of}) "
                "WHERE indicator_id = %s AND period_id = %s AND node_id = %s AND option = %s "
                "AND (minimum >= %s OR maximum <= %s)",
                extremes,
            )


# --- the full recomputation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rebuilt:
    collective: Collective
    rows: int
    seconds: float


def reaggregate(*, collective: Collective) -> Rebuilt:
    """Rebuild the collective's aggregates from its values and mark them current.

    Set-based: every value is mapped to its deepest node and summed by SQL into a staging table, one
    row per (indicator, period, deepest node, option); each level's rows then add up the staging rows
    under each of its nodes, and the stored rows are brought in line with them (`_replace`). Holds the
    state row's lock, so writers wait."""
    started = time.perf_counter()
    # A second connection sees only committed values: it may help only when this transaction is the
    # outermost one (it writes no values before summing them) and the database is a file.
    name = str(connection.settings_dict["NAME"])
    parallel = (
        not is_postgres()
        and not connection.in_atomic_block
        and name not in ("", ":memory:")
        and "mode=memory" not in name  # the test suite's shared-cache database
    )
    with transaction.atomic():
        AggregateState.objects.get_or_create(collective=collective)
        AggregateState.objects.select_for_update().filter(collective=collective).first()
        with connection.cursor() as cursor:
            for table in _TEMPORARY:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            nodes = _map_nodes(cursor, collective.pk)
            if is_postgres():
                _stage_postgres(cursor, collective.pk)
            else:
                _stage_sqlite(cursor, collective.pk, nodes, parallel=parallel)
            _replace(cursor, collective.pk)
            from minga.measurement import spans  # built on this module

            spans.rebuild(cursor, collective.pk)
            for table in _TEMPORARY:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE collective_id = %s", [collective.pk])
            count = cursor.fetchone()[0]
        AggregateState.objects.filter(collective=collective).update(current=True, built_at=timezone.now())
    return Rebuilt(collective, count, time.perf_counter() - started)


_TEMPORARY = (
    "measurement_node_map",
    "measurement_node_list",
    "measurement_node_sums",
    "measurement_node_stage",
    "measurement_node_fresh",
    "measurement_node_diff",
)


def _fresh() -> str:
    """The query of the rows the staging rows add up to: each level's rows sum the staging rows under
    each of its nodes. A staging row's key is unique and its node number stands for one chain of nodes,
    so at the deepest level the rows are taken as they are (summing them again took a third of this)."""
    deepest = f"n{NODE_LEVELS - 1}"
    return " UNION ALL ".join(
        [
            f"SELECT s.indicator_id, s.period_id, n.{level} AS node, s.option, SUM(s.total) AS total, "
            "CAST(SUM(s.numbers) AS bigint) AS numbers, CAST(SUM(s.reported) AS bigint) AS reported, "
            "MIN(s.minimum) AS minimum, MAX(s.maximum) AS maximum FROM measurement_node_stage s "
            f"JOIN measurement_node_list n ON n.node = s.node WHERE n.{level} IS NOT NULL "
            f"GROUP BY s.indicator_id, s.period_id, n.{level}, s.option"
            for level in (f"n{depth}" for depth in range(NODE_LEVELS - 1))
        ]
        + [
            f"SELECT s.indicator_id, s.period_id, n.{deepest}, s.option, s.total, s.numbers, s.reported, "
            "s.minimum, s.maximum FROM measurement_node_stage s JOIN measurement_node_list n "
            f"ON n.node = s.node WHERE n.{deepest} IS NOT NULL"
        ]
    )


_SUMS = ("total", "numbers", "reported", "minimum", "maximum")


def _replace(cursor: Any, collective_id: int) -> None:
    """Make the collective's stored rows those of `_fresh`: delete the rows that are gone, insert the new
    ones, update those that differ. Rows that did not change are not written (every write dirties a
    page and an index entry), so a recomputation after a group move pays only for the rows it moved."""
    if is_postgres():
        _replace_postgres(cursor, collective_id)
    else:
        _replace_sqlite(cursor, collective_id)


def _replace_postgres(cursor: Any, collective_id: int) -> None:
    """One pass finds what differs: a full join of the fresh rows with the stored ones — a hash join,
    whatever the planner believes of the tables, since PostgreSQL joins no other way in full — keeps in
    measurement_node_diff the stored rows that are gone (no fresh figures), the new ones (no stored id)
    and those whose figures differ; they are then deleted, updated and inserted by id. Over 360,000
    unchanged stored rows (10 million values) it takes 0.7-0.9 s where the former steps took 3.8-4.7 s:
    the levels summed into a table and indexed, an anti-join probing that index for each stored row, and
    an upsert probing the unique key for each fresh row and locking every stored row, changed or not."""
    sums = ", ".join(_SUMS)
    _temporary(cursor, "measurement_node_diff", f"id bigint, {_STAGE}")
    # f.node is never NULL in a fresh row: NULL there marks a stored row that is gone.
    cursor.execute(
        "INSERT INTO measurement_node_diff SELECT a.id, f.indicator_id, f.period_id, f.node, f.option, "
        f"{', '.join(f'f.{c}' for c in _SUMS)} FROM ({_fresh()}) f FULL JOIN (SELECT id, indicator_id, "
        f"period_id, node_id, option, {sums} FROM {TABLE} WHERE collective_id = %s) a "
        "ON a.indicator_id = f.indicator_id AND a.period_id = f.period_id AND a.node_id = f.node "
        "AND a.option = f.option WHERE a.id IS NULL OR f.node IS NULL "
        f"OR {' OR '.join(f'a.{c} IS DISTINCT FROM f.{c}' for c in _SUMS)}",
        [collective_id],
    )
    cursor.execute(
        f"DELETE FROM {TABLE} WHERE id IN (SELECT id FROM measurement_node_diff WHERE node IS NULL)"
    )
    cursor.execute(
        f"UPDATE {TABLE} SET {', '.join(f'{c} = d.{c}' for c in _SUMS)} FROM measurement_node_diff d "
        f"WHERE {TABLE}.id = d.id AND d.node IS NOT NULL"
    )
    # A plain insert (the join found no stored row of these keys, and an indicator belongs to one
    # collective), in key order so the unique index is filled from left to right.
    cursor.execute(
        f"INSERT INTO {TABLE} (collective_id, indicator_id, period_id, node_id, option, {sums}) "
        f"SELECT %s, indicator_id, period_id, node, option, {sums} FROM measurement_node_diff "
        "WHERE id IS NULL ORDER BY indicator_id, period_id, node, option",
        [collective_id],
    )


def _replace_sqlite(cursor: Any, collective_id: int) -> None:
    """SQLite joins by nested loops (its full join of the fresh rows with the stored ones was stopped
    after 9 minutes at 2 million values), and an index probe costs it little: the fresh rows are stored
    with an index on their key, the stored rows without a fresh row are deleted by an anti-join, and one
    upsert inserts the new rows and updates those that differ."""
    _temporary(cursor, "measurement_node_fresh", _STAGE)
    cursor.execute(f"INSERT INTO measurement_node_fresh {_fresh()}")
    cursor.execute(
        "CREATE INDEX measurement_node_fresh_key ON measurement_node_fresh "
        "(indicator_id, period_id, node, option)"
    )
    cursor.execute(
        f"DELETE FROM {TABLE} AS a WHERE a.collective_id = %s AND NOT EXISTS (SELECT 1 FROM "
        "measurement_node_fresh f WHERE a.indicator_id = f.indicator_id AND a.period_id = f.period_id "
        "AND a.node_id = f.node AND a.option = f.option)",
        [collective_id],
    )
    cursor.execute(
        f"INSERT INTO {TABLE} (collective_id, indicator_id, period_id, node_id, option, {', '.join(_SUMS)}) "
        f"SELECT %s, f.indicator_id, f.period_id, f.node, f.option, {', '.join(f'f.{c}' for c in _SUMS)} "
        "FROM measurement_node_fresh f WHERE true ON CONFLICT (indicator_id, period_id, node_id, option) "
        f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _SUMS)} "
        f"WHERE {' OR '.join(f'{TABLE}.{c} IS NOT excluded.{c}' for c in _SUMS)}",
        [collective_id],
    )


def _temporary(cursor: Any, table: str, columns: str, *, key: str = "") -> None:
    """A temporary table (dropped at commit on PostgreSQL), with an integer primary key `key` if given
    (on SQLite the row id itself: a join looks up one B-tree instead of an index and then the row)."""
    if key:
        columns = f"{key} {'bigint' if is_postgres() else 'INTEGER'} PRIMARY KEY, {columns}"
    suffix = " ON COMMIT DROP" if is_postgres() else ""
    cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns}){suffix}")


def _map_nodes(cursor: Any, collective_id: int) -> int:
    """Temporary tables of the collective's nodes, numbered 0…: measurement_node_list (node number → the
    id of the node at each level above and at it, one column per level, NULL below its own level) and
    measurement_node_map (group → the number of its deepest node). Returns how many nodes there are."""
    levels = [f"n{depth}" for depth in range(NODE_LEVELS)]
    numbers: dict[tuple[int, ...], int] = {}
    mapping = []
    for pk, path in select(f"SELECT id, path FROM {GROUPS} WHERE collective_id = %s", [collective_id]):
        chain = tuple(node for node, _ in nodes_of(path))
        mapping.append((pk, numbers.setdefault(chain, len(numbers))))
    _temporary(cursor, "measurement_node_list", ", ".join(f"{n} bigint" for n in levels), key="node")
    insert_rows(
        "measurement_node_list",
        ("node", *levels),
        [(number, *chain, *[None] * (NODE_LEVELS - len(chain))) for chain, number in numbers.items()],
    )
    _temporary(cursor, "measurement_node_map", "node bigint", key="group_id")
    insert_rows("measurement_node_map", ("group_id", "node"), mapping)
    return len(numbers)


_STAGE = (
    "indicator_id bigint, period_id bigint, node bigint, option bigint, total double precision, "
    "numbers bigint, reported bigint, minimum double precision, maximum double precision"
)


def _stage_postgres(cursor: Any, collective_id: int) -> None:
    """PostgreSQL: one hash aggregate over the values. work_mem lets it hold its ~300,000 groups (about
    170 MB at 10 million values) instead of spilling them to disk, which took twice as long; JIT
    compiling the query costs more than it saves here."""
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SET LOCAL jit = off")
    _temporary(cursor, "measurement_node_stage", _STAGE)
    cursor.execute(
        "INSERT INTO measurement_node_stage SELECT v.indicator_id, v.period_id, m.node, v.option, "
        "COALESCE(SUM(v.value), 0), COUNT(v.value), COUNT(*), MIN(v.value), MAX(v.value) "
        f"FROM {VALUES} v JOIN measurement_node_map m ON m.group_id = v.group_id "
        "WHERE v.collective_id = %s GROUP BY v.indicator_id, v.period_id, m.node, v.option",
        [collective_id],
    )


def _stage_sqlite(cursor: Any, collective_id: int, nodes: int, *, parallel: bool = False) -> None:
    """SQLite has no hash aggregate: its GROUP BY sorts every value. Instead each value is added into its
    row of a small in-memory table by an upsert on one integer key packing (indicator, period, node,
    option), which costs about 0.7 of the sort here; the keys are then unpacked into the staging rows.
    A value outside the collective's id ranges (or ranges too wide for 62 bits) keeps a row of its own,
    keyed by minus its id, and is read back from the values and summed with the others of its key, so
    that, as on PostgreSQL, each staging row has a key of its own.

    With `parallel` and at least `PARALLEL_FROM` value ids, the upsert runs on two halves of the ids at
    once (`_sum_halves`): sqlite3 lets go of the GIL while a statement runs, so the two use both cores."""
    ((i0, i1, p0, p1, o1, v0, v1),) = select(
        f"SELECT (SELECT MIN(id) FROM {Indicator._meta.db_table} WHERE collective_id = %s), "
        f"(SELECT MAX(id) FROM {Indicator._meta.db_table} WHERE collective_id = %s), "
        f"(SELECT MIN(id) FROM {ReportingPeriod._meta.db_table} WHERE collective_id = %s), "
        f"(SELECT MAX(id) FROM {ReportingPeriod._meta.db_table} WHERE collective_id = %s), "
        f"(SELECT MAX(id) FROM {DisaggregationOption._meta.db_table}), "
        f"(SELECT MIN(id) FROM {VALUES} WHERE collective_id = %s), "
        f"(SELECT MAX(id) FROM {VALUES} WHERE collective_id = %s)",
        [collective_id] * 6,
    )
    i0, i1, p0, p1, o1, v0, v1 = (bound or 0 for bound in (i0, i1, p0, p1, o1, v0, v1))
    periods, nodes, options = p1 - p0 + 1, max(nodes, 1), o1 + 1
    packs = (i1 - i0 + 1) * periods * nodes * options < 2**62
    _temporary(cursor, "measurement_node_sums", _SUMS_TABLE, key="k")
    params = [packs, i0, i1, p0, p1, o1, i0, periods, p0, nodes, options, collective_id]
    if parallel and v1 - v0 + 1 >= PARALLEL_FROM:
        _sum_halves(cursor, params, v0, v1)
    else:
        cursor.execute(_sum_values(), params)
    _temporary(cursor, "measurement_node_stage", _STAGE)
    cursor.execute(
        "INSERT INTO measurement_node_stage "
        "SELECT k / %s + %s, k / %s %% %s + %s, k / %s %% %s, k %% %s, total, numbers, reported, minimum, "
        "maximum FROM measurement_node_sums WHERE k >= 0 UNION ALL SELECT v.indicator_id, v.period_id, "
        "m.node, v.option, SUM(s.total), SUM(s.numbers), SUM(s.reported), MIN(s.minimum), MAX(s.maximum) "
        f"FROM measurement_node_sums s JOIN {VALUES} v ON v.id = -s.k "
        "JOIN measurement_node_map m ON m.group_id = v.group_id WHERE s.k < 0 "
        "GROUP BY v.indicator_id, v.period_id, m.node, v.option",
        [options * nodes * periods, i0, options * nodes, periods, p0, options, nodes, options],
    )


_SUMS_TABLE = (
    "total double precision, numbers bigint, reported bigint, minimum double precision, "
    "maximum double precision"
)
_EXTREMES = (
    "minimum = min(COALESCE(minimum, excluded.minimum), COALESCE(excluded.minimum, minimum)), "
    "maximum = max(COALESCE(maximum, excluded.maximum), COALESCE(excluded.maximum, maximum))"
)


def _sum_values(*, ids: bool = False) -> str:
    """The upsert adding each value into its row of measurement_node_sums (with `ids`, only the values
    whose id lies between two more parameters)."""
    return (
        "INSERT INTO measurement_node_sums SELECT CASE WHEN %s AND v.indicator_id BETWEEN %s AND %s "
        "AND v.period_id BETWEEN %s AND %s AND v.option BETWEEN 0 AND %s "
        "THEN (((v.indicator_id - %s) * %s + v.period_id - %s) * %s + m.node) * %s + v.option "
        "ELSE -v.id END, COALESCE(v.value, 0), v.value IS NOT NULL, 1, v.value, v.value "
        f"FROM {VALUES} v JOIN measurement_node_map m ON m.group_id = v.group_id WHERE v.collective_id = %s "
        + ("AND v.id BETWEEN %s AND %s " if ids else "")
        + "ON CONFLICT (k) DO UPDATE SET total = total + excluded.total, "
        "numbers = numbers + excluded.numbers, "
        f"reported = reported + 1, {_EXTREMES}"
    )


def _sum_halves(cursor: Any, params: list[Any], first: int, last: int) -> None:
    """Sum the values of ids first…middle on this connection while a second connection to the same file
    sums those above the middle into its own temporary table; its rows are then added into ours.

    The second connection reads what is committed. That is what this transaction sees: it wrote no
    values (the caller checks it is the outermost one) and it holds the write lock (taken here if the
    transaction did not begin IMMEDIATE), so nobody commits values until it ends."""
    cursor.execute(f"UPDATE {STATE} SET current = current WHERE collective_id = %s", [params[-1]])
    # This connection takes a little more: the other one starts later and hands its rows over.
    middle = first + (last - first) * 11 // 20
    mapping = select("SELECT group_id, node FROM measurement_node_map", [])
    with ThreadPoolExecutor(max_workers=1) as pool:
        upper = pool.submit(
            _sum_apart,
            str(connection.settings_dict["NAME"]),
            mapping,
            _sum_values(ids=True).replace("%s", "?"),
            [*params, middle + 1, last],
        )
        cursor.execute(_sum_values(ids=True), [*params, first, middle])
        rows = upper.result()
    cursor.executemany(
        "INSERT INTO measurement_node_sums VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (k) DO UPDATE SET "
        "total = total + excluded.total, numbers = numbers + excluded.numbers, "
        f"reported = reported + excluded.reported, {_EXTREMES}",
        rows,
    )


def _sum_apart(path: str, mapping: list[tuple[Any, ...]], sql: str, params: list[Any]) -> list[Any]:
    """On a connection of its own (reading only; its tables are temporary), run the summing upsert `sql`
    over a copy of the node map and return the rows it made."""
    helper = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    try:
        helper.execute("PRAGMA temp_store = MEMORY")
        helper.execute("PRAGMA cache_size = -64000")
        helper.execute(
            "CREATE TEMPORARY TABLE measurement_node_map (group_id INTEGER PRIMARY KEY, node bigint)"
        )
        helper.executemany("INSERT INTO measurement_node_map VALUES (?, ?)", mapping)
        helper.execute(f"CREATE TEMPORARY TABLE measurement_node_sums (k INTEGER PRIMARY KEY, {_SUMS_TABLE})")
        helper.execute(sql, params)
        return helper.execute("SELECT * FROM measurement_node_sums").fetchall()
    finally:
        helper.close()


# --- reading ------------------------------------------------------------------------------------------


class Partial:
    """Partial aggregates being added up: sum, how many numbers, how many values, extremes."""

    __slots__ = ("maximum", "minimum", "numbers", "reported", "total")

    def __init__(self) -> None:
        self.total = 0.0
        self.numbers = 0
        self.reported = 0
        self.minimum: float | None = None
        self.maximum: float | None = None

    def merge(self, total: float, numbers: int, reported: int, low: float | None, high: float | None) -> None:
        self.total += total
        self.numbers += numbers
        self.reported += reported
        if low is not None and (self.minimum is None or low < self.minimum):
            self.minimum = low
        if high is not None and (self.maximum is None or high > self.maximum):
            self.maximum = high

    def value(self, rule: str) -> float | None:
        """The figure by the indicator's rule, as `selectors.aggregate` would give it (for "last" and
        "count", within one period)."""
        if rule == Aggregation.COUNT:
            return float(self.reported) if self.reported else None
        if not self.numbers:
            return None
        if rule == Aggregation.AVERAGE:
            return self.total / self.numbers
        if rule == Aggregation.MIN:
            return self.minimum
        if rule == Aggregation.MAX:
            return self.maximum
        return self.total


def sees_whole_area(viewer: Any, area: Area) -> bool:
    """Whether `viewer` sees every value of `area` (so aggregates over it show nothing hidden): a
    superuser, an admin of the collective, or a coordinator or lead whose subtree holds the area."""
    scope = scope_for(viewer)
    if scope.is_superuser:
        return True
    collective_id = area.collective.pk
    if collective_id not in scope.member_collectives:
        return False
    if collective_id in scope.admin_collectives:
        return True
    return area.group is not None and scope.covers_path(area.group.path)


def answers(*, viewer: Any, indicator: Indicator, area: Area, by: str) -> bool:
    """Whether the aggregates give exactly the rollup the value scan would (see the module's doc);
    over several periods, "last" and "count" read the span rows (`spans.partials`)."""
    if by not in ("", "period", "child", "option") or area.group_set is not None:
        return False
    if area.group is not None and area.group.depth >= (NODE_LEVELS - 1 if by == "child" else NODE_LEVELS):
        return False
    # Groups reporting several options of one indicator count once, where a period's row counts values:
    # "count" only without disaggregation.
    if indicator.aggregation == Aggregation.COUNT and indicator.disaggregation_id is not None:
        return False
    return sees_whole_area(viewer, area)  # and the aggregates current: checked as they are read


def units_filter(area: Area, *, by_child: bool) -> tuple[str, list[Any]]:
    """SQL on the node `g` picking the rows a rollup of `area` reads: its child units' when `by_child`,
    else its own (the top-level units' for a whole collective)."""
    if area.group is None:
        return "g.collective_id = %s AND g.parent_id IS NULL", [area.collective.pk]
    if by_child:
        return "g.parent_id = %s", [area.group.pk]
    return "g.id = %s", [area.group.pk]


def partials(
    *, indicator: Indicator, area: Area, period_list: Sequence[ReportingPeriod], by_child: bool
) -> list[tuple[int, int, int, float, int, int, float | None, float | None]] | None:
    """(unit, period id, option, total, numbers, reported, minimum, maximum) rows of the area: its
    child units' rows (the area's own values as their own unit) when `by_child`, else the area's own
    row (the top-level units' rows for a whole collective); None when the collective's aggregates are
    not current. One query: the state, the rows and the area's own values together, so a rollup from
    aggregates costs no more queries than one from the values."""
    period_ids = [p.pk for p in period_list]
    in_periods, period_params = in_list("a.period_id", period_ids)
    unit_filter, unit_params = units_filter(area, by_child=by_child)
    # One row per aggregate (flag: the state) — or one row of NULLs when there is none — if the state
    # row exists; no row at all when it doesn't.
    sql = (
        "SELECT s.current, a.node_id, a.period_id, a.option, a.total, a.numbers, a.reported, a.minimum, "
        f"a.maximum FROM {STATE} s LEFT JOIN ({TABLE} a JOIN {GROUPS} g ON g.id = a.node_id AND "
        f"{unit_filter}) ON s.current AND a.indicator_id = %s AND {in_periods} WHERE s.collective_id = %s"
    )
    params: list[Any] = [*unit_params, indicator.pk, *period_params, area.collective.pk]
    if area.group is not None and by_child:
        # The area group's own values (a network unit may report too) are a unit of their own; their
        # flag is NULL so they never pass for the state.
        own_periods, own_params = in_list("v.period_id", period_ids)
        sql += (
            " UNION ALL SELECT NULL, v.group_id, v.period_id, v.option, COALESCE(v.value, 0), "
            "CASE WHEN v.value IS NULL THEN 0 ELSE 1 END, 1, v.value, v.value "
            f"FROM {VALUES} v WHERE v.indicator_id = %s AND v.group_id = %s AND {own_periods}"
        )
        params += [indicator.pk, area.group.pk, *own_params]
    found = select(sql, params)
    if not any(row[0] for row in found):
        return None
    return [row[1:] for row in found if row[1] is not None]
