"""Spans: what lets "last value" and "count of reporting groups" roll up over several periods from
pre-aggregated rows, as the other rules do from `ValueAggregate`.

Over periods a…b, "last value" adds each series' (a group's values of one option) latest value in the
range, and "count" counts each group once. Per-period sums can't give either: a group reporting in
March and April would be counted twice. So each value is filed under the period of the *next* value of
its series (`next_start`, or `NEVER`): a value in p ∈ a…b is its series' latest in the range exactly when
its next report starts after b. A `ValueSpan` row adds up, per indicator x period x node x option x
next start, the values filed there; a rollup reads the rows of a…b whose next start is after b, a few
hundred rows where the value scan read every value of the indicator.

A series lives within one period kind (a monthly value is not followed by a yearly one). For "count"
a series is a group (all options), one entry per period; for "last", a group's numeric values of one
option.

Three pieces keep the rows right, as for `ValueAggregate`:
- the value writer reads the series a batch touches once (`read_series`), applies the batch to them in
  memory, and adds the difference of the entries that may change (`changes`, `save_changes`) in the
  same transaction;
- `rebuild` makes a collective's rows from the values in SQL (LEAD over each series), called by
  `aggregates.reaggregate`; `rebuild_indicator` redoes one indicator's after its rule changed;
- rollups read them (`partials`) only where `aggregates.answers` allows and the collective's aggregates
  are current (the same `AggregateState`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection

from minga.architecture.models import Group
from minga.core.bulk.sql import in_list, insert_rows, select
from minga.measurement import aggregates
from minga.measurement.models import (
    AggregateState,
    Aggregation,
    DataValue,
    Indicator,
    ReportingPeriod,
    ValueSpan,
)

if TYPE_CHECKING:
    from minga.measurement.selectors import Area

# The rules spans serve; the others add up from per-period partials (`aggregates.ACROSS_PERIODS`).
SPAN_RULES = frozenset({Aggregation.LAST, Aggregation.COUNT})
# The next start of a value whose series has not reported since.
NEVER = dt.date(9999, 12, 31)
TABLE = ValueSpan._meta.db_table
VALUES = DataValue._meta.db_table
PERIODS = ReportingPeriod._meta.db_table
GROUPS = Group._meta.db_table
STATE = AggregateState._meta.db_table
INDICATORS = Indicator._meta.db_table
COLUMNS = (
    "collective_id",
    "indicator_id",
    "period_id",
    "node_id",
    "option",
    "next_start",
    "total",
    "numbers",
    "reported",
)
# Groups per look-up of the series a batch touches.
SERIES_BATCH = 2_000

SpanKey = tuple[int, int, int, int, dt.date]  # indicator, period, node, option, next start
# indicator, group, group path, option, period kind, period start, period id, value
SeriesRow = tuple[int, int, str, int, str, dt.date, int, float | None]


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _select_series(where: str, params: list[Any]) -> list[SeriesRow]:
    """The stored values `where` picks (on `v`, the values), as series rows."""
    return [
        (i, g, path, o, kind, _date(begins), p, value)
        for i, g, path, o, kind, begins, p, value in select(
            "SELECT v.indicator_id, v.group_id, g.path, v.option, p.kind, p.start, v.period_id, v.value "
            f"FROM {VALUES} v JOIN {PERIODS} p ON p.id = v.period_id JOIN {GROUPS} g ON g.id = v.group_id "
            f"WHERE {where}",
            params,
        )
    ]


def read_series(pairs: Iterable[tuple[int, int]], rules: dict[int, str]) -> list[SeriesRow]:
    """Every stored value of the series of these (indicator, group) pairs, for the indicators in
    `rules` (indicator id → its rule, "last" or "count"). One query per indicator and SERIES_BATCH
    groups: a seek on the natural key (indicator, period, group) per period and group."""
    by_indicator: dict[int, set[int]] = {}
    for indicator_id, group_id in pairs:
        if indicator_id in rules:
            by_indicator.setdefault(indicator_id, set()).add(group_id)
    found: list[SeriesRow] = []
    for indicator_id, group_set in sorted(by_indicator.items()):
        groups = sorted(group_set)
        for start in range(0, len(groups), SERIES_BATCH):
            where, params = in_list("v.group_id", groups[start : start + SERIES_BATCH])
            found.extend(_select_series(f"v.indicator_id = %s AND {where}", [indicator_id, *params]))
    return found


Series = dict[tuple[int, int, int, str], dict[dt.date, tuple[int, float]]]


def _series(rows: Iterable[SeriesRow], rules: dict[int, str], paths: dict[int, str]) -> Series:
    """Rows grouped into series: (indicator, group, option or 0, period kind) → start → (period id,
    value); the groups' paths into `paths`."""
    series: Series = {}
    for indicator_id, group_id, path, option, kind, start, period_id, value in rows:
        if rules[indicator_id] == Aggregation.LAST:
            if value is None:
                continue  # "last" sums numbers: text does not end a series' number
            key = (indicator_id, group_id, option, kind)
        else:
            key = (indicator_id, group_id, 0, kind)  # a group counts once, whatever its options
            value = 0.0
        paths[group_id] = path
        entries = series.setdefault(key, {})
        held = entries.get(start)
        entries[start] = (period_id, value + (held[1] if held else 0.0))
    return series


