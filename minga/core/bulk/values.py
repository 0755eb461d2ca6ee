"""Parsing the text of a cell into a value, with the same rules and messages everywhere bulk data enters.

Each parser returns the value or raises `CellError` with a plain-language message; importers turn that
into a `Problem` located at the row and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


class CellError(ValueError):
    pass


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d would take any script's


def parse_date(text: str, *, allow_future: bool = True, today: dt.date | None = None) -> dt.date | None:
    """ "2024-03-01" (also with a time after it, as spreadsheets export) → date; "" → None."""
    if not text:
        return None
    if not _DATE.match(text) or (len(text) > 10 and text[10] not in "T "):
        raise CellError(f"{text!r} is not a date: write dates as YYYY-MM-DD, e.g. 2024-03-01.")
    try:
        value = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise CellError(f"{text!r} is not a real date.") from None
    if len(text) > 10:
        try:
            dt.datetime.fromisoformat(text)  # the time after the date must be one too
        except ValueError:
            raise CellError(f"{text!r} is not a date: write dates as YYYY-MM-DD, e.g. 2024-03-01.") from None
    if not allow_future and value > (today or dt.date.today()):
        raise CellError(f"{value.isoformat()} is in the future.")
    return value


# Plain ASCII addresses, a strict subset of what Django's EmailValidator accepts (a property test checks
# it): they skip the full validator, which costs ~20 microseconds an address, a lot at a million rows.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z"
)


def is_plain_email(text: str) -> bool:
    """Whether `text` is a lower-case plain ASCII address, which `parse_email` gives back as it is."""
    return len(text) <= 254 and _PLAIN_EMAIL.match(text) is not None and len(text.partition("@")[0]) <= 64


def parse_email(text: str) -> str:
    """A valid email, lower-cased (as the forms store it); "" stays ""."""
    if not text:
        return ""
    value = text.lower()
    if len(value) > 254:
        raise CellError("This email is too long.")
    if is_plain_email(value):
        return value
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(f"{text!r} is not a valid email address.") from None
    return value


def parse_float(text: str, *, low: float, high: float, what: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        raise CellError(f"{text!r} is not a number.") from None
    if value != value or not low <= value <= high:  # NaN, or out of range
        raise CellError(f"{what} must be between {low:g} and {high:g}.")
    return value


class Choices:
    """A choice given by its value or its label, in any case: "Group lead" and "lead" both give "lead"."""

    def __init__(self, choices: Iterable[tuple[Any, Any]], *, what: str) -> None:
        options = [(str(v), str(label)) for v, label in choices]
        self.what = what
        self.allowed = ", ".join(v for v, _ in options)
        self.lookup: dict[str, str] = {}
        for value, label in options:
            self.lookup.setdefault(label.lower(), value)
        for value, _ in options:
            self.lookup[value.lower()] = value

    def get(self, text: str) -> str | None:
        """The value `text` names, or None."""
        return self.lookup.get(text) or self.lookup.get(text.strip().lower())

    def parse(self, text: str) -> str:
        found = self.get(text)
        if found is None:
            raise CellError(f"{text!r} is not a known {self.what}: use one of {self.allowed}.")
        return found


def parse_list(text: str) -> list[str]:
    """ "a; b, c" → ["a", "b", "c"] (semicolons or commas), without blanks or repeats."""
    if not text:
        return []
    parts = re.split(r"[;,]", text)
    return list(dict.fromkeys(p.strip()[:60] for p in parts if p.strip()))
