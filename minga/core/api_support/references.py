"""Objects named in a request body (`parent_id`, `group_ids`…) that the caller cannot see are reported as
a 422 on that field, the same for missing and forbidden, so a body never reveals what exists."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from minga.core.errors import DomainError, NotFound

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def reference(field: str, find: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`find(*args, **kwargs)` (an access function), with NotFound turned into a problem on `field`."""
    try:
        return find(*args, **kwargs)
    except NotFound as error:
        what = str(error) or "object"
        raise DomainError.single(
            "unknown_reference", f"No {what} with this id that you can see.", field=field
        ) from error


def references(field: str, visible: QuerySet[M], ids: Iterable[int]) -> list[M]:
    """The objects of `visible` with these ids, in the order given; every id must be found."""
    wanted = list(dict.fromkeys(ids))
    found = {obj.pk: obj for obj in visible.filter(pk__in=wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DomainError.single(
            "unknown_reference",
            f"No object you can see with id {', '.join(map(str, missing))}.",
            field=field,
        )
    return [found[i] for i in wanted]


@contextmanager
def fields_as(names: dict[str, str]) -> Iterator[None]:
    """Rename the fields of a DomainError raised inside, from a service's argument names to the request's
    (`parent` → `parent_id`), so a client is told about the field it actually sent."""
    try:
        yield
    except DomainError as error:
        error.problems = [
            replace(p, field=names.get(p.field, p.field)) if p.field else p for p in error.problems
        ]
        raise