def _rows_of(
    series: Series,
    rules: dict[int, str],
    nodes_of: Any,
    paths: dict[int, str],
    only: dict[tuple[int, int, int, str], set[dt.date]] | None = None,
) -> dict[SpanKey, list[Any]]:
    """The span rows of these series (of their entries at the starts in `only`, if given)."""
    made: dict[SpanKey, list[Any]] = {}
    for key, entries in series.items():
        indicator_id, group_id, option, _ = key
        counting = rules[indicator_id] == Aggregation.COUNT
        keep = None if only is None else only.get(key, set())
        starts = sorted(entries)
        nodes = nodes_of(paths[group_id])
        for n, start in enumerate(starts):
            if keep is not None and start not in keep:
                continue
            period_id, value = entries[start]
            following = starts[n + 1] if n + 1 < len(starts) else NEVER
            for node, _ in nodes:
                cell = made.get((indicator_id, period_id, node, option, following))
                if cell is None:
                    cell = made[(indicator_id, period_id, node, option, following)] = [0.0, 0, 0]
                cell[2] += 1
                if not counting:
                    cell[0] += value
                    cell[1] += 1
    return made


def contributions(
    rows: Iterable[SeriesRow], rules: dict[int, str], nodes_of: Any
) -> dict[SpanKey, list[Any]]:
    """The span rows these series make: key → [total, numbers, reported]. `nodes_of(path)` gives the
    (id, path) of the nodes a group's values add up under (`aggregates.nodes_of`)."""
    paths: dict[int, str] = {}
    return _rows_of(_series(rows, rules, paths), rules, nodes_of, paths)


def changes(
    before: Iterable[SeriesRow],
    after: Iterable[SeriesRow],
    written: set[tuple[int, int, int, int]],
    rules: dict[int, str],
    nodes_of: Any,
) -> tuple[dict[SpanKey, list[Any]], dict[SpanKey, list[Any]]]:
    """The span rows a batch changes, before and after it, from the rows of the series it wrote
    (`written`: its (indicator, group, period id, option) keys). Only entries whose value or next
    report may differ: those written and those just before a written one (in either version) — an
    entry's next report changes only when one appears or goes between it and its former next. The
    rest would cancel out, and a series read again at each of an import's twelve months is long."""
    paths: dict[int, str] = {}
    old, new = _series(before, rules, paths), _series(after, rules, paths)
    counted = {(i, g, p) for i, g, p, _ in written}
    only: dict[tuple[int, int, int, str], set[dt.date]] = {}
    for key in old.keys() | new.keys():
        indicator_id, group_id, option, _ = key
        last = rules[indicator_id] == Aggregation.LAST
        versions = (old.get(key, {}), new.get(key, {}))
        touched = {
            start
            for entries in versions
            for start, (period_id, _) in entries.items()
            if (
                (indicator_id, group_id, period_id, option) in written
                if last
                else (indicator_id, group_id, period_id) in counted
            )
        }
        keep = set(touched)
        for entries in versions:
            starts = sorted(entries)
            for start in touched:
                place = bisect.bisect_left(starts, start)
                if place:
                    keep.add(starts[place - 1])
        only[key] = keep
    return _rows_of(old, rules, nodes_of, paths, only), _rows_of(new, rules, nodes_of, paths, only)


def save_changes(
    collective_id: int, before: dict[SpanKey, list[Any]], after: dict[SpanKey, list[Any]]
) -> None:
    """Add `after` minus `before` into the stored rows (one upsert, in key order so two writers lock
    rows in the same order), then drop the rows left with nothing."""
    changes = []
    emptied = []
    for key in sorted(before.keys() | after.keys()):
        old = before.get(key, (0.0, 0, 0))
        new = after.get(key, (0.0, 0, 0))
        if tuple(old) == tuple(new):
            continue
        delta = (new[0] - old[0], new[1] - old[1], new[2] - old[2])
        indicator_id, period_id, node, option, following = key
        day = connection.ops.adapt_datefield_value(following)
        changes.append((collective_id, indicator_id, period_id, node, option, day, *delta))
        if delta[2] < 0:
            emptied.append((indicator_id, period_id, node, option, day))
    if not changes:
        return
    t = TABLE
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {t} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
            "ON CONFLICT (indicator_id, period_id, node_id, option, next_start) DO UPDATE SET "
            f"total = {t}.total + excluded.total, numbers = {t}.numbers + excluded.numbers, "
            f"reported = {t}.reported + excluded.reported",
            changes,
        )
        if emptied:
            cursor.executemany(
                f"DELETE FROM {t} WHERE indicator_id = %s AND period_id = %s AND node_id = %s "
                "AND option = %s AND next_start = %s AND reported <= 0",
                emptied,
            )


