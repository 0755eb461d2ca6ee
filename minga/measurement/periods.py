"""ISO reporting period codes: `2026W05` (ISO week), `202603` (month), `2026Q1` (quarter), `2026` (year).

Pure functions, no database: `parse_period("2026Q1")` → `PeriodSpec(kind, code, start, end)`, and
`period_for(kind, day)` → the period of that kind holding `day`. The same codes are used by the web
grid, the API, the bulk files and DHIS2, so a period reads the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEEK = "week"
MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
KINDS = (WEEK, MONTH, QUARTER, YEAR)

_WEEK = re.compile(r"^([0-9]{4})-?W([0-9]{1,2})$")
_MONTH = re.compile(r"^([0-9]{4})-?([0-9]{2})$")
_QUARTER = re.compile(r"^([0-9]{4})-?Q([1-4])$")
_YEAR = re.compile(r"^([0-9]{4})$")


class PeriodError(ValueError):
    """A period code that is not one of the four ISO forms (the message says which are)."""


@dataclass(frozen=True, order=True)
class PeriodSpec:
    start: dt.date
    end: dt.date
    kind: str
    code: str

    def next(self) -> PeriodSpec:
        return period_for(self.kind, self.end + dt.timedelta(days=1))

    def previous(self) -> PeriodSpec:
        return period_for(self.kind, self.start - dt.timedelta(days=1))


HELP = "Write periods as 2026W05 (ISO week), 202603 (month), 2026Q1 (quarter) or 2026 (year)."


def parse_period(text: str) -> PeriodSpec:
    """The period a code names; `PeriodError` when it names none."""
    code = (text or "").strip().upper()
    try:
        if m := _WEEK.match(code):
            year, week = int(m[1]), int(m[2])
            start = dt.date.fromisocalendar(year, week, 1)
            return PeriodSpec(start, start + dt.timedelta(days=6), WEEK, f"{year}W{week:02d}")
        if m := _MONTH.match(code):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise ValueError
            return _month(year, month)
        if m := _QUARTER.match(code):
            year, quarter = int(m[1]), int(m[2])
            start = dt.date(year, 3 * quarter - 2, 1)
            end = _month(year, 3 * quarter).end
            return PeriodSpec(start, end, QUARTER, f"{year}Q{quarter}")
        if m := _YEAR.match(code):
            year = int(m[1])
            if year < 1:
                raise ValueError
            return PeriodSpec(dt.date(year, 1, 1), dt.date(year, 12, 31), YEAR, str(year))
    except ValueError:
        raise PeriodError(f"{text!r} is not a real period. {HELP}") from None
    raise PeriodError(f"{text!r} is not a period code. {HELP}")


def _month(year: int, month: int) -> PeriodSpec:
    start = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return PeriodSpec(start, following - dt.timedelta(days=1), MONTH, f"{year}{month:02d}")


def period_for(kind: str, day: dt.date) -> PeriodSpec:
    """The period of `kind` that holds `day`."""
    if kind == WEEK:
        year, week, _ = day.isocalendar()
        return parse_period(f"{year}W{week:02d}")
    if kind == MONTH:
        return _month(day.year, day.month)
    if kind == QUARTER:
        return parse_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")
    if kind == YEAR:
        return parse_period(str(day.year))
    raise PeriodError(f"Unknown kind of period {kind!r}: use one of {', '.join(KINDS)}.")


def period_range(first: PeriodSpec, last: PeriodSpec) -> list[PeriodSpec]:
    """The periods from `first` to `last` included (same kind), oldest first; at most 1,000."""
    result: list[PeriodSpec] = []
    current = first
    while current.start <= last.start and len(result) < 1_000:
        result.append(current)
        current = current.next()
    return result


def last_periods(kind: str, count: int, *, until: dt.date) -> list[PeriodSpec]:
    """The `count` periods of `kind` ending with the one holding `until`, oldest first."""
    periods = [period_for(kind, until)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return list(reversed(periods))
