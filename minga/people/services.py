"""Writes about people: records, consent, memberships, invitations, export and erasure."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from minga.architecture.models import Group
from minga.core import languages
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.choices import ROLE_RANK, Role
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective, hash_token
from minga.core.scoping import forget_scope, scope_for
from minga.people.models import LANGUAGE_LENGTH, Invitation, Membership, Person

PERSON_FIELDS = ["full_name", "email", "external_id", "preferred_language", "skills", "consent_purpose"]
# Values of these fields never go into the append-only audit log (an erasure could not remove them).
PERSONAL_FIELDS = {"full_name", "email", "external_id", "consent_purpose"}
INVITATION_DAYS = 14


def highest_role_over(actor: Any, group: Group) -> str | None:
    """The highest role `actor` holds that reaches `group` (admin of its collective, coordinator above
    it, lead of it), or None. Used to stop anyone granting a role above their own."""
    scope = scope_for(actor)
    if scope.is_superuser or group.collective_id in scope.admin_collectives:
        return Role.ADMIN
    if scope.covers_path(group.path, for_edit=True):
        return Role.COORDINATOR
    if group.pk in scope.lead_groups:
        return Role.LEAD
    return None


def _require_valid_role(role: str) -> None:
    if role not in Role.values:
        raise DomainError.single("invalid_role", f"Unknown role “{role}”.", field="role")


def _require_can_grant(actor: Any, group: Group, role: str) -> None:
    _require_valid_role(role)
    own = highest_role_over(actor, group)
    if own is None:
        raise NotFound("group")
    if ROLE_RANK[role] > ROLE_RANK[own] or (role == own and own != Role.ADMIN):
        raise DomainError.single(
            "role_too_high", f"You cannot grant the role “{Role(role).label}” in this group.", field="role"
        )


def can_manage_person(actor: Any, person: Person) -> bool:
    """Whether `actor` may change who `person` is (profile, invitation, erasure): an admin of the
    collective, or someone who outranks every current role the person holds, in each of those groups.

    Seeing a person through one shared group is not enough: a lead must not rename, re-invite or erase
    a coordinator who happens to be a member of the lead's group.
    """
    scope = scope_for(actor)
    if scope.is_superuser or person.collective_id in scope.admin_collectives:
        return True
    if scope.is_anonymous:
        return False
    memberships = list(Membership.objects.filter(person=person).active().select_related("group"))
    if not memberships:
        return False
    for membership in memberships:
        own = highest_role_over(actor, membership.group)
        if own is None or ROLE_RANK[own] <= ROLE_RANK[membership.role]:
            return False
    return True


def _person_label(person: Person | int) -> str:
    """How the audit log names a person: by id only, so an erasure leaves no name behind."""
    return f"person #{person if isinstance(person, int) else person.pk}"


def _redacted(changes: dict[str, list[Any]]) -> dict[str, Any]:
    return {name: "(changed)" if name in PERSONAL_FIELDS else value for name, value in changes.items()}


def _save_person(person: Person) -> None:
    """Save, turning a lost race on the unique email / external id into the same problem as the check."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as error:
        problems = _duplicate_problems(person)
        if not problems:
            raise
        raise DomainError(problems) from error


@transaction.atomic
def person_create(
    *,
    actor: Any,
    collective: Collective,
    full_name: str,
    email: str = "",
    external_id: str = "",
    preferred_language: str = "en",
    skills: list[str] | None = None,
    consent_purpose: str = "",
    consent_given_at: dt.datetime | None = None,
    group: Group | None = None,
    role: str = Role.MEMBER,
    started_on: dt.date | None = None,
) -> Person:
    """Register a person, optionally straight into a group with a role (the usual case for leads).

    Only admins register someone without a group; everybody else adds people to a group they may grant
    `role` in.
    """
    scope = scope_for(actor)
    if group is None and not (scope.is_superuser or collective.pk in scope.admin_collectives):
        if not Group.objects.editable_by(actor).filter(collective=collective).exists():
            raise NotFound("collective")
        raise DomainError.single("group_required", "Choose the group this person joins.", field="group")
    if group is not None:
        if group.collective_id != collective.pk:
            raise DomainError.single(
                "invalid_group", "The group belongs to another collective.", field="group"
            )
        _require_can_grant(actor, group, role)
    person = Person(
        collective=collective,
        full_name=full_name.strip(),
        email=email.strip().lower(),
        external_id=external_id.strip(),
        preferred_language=preferred_language,
        skills=skills or [],
        consent_purpose=consent_purpose,
        consent_given_at=consent_given_at,
    )
    problems = _duplicate_problems(person) + _language_problems(person)
    if consent_given_at is not None and consent_given_at > timezone.now():
        problems.append(
            Problem("date_in_future", "Consent cannot be given in the future.", field="consent_given_at")
        )
    if consent_given_at is not None and not consent_purpose.strip():
        problems.append(Problem("purpose_required", "Say what the consent is for.", field="consent_purpose"))
    if problems:
        raise DomainError(problems)
    full_clean(person)
    _save_person(person)
    audit_record(actor=actor, action="person.create", target=person, target_repr=_person_label(person))
    if group is not None:
        _membership_insert(actor=actor, person=person, group=group, role=role, started_on=started_on)
    return person


