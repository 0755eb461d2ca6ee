"""Learning and sharing what works: the API router mounted under /api/v1/.

Practices and adoptions, the library (JSON text/link or a multipart upload), communities and sessions,
`GET /search` and `POST /ask`. Reads go through `visible_to`, writes through the services.
"""

from __future__ import annotations

from typing import Any

from ninja import File, Form, Query, Router, Status, UploadedFile

from minga.architecture.access import access_collective, access_group
from minga.core import languages
from minga.core.api_support import (
    ERROR_RESPONSES,
    ApiRequest,
    Page,
    ReadOnlyApiAuth,
    idempotent,
    paginate,
    reference,
)
from minga.core.errors import DomainError, NotFound
from minga.core.models import Collective
from minga.learning import services
from minga.learning.access import (
    access_community,
    access_practice,
    access_practice_attachment,
    access_resource,
    access_session,
)
from minga.learning.ask import ask
from minga.learning.comparison import comparable_indicators, practice_comparison
from minga.learning.models import Adoption, Community, Practice, PracticeAttachment, Resource, Session
from minga.learning.schemas import (
    AdoptionIn,
    AdoptionOut,
    AnswerOut,
    AskIn,
    AttachmentOut,
    CommunityFilters,
    CommunityIn,
    CommunityMemberIn,
    CommunityMemberOut,
    CommunityOut,
    ComparisonOut,
    ComparisonParams,
    PracticeFilters,
    PracticeIn,
    PracticeOut,
    PracticePatch,
    ResourceFilters,
    ResourceIn,
    ResourceOut,
    SearchOut,
    SearchParams,
    SessionIn,
    SessionOut,
)
from minga.learning.search import Filters, search
from minga.people.models import Person

router = Router(tags=["learning"])
TITLE_ORDER = ("title", "id")


def _collective(request: ApiRequest, slug: str) -> Collective:
    return reference("collective", access_collective, request.auth, slug)


def _group(request: ApiRequest, field: str, group_id: int | None, collective: Collective) -> Any:
    if group_id is None:
        return None
    return reference(field, access_group, request.auth, group_id, collective=collective)


# --- practices ------------------------------------------------------------------------------------


@router.get("/learning/practices", response={200: Page[PracticeOut], **ERROR_RESPONSES}, tags=["practices"])
def list_practices(request: ApiRequest, filters: Query[PracticeFilters]) -> dict[str, Any]:
    qs = Practice.objects.visible_to(request.auth).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.tag:
        qs = qs.filter(tags__icontains=f'"{filters.tag.lower()}"')
    return paginate(qs, filters, keys=TITLE_ORDER)


@router.get(
    "/learning/practices/{practice_id}", response={200: PracticeOut, **ERROR_RESPONSES}, tags=["practices"]
)
def get_practice(request: ApiRequest, practice_id: int) -> Practice:
    return access_practice(request.auth, practice_id)


@router.post(
    "/learning/practices/{practice_id}/attachments",
    response={201: AttachmentOut, **ERROR_RESPONSES},
    tags=["practices"],
)
@idempotent
def attach_to_practice(
    request: ApiRequest, practice_id: int, file: File[UploadedFile], title: Form[str] = ""
) -> Status[Any]:
    """Attach a PDF, DOCX, Markdown or text file to a practice (multipart); its text is indexed."""
    practice = access_practice(request.auth, practice_id, for_edit=True)
    attachment = services.practice_attachment_add(
        actor=request.auth, practice=practice, title=title, upload=(file.name or "upload", file.read())
    )
    return Status(201, attachment)


@router.get(
    "/learning/practices/{practice_id}/attachments",
    response={200: list[AttachmentOut], **ERROR_RESPONSES},
    tags=["practices"],
)
def list_practice_attachments(request: ApiRequest, practice_id: int) -> list[PracticeAttachment]:
    """The files attached to a practice you may see, oldest first."""
    practice = access_practice(request.auth, practice_id)
    return list(practice.attachments.order_by("id"))


@router.delete(
    "/learning/practices/{practice_id}/attachments/{attachment_id}",
    response={204: None, **ERROR_RESPONSES},
    tags=["practices"],
)
@idempotent
def delete_practice_attachment(request: ApiRequest, practice_id: int, attachment_id: int) -> Status[None]:
    """Remove an attachment (its file and its passages in search), for those who may edit the practice."""
    attachment = access_practice_attachment(request.auth, practice_id, attachment_id, for_edit=True)
    services.practice_attachment_delete(actor=request.auth, attachment=attachment)
    return Status(204, None)


