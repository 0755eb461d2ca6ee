"""Request and response shapes of the learning API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from minga.core.api_support import PageParams
from minga.core.choices import Visibility
from minga.learning.models import PassageKind, PracticeStatus


class PracticeOut(Schema):
    id: int
    collective: str = Field(..., alias="collective.slug")
    origin_group_id: int | None
    title: str
    summary: str
    problem: str
    method: str
    context: str
    evidence: str
    tags: list[str]
    languages: list[str]
    status: str
    visibility: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PracticeIn(Schema):
    collective: str = Field(..., description="Slug of the collective.")
    title: str
    origin_group_id: int | None = Field(None, description="The group it comes from (none: the backbone).")
    summary: str = ""
    problem: str = ""
    method: str = ""
    context: str = ""
    evidence: str = ""
    tags: list[str] = []
    languages: list[str] = ["en"]
    status: PracticeStatus = PracticeStatus.EMERGING
    visibility: Visibility = Visibility.PUBLIC


class PracticePatch(Schema):
    title: str | None = None
    origin_group_id: int | None = None
    summary: str | None = None
    problem: str | None = None
    method: str | None = None
    context: str | None = None
    evidence: str | None = None
    tags: list[str] | None = None
    languages: list[str] | None = None
    status: PracticeStatus | None = None
    visibility: Visibility | None = None


class PracticeFilters(PageParams):
    collective: str | None = Field(None, description="Slug of the collective.")
    status: PracticeStatus | None = None
    tag: str | None = None


class AdoptionOut(Schema):
    id: int
    practice_id: int
    group_id: int
    adopted_on: dt.date
    adapted_how: str
    result: str
    learned_from_id: int | None


class AdoptionIn(Schema):
    group_id: int
    adopted_on: dt.date
    adapted_how: str = ""
    result: str = ""
    learned_from_id: int | None = None


class ResourceOut(Schema):
    id: int
    collective: str = Field(..., alias="collective.slug")
    group_id: int | None
    community_id: int | None
    title: str
    kind: str
    url: str
    description: str
    tags: list[str]
    language: str
    visibility: str
    text_length: int
    created_at: dt.datetime

    @staticmethod
    def resolve_text_length(obj: object) -> int:
        return len(getattr(obj, "text", "") or "")


class ResourceIn(Schema):
    collective: str
    title: str
    group_id: int | None = None
    community_id: int | None = None
    text: str = Field("", description="The document's text (Markdown), or leave empty and give `url`.")
    url: str = ""
    description: str = ""
    tags: list[str] = []
    language: str = "en"
    visibility: Visibility = Visibility.PUBLIC


class ResourceFilters(PageParams):
    collective: str | None = None
    tag: str | None = None
    language: str | None = None


class CommunityOut(Schema):
    id: int
    collective: str = Field(..., alias="collective.slug")
    group_id: int | None
    name: str
    topic: str
    description: str
    visibility: str


class CommunityIn(Schema):
    collective: str
    name: str
    topic: str
    group_id: int | None = None
    description: str = ""
    visibility: Visibility = Visibility.PUBLIC


class CommunityFilters(PageParams):
    collective: str | None = None


class SessionOut(Schema):
    id: int
    community_id: int
    title: str
    held_on: dt.date
    agenda: str
    notes: str
    attendance: int
    recording_url: str


class SessionIn(Schema):
    title: str
    held_on: dt.date
    agenda: str = ""
    notes: str = ""
    attendance: int = Field(0, ge=0)
    recording_url: str = ""


class SearchParams(Schema):
    q: str = Field("", description="Words or a question; operators and quotes are treated as words.")
    collective: str | None = Field(None, description="Slug; without it, every collective you can see.")
    kind: PassageKind | None = None
    tag: str | None = None
    language: str | None = None
    limit: int = Field(20, ge=1, le=100)


class SearchHitOut(Schema):
    passage_id: int
    kind: str
    title: str
    heading: str
    snippet: str = Field(..., description="HTML: the text escaped, matching words in <mark>.")
    url: str
    score: float


class SearchOut(Schema):
    query: str
    terms: list[str]
    hits: list[SearchHitOut]
    problems: list[str]


class AskIn(Schema):
    question: str = Field(..., max_length=5000)
    collective: str
    practice_id: int | None = Field(None, description="Ask only this practice.")
    resource_id: int | None = Field(None, description="Ask only this document.")


class CitationOut(Schema):
    number: int
    passage_id: int
    kind: str
    title: str
    heading: str
    url: str
    excerpt: str


class AnswerOut(Schema):
    question: str
    answer: str
    found: bool
    mode: str
    citations: list[CitationOut]
    note: str
    seconds: float


class ComparisonParams(Schema):
    indicator_id: int
    similar: Literal["parent", "kind"] = Field(
        "parent", description="Comparison groups: the same parent group, or the same kind of group."
    )
    within: int | None = Field(None, description="Only adopting and comparison groups of this subtree.")


class ComparisonSideOut(Schema):
    groups: int = Field(..., description="Groups with at least one value in the periods compared.")
    values: int = Field(..., description="(group, period) values behind the mean.")
    mean: float | None


class ComparisonOut(Schema):
    practice_id: int
    indicator_id: int
    similar: str
    within: int | None
    adopters: ComparisonSideOut = Field(..., description="Adopting groups, periods after their adoption.")
    others: ComparisonSideOut = Field(..., description="Similar non-adopting groups, the same periods.")
    difference: float | None
    adopters_without_peers: int
    note: str = "A descriptive comparison of what groups reported, not a causal estimate."


class CommunityMemberIn(Schema):
    person_id: int
    role: Literal["member", "facilitator"] = "member"


class CommunityMemberOut(Schema):
    community_id: int
    person_id: int
    role: str


class AttachmentOut(Schema):
    id: int
    practice_id: int
    title: str
    url: str = Field(..., alias="file.url")
    characters: int = Field(..., description="Characters of text extracted and indexed.")

    @staticmethod
    def resolve_characters(obj: Any) -> int:
        return len(obj.text or "")