def _language_problems(person: Person) -> list[Problem]:
    """Canonicalises the person's preferred language (the rule of `core.languages`, as the form and
    the import read it); empty means no preference."""
    if not person.preferred_language:
        return []
    try:
        person.preferred_language = languages.clean(
            person.preferred_language, field="preferred_language", max_length=LANGUAGE_LENGTH
        )
    except DomainError as error:
        return error.problems
    return []


def _duplicate_problems(person: Person) -> list[Problem]:
    problems = []
    others = Person.objects.filter(collective_id=person.collective_id).exclude(pk=person.pk)
    if person.email and others.filter(email__iexact=person.email).exists():
        problems.append(
            Problem("duplicate_email", "Someone in this collective already has this email.", field="email")
        )
    if person.external_id and others.filter(external_id=person.external_id).exists():
        problems.append(
            Problem("duplicate_external_id", "This external id is already used.", field="external_id")
        )
    return problems


def _lock_manageable(actor: Any, person: Person, *, allow_self: bool) -> Person:
    locked = (
        Person.objects.editable_by(actor)
        .select_for_update()
        .select_related("collective")
        .filter(pk=person.pk)
        .first()
    )
    if locked is None:
        raise NotFound("person")
    is_self = locked.user_id is not None and locked.user_id == scope_for(actor).user_id
    if not ((allow_self and is_self) or can_manage_person(actor, locked)):
        raise DomainError.single(
            "outside_reach",
            "This person also holds roles outside your reach; ask their coordinator or an admin.",
        )
    return locked


@transaction.atomic
def person_update(*, actor: Any, person: Person, **changes: Any) -> Person:
    """Change a person's record. People edit their own; others need to outrank all their roles."""
    locked = _lock_manageable(actor, person, allow_self=True)
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(locked, PERSON_FIELDS)
    for name, value in changes.items():
        if value is None and name != "skills":
            value = ""
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    locked.email = locked.email.lower()
    if locked.skills is None:
        locked.skills = []
    problems = _duplicate_problems(locked)
    if "preferred_language" in changes:
        problems += _language_problems(locked)
    if not isinstance(locked.skills, list) or not all(isinstance(x, str) for x in locked.skills):
        problems.append(Problem("invalid_skills", "Skills are a list of short words.", field="skills"))
    if problems:
        raise DomainError(problems)
    full_clean(locked)
    _save_person(locked)
    diff = diff_fields(locked, before, PERSON_FIELDS)
    if diff:
        audit_record(
            actor=actor,
            action="person.update",
            target=locked,
            target_repr=_person_label(locked),
            changes=_redacted(diff),
        )
    return locked


@transaction.atomic
def person_consent_record(*, actor: Any, person: Person, purpose: str, given: bool) -> Person:
    """Record consent given (with its purpose) or withdrawn, dated now. Anyone who may edit the
    person's record may note it (a lead often records consent given on paper)."""
    locked = Person.objects.editable_by(actor).select_for_update().filter(pk=person.pk).first()
    if locked is None:
        raise NotFound("person")
    now = timezone.now()
    if given:
        if not purpose.strip():
            raise DomainError.single(
                "purpose_required", "Say what the consent is for.", field="consent_purpose"
            )
        locked.consent_purpose, locked.consent_given_at, locked.consent_withdrawn_at = (
            purpose.strip(),
            now,
            None,
        )
    else:
        if not locked.has_consent:
            raise DomainError.single(
                "no_consent", "There is no consent on record to withdraw.", field="consent_purpose"
            )
        locked.consent_withdrawn_at = now
    locked.save(update_fields=["consent_purpose", "consent_given_at", "consent_withdrawn_at", "updated_at"])
    audit_record(
        actor=actor,
        action="person.consent" if given else "person.consent_withdrawn",
        target=locked,
        target_repr=_person_label(locked),
    )
    return locked