@router.get(
    "/learning/practices/{practice_id}/comparison",
    response={200: ComparisonOut, **ERROR_RESPONSES},
    tags=["practices"],
)
def practice_comparison_get(request: ApiRequest, practice_id: int, params: Query[ComparisonParams]) -> Any:
    """Adopting groups against similar non-adopting ones on one indicator, after adoption, in the same
    periods: a descriptive comparison, not a causal estimate."""
    practice = access_practice(request.auth, practice_id)
    indicator = comparable_indicators(request.auth, practice).filter(pk=params.indicator_id).first()
    if indicator is None:
        raise DomainError.single(
            "unknown_reference",
            "No indicator with numbers with this id that you can see.",
            field="indicator_id",
        )
    within = _group(request, "within", params.within, practice.collective)
    result = practice_comparison(
        viewer=request.auth, practice=practice, indicator=indicator, similar=params.similar, within=within
    )
    return {
        "practice_id": practice.pk,
        "indicator_id": indicator.pk,
        "similar": result.similar,
        "within": within.pk if within is not None else None,
        "adopters": result.adopters,
        "others": result.others,
        "difference": result.difference,
        "adopters_without_peers": result.adopters_without_peers,
    }


@router.post("/learning/practices", response={201: PracticeOut, **ERROR_RESPONSES}, tags=["practices"])
@idempotent
def create_practice(request: ApiRequest, payload: PracticeIn) -> Status[Practice]:
    """Share a practice on behalf of `origin_group_id` (which you must be able to edit)."""
    collective = _collective(request, payload.collective)
    fields = payload.model_dump(exclude={"collective", "origin_group_id"})
    practice = services.practice_create(
        actor=request.auth,
        collective=collective,
        origin_group=_group(request, "origin_group_id", payload.origin_group_id, collective),
        **fields,
    )
    return Status(201, practice)


@router.patch(
    "/learning/practices/{practice_id}", response={200: PracticeOut, **ERROR_RESPONSES}, tags=["practices"]
)
@idempotent
def update_practice(request: ApiRequest, practice_id: int, payload: PracticePatch) -> Practice:
    practice = access_practice(request.auth, practice_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True)
    if "origin_group_id" in changes:
        changes["origin_group"] = _group(
            request, "origin_group_id", changes.pop("origin_group_id"), practice.collective
        )
    return services.practice_update(actor=request.auth, practice=practice, **changes)


@router.delete(
    "/learning/practices/{practice_id}", response={204: None, **ERROR_RESPONSES}, tags=["practices"]
)
@idempotent
def delete_practice(request: ApiRequest, practice_id: int) -> Status[None]:
    practice = access_practice(request.auth, practice_id, for_edit=True)
    services.practice_delete(actor=request.auth, practice=practice)
    return Status(204, None)


@router.get(
    "/learning/practices/{practice_id}/adoptions",
    response={200: list[AdoptionOut], **ERROR_RESPONSES},
    tags=["practices"],
)
def list_adoptions(request: ApiRequest, practice_id: int) -> Any:
    practice = access_practice(request.auth, practice_id)
    return (
        Adoption.objects.visible_to(request.auth)
        .filter(practice=practice)
        .order_by("adopted_on", "id")[:1000]
    )


@router.post(
    "/learning/practices/{practice_id}/adoptions",
    response={201: AdoptionOut, **ERROR_RESPONSES},
    tags=["practices"],
)
@idempotent
def create_adoption(request: ApiRequest, practice_id: int, payload: AdoptionIn) -> Status[Adoption]:
    """Record that a group you lead or coordinate took up the practice."""
    practice = access_practice(request.auth, practice_id)
    adoption = services.adoption_create(
        actor=request.auth,
        practice=practice,
        group=_group(request, "group_id", payload.group_id, practice.collective),
        adopted_on=payload.adopted_on,
        adapted_how=payload.adapted_how,
        result=payload.result,
        learned_from=_group(request, "learned_from_id", payload.learned_from_id, practice.collective),
    )
    return Status(201, adoption)


# --- library --------------------------------------------------------------------------------------


