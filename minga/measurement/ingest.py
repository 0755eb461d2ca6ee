"""The set-based writer of data values, shared by the web grid, the API, file imports and DHIS2.

`ValueWriter` keeps lookup tables (indicators, groups, periods, options by code) for one run and writes
a batch with a handful of queries whatever its size: one read of the values already stored under the
batch's keys, then one multi-row INSERT (COPY on PostgreSQL), one executemany UPDATE, one DELETE and one
INSERT of history rows; when the collective's pre-aggregated rollups are current, one upsert keeps them
in step (`aggregates.Deltas`). Every rule is checked per value and a refused value is reported with its
location and reason, never raised: errors are data.

Rules, in the order they are checked:
- the indicator exists in the collective and is active during the period;
- the group exists and is within the actor's reach (admins: all; coordinators: their subtree; leads:
  their group) — a group out of reach reads like a missing one; its kind reports the indicator;
- the period code is valid, of the indicator's frequency, has started, and is not closed (admins may
  still write to a closed period);
- the disaggregation option belongs to the indicator's disaggregation (none for a plain indicator);
- the value parses for the value type and lies within the indicator's min/max; a blank value deletes
  the stored one, unless the indicator is required;
- no approval in force on the group or an ancestor for the period, unless the actor sits above the
  approving level (a coordinator of a larger subtree, or an admin);
- the same key only once per batch.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from minga.architecture.models import Group
from minga.core.bulk.sql import allocate_ids, in_list, insert_rows, is_postgres, select, update_rows
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement import aggregates, periods, spans
from minga.measurement.models import (
    TOTAL,
    Aggregation,
    Approval,
    DataValue,
    DataValueHistory,
    DisaggregationOption,
    Indicator,
    ReportingPeriod,
    ValidationRule,
    ValueType,
)

VALUE_TABLE = DataValue._meta.db_table
HISTORY_TABLE = DataValueHistory._meta.db_table
# Reports are due this many days after the end of their period (later ones count as late).
DUE_AFTER_DAYS = 10
LOOKUP_BATCH = 5_000
# Advisory locks of value writers on PostgreSQL (`ValueWriter._take_turns`): the first key names them,
# the second is one of WRITER_BUCKETS buckets of (indicator, period) pairs — or, under SERIES_LOCKS, of
# (indicator, group) series of "last" and "count" indicators, whose span rows depend on every period.
WRITER_LOCKS = 0x4D56
SERIES_LOCKS = 0x4D57
WRITER_BUCKETS = 256
YES = {"1", "yes", "y", "true", "oui", "si", "sí", "ndiyo"}
NO = {"0", "no", "n", "false", "non", "hapana"}


@dataclass(slots=True)
class ValueIn:
    """One value as sent: codes and the raw value. `location` names it in the caller's terms (the
    index in an API batch, the row of a file)."""

    indicator: str
    group: str
    period: str
    value: Any
    option: str = ""
    comment: str | None = None  # None: not sent, so a stored comment stays as it is
    location: int = 0


@dataclass
class Outcome:
    """What a batch did (or would do, on a dry run)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.rejected.extend(other.rejected)
        self.warnings.extend(other.warnings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "rejected": len(self.rejected),
            "problems": [p.as_dict() for _, problems in self.rejected for p in problems],
            "warnings": [w.as_dict() for w in self.warnings],
        }


@dataclass(frozen=True)
class _Indicator:
    pk: int
    code: str
    value_type: str
    frequency: str
    min_value: float | None
    max_value: float | None
    required: bool
    active_from: dt.date | None
    active_until: dt.date | None
    disaggregation: int | None
    kinds: frozenset[int]
    aggregation: str = Aggregation.SUM


@dataclass(frozen=True)
class _Period:
    pk: int | None  # None: not stored yet
    spec: periods.PeriodSpec
    closes_on: dt.date | None


@dataclass(slots=True)
class _Ready:
    item: ValueIn
    indicator: _Indicator
    group: tuple[int, str, int]  # id, path, kind id
    period: _Period
    option: int
    value: float | None
    text: str
    delete: bool


_PLAIN_NUMBERS = frozenset({ValueType.INTEGER, ValueType.NUMBER})


