"""Cursor (keyset) pagination: `{"items": [...], "next_cursor": "…" | null}`.

The cursor is the sort key of the last item sent, base64-encoded. The next page is "rows after that
key", an index range scan, so page 1,000 costs what page 1 costs and no page counts the whole table.
Rows inserted or deleted between pages never make a walk skip or repeat a row.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import reduce
from operator import or_
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from ninja import Field, Schema

from minga.core.errors import DomainError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageParams(Schema):
    cursor: str | None = Field(None, description="`next_cursor` from the previous page; omit for the first.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise DomainError.single("invalid_cursor", "This cursor is not valid.", field="cursor") from error
    if not isinstance(values, list) or len(values) != size:
        raise DomainError.single("invalid_cursor", "This cursor is not valid.", field="cursor")
    return values


def _after(keys: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order of `keys` (all ascending): a row-value comparison
    written out as ORs, which every database plans as index range scans."""
    clauses = []
    for i, key in enumerate(keys):
        equal = {k: v for k, v in zip(keys[:i], values[:i], strict=True)}
        clauses.append(Q(**equal, **{f"{key}__gt": values[i]}))
    return reduce(or_, clauses)


def paginate(
    queryset: QuerySet[Any], params: PageParams, *, keys: tuple[str, ...] = ("id",)
) -> dict[str, Any]:
    """One page of `queryset` ordered by `keys` (unique together; the last is normally "id")."""
    qs = queryset.order_by(*keys)
    if params.cursor:
        qs = qs.filter(_after(keys, _decode(params.cursor, len(keys))))
    rows: list[Model] = list(qs[: params.limit + 1])
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = _encode([_key_value(last, key) for key in keys])
    return {"items": rows, "next_cursor": next_cursor}


def _key_value(obj: Model, key: str) -> Any:
    value: Any = obj
    for part in key.split("__"):
        value = getattr(value, part)
    if isinstance(value, Model):
        value = value.pk
    return value