@router.get("/learning/resources", response={200: Page[ResourceOut], **ERROR_RESPONSES}, tags=["library"])
def list_resources(request: ApiRequest, filters: Query[ResourceFilters]) -> dict[str, Any]:
    qs = Resource.objects.visible_to(request.auth).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.language:
        qs = qs.filter(language=languages.as_filter(filters.language))
    if filters.tag:
        qs = qs.filter(tags__icontains=f'"{filters.tag.lower()}"')
    return paginate(qs, filters, keys=TITLE_ORDER)


@router.get(
    "/learning/resources/{resource_id}", response={200: ResourceOut, **ERROR_RESPONSES}, tags=["library"]
)
def get_resource(request: ApiRequest, resource_id: int) -> Resource:
    return access_resource(request.auth, resource_id)


def _community(request: ApiRequest, community_id: int | None, collective: Collective) -> Community | None:
    if community_id is None:
        return None
    return reference("community_id", access_community, request.auth, community_id, collective=collective)


@router.post("/learning/resources", response={201: ResourceOut, **ERROR_RESPONSES}, tags=["library"])
@idempotent
def create_resource(request: ApiRequest, payload: ResourceIn) -> Status[Resource]:
    """Add a document written as text (Markdown) or a web link."""
    collective = _collective(request, payload.collective)
    fields = payload.model_dump(exclude={"collective", "group_id", "community_id", "title"})
    resource = services.resource_create(
        actor=request.auth,
        collective=collective,
        title=payload.title,
        group=_group(request, "group_id", payload.group_id, collective),
        community=_community(request, payload.community_id, collective),
        **fields,
    )
    return Status(201, resource)


@router.post("/learning/uploads", response={201: ResourceOut, **ERROR_RESPONSES}, tags=["library"])
@idempotent
def upload_resource(
    request: ApiRequest,
    file: File[UploadedFile],
    collective: Form[str],
    title: Form[str],
    group_id: Form[int | None] = None,
    language: Form[str] = "en",
    visibility: Form[str] = "public",
    tags: Form[str] = "",
) -> Status[Resource]:
    """Upload a PDF, DOCX, Markdown or text file (multipart); its text is extracted and indexed."""
    target = _collective(request, collective)
    resource = services.resource_create(
        actor=request.auth,
        collective=target,
        title=title,
        group=_group(request, "group_id", group_id, target),
        upload=(file.name or "upload", file.read()),
        language=language,
        visibility=visibility,
        tags=[t for t in tags.split(",") if t.strip()],
    )
    return Status(201, resource)


@router.delete("/learning/resources/{resource_id}", response={204: None, **ERROR_RESPONSES}, tags=["library"])
@idempotent
def delete_resource(request: ApiRequest, resource_id: int) -> Status[None]:
    resource = access_resource(request.auth, resource_id, for_edit=True)
    services.resource_delete(actor=request.auth, resource=resource)
    return Status(204, None)


# --- communities ----------------------------------------------------------------------------------


@router.get(
    "/learning/communities", response={200: Page[CommunityOut], **ERROR_RESPONSES}, tags=["communities"]
)
def list_communities(request: ApiRequest, filters: Query[CommunityFilters]) -> dict[str, Any]:
    qs = Community.objects.visible_to(request.auth).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    return paginate(qs, filters, keys=("name", "id"))


@router.post("/learning/communities", response={201: CommunityOut, **ERROR_RESPONSES}, tags=["communities"])
@idempotent
def create_community(request: ApiRequest, payload: CommunityIn) -> Status[Community]:
    collective = _collective(request, payload.collective)
    community = services.community_create(
        actor=request.auth,
        collective=collective,
        name=payload.name,
        topic=payload.topic,
        group=_group(request, "group_id", payload.group_id, collective),
        description=payload.description,
        visibility=payload.visibility,
    )
    return Status(201, community)


def _person(request: ApiRequest, person_id: int, collective: Collective) -> Person:
    person = Person.objects.visible_to(request.auth).filter(collective=collective, pk=person_id).first()
    if person is None:
        raise DomainError.single(
            "unknown_reference", "No person with this id that you can see.", field="person_id"
        )
    return person


