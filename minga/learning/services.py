"""Writes to learning: practices, adoptions, communities, sessions and the library.

Each service checks that the actor may write, validates, writes, re-indexes the passages of what it
touched (so search and Ask see the change at once, in the same transaction), and audits.
Who may write: the collective's admins anywhere; coordinators for groups of their subtree; leads for
their own group. An item without an owner group is the backbone's (admins only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from minga.architecture.models import Group
from minga.core import languages
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.learning import indexing
from minga.learning.extract import extract_text
from minga.learning.models import (
    Adoption,
    Community,
    CommunityMember,
    Practice,
    PracticeAttachment,
    Resource,
    Session,
)

PRACTICE_FIELDS = [
    "title",
    "summary",
    "problem",
    "method",
    "context",
    "evidence",
    "tags",
    "languages",
    "status",
    "visibility",
    "origin_group",
]
LANGUAGE_LENGTH = Resource._meta.get_field("language").max_length
RESOURCE_FIELDS = [
    "title",
    "description",
    "text",
    "url",
    "tags",
    "language",
    "visibility",
    "group",
    "community",
]
SESSION_FIELDS = ["title", "held_on", "agenda", "notes", "attendance", "recording_url"]
COMMUNITY_FIELDS = ["name", "topic", "description", "visibility", "group"]


def _clean_tags(values: Any, field: str = "tags") -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise DomainError.single("invalid", "Give a list of words.", field=field)
    cleaned: dict[str, None] = {}
    for value in values:
        tag = " ".join(value.strip().lower().split())[:40]
        if tag:
            cleaned.setdefault(tag, None)
    return list(cleaned)[:20]


def _require_owner_rights(actor: Any, collective: Collective, group: Group | None, field: str) -> None:
    """The actor may publish on behalf of `group` (or of the backbone, when None)."""
    scope = scope_for(actor)
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return
    if group is None:
        raise DomainError.single(
            "forbidden",
            "Choose one of your groups; only backbone admins publish for the whole collective.",
            field=field,
        )
    if not Group.objects.editable_by(actor).filter(pk=group.pk).exists():
        raise NotFound("group")


def _check_group(collective: Collective, group: Group | None, field: str) -> list[Problem]:
    if group is not None and group.collective_id != collective.pk:
        return [Problem("invalid_group", "This group belongs to another collective.", field=field)]
    return []


def _require_editable(actor: Any, obj: Practice | Resource | Community) -> None:
    model = type(obj)
    if not model.objects.editable_by(actor).filter(pk=obj.pk).exists():
        raise NotFound(model._meta.verbose_name)


# --- practices ------------------------------------------------------------------------------------


@transaction.atomic
def practice_create(
    *, actor: Any, collective: Collective, title: str, origin_group: Group | None = None, **fields: Any
) -> Practice:
    """Publish a practice on behalf of `origin_group` and index it for search and Ask."""
    unknown = set(fields) - set(PRACTICE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    problems = _check_group(collective, origin_group, "origin_group")
    if problems:
        raise DomainError(problems)
    _require_owner_rights(actor, collective, origin_group, "origin_group")
    fields["tags"] = _clean_tags(fields.get("tags"))
    fields["languages"] = languages.clean_list(fields.get("languages") or ["en"], field="languages")
    practice = Practice(
        collective=collective, title=(title or "").strip(), origin_group=origin_group, **fields
    )
    full_clean(practice)
    practice.save()
    indexing.index(practice)
    audit_record(
        actor=actor, action="practice.create", target=practice, changes=snapshot(practice, ["title"])
    )
    return practice


@transaction.atomic
def practice_update(*, actor: Any, practice: Practice, **changes: Any) -> Practice:
    """Change a practice and re-index its passages."""
    _require_editable(actor, practice)
    unknown = set(changes) - set(PRACTICE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "origin_group" in changes:
        group = changes["origin_group"]
        problems = _check_group(practice.collective, group, "origin_group")
        if problems:
            raise DomainError(problems)
        _require_owner_rights(actor, practice.collective, group, "origin_group")
    if "tags" in changes:
        changes["tags"] = _clean_tags(changes["tags"])
    if "languages" in changes:
        changes["languages"] = languages.clean_list(changes["languages"], field="languages")
    before = snapshot(practice, list(changes))
    for name, value in changes.items():
        setattr(practice, name, value)
    full_clean(practice)
    practice.save()
    indexing.index(practice)
    audit_record(
        actor=actor,
        action="practice.update",
        target=practice,
        changes=diff_fields(practice, before, list(changes)),
    )
    return practice


@transaction.atomic
def practice_delete(*, actor: Any, practice: Practice) -> None:
    """Delete a practice, its adoptions and its passages."""
    _require_editable(actor, practice)
    indexing.unindex(practice)
    audit_record(actor=actor, action="practice.delete", target=practice)
    practice.delete()


# --- adoptions ------------------------------------------------------------------------------------


@transaction.atomic
def adoption_create(
    *,
    actor: Any,
    practice: Practice,
    group: Group,
    adopted_on: dt.date,
    adapted_how: str = "",
    result: str = "",
    learned_from: Group | None = None,
) -> Adoption:
    """Record that `group` took up `practice` (the actor must be able to edit `group`)."""
    if not Practice.objects.visible_to(actor).filter(pk=practice.pk).exists():
        raise NotFound("practice")
    problems = _check_group(practice.collective, group, "group") + _check_group(
        practice.collective, learned_from, "learned_from"
    )
    if learned_from is not None and learned_from.pk == group.pk:
        problems.append(Problem("same_group", "A group does not learn from itself.", field="learned_from"))
    if Adoption.objects.filter(practice=practice, group=group).exists():
        problems.append(
            Problem("already_adopted", "This group already recorded this practice.", field="group")
        )
    if problems:
        raise DomainError(problems)
    if not Group.objects.editable_by(actor).filter(pk=group.pk).exists():
        raise NotFound("group")
    if learned_from is not None and not Group.objects.visible_to(actor).filter(pk=learned_from.pk).exists():
        raise NotFound("group")
    adoption = Adoption(
        practice=practice,
        group=group,
        adopted_on=adopted_on,
        adapted_how=adapted_how,
        result=result,
        learned_from=learned_from,
    )
    full_clean(adoption)
    adoption.save()
    audit_record(
        actor=actor,
        action="adoption.create",
        target=adoption,
        collective=practice.collective,
        changes={"practice": practice.pk, "group": group.pk},
    )
    return adoption


@transaction.atomic
def adoption_delete(*, actor: Any, adoption: Adoption) -> None:
    if not Group.objects.editable_by(actor).filter(pk=adoption.group_id).exists():
        raise NotFound("adoption")
    audit_record(
        actor=actor, action="adoption.delete", target=adoption, collective=adoption.practice.collective
    )
    adoption.delete()


# --- communities and sessions ---------------------------------------------------------------------


@transaction.atomic
def community_create(
    *, actor: Any, collective: Collective, name: str, topic: str, group: Group | None = None, **fields: Any
) -> Community:
    """Start a community of practice hosted by `group` (or by the backbone)."""
    unknown = set(fields) - set(COMMUNITY_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    problems = _check_group(collective, group, "group")
    if problems:
        raise DomainError(problems)
    _require_owner_rights(actor, collective, group, "group")
    community = Community(
        collective=collective, name=(name or "").strip(), topic=topic, group=group, **fields
    )
    full_clean(community)
    community.save()
    audit_record(actor=actor, action="community.create", target=community)
    return community


@transaction.atomic
def community_member_set(
    *, actor: Any, community: Community, person: Any, role: str = CommunityMember.Role.MEMBER
) -> CommunityMember:
    """Add `person` to the community (or change their role)."""
    _require_editable(actor, community)
    if person.collective_id != community.collective_id:
        raise DomainError.single(
            "invalid_person", "This person belongs to another collective.", field="person"
        )
    if role not in CommunityMember.Role.values:
        raise DomainError.single("invalid", "Role is member or facilitator.", field="role")
    member, _ = CommunityMember.objects.update_or_create(
        community=community, person=person, defaults={"role": role}
    )
    audit_record(
        actor=actor,
        action="community.member_set",
        target=community,
        changes={"person": person.pk, "role": role},
    )
    return member


@transaction.atomic
def practice_attachment_add(
    *, actor: Any, practice: Practice, title: str, upload: tuple[str, bytes]
) -> PracticeAttachment:
    """Attach a file to a practice: its text is extracted and indexed with the practice."""
    _require_editable(actor, practice)
    name, data = upload
    attachment = PracticeAttachment(
        practice=practice, title=(title or "").strip() or name.rsplit("/", 1)[-1][:200]
    )
    attachment.text = extract_text(name, data)
    attachment.file.save(name.rsplit("/", 1)[-1], ContentFile(data), save=False)
    full_clean(attachment, exclude=["file"])
    attachment.save()
    indexing.index(practice)
    audit_record(
        actor=actor,
        action="practice.attachment_add",
        target=practice,
        collective=practice.collective,
        changes={"attachment": attachment.pk, "title": attachment.title},
    )
    return attachment


@transaction.atomic
def practice_attachment_delete(*, actor: Any, attachment: PracticeAttachment) -> None:
    practice = attachment.practice
    _require_editable(actor, practice)
    pk = attachment.pk
    attachment.file.delete(save=False)
    attachment.delete()
    indexing.index(practice)
    audit_record(
        actor=actor,
        action="practice.attachment_delete",
        target=practice,
        collective=practice.collective,
        changes={"attachment": pk},
    )


@transaction.atomic
def community_member_remove(*, actor: Any, community: Community, person: Any) -> bool:
    """Take `person` out of the community. False when they were not in it."""
    _require_editable(actor, community)
    deleted, _ = CommunityMember.objects.filter(community=community, person=person).delete()
    if deleted:
        audit_record(
            actor=actor, action="community.member_remove", target=community, changes={"person": person.pk}
        )
    return bool(deleted)


@transaction.atomic
def session_create(
    *, actor: Any, community: Community, title: str, held_on: dt.date, **fields: Any
) -> Session:
    """Record a session of a community; its agenda and notes become searchable."""
    _require_editable(actor, community)
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    session = Session(community=community, title=(title or "").strip(), held_on=held_on, **fields)
    full_clean(session)
    session.save()
    indexing.index(session)
    audit_record(actor=actor, action="session.create", target=session, collective=community.collective)
    return session


@transaction.atomic
def session_update(*, actor: Any, session: Session, **changes: Any) -> Session:
    _require_editable(actor, session.community)
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(session, list(changes))
    for name, value in changes.items():
        setattr(session, name, value)
    full_clean(session)
    session.save()
    indexing.index(session)
    audit_record(
        actor=actor,
        action="session.update",
        target=session,
        collective=session.community.collective,
        changes=diff_fields(session, before, list(changes)),
    )
    return session


# --- the library ----------------------------------------------------------------------------------


@transaction.atomic
def resource_create(
    *,
    actor: Any,
    collective: Collective,
    title: str,
    group: Group | None = None,
    upload: tuple[str, bytes] | None = None,
    **fields: Any,
) -> Resource:
    """Add a document to the library: an uploaded file `(name, bytes)` (its text extracted), text
    written here, or a web link (with a description). Indexed at once."""
    unknown = set(fields) - set(RESOURCE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    problems = _check_group(collective, group, "group")
    community = fields.get("community")
    if community is not None and community.collective_id != collective.pk:
        problems.append(
            Problem("invalid_community", "This community belongs to another collective.", field="community")
        )
    if problems:
        raise DomainError(problems)
    _require_owner_rights(actor, collective, group, "group")
    fields["tags"] = _clean_tags(fields.get("tags"))
    if "language" in fields:
        fields["language"] = languages.clean(fields["language"], field="language", max_length=LANGUAGE_LENGTH)
    resource = Resource(collective=collective, title=(title or "").strip(), group=group, **fields)
    if upload is not None:
        name, data = upload
        resource.kind = Resource.Kind.FILE
        resource.text = extract_text(name, data)
        resource.file.save(name.rsplit("/", 1)[-1], ContentFile(data), save=False)
    elif resource.url and not resource.text:
        resource.kind = Resource.Kind.LINK
    else:
        resource.kind = Resource.Kind.TEXT
    if not (resource.text or resource.url):
        raise DomainError.single("empty", "Upload a file, write the text, or give a link.", field="text")
    full_clean(resource, exclude=["file"])
    resource.save()
    indexing.index(resource)
    audit_record(
        actor=actor, action="resource.create", target=resource, changes=snapshot(resource, ["title", "kind"])
    )
    return resource


@transaction.atomic
def resource_update(*, actor: Any, resource: Resource, **changes: Any) -> Resource:
    """Change a document's details or text and re-index it."""
    _require_editable(actor, resource)
    unknown = set(changes) - set(RESOURCE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "group" in changes:
        problems = _check_group(resource.collective, changes["group"], "group")
        if problems:
            raise DomainError(problems)
        _require_owner_rights(actor, resource.collective, changes["group"], "group")
    if "tags" in changes:
        changes["tags"] = _clean_tags(changes["tags"])
    if "language" in changes:
        changes["language"] = languages.clean(
            changes["language"], field="language", max_length=LANGUAGE_LENGTH
        )
    before = snapshot(resource, [k for k in changes if k != "text"])
    for name, value in changes.items():
        setattr(resource, name, value)
    full_clean(resource, exclude=["file"])
    resource.save()
    indexing.index(resource)
    diff = diff_fields(resource, before, [k for k in changes if k != "text"])
    if "text" in changes:
        diff["text"] = ["…", f"{len(resource.text)} characters"]
    audit_record(actor=actor, action="resource.update", target=resource, changes=diff)
    return resource


@transaction.atomic
def resource_delete(*, actor: Any, resource: Resource) -> None:
    """Delete a document, its file and its passages."""
    _require_editable(actor, resource)
    indexing.unindex(resource)
    audit_record(actor=actor, action="resource.delete", target=resource)
    if resource.file:
        name = resource.file.name or ""
        storage = resource.file.storage
        transaction.on_commit(lambda: storage.delete(name))
    resource.delete()