# --- rebuilding -----------------------------------------------------------------------------------------


def rebuild(cursor: Any, collective_id: int) -> None:
    """Replace the collective's span rows by those of its values, in SQL: each value's next report by
    LEAD over its series, summed per deepest node into a staging table, then up to each level's nodes.
    Needs `aggregates._map_nodes`' temporary tables (measurement_node_map, measurement_node_list)."""
    cursor.execute(f"DELETE FROM {TABLE} WHERE collective_id = %s", [collective_id])
    # The indicators first: the values are then sought by indicator (the natural key's index) rather
    # than all of the collective's scanned for the few indicators of these rules.
    by_rule: dict[str, list[int]] = {}
    for pk, rule in select(
        f"SELECT id, aggregation FROM {INDICATORS} WHERE collective_id = %s AND aggregation IN (%s, %s)",
        [collective_id, Aggregation.LAST.value, Aggregation.COUNT.value],
    ):
        by_rule.setdefault(rule, []).append(pk)
    if not by_rule:
        return
    never = connection.ops.adapt_datefield_value(NEVER)
    cursor.execute("DROP TABLE IF EXISTS measurement_span_stage")
    aggregates._temporary(
        cursor,
        "measurement_span_stage",
        "indicator_id bigint, period_id bigint, node bigint, option bigint, next_start date, "
        "total double precision, numbers bigint, reported bigint",
    )
    last_in, last_params = in_list("v.indicator_id", by_rule.get(Aggregation.LAST.value, [0]))
    count_in, count_params = in_list("v.indicator_id", by_rule.get(Aggregation.COUNT.value, [0]))
    last = (
        "SELECT v.indicator_id, v.period_id, v.group_id, v.option, COALESCE(LEAD(p.start) OVER "
        "(PARTITION BY v.indicator_id, v.group_id, v.option, p.kind ORDER BY p.start), %s) AS next_start, "
        f"v.value AS total, 1 AS numbers FROM {VALUES} v JOIN {PERIODS} p ON p.id = v.period_id "
        f"WHERE {last_in} AND v.value IS NOT NULL"
    )
    count = (
        "SELECT c.indicator_id, c.period_id, c.group_id, 0, COALESCE(LEAD(c.start) OVER (PARTITION BY "
        "c.indicator_id, c.group_id, c.kind ORDER BY c.start), %s), 0.0, 0 FROM (SELECT DISTINCT "
        f"v.indicator_id, v.period_id, v.group_id, p.start, p.kind FROM {VALUES} v JOIN {PERIODS} p "
        f"ON p.id = v.period_id WHERE {count_in}) c"
    )
    cursor.execute(
        "INSERT INTO measurement_span_stage SELECT x.indicator_id, x.period_id, m.node, x.option, "
        "x.next_start, SUM(x.total), SUM(x.numbers), COUNT(*) "
        f"FROM ({last} UNION ALL {count}) x JOIN measurement_node_map m ON m.group_id = x.group_id "
        "GROUP BY x.indicator_id, x.period_id, m.node, x.option, x.next_start",
        [never, *last_params, never, *count_params],
    )
    levels = " UNION ALL ".join(
        f"SELECT s.indicator_id, s.period_id, n.{level}, s.option, s.next_start, SUM(s.total), "
        "SUM(s.numbers), SUM(s.reported) FROM measurement_span_stage s JOIN measurement_node_list n "
        f"ON n.node = s.node WHERE n.{level} IS NOT NULL "
        f"GROUP BY s.indicator_id, s.period_id, n.{level}, s.option, s.next_start"
        for level in (f"n{depth}" for depth in range(aggregates.NODE_LEVELS))
    )
    cursor.execute(
        f"INSERT INTO {TABLE} (collective_id, indicator_id, period_id, node_id, option, next_start, total, "
        f"numbers, reported) SELECT %s, f.* FROM ({levels}) f",
        [collective_id],
    )
    cursor.execute("DROP TABLE IF EXISTS measurement_span_stage")


