from __future__ import annotations

import itertools
from typing import Any

from minga.architecture.models import Group, GroupKind, Layer, Link
from minga.core.models import Collective

_seq = itertools.count(1)


def kind(collective: Collective, code: str) -> GroupKind:
    return GroupKind.objects.get(collective=collective, code=code)


def make_group(
    collective: Collective, *, parent: Group | None = None, kind_code: str | None = None, **fields: Any
) -> Group:
    """Insert a group directly (bypassing permission checks) with a correct path."""
    n = next(_seq)
    if kind_code is None:
        kind_code = "group" if parent is not None else "country"
    k = kind(collective, kind_code)
    group = Group.objects.create(
        collective=collective,
        code=fields.pop("code", f"g-{n}"),
        name=fields.pop("name", f"Group {n}"),
        kind=k,
        layer=fields.pop("layer", k.layer),
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
        path="/pending/",
        **fields,
    )
    group.path = f"{parent.path if parent else '/'}{group.pk}/"
    Group.objects.filter(pk=group.pk).update(path=group.path)
    return group


def make_link(source: Group, target: Group, kind: str = Link.Kind.PARTNERSHIP, **fields: Any) -> Link:
    return Link.objects.create(
        collective=source.collective, source=source, target=target, kind=kind, **fields
    )


__all__ = ["Layer", "kind", "make_group", "make_link"]
