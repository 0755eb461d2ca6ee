"""Request and response shapes of the people API (people, consent, memberships)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from minga.core.api_support import PageParams
from minga.core.choices import Role
from minga.people.models import Membership, Person


class PersonOut(Schema):
    id: int
    collective: str
    full_name: str
    email: str
    external_id: str
    preferred_language: str
    skills: list[str]
    has_consent: bool
    consent_purpose: str
    consent_given_at: dt.datetime | None
    consent_withdrawn_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_collective(obj: Person) -> str:
        return obj.collective.slug


LANGUAGE_HELP = (
    "A language tag (BCP 47) such as en, sw, hi or pt-BR, or a language's name (Kiswahili); stored as the "
    "canonical tag. Empty means no preference."
)


class PersonIn(Schema):
    collective: str = Field(description="Collective slug.")
    full_name: str
    email: str = ""
    external_id: str = ""
    preferred_language: str = Field("en", description=LANGUAGE_HELP)
    skills: list[str] = Field(default_factory=list)
    consent_purpose: str = ""
    consent_given_at: dt.datetime | None = None
    group_id: int | None = Field(None, description="The group the person joins (required unless admin).")
    role: Role = Role.MEMBER
    started_on: dt.date | None = None


class PersonPatch(Schema):
    full_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    preferred_language: str | None = Field(None, description=LANGUAGE_HELP)
    skills: list[str] | None = None
    consent_purpose: str | None = None


class ConsentIn(Schema):
    given: bool = Field(description="true records consent given now, false records it withdrawn now.")
    purpose: str = Field("", description="What the consent is for (required when given).")


class PersonFilters(PageParams):
    collective: str | None = Field(None, description="Collective slug.")
    group: int | None = Field(None, description="People holding an active membership in this group.")
    q: str | None = Field(None, description="Name contains (case-insensitive).")


class MembershipOut(Schema):
    id: int
    person_id: int
    person_name: str
    group_id: int
    group_name: str
    role: str
    started_on: dt.date
    ended_on: dt.date | None

    @staticmethod
    def resolve_person_name(obj: Membership) -> str:
        return obj.person.full_name

    @staticmethod
    def resolve_group_name(obj: Membership) -> str:
        return obj.group.name


class MembershipIn(Schema):
    person_id: int
    group_id: int
    role: Role = Role.MEMBER
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


class MembershipEndIn(Schema):
    ended_on: dt.date | None = Field(None, description="Defaults to today.")


class MembershipFilters(PageParams):
    person: int | None = None
    group: int | None = None
    role: Role | None = None
    active: bool | None = Field(None, description="true: current memberships only; false: ended or future.")


PersonExport = dict[str, Any]