def rebuild_indicator(indicator: Indicator) -> None:
    """Redo one indicator's span rows (after its rule changed): none unless its rule is one spans
    serve, else those of its values. Nothing while the collective's aggregates are not current: the
    next recomputation makes them."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE indicator_id = %s", [indicator.pk])
    if indicator.aggregation not in SPAN_RULES or not aggregates.is_current(indicator.collective_id):
        return
    rules = {indicator.pk: str(indicator.aggregation)}
    made = contributions(_select_series("v.indicator_id = %s", [indicator.pk]), rules, aggregates.nodes_of)
    insert_rows(
        TABLE,
        COLUMNS,
        [
            (indicator.collective_id, i, p, n, o, connection.ops.adapt_datefield_value(d), *cell)
            for (i, p, n, o, d), cell in sorted(made.items())
        ],
    )


# --- reading ------------------------------------------------------------------------------------------


def partials(
    *, indicator: Indicator, area: Area, period_list: Sequence[ReportingPeriod], by_child: bool
) -> list[tuple[int, int, int, float, int, int, float | None, float | None]] | None:
    """Rows shaped as `aggregates.partials`' (unit, period id, option, total, numbers, reported,
    minimum, maximum) that add up, by `Partial.value`, to the indicator's "last" or "count" over the
    whole of `period_list`: the span rows whose next report starts after its last period, plus the
    area's own values (by child) reduced to each series' latest. None when the aggregates are not
    current or the periods are not all the stored periods of one kind between the first and the last
    (a later report might fall in a gap). One query."""
    ordered = sorted(period_list, key=lambda p: p.start)
    kinds = {p.kind for p in ordered}
    if len(kinds) != 1 or len({p.pk for p in ordered}) != len(ordered):
        return None
    first, last = ordered[0], ordered[-1]
    period_ids = [p.pk for p in ordered]
    in_periods, period_params = in_list("a.period_id", period_ids)
    unit_filter, unit_params = aggregates.units_filter(area, by_child=by_child)
    day = connection.ops.adapt_datefield_value
    sql = (
        f"SELECT s.current AND (SELECT COUNT(*) FROM {PERIODS} q WHERE q.collective_id = %s AND q.kind = %s "
        "AND q.start >= %s AND q.start <= %s) = %s, a.node_id, a.period_id, a.option, a.total, a.numbers, "
        f"a.reported, NULL FROM {STATE} s LEFT JOIN ({TABLE} a JOIN {GROUPS} g ON g.id = a.node_id AND "
        f"{unit_filter}) ON s.current AND a.indicator_id = %s AND {in_periods} AND a.next_start > %s "
        "WHERE s.collective_id = %s"
    )
    params: list[Any] = [
        area.collective.pk,
        first.kind,
        day(first.start),
        day(last.start),
        len(ordered),
        *unit_params,
        indicator.pk,
        *period_params,
        day(last.start),
        area.collective.pk,
    ]
    own_group = area.group.pk if area.group is not None and by_child else None
    if own_group is not None:
        # The area group's own values are a unit of their own (flag NULL): reduced below.
        own_periods, own_params = in_list("v.period_id", period_ids)
        sql += (
            " UNION ALL SELECT NULL, v.group_id, v.period_id, v.option, v.value, NULL, NULL, NULL "
            f"FROM {VALUES} v WHERE v.indicator_id = %s AND v.group_id = %s AND {own_periods}"
        )
        params += [indicator.pk, own_group, *own_params]
    found = select(sql, params)
    if not any(row[0] for row in found):
        return None
    rows: list[tuple[int, int, int, float, int, int, float | None, float | None]] = [
        (node, period_id, option, total, numbers, reported, None, None)
        for flag, node, period_id, option, total, numbers, reported, _ in found
        if flag is not None and node is not None
    ]
    own = [row for row in found if row[0] is None]
    if own:
        rows.extend(_own_latest(own, indicator, {p.pk: n for n, p in enumerate(ordered)}))
    return rows


def _own_latest(
    own: list[tuple[Any, ...]], indicator: Indicator, order: dict[int, int]
) -> list[tuple[int, int, int, float, int, int, float | None, float | None]]:
    """The area group's own values over the periods as span rows would give them: for "count", the
    group once; for "last", each option's latest numeric value."""
    group_id = own[0][1]
    if indicator.aggregation == Aggregation.COUNT:
        latest = max(own, key=lambda row: order[row[2]])
        return [(group_id, latest[2], 0, 0.0, 0, 1, None, None)]
    newest: dict[int, tuple[Any, ...]] = {}
    for row in own:
        if row[4] is None:
            continue
        seen = newest.get(row[3])
        if seen is None or order[row[2]] > order[seen[2]]:
            newest[row[3]] = row
    return [(group_id, row[2], option, float(row[4]), 1, 1, None, None) for option, row in newest.items()]
