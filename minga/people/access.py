"""Access functions for people and memberships: NotFound for missing and forbidden alike."""

from __future__ import annotations

from typing import Any

from minga.core.errors import NotFound
from minga.people.models import Membership, Person


def access_person(user: Any, person_id: int, *, for_edit: bool = False) -> Person:
    qs = Person.objects.editable_by(user) if for_edit else Person.objects.visible_to(user)
    obj = qs.select_related("collective").filter(pk=person_id).first()
    if obj is None:
        raise NotFound("person")
    return obj


def access_membership(user: Any, membership_id: int, *, for_edit: bool = False) -> Membership:
    qs = Membership.objects.editable_by(user) if for_edit else Membership.objects.visible_to(user)
    obj = qs.select_related("person", "group", "group__collective").filter(pk=membership_id).first()
    if obj is None:
        raise NotFound("membership")
    return obj