def person_export(*, actor: Any, person: Person) -> dict[str, Any]:
    """Everything Minga holds about a person, as plain data (the right of access).

    Memberships are those `actor` may see: all of them for the person themself and for admins, only
    those within their reach for a lead or coordinator (no leak of private groups elsewhere).
    """
    person = Person.objects.visible_to(actor).select_related("collective").filter(
        pk=person.pk
    ).first() or _not_found("person")
    memberships = (
        Membership.objects.visible_to(actor).filter(person=person).select_related("group").order_by("id")
    )
    audit_record(actor=actor, action="person.export", target=person, target_repr=_person_label(person))
    return {
        "collective": person.collective.slug,
        "full_name": person.full_name,
        "email": person.email,
        "external_id": person.external_id,
        "preferred_language": person.preferred_language,
        "skills": person.skills,
        "has_login": person.user_id is not None,
        "consent": {
            "purpose": person.consent_purpose,
            "given_at": person.consent_given_at.isoformat() if person.consent_given_at else None,
            "withdrawn_at": person.consent_withdrawn_at.isoformat() if person.consent_withdrawn_at else None,
        },
        "memberships": [
            {
                "group": m.group.name,
                "group_code": m.group.code,
                "role": m.role,
                "started_on": m.started_on.isoformat(),
                "ended_on": m.ended_on.isoformat() if m.ended_on else None,
            }
            for m in memberships
        ],
        "created_at": person.created_at.isoformat(),
    }


def _not_found(what: str) -> Any:
    raise NotFound(what)


@transaction.atomic
def person_erase(*, actor: Any, person: Person) -> None:
    """Erase a person (right to erasure): their record, memberships and invitations go, and their login
    too when it serves no other collective. The audit keeps only that an erasure happened, by id.

    Only someone who outranks every role the person holds (or an admin) may erase them.
    """
    locked = _lock_manageable(actor, person, allow_self=False)
    pk, collective, user = locked.pk, locked.collective, locked.user
    memberships = Membership.objects.filter(person=locked).count()
    Invitation.objects.filter(person=locked).delete()
    Membership.objects.filter(person=locked).delete()
    locked.delete()
    if user is not None:
        forget_scope(user)
        if not (user.is_staff or user.is_superuser or Person.objects.filter(user=user).exists()):
            _scrub_login(user)
    locked.pk = pk
    audit_record(
        actor=actor,
        action="person.erase",
        target=locked,
        collective=collective,
        target_repr=f"{_person_label(pk)} (erased)",
        changes={"memberships": memberships, "login_erased": user is not None},
    )


def _scrub_login(user: Any) -> None:
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


# --- memberships ----------------------------------------------------------------------------------


@transaction.atomic
def membership_create(
    *,
    actor: Any,
    person: Person,
    group: Group,
    role: str = Role.MEMBER,
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
) -> Membership:
    """Give `person` (someone `actor` can already see) a role in `group`. Nobody grants a role above
    their own; an admin grants any role."""
    if person.collective_id != group.collective_id:
        raise DomainError.single(
            "invalid_group", "The person and the group belong to different collectives.", field="group"
        )
    # The person must already be within reach: adding someone to your own group must not be a way to
    # read records you could not see.
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise NotFound("person")
    _require_can_grant(actor, group, role)
    return _membership_insert(
        actor=actor, person=person, group=group, role=role, started_on=started_on, ended_on=ended_on
    )


def _membership_label(membership: Membership) -> str:
    return f"{_person_label(membership.person_id)}: {membership.role} of {membership.group.code}"


def _membership_insert(
    *,
    actor: Any,
    person: Person,
    group: Group,
    role: str,
    started_on: dt.date | None,
    ended_on: dt.date | None = None,
) -> Membership:
    _require_valid_role(role)
    membership = Membership(
        person=person,
        group=group,
        role=role,
        started_on=started_on or timezone.localdate(),
        ended_on=ended_on,
    )
    problems = []
    if ended_on and ended_on < membership.started_on:
        problems.append(
            Problem("dates_out_of_order", "A membership cannot end before it starts.", field="ended_on")
        )
    if (
        ended_on is None
        and Membership.objects.filter(person=person, group=group, role=role, ended_on__isnull=True).exists()
    ):
        problems.append(
            Problem(
                "duplicate_membership", "This person already holds this role in this group.", field="role"
            )
        )
    if problems:
        raise DomainError(problems)
    full_clean(membership)
    membership.save()
    audit_record(
        actor=actor,
        action="membership.create",
        target=membership,
        collective=group.collective,
        target_repr=_membership_label(membership),
        changes={"person": person.pk, "group": group.code, "role": role},
    )
    if person.user_id:
        forget_scope(person.user)
    return membership


