"""The people API: people (with consent, export and erasure) and memberships.

Personal data: anonymous callers see nobody; everyone else sees exactly what `Person.objects.visible_to`
allows, as in the UI.
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from minga.architecture.access import access_collective, access_group
from minga.core.api_support import (
    ERROR_RESPONSES,
    ApiRequest,
    Page,
    fields_as,
    idempotent,
    paginate,
    reference,
)
from minga.people import services
from minga.people.access import access_membership, access_person
from minga.people.models import Membership, Person
from minga.people.schemas import (
    ConsentIn,
    MembershipEndIn,
    MembershipFilters,
    MembershipIn,
    MembershipOut,
    PersonFilters,
    PersonIn,
    PersonOut,
    PersonPatch,
)

router = Router(tags=["people"])
# Services name their arguments after objects; requests carry ids.
PEOPLE_FIELDS = {"group": "group_id", "person": "person_id"}


@router.get("/people", response={200: Page[PersonOut], **ERROR_RESPONSES})
def list_people(request: ApiRequest, filters: Query[PersonFilters]) -> dict[str, Any]:
    user = request.auth
    qs = Person.objects.visible_to(user).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.group is not None:
        group = access_group(user, filters.group)
        qs = qs.filter(id__in=Membership.objects.active().filter(group=group).values("person_id"))
    if filters.q:
        qs = qs.filter(full_name__icontains=filters.q)
    return paginate(qs, filters, keys=("full_name", "id"))


@router.get("/people/{person_id}", response={200: PersonOut, **ERROR_RESPONSES})
def get_person(request: ApiRequest, person_id: int) -> Person:
    return access_person(request.auth, person_id)


@router.post("/people", response={201: PersonOut, **ERROR_RESPONSES})
@idempotent
def create_person(request: ApiRequest, payload: PersonIn) -> Status[Person]:
    """Register a person, usually straight into a group with a role."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    group = None
    if payload.group_id is not None:
        group = reference("group_id", access_group, user, payload.group_id)
    with fields_as(PEOPLE_FIELDS):
        person = services.person_create(
            actor=user,
            collective=collective,
            group=group,
            **payload.model_dump(exclude={"collective", "group_id"}),
        )
    return Status(201, person)


@router.patch("/people/{person_id}", response={200: PersonOut, **ERROR_RESPONSES})
@idempotent
def update_person(request: ApiRequest, person_id: int, payload: PersonPatch) -> Person:
    person = access_person(request.auth, person_id, for_edit=True)
    return services.person_update(actor=request.auth, person=person, **payload.model_dump(exclude_unset=True))


@router.delete("/people/{person_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def erase_person(request: ApiRequest, person_id: int) -> Status[None]:
    """Erase the person (right to erasure): record and memberships go; the audit keeps only the fact."""
    person = access_person(request.auth, person_id, for_edit=True)
    services.person_erase(actor=request.auth, person=person)
    return Status(204, None)


@router.get("/people/{person_id}/export", response={200: dict[str, Any], **ERROR_RESPONSES})
def export_person(request: ApiRequest, person_id: int) -> dict[str, Any]:
    """Everything Minga holds about the person (right of access)."""
    person = access_person(request.auth, person_id)
    return services.person_export(actor=request.auth, person=person)


@router.post("/people/{person_id}/consent", response={200: PersonOut, **ERROR_RESPONSES})
@idempotent
def record_consent(request: ApiRequest, person_id: int, payload: ConsentIn) -> Person:
    person = access_person(request.auth, person_id, for_edit=True)
    return services.person_consent_record(
        actor=request.auth, person=person, purpose=payload.purpose, given=payload.given
    )


# --- memberships ----------------------------------------------------------------------------------


@router.get("/memberships", response={200: Page[MembershipOut], **ERROR_RESPONSES}, tags=["memberships"])
def list_memberships(request: ApiRequest, filters: Query[MembershipFilters]) -> dict[str, Any]:
    qs = Membership.objects.visible_to(request.auth).select_related("person", "group")
    if filters.person is not None:
        qs = qs.filter(person_id=filters.person)
    if filters.group is not None:
        qs = qs.filter(group_id=filters.group)
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.active is True:
        qs = qs.active()
    elif filters.active is False:
        qs = qs.exclude(id__in=Membership.objects.active().values("id"))
    return paginate(qs, filters, keys=("id",))


@router.get(
    "/memberships/{membership_id}", response={200: MembershipOut, **ERROR_RESPONSES}, tags=["memberships"]
)
def get_membership(request: ApiRequest, membership_id: int) -> Membership:
    return access_membership(request.auth, membership_id)


@router.post("/memberships", response={201: MembershipOut, **ERROR_RESPONSES}, tags=["memberships"])
@idempotent
def create_membership(request: ApiRequest, payload: MembershipIn) -> Status[Membership]:
    """Give a person you can see a role in a group. Nobody grants a role above their own."""
    user = request.auth
    group = reference("group_id", access_group, user, payload.group_id)
    person = reference("person_id", access_person, user, payload.person_id)
    with fields_as(PEOPLE_FIELDS):
        membership = services.membership_create(
            actor=user, person=person, group=group, **payload.model_dump(exclude={"person_id", "group_id"})
        )
    return Status(201, membership)


@router.post(
    "/memberships/{membership_id}/end", response={200: MembershipOut, **ERROR_RESPONSES}, tags=["memberships"]
)
@idempotent
def end_membership(request: ApiRequest, membership_id: int, payload: MembershipEndIn) -> Membership:
    membership = access_membership(request.auth, membership_id, for_edit=True)
    return services.membership_end(actor=request.auth, membership=membership, ended_on=payload.ended_on)
