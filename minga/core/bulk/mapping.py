"""Matching a file's header cells to a record type's columns (automatically, editable by the user)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from minga.core.bulk.spec import Column
from minga.core.errors import Problem

ERRORS_HEADER = "errors"  # the column the rejected-rows file adds; ignored when that file comes back


def normalise(header: str) -> str:
    """ "Full name", "full-name" and "FULL_NAME " all become "full_name"."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def _many(columns: Sequence[Column]) -> str:
    """The name of the column fed by many file columns (`Column.many`), or ""."""
    return next((c.name for c in columns if c.many), "")


def auto_mapping(columns: Sequence[Column], headers: Sequence[str]) -> dict[str, str]:
    """Header cell → column name ("" = not imported), matching names, aliases and descriptions' names.

    When the record type has a `many` column, every other headed column of the file feeds it."""
    wanted: dict[str, str] = {}
    for column in columns:
        if column.many:
            continue
        for candidate in (column.name, *column.aliases):
            wanted.setdefault(normalise(candidate), column.name)
    many = _many(columns)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = wanted.get(normalise(header), "")
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
        elif many and header.strip() and normalise(header) != ERRORS_HEADER:
            mapping[header] = many
        else:
            mapping[header] = ""
    return mapping


def data_columns(
    columns: Sequence[Column], headers: Sequence[str], mapping: Mapping[str, str]
) -> list[tuple[int, str]]:
    """(index, stripped header) of the file columns that feed the `many` column, in file order."""
    many = _many(columns)
    if not many:
        return []
    return [(i, h.strip()) for i, h in enumerate(headers) if h.strip() and mapping.get(h, "") == many]


def check_mapping(
    columns: Sequence[Column], headers: Sequence[str], mapping: Mapping[str, str]
) -> tuple[list[int | None], list[Problem], list[str]]:
    """Validate a mapping against the file's header.

    Returns, for each column of the record type, the index of the file column feeding it (or None), the
    problems that stop the import (a required column missing, two file columns with the same header, two
    file columns feeding one field, an unknown field), and warnings (file columns left out). A `many`
    column may be fed by any number of file columns (listed by `data_columns`); its index here is None."""
    problems: list[Problem] = []
    warnings: list[str] = []
    names = {c.name for c in columns}
    many = _many(columns)
    fed_many = False
    seen_headers: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.strip()
        if not key:
            continue
        if key in seen_headers:
            problems.append(
                Problem(
                    code="duplicate_column",
                    message=f"Two columns are headed {key!r} (columns {seen_headers[key] + 1} and "
                    f"{index + 1}): rename or remove one.",
                    column=key,
                )
            )
        seen_headers.setdefault(key, index)
    sources: dict[str, int] = {}
    for index, header in enumerate(headers):
        target = mapping.get(header, "")
        if not target:
            if header.strip() and normalise(header) != ERRORS_HEADER:
                warnings.append(f"Column {header!r} is not imported.")
            continue
        if target not in names:
            problems.append(
                Problem(
                    code="unknown_field", message=f"{target!r} is not a field of this record.", column=header
                )
            )
            continue
        if target == many:
            fed_many = fed_many or bool(header.strip())
            continue
        if target in sources:
            if headers[sources[target]].strip() == header.strip():
                continue  # the same header twice: reported once, as a duplicate column
            problems.append(
                Problem(
                    code="duplicate_mapping",
                    message=f"Columns {headers[sources[target]]!r} and {header!r} both fill {target!r}: "
                    "choose one.",
                    column=header,
                )
            )
            continue
        sources[target] = index
    for column in columns:
        if column.required and column.name not in sources and not (column.many and fed_many):
            problems.append(
                Problem(
                    code="missing_column",
                    message=f"The required column {column.name!r} ({column.description}) is missing.",
                    column=column.name,
                )
            )
    return [sources.get(c.name) for c in columns], problems, warnings