class CellError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def parse_value(raw: Any, value_type: str) -> tuple[float | None, str]:
    """(number, text) for a raw value of `value_type`; (None, "") for a blank. Raises CellError."""
    if type(raw) is str and raw.isascii() and raw.isdigit() and value_type in _PLAIN_NUMBERS:
        return float(raw), ""  # the common case, a plain count: skip the general parsing
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, ""
    if value_type == ValueType.TEXT:
        text = str(raw).strip()
        if len(text) > 500:
            raise CellError("too_long", "Use at most 500 characters.")
        return None, text
    if value_type == ValueType.YES_NO:
        if isinstance(raw, bool):
            return (1.0 if raw else 0.0), ""
        word = str(raw).strip().lower()
        if word in YES:
            return 1.0, ""
        if word in NO:
            return 0.0, ""
        raise CellError("invalid_value", f"{raw!r} is not yes or no.")
    if isinstance(raw, bool):
        raise CellError("invalid_value", f"{raw!r} is not a number.")
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text and len(text.split(",")[1]) != 3:
            text = text.replace(",", ".")  # a decimal comma: 2,5
        else:
            text = text.replace(",", "")  # thousands separators: 1,250
        try:
            number = float(text)
        except ValueError:
            raise CellError("invalid_value", f"{raw!r} is not a number.") from None
    if math.isnan(number) or math.isinf(number):
        raise CellError("invalid_value", f"{raw!r} is not a number.")
    if value_type == ValueType.INTEGER and number != int(number):
        raise CellError("invalid_value", f"{raw!r} is not a whole number.")
    if value_type == ValueType.PERCENTAGE and not 0 <= number <= 100:
        raise CellError("out_of_range", "A percentage lies between 0 and 100.")
    return number, ""


def format_value(value: float | None, text: str, value_type: str) -> str:
    """The stored value as a person writes it: 12, 2.5, yes, text."""
    if value_type == ValueType.TEXT:
        return text
    if value is None:
        return ""
    if value_type == ValueType.YES_NO:
        return "yes" if value else "no"
    return str(int(value)) if value == int(value) else f"{value:g}"


