"""Factories for tenants and logins. Plain functions: explicit, typed, no magic sequences."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from minga.architecture.models import GroupKind
from minga.architecture.services import DEFAULT_KINDS
from minga.core.models import Collective

_seq = itertools.count(1)

PASSWORD = "a-long-test-password-42"


def make_collective(*, slug: str | None = None, visibility: str = "public", **fields: Any) -> Collective:
    n = next(_seq)
    collective = Collective.objects.create(
        slug=slug or f"collective-{n}",
        name=fields.pop("name", f"Collective {n}"),
        visibility=visibility,
        **fields,
    )
    for order, (code, name, layer) in enumerate(DEFAULT_KINDS):
        GroupKind.objects.create(collective=collective, code=code, name=name, layer=layer, order=order)
    return collective


def make_user(*, email: str | None = None, superuser: bool = False) -> Any:
    n = next(_seq)
    email = email or f"user{n}@example.org"
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username=email, email=email, password=PASSWORD)
    return User.objects.create_user(username=email, email=email, password=PASSWORD)