@transaction.atomic
def membership_end(*, actor: Any, membership: Membership, ended_on: dt.date | None = None) -> Membership:
    """End a membership (history is kept: memberships are dated, not deleted)."""
    locked = (
        Membership.objects.editable_by(actor)
        .select_for_update()
        .select_related("group", "group__collective", "person")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise NotFound("membership")
    _require_can_grant(actor, locked.group, locked.role)
    day = ended_on or timezone.localdate()
    if locked.ended_on is not None and locked.ended_on <= timezone.localdate():
        raise DomainError.single("already_ended", "This membership has already ended.", field="ended_on")
    if day < locked.started_on:
        raise DomainError.single(
            "dates_out_of_order", "A membership cannot end before it starts.", field="ended_on"
        )
    locked.ended_on = day
    locked.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="membership.end",
        target=locked,
        collective=locked.group.collective,
        target_repr=_membership_label(locked),
        changes={"ended_on": day.isoformat()},
    )
    if locked.person.user_id is not None and locked.person.user_id == getattr(actor, "pk", None):
        forget_scope(actor)  # the actor ended their own role: their cached reach is stale
    return locked


# --- invitations ----------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *, actor: Any, person: Person, group: Group, role: str = Role.MEMBER, base_url: str = ""
) -> tuple[Invitation, str]:
    """Invite a person (who has an email) to log in and take a role. Returns the invitation and its
    one-time link; the link is also emailed."""
    if person.collective_id != group.collective_id:
        raise DomainError.single(
            "invalid_group", "The person and the group belong to different collectives.", field="group"
        )
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise NotFound("person")
    _require_can_grant(actor, group, role)
    # Accepting binds the login to this person: only someone who manages the person may send it.
    if not can_manage_person(actor, person):
        raise DomainError.single(
            "outside_reach",
            "This person also holds roles outside your reach; ask their coordinator or an admin.",
        )
    if person.user_id is not None:
        raise DomainError.single(
            "has_login", "This person already has a login; add a membership instead.", field="email"
        )
    if not person.email:
        raise DomainError.single(
            "email_required", "This person has no email address to invite.", field="email"
        )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        person=person,
        group=group,
        role=role,
        token_hash=hash_token(raw),
        invited_by=actor if getattr(actor, "is_authenticated", False) else None,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    link = f"{base_url.rstrip('/')}/invitations/{raw}/"
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {group.collective.name} on Minga",
            message=(
                f"Hello {person.full_name},\n\nYou have been invited to join {group.name} as "
                f"{Role(role).label}. Set your password here (valid for {INVITATION_DAYS} days):\n\n{link}\n"
            ),
            from_email=None,
            recipient_list=[person.email],
        )
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        target=invitation,
        collective=group.collective,
        target_repr=f"invitation of {_person_label(person)} to {group.code}",
        changes={"role": role},
    )
    return invitation, link


def invitation_find(raw_token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("person", "group", "group__collective")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )
    if invitation is None or not invitation.is_open:
        raise NotFound("invitation")
    return invitation


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str) -> Any:
    """Accept an invitation: create (or reuse) the login, attach the person, start the membership."""
    invitation = invitation_find(raw_token)
    person = invitation.person
    User = get_user_model()
    user = User.objects.filter(email__iexact=person.email).first()
    if person.user_id is not None and (user is None or user.pk != person.user_id):
        # The person got a different login since the invitation was sent: never rebind it.
        raise NotFound("invitation")
    if user is None:
        user = User(
            username=person.email.lower(), email=person.email.lower(), first_name=person.full_name[:150]
        )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError([Problem("weak_password", m, field="password") for m in error.messages]) from error
    user.set_password(password)
    user.save()
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    if not Membership.objects.filter(
        person=person, group=invitation.group, role=invitation.role, ended_on__isnull=True
    ).exists():
        Membership.objects.create(person=person, group=invitation.group, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    forget_scope(user)
    audit_record(
        actor=user,
        action="invitation.accept",
        target=invitation,
        collective=invitation.group.collective,
        target_repr=f"invitation of {_person_label(person)} to {invitation.group.code}",
    )
    return user