class ValueWriter:
    """Validates and writes batches of values for one actor in one collective; keeps lookups across
    batches (a file import calls `write` once per chunk)."""

    def __init__(
        self,
        *,
        actor: Any,
        collective: Collective,
        source: str,
        today: dt.date | None = None,
        blank_deletes: bool = True,
    ):
        self.actor = actor
        self.collective = collective
        self.source = source
        self.scope = scope_for(actor)
        self.is_admin = self.scope.is_superuser or collective.pk in self.scope.admin_collectives
        self.today = today or timezone.localdate()
        self.indicators: dict[str, _Indicator | None] = {}
        self.groups: dict[str, tuple[int, str, int] | None] = {}  # code → id, path, kind id
        self.periods: dict[str, _Period | None] = {}
        self.options: dict[tuple[int, str], int] = {}  # (disaggregation id, option code) → id
        self.options_loaded: set[int] = set()
        self.seen: dict[tuple[int, int, str, int], int] = {}  # key → first location (across batches)
        self.rules: list[ValidationRule] | None = None
        self.cell_problems: dict[tuple[int, str], list[tuple[str, str, str]]] = {}
        self.reach: dict[int, bool] = {}  # group id → whether the actor may write there
        self.nodes: dict[str, tuple[tuple[int, str], ...]] = {}  # group path → its aggregate nodes
        # A blank value deletes the stored one (API, web grid); files leave it alone instead.
        self.blank_deletes = blank_deletes

    # -- lookups ----------------------------------------------------------------------------------------

    def _load(self, items: Sequence[ValueIn]) -> None:
        want = sorted({i.indicator for i in items if i.indicator not in self.indicators})
        if want:
            for code in want:
                self.indicators[code] = None
            qs = Indicator.objects.filter(collective=self.collective, code__in=want).prefetch_related("kinds")
            for ind in qs:
                self.indicators[ind.code] = _Indicator(
                    ind.pk,
                    ind.code,
                    ind.value_type,
                    ind.frequency,
                    ind.min_value,
                    ind.max_value,
                    ind.required,
                    ind.active_from,
                    ind.active_until,
                    ind.disaggregation_id,
                    frozenset(k.pk for k in ind.kinds.all()),
                    ind.aggregation,
                )
        codes = sorted({i.group for i in items if i.group not in self.groups})
        for start in range(0, len(codes), LOOKUP_BATCH):
            part = codes[start : start + LOOKUP_BATCH]
            where, params = in_list("code", part)
            for code in part:
                self.groups[code] = None
            for code, pk, path, kind in select(
                f"SELECT code, id, path, kind_id FROM {Group._meta.db_table} "
                f"WHERE collective_id = %s AND {where}",
                [self.collective.pk, *params],
            ):
                self.groups[code] = (pk, path, kind)
        wanted_periods: dict[str, str] = {}
        for i in items:
            if i.period not in self.periods:
                try:
                    wanted_periods[parse_period_code(i.period)] = i.period
                except periods.PeriodError:
                    self.periods[i.period] = None
        if wanted_periods:
            stored = {
                p.code: p
                for p in ReportingPeriod.objects.filter(collective=self.collective, code__in=wanted_periods)
            }
            for code, raw in wanted_periods.items():
                spec = periods.parse_period(code)
                found = stored.get(code)
                period = _Period(found.pk if found else None, spec, found.closes_on if found else None)
                self.periods[raw] = period
                self.periods[code] = period
        disaggregations = {
            ind.disaggregation
            for ind in self.indicators.values()
            if ind is not None and ind.disaggregation is not None
        } - self.options_loaded
        if disaggregations:
            for pk, dis, code in DisaggregationOption.objects.filter(
                disaggregation_id__in=disaggregations
            ).values_list("pk", "disaggregation_id", "code"):
                self.options[(dis, code.lower())] = pk
            self.options_loaded |= disaggregations

    def _ensure_periods(self, ready: list[_Ready]) -> None:
        """Store the periods named for the first time (reporting windows by default)."""
        missing = {r.period.spec.code: r.period for r in ready if r.period.pk is None}
        if not missing:
            return
        ReportingPeriod.objects.bulk_create(
            [
                ReportingPeriod(
                    collective=self.collective,
                    kind=p.spec.kind,
                    code=p.spec.code,
                    start=p.spec.start,
                    end=p.spec.end,
                    due_on=p.spec.end + dt.timedelta(days=DUE_AFTER_DAYS),
                )
                for p in missing.values()
            ],
            ignore_conflicts=True,
        )
        ids = dict(
            ReportingPeriod.objects.filter(collective=self.collective, code__in=missing).values_list(
                "code", "pk"
            )
        )
        for raw, period in list(self.periods.items()):
            if period is not None and period.pk is None and period.spec.code in ids:
                self.periods[raw] = _Period(ids[period.spec.code], period.spec, period.closes_on)
        for r in ready:
            if r.period.pk is None:
                r.period = _Period(ids[r.period.spec.code], r.period.spec, r.period.closes_on)

    def _locks(self, ready: list[_Ready]) -> list[tuple[int, str]]:
        """(period id, approved subtree path) of the approvals in force on the batch's periods."""
        period_ids = sorted({r.period.pk for r in ready if r.period.pk is not None})
        if not period_ids:
            return []
        return list(
            Approval.objects.in_force()
            .filter(collective=self.collective, period_id__in=period_ids)
            .values_list("period_id", "group__path")
        )

    def _locked(self, path: str, period_id: int | None, locks: list[tuple[int, str]]) -> bool:
        if self.is_admin:
            return False
        for pid, approved in locks:
            # Someone above the approving level (a coordinator of a larger subtree) may still write.
            above = any(approved.startswith(p) and approved != p for p in self.scope.edit_paths)
            if pid == period_id and path.startswith(approved) and not above:
                return True
        return False

    def may_write(self, group_id: int, path: str) -> bool:
        if self.is_admin:
            return True
        return self.scope.covers_path(path, for_edit=True) or group_id in self.scope.lead_groups

    # -- checks -----------------------------------------------------------------------------------------

    def _cell_problems(self, indicator: _Indicator, period: _Period) -> list[tuple[str, str, str]]:
        found = []
        if period.spec.kind != indicator.frequency:
            found.append(
                (
                    "period",
                    "wrong_period_kind",
                    f"{indicator.code!r} is reported by {indicator.frequency}, not by {period.spec.kind}.",
                )
            )
        if period.spec.start > self.today:
            found.append(("period", "future_period", f"The period {period.spec.code} has not started yet."))
        if period.closes_on is not None and period.closes_on < self.today and not self.is_admin:
            found.append(
                ("period", "period_closed", f"Reporting for {period.spec.code} closed on {period.closes_on}.")
            )
        if (indicator.active_from and period.spec.end < indicator.active_from) or (
            indicator.active_until and period.spec.start > indicator.active_until
        ):
            found.append(
                (
                    "indicator",
                    "inactive_indicator",
                    f"{indicator.code!r} is not in use during {period.spec.code}.",
                )
            )
        return found

    def _check(self, item: ValueIn, problems: list[Problem]) -> _Ready | None:
        fast = self._fast(item)
        return fast if fast is not None else self._check_fully(item, problems)

    def _fast(self, item: ValueIn) -> _Ready | None:
        """The common case — a plain count for a known indicator without disaggregation, a group in
        reach, a period open for it — with a few dictionary look-ups; None sends the value through the
        full check (which also explains any problem)."""
        indicator = self.indicators.get(item.indicator)
        group = self.groups.get(item.group)
        period = self.periods.get(item.period)
        raw = item.value
        if (
            indicator is None
            or group is None
            or period is None
            or indicator.disaggregation is not None
            or item.option
            or type(raw) is not str
            or not raw.isdigit()
            or not raw.isascii()
            or indicator.value_type not in _PLAIN_NUMBERS
            or len(item.comment or "") > 500
        ):
            return None
        reach = self.reach.get(group[0])
        if reach is None:
            reach = self.reach[group[0]] = self.may_write(group[0], group[1])
        cell = (indicator.pk, period.spec.code)
        cell_problems = self.cell_problems.get(cell)
        if cell_problems is None:
            cell_problems = self.cell_problems[cell] = self._cell_problems(indicator, period)
        if not reach or cell_problems or (indicator.kinds and group[2] not in indicator.kinds):
            return None
        value = float(raw)
        if (indicator.min_value is not None and value < indicator.min_value) or (
            indicator.max_value is not None and value > indicator.max_value
        ):
            return None
        return _Ready(item, indicator, group, period, TOTAL, value, "", False)

    def _check_fully(self, item: ValueIn, problems: list[Problem]) -> _Ready | None:
        def bad(field_name: str, code: str, message: str) -> None:
            problems.append(Problem(code=code, message=message, field=field_name, row=item.location))

        indicator = self.indicators.get(item.indicator)
        if not item.indicator:
            bad("indicator", "required", "Give the indicator's code.")
        elif indicator is None:
            bad(
                "indicator",
                "unknown_indicator",
                f"There is no indicator {item.indicator!r} in this collective.",
            )
        group = self.groups.get(item.group)
        if not item.group:
            bad("group", "required", "Give the group's code.")
        elif group is None or not self.may_write(group[0], group[1]):
            bad("group", "no_group", f"There is no group {item.group!r} that you can report for.")
            group = None
        period = self.periods.get(item.period)
        if not item.period:
            bad("period", "required", "Give the period, e.g. 202603.")
        elif period is None:
            bad("period", "invalid_period", f"{item.period!r} is not a period code. {periods.HELP}")
        if indicator is None or group is None or period is None:
            return None
        if indicator.kinds and group[2] not in indicator.kinds:
            bad("group", "kind_not_reporting", f"Groups of this kind do not report {indicator.code!r}.")
        # The checks of an indicator in a period are the same for every group: work them out once.
        cell = (indicator.pk, period.spec.code)
        found_problems = self.cell_problems.get(cell)
        if found_problems is None:
            found_problems = self.cell_problems[cell] = self._cell_problems(indicator, period)
        for field_name, code, message in found_problems:
            bad(field_name, code, message)
        option = TOTAL
        option_code = (item.option or "").strip()
        if indicator.disaggregation is None:
            if option_code and option_code.lower() not in {"total", "default"}:
                bad(
                    "option",
                    "unexpected_option",
                    f"{indicator.code!r} is not broken down: leave the option blank.",
                )
        elif not option_code:
            bad("option", "required", f"{indicator.code!r} is broken down: give the option, e.g. f.15-24.")
        else:
            found = self.options.get((indicator.disaggregation, option_code.lower()))
            if found is None:
                bad("option", "unknown_option", f"{option_code!r} is not an option of {indicator.code!r}.")
            else:
                option = found
        value: float | None = None
        text = ""
        try:
            value, text = parse_value(item.value, indicator.value_type)
        except CellError as error:
            bad("value", error.code, str(error))
        blank = value is None and not text
        if blank and indicator.required and self.blank_deletes and not problems:
            bad("value", "required", f"{indicator.code!r} is required: give a value.")
        if value is not None:
            if indicator.min_value is not None and value < indicator.min_value:
                bad("value", "out_of_range", f"The value must be at least {indicator.min_value:g}.")
            if indicator.max_value is not None and value > indicator.max_value:
                bad("value", "out_of_range", f"The value must be at most {indicator.max_value:g}.")
        if len(item.comment or "") > 500:
            bad("comment", "too_long", "Use at most 500 characters.")
        if problems:
            return None
        return _Ready(item, indicator, group, period, option, value, text, blank)

    # -- the batch --------------------------------------------------------------------------------------

    def write(self, items: Sequence[ValueIn], *, dry_run: bool = False) -> Outcome:
        """Check and upsert `items`; must run inside `transaction.atomic()`."""
        outcome = Outcome()
        self._load(items)
        ready: list[_Ready] = []
        for item in items:
            problems: list[Problem] = []
            checked = self._check(item, problems)
            if checked is None:
                outcome.rejected.append((item.location, problems))
            else:
                ready.append(checked)
        locks = self._locks(ready)
        kept: list[_Ready] = []
        for r in ready:
            key = (r.indicator.pk, r.group[0], r.period.spec.code, r.option)
            first = self.seen.setdefault(key, r.item.location)
            if first != r.item.location:
                outcome.rejected.append(
                    (
                        r.item.location,
                        [self._problem(r, "value", "duplicate_in_batch", f"The same value is at {first}.")],
                    )
                )
            elif locks and self._locked(r.group[1], r.period.pk, locks):
                outcome.rejected.append(
                    (
                        r.item.location,
                        [
                            self._problem(
                                r,
                                "period",
                                "approved_locked",
                                f"The data of {r.item.group!r} for {r.period.spec.code} is approved "
                                "and locked.",
                            )
                        ],
                    )
                )
            else:
                kept.append(r)
        if not dry_run:
            self._take_turns(kept)
        existing = self._existing(kept)
        creates: list[_Ready] = []
        updates: list[tuple[_Ready, tuple[int, float | None, str, str]]] = []
        deletes: list[tuple[_Ready, tuple[int, float | None, str, str]]] = []
        for r in kept:
            old = existing.get((r.indicator.pk, r.group[0], r.period.pk or 0, r.option))
            if r.delete:
                if old is None or not self.blank_deletes:
                    outcome.unchanged += 1
                else:
                    deletes.append((r, old))
            elif old is None:
                creates.append(r)
            elif old[1] == r.value and old[2] == r.text and r.item.comment in (None, old[3]):
                outcome.unchanged += 1
            else:
                updates.append((r, old))
        outcome.created, outcome.updated, outcome.deleted = len(creates), len(updates), len(deletes)
        # In the natural key's order: the index takes them as appends rather than scattered inserts.
        creates.sort(key=lambda r: (r.indicator.pk, r.period.pk or 0, r.group[0], r.option))
        if not dry_run:
            self._ensure_periods(creates)
            span_rules, series_before, series_after, written = self._span_series(creates, updates, deletes)
            self._apply(creates, updates, deletes)
            if aggregates.is_current(self.collective.pk, share_lock=True):
                self._aggregate(creates, updates, deletes)
                if span_rules:
                    spans.save_changes(
                        self.collective.pk,
                        *spans.changes(series_before, series_after, written, span_rules, self._nodes_of),
                    )
        outcome.warnings.extend(self._rule_warnings(kept))
        return outcome

    def _problem(self, r: _Ready, field_name: str, code: str, message: str) -> Problem:
        return Problem(code=code, message=message, field=field_name, row=r.item.location)

    def _take_turns(self, ready: list[_Ready]) -> None:
        """PostgreSQL: writers of the same (indicator, period) take turns, each until its transaction
        ends, so a second writer reads what the first committed: its history and the aggregates' deltas
        start from the value it really replaces, and a value created by both is updated by the second,
        not refused. Writers of the same series of a "last" or "count" indicator, in any period, take
        turns too: its span rows are read before and after the write (`spans`). One transaction-level
        advisory lock per bucket of pairs, taken in order (two batches can't deadlock) and bounded in
        number (the server's lock table is shared). SQLite needs none: its IMMEDIATE transactions let
        one writer in at a time."""
        if not ready or not is_postgres():
            return
        buckets = sorted(
            {zlib.crc32(f"{r.indicator.pk}:{r.period.spec.code}".encode()) % WRITER_BUCKETS for r in ready}
        )
        series = sorted(
            {
                zlib.crc32(f"{r.indicator.pk}:{r.group[0]}".encode()) % WRITER_BUCKETS
                for r in ready
                if r.indicator.aggregation in spans.SPAN_RULES
            }
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(k, b) FROM (SELECT %s AS k, b FROM unnest(%s::int[]) AS t(b) "
                "UNION ALL SELECT %s, b FROM unnest(%s::int[]) AS t(b)) locks ORDER BY k, b",
                [WRITER_LOCKS, buckets, SERIES_LOCKS, series],
            )

    def _existing(
        self, ready: list[_Ready]
    ) -> dict[tuple[int, int, int, int], tuple[int, float | None, str, str]]:
        """Stored values under the batch's keys: key → (id, value, text, comment). One query per
        (indicator, period) of the batch, each an index seek on the natural key (indicator, period,
        group, option) for the batch's groups."""
        found: dict[tuple[int, int, int, int], tuple[int, float | None, str, str]] = {}
        cells: dict[tuple[int, int], set[int]] = {}
        for r in ready:
            if r.period.pk is not None:
                cells.setdefault((r.indicator.pk, r.period.pk), set()).add(r.group[0])
        for (indicator_id, period_id), group_set in cells.items():
            groups = sorted(group_set)
            for start in range(0, len(groups), LOOKUP_BATCH):
                g_where, g_params = in_list("group_id", groups[start : start + LOOKUP_BATCH])
                for pk, grp, opt, value, text, comment in select(
                    "SELECT id, group_id, option, value, text, comment "
                    f"FROM {VALUE_TABLE} WHERE indicator_id = %s AND period_id = %s AND {g_where}",
                    [indicator_id, period_id, *g_params],
                ):
                    found[(indicator_id, grp, period_id, opt)] = (pk, value, text, comment)
        return found

    def _apply(
        self,
        creates: list[_Ready],
        updates: list[tuple[_Ready, tuple[int, float | None, str, str]]],
        deletes: list[tuple[_Ready, tuple[int, float | None, str, str]]],
    ) -> None:
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        user_id = self.actor.pk if getattr(self.actor, "is_authenticated", False) else None
        ids = allocate_ids(VALUE_TABLE, len(creates))
        insert_rows(
            VALUE_TABLE,
            (
                "id",
                "collective_id",
                "indicator_id",
                "group_id",
                "period_id",
                "option",
                "value",
                "text",
                "comment",
                "source",
                "entered_by_id",
                "created_at",
                "updated_at",
            ),
            [
                (
                    pk,
                    self.collective.pk,
                    r.indicator.pk,
                    r.group[0],
                    r.period.pk,
                    r.option,
                    r.value,
                    r.text,
                    r.item.comment or "",
                    self.source,
                    user_id,
                    now,
                    now,
                )
                for pk, r in zip(ids, creates, strict=True)
            ],
        )
        update_rows(
            VALUE_TABLE,
            ("value", "text", "comment", "source", "entered_by_id", "updated_at"),
            [
                (
                    r.value,
                    r.text,
                    old[3] if r.item.comment is None else r.item.comment,
                    self.source,
                    user_id,
                    now,
                    old[0],
                )
                for r, old in updates
            ],
        )
        if deletes:
            where, params = in_list("id", [old[0] for _, old in deletes])
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {VALUE_TABLE} WHERE {where}", params)
        history = [
            (
                self.collective.pk,
                r.indicator.pk,
                r.group[0],
                r.period.pk,
                r.option,
                old[1],
                None if r.delete else r.value,
                old[2],
                "" if r.delete else r.text,
                r.delete,
                self.source,
                user_id,
                now,
            )
            for r, old in (*updates, *deletes)
        ]
        insert_rows(
            HISTORY_TABLE,
            (
                "collective_id",
                "indicator_id",
                "group_id",
                "period_id",
                "option",
                "old_value",
                "new_value",
                "old_text",
                "new_text",
                "deleted",
                "source",
                "changed_by_id",
                "changed_at",
            ),
            history,
        )

    def _nodes_of(self, path: str) -> tuple[tuple[int, str], ...]:
        return aggregates.cached_nodes_of(self.nodes, path)

    def _span_series(
        self,
        creates: list[_Ready],
        updates: list[tuple[_Ready, tuple[int, float | None, str, str]]],
        deletes: list[tuple[_Ready, tuple[int, float | None, str, str]]],
    ) -> tuple[dict[int, str], list[spans.SeriesRow], list[spans.SeriesRow], set[tuple[int, int, int, int]]]:
        """For the batch's "last" and "count" indicators: their rules, and the rows of the series the
        batch changes as stored before it and as they will be after it — the batch applied to them in
        memory, so each series is read once — and the keys it writes (`spans.changes`)."""
        changed = [
            *creates,
            *(r for r, old in updates if _changes_value(r, old)),
            *(r for r, _ in deletes),
        ]
        span_rules = {
            r.indicator.pk: r.indicator.aggregation
            for r in changed
            if r.indicator.aggregation in spans.SPAN_RULES
        }
        if not span_rules:
            return {}, [], [], set()
        changed = [r for r in changed if r.indicator.pk in span_rules]
        before = spans.read_series({(r.indicator.pk, r.group[0]) for r in changed}, span_rules)
        written = {(r.indicator.pk, r.group[0], r.period.pk or 0, r.option) for r in changed}
        after = [row for row in before if (row[0], row[1], row[6], row[3]) not in written]
        after.extend(
            (
                r.indicator.pk,
                r.group[0],
                r.group[1],
                r.option,
                r.period.spec.kind,
                r.period.spec.start,
                r.period.pk or 0,
                r.value,
            )
            for r in changed
            if not r.delete
        )
        return span_rules, before, after, written

    def _aggregate(
        self,
        creates: list[_Ready],
        updates: list[tuple[_Ready, tuple[int, float | None, str, str]]],
        deletes: list[tuple[_Ready, tuple[int, float | None, str, str]]],
    ) -> None:
        """Keep the pre-aggregated rows in step with what `_apply` wrote (same transaction)."""
        deltas = aggregates.Deltas(self.nodes)
        add, remove = deltas.add, deltas.remove
        deltas.add_many((r.indicator.pk, r.period.pk or 0, r.group[1], r.option, r.value) for r in creates)
        for r, old in updates:
            if _changes_value(r, old):
                remove(r.indicator.pk, r.period.pk or 0, r.group[1], r.option, old[1])
                add(r.indicator.pk, r.period.pk or 0, r.group[1], r.option, r.value)
        for r, old in deletes:
            remove(r.indicator.pk, r.period.pk or 0, r.group[1], r.option, old[1])
        deltas.save(self.collective.pk)

    def _rule_warnings(self, kept: list[_Ready]) -> list[Problem]:
        """Validation rules broken by the values as they now stand (warnings: the values are kept)."""
        if self.rules is None:
            self.rules = list(ValidationRule.objects.filter(collective=self.collective))
        if not self.rules or not kept:
            return []
        touched = {r.indicator.pk for r in kept}
        rules = [rule for rule in self.rules if rule.left_id in touched or rule.right_id in touched]
        if not rules:
            return []
        cells = {(r.group[0], r.period.pk) for r in kept if r.period.pk is not None}
        from minga.measurement.selectors import rule_violations

        return [
            Problem(code="rule_broken", message=v.message, field="value")
            for v in rule_violations(rules=rules, cells=cells, proposed=kept)
        ]


def _changes_value(r: _Ready, old: tuple[int, float | None, str, str]) -> bool:
    """Whether an update changes the stored value or text (not the comment alone): what the aggregates
    and span rows follow."""
    return old[1] != r.value or old[2] != r.text


def parse_period_code(text: str) -> str:
    return periods.parse_period(text).code


def values_from(rows: Iterable[dict[str, Any]]) -> list[ValueIn]:
    """API/JSON dicts → ValueIn, located by their index."""
    return [
        ValueIn(
            indicator=str(row.get("indicator", "") or ""),
            group=str(row.get("group", "") or ""),
            period=str(row.get("period", "") or ""),
            option=str(row.get("option", "") or ""),
            value=row.get("value"),
            comment=None if row.get("comment") is None else str(row["comment"]),
            location=index,
        )
        for index, row in enumerate(rows)
    ]