@router.post(
    "/learning/communities/{community_id}/members",
    response={200: CommunityMemberOut, **ERROR_RESPONSES},
    tags=["communities"],
)
@idempotent
def set_community_member(request: ApiRequest, community_id: int, payload: CommunityMemberIn) -> Any:
    """Add a person of the collective to the community, or change their role (member / facilitator)."""
    community = access_community(request.auth, community_id, for_edit=True)
    person = _person(request, payload.person_id, community.collective)
    member = services.community_member_set(
        actor=request.auth, community=community, person=person, role=payload.role
    )
    return {"community_id": community.pk, "person_id": person.pk, "role": member.role}


@router.delete(
    "/learning/communities/{community_id}/members/{person_id}",
    response={204: None, **ERROR_RESPONSES},
    tags=["communities"],
)
@idempotent
def remove_community_member(request: ApiRequest, community_id: int, person_id: int) -> Status[None]:
    community = access_community(request.auth, community_id)
    person = (
        Person.objects.visible_to(request.auth).filter(collective=community.collective, pk=person_id).first()
    )
    if person is None or not services.community_member_remove(
        actor=request.auth, community=community, person=person
    ):
        raise NotFound("member")
    return Status(204, None)


@router.get(
    "/learning/communities/{community_id}/sessions",
    response={200: list[SessionOut], **ERROR_RESPONSES},
    tags=["communities"],
)
def list_sessions(request: ApiRequest, community_id: int) -> Any:
    community = access_community(request.auth, community_id)
    return (
        Session.objects.visible_to(request.auth).filter(community=community).order_by("-held_on", "-id")[:500]
    )


@router.post(
    "/learning/communities/{community_id}/sessions",
    response={201: SessionOut, **ERROR_RESPONSES},
    tags=["communities"],
)
@idempotent
def create_session(request: ApiRequest, community_id: int, payload: SessionIn) -> Status[Session]:
    community = access_community(request.auth, community_id, for_edit=True)
    session = services.session_create(actor=request.auth, community=community, **payload.model_dump())
    return Status(201, session)


@router.get(
    "/learning/sessions/{session_id}", response={200: SessionOut, **ERROR_RESPONSES}, tags=["communities"]
)
def get_session(request: ApiRequest, session_id: int) -> Session:
    return access_session(request.auth, session_id)


# --- search and ask -------------------------------------------------------------------------------


@router.get("/search", response={200: SearchOut, **ERROR_RESPONSES}, tags=["search"])
def search_passages(request: ApiRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Passages of practices, documents and session notes you may see, best first (full-text and
    meaning, fused). Each hit links to the exact passage."""
    collective = _collective(request, params.collective) if params.collective else None
    results = search(
        user=request.auth,
        query=params.q,
        collective=collective,
        filters=Filters(kind=params.kind or "", tag=params.tag or "", language=params.language or ""),
        limit=params.limit,
    )
    return {
        "query": results.query,
        "terms": results.terms,
        "problems": results.problems,
        "hits": [
            {
                "passage_id": hit.passage.pk,
                "kind": hit.passage.kind,
                "title": hit.passage.title,
                "heading": hit.passage.heading,
                "snippet": str(hit.snippet),
                "url": request.build_absolute_uri(hit.url),
                "score": round(hit.score, 6),
            }
            for hit in results.hits
        ],
    }


@router.post("/ask", response={200: AnswerOut, **ERROR_RESPONSES}, tags=["search"], auth=ReadOnlyApiAuth())
def ask_question(request: ApiRequest, payload: AskIn) -> dict[str, Any]:
    """Answer from the material you may see, citing the passages (numbered [n] in the answer).
    Read-only, so it needs no Idempotency-Key, and open to anonymous callers (who are answered from
    the public material); a session caller still sends the CSRF token."""
    if not payload.question.strip():
        raise DomainError.single("required", "Ask a question.", field="question")
    collective = _collective(request, payload.collective)
    within: Practice | Resource | None = None
    if payload.practice_id is not None:
        within = reference(
            "practice_id", access_practice, request.auth, payload.practice_id, collective=collective
        )
    elif payload.resource_id is not None:
        within = reference(
            "resource_id", access_resource, request.auth, payload.resource_id, collective=collective
        )
    answer = ask(user=request.auth, collective=collective, question=payload.question, within=within)
    return {
        "question": answer.question,
        "answer": answer.text,
        "found": answer.found,
        "mode": answer.mode,
        "note": answer.note,
        "seconds": round(answer.seconds, 4),
        "citations": [{**c.as_dict(), "url": request.build_absolute_uri(c.url)} for c in answer.citations],
    }
