"""One access function per learning object. Missing and forbidden look the same (NotFound)."""

from __future__ import annotations

from typing import Any

from minga.core.errors import NotFound
from minga.core.models import Collective
from minga.learning.models import Adoption, Community, Practice, PracticeAttachment, Resource, Session


def access_practice(
    user: Any, practice_id: int, *, collective: Collective | None = None, for_edit: bool = False
) -> Practice:
    """The practice `user` may read (or change), within `collective` when given, else NotFound."""
    qs = Practice.objects.editable_by(user) if for_edit else Practice.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.select_related("collective", "origin_group").filter(pk=practice_id).first()
    if obj is None:
        raise NotFound("practice")
    return obj


def access_practice_attachment(
    user: Any,
    practice_id: int,
    attachment_id: int,
    *,
    collective: Collective | None = None,
    for_edit: bool = False,
) -> PracticeAttachment:
    """An attachment of a practice `user` may read (or change), else NotFound."""
    practice = access_practice(user, practice_id, collective=collective, for_edit=for_edit)
    attachment = practice.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("attachment")
    attachment.practice = practice  # already loaded, with its collective
    return attachment


def access_resource(
    user: Any, resource_id: int, *, collective: Collective | None = None, for_edit: bool = False
) -> Resource:
    qs = Resource.objects.editable_by(user) if for_edit else Resource.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.select_related("collective", "group", "community").filter(pk=resource_id).first()
    if obj is None:
        raise NotFound("resource")
    return obj


def access_community(
    user: Any, community_id: int, *, collective: Collective | None = None, for_edit: bool = False
) -> Community:
    qs = Community.objects.editable_by(user) if for_edit else Community.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.select_related("collective", "group").filter(pk=community_id).first()
    if obj is None:
        raise NotFound("community")
    return obj


def access_session(user: Any, session_id: int, *, collective: Collective | None = None) -> Session:
    qs = Session.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(community__collective=collective)
    obj = qs.select_related("community__collective", "community__group").filter(pk=session_id).first()
    if obj is None:
        raise NotFound("session")
    return obj


def access_adoption(user: Any, adoption_id: int) -> Adoption:
    obj = (
        Adoption.objects.visible_to(user)
        .select_related("practice__collective", "group", "learned_from")
        .filter(pk=adoption_id)
        .first()
    )
    if obj is None:
        raise NotFound("adoption")
    return obj
