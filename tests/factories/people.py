from __future__ import annotations

import itertools
from typing import Any

from minga.architecture.models import Group
from minga.core.choices import Role
from minga.core.models import Collective
from minga.people.models import Membership, Person
from tests.factories.core import make_user

_seq = itertools.count(1)


def make_person(collective: Collective, *, user: Any = None, **fields: Any) -> Person:
    n = next(_seq)
    return Person.objects.create(
        collective=collective, full_name=fields.pop("full_name", f"Person {n}"), user=user, **fields
    )


def make_member(group: Group, role: str = Role.MEMBER, *, with_login: bool = True, **fields: Any) -> Person:
    """A person holding `role` in `group`, with a login unless told otherwise."""
    user = make_user() if with_login else None
    person = make_person(group.collective, user=user, email=user.email if user else "", **fields)
    Membership.objects.create(person=person, group=group, role=role)
    return person
