"""Writes to pathways, stages, group progress and the strategy log.

Who may do what (checked here, so the pages, the API and the CLI agree):
- a collective's backbone admins write pathways, stages and strategy revisions;
- a group's lead (and the coordinators above it, and admins) submit its progress and move it back;
- a stage that `requires_verification` leaves a submission pending until a coordinator of the group's
  subtree (or an admin) verifies or rejects it; a coordinator's own submission counts as verified;
- coordinators record progress for many groups of their subtree at once (`progress_bulk_set`).
Every service runs in one transaction, raises `DomainError` (every problem found) or `NotFound`
(object out of reach), and writes an audit entry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from minga.architecture.models import Group, Layer
from minga.core import languages
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.choices import Role
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement.models import TOTAL, DataValue, Indicator
from minga.pathways.models import (
    GroupProgress,
    Pathway,
    PathwayVersion,
    ProgressEntry,
    Stage,
    StageCondition,
    StrategyRevision,
)

LANGUAGE_LENGTH = Pathway._meta.get_field("language").max_length
PATHWAY_FIELDS = [
    "name",
    "summary",
    "vision",
    "principles",
    "methods",
    "practices",
    "language",
    "owner",
    "visibility",
]
TEXT_FIELDS = ["summary", "vision", "principles", "methods", "practices"]
STAGE_FIELDS = ["name", "description", "checklist", "requires_verification"]
STRATEGY_FIELDS = [
    "decided_on",
    "title",
    "what_changed",
    "why",
    "evidence",
    "decided_by",
    "link",
    "pathway",
    "visibility",
]
MAX_CHECKLIST_ITEMS = 20
MAX_LINKS = 10
MAX_BULK_GROUPS = 10_000  # explicit id lists; a whole subtree has no limit


def _unknown(changes: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")


def is_admin(actor: Any, collective: Collective | int) -> bool:
    """Whether `actor` is a backbone admin of the collective (or the platform operator)."""
    scope = scope_for(actor)
    collective_id = collective if isinstance(collective, int) else collective.pk
    return scope.is_superuser or collective_id in scope.admin_collectives


def may_verify(actor: Any, group: Group) -> bool:
    """Whether `actor` may verify a move of `group`: a coordinator of a subtree holding it, or an admin."""
    scope = scope_for(actor)
    return is_admin(actor, group.collective_id) or scope.covers_path(group.path, for_edit=True)


def may_submit(actor: Any, group: Group) -> bool:
    """Whether `actor` may submit progress for `group`: its lead, a coordinator above it, an admin."""
    scope = scope_for(actor)
    return may_verify(actor, group) or group.pk in scope.lead_groups


def may_record_in_bulk(actor: Any, collective: Collective) -> bool:
    """Whether `actor` coordinates some subtree of `collective` (or is its admin): bulk updates."""
    scope = scope_for(actor)
    return is_admin(actor, collective) or (collective.pk, Role.COORDINATOR) in scope.roles


def _require_admin(actor: Any, collective: Collective | int) -> None:
    if not is_admin(actor, collective):
        raise NotFound("pathway")


# --- pathways -------------------------------------------------------------------------------------


def _owner_problems(collective: Collective, owner: Group | None) -> list[Problem]:
    if owner is not None and owner.collective_id != collective.pk:
        return [Problem("invalid_owner", "The owning team belongs to another collective.", field="owner")]
    return []


@transaction.atomic
def pathway_create(
    *, actor: Any, collective: Collective, name: str, owner: Group | None = None, **fields: Any
) -> Pathway:
    """Create a draft pathway of `collective` (backbone admins only)."""
    _require_admin(actor, collective)
    _unknown(fields, PATHWAY_FIELDS)
    if "language" in fields:
        fields["language"] = languages.clean(fields["language"], field="language", max_length=LANGUAGE_LENGTH)
    pathway = Pathway(collective=collective, name=name.strip(), owner=owner, **fields)
    problems = _owner_problems(collective, owner)
    if problems:
        raise DomainError(problems)
    full_clean(pathway)
    pathway.save()
    audit_record(actor=actor, action="pathway.create", target=pathway, changes={"name": pathway.name})
    return pathway


def _lock_pathway(actor: Any, pathway: Pathway) -> Pathway:
    _require_admin(actor, pathway.collective_id)
    return Pathway.objects.select_for_update().select_related("collective").get(pk=pathway.pk)


@transaction.atomic
def pathway_update(*, actor: Any, pathway: Pathway, note: str = "", **changes: Any) -> Pathway:
    """Change a pathway's texts or settings. A published pathway gets a new version for the change."""
    pathway = _lock_pathway(actor, pathway)
    _unknown(changes, PATHWAY_FIELDS)
    if "language" in changes:
        changes["language"] = languages.clean(
            changes["language"], field="language", max_length=LANGUAGE_LENGTH
        )
    before = snapshot(pathway, PATHWAY_FIELDS)
    for name, value in changes.items():
        setattr(pathway, name, value.strip() if name == "name" and isinstance(value, str) else value)
    problems = _owner_problems(pathway.collective, pathway.owner)
    if problems:
        raise DomainError(problems)
    full_clean(pathway)
    diff = diff_fields(pathway, before, PATHWAY_FIELDS)
    if not diff:
        return pathway
    pathway.save()
    audit_record(actor=actor, action="pathway.update", target=pathway, changes=diff)
    if pathway.is_published:
        _new_version(actor, pathway, note or f"Changed {', '.join(sorted(diff))}")
    return pathway


@transaction.atomic
def pathway_publish(*, actor: Any, pathway: Pathway, note: str = "") -> Pathway:
    """Publish a draft pathway (it needs at least one stage): groups can then travel it."""
    pathway = _lock_pathway(actor, pathway)
    if pathway.is_published:
        raise DomainError.single("already_published", "This pathway is already published.")
    if not pathway.stages.exists():
        raise DomainError.single("no_stages", "Add at least one stage before publishing.", field="stages")
    pathway.status = Pathway.Status.PUBLISHED
    pathway.published_at = timezone.now()
    pathway.save(update_fields=["status", "published_at", "updated_at"])
    version = _new_version(actor, pathway, note or "Published")
    audit_record(actor=actor, action="pathway.publish", target=pathway, changes={"version": version.number})
    return pathway


def pathway_snapshot(pathway: Pathway) -> dict[str, Any]:
    """What a version keeps: the texts and the stages with their criteria, in order."""
    return {
        "name": pathway.name,
        "summary": pathway.summary,
        "vision": pathway.vision,
        "principles": pathway.principles,
        "methods": pathway.methods,
        "practices": pathway.practices,
        "language": pathway.language,
        "stages": [
            {
                "name": s.name,
                "description": s.description,
                "checklist": list(s.checklist),
                "requires_verification": s.requires_verification,
                "conditions": [c.describe() for c in s.conditions.select_related("indicator").order_by("id")],
            }
            for s in pathway.stages.order_by("order", "id")
        ],
    }


def _new_version(actor: Any, pathway: Pathway, note: str) -> PathwayVersion:
    number = pathway.version + 1
    version = PathwayVersion.objects.create(
        pathway=pathway,
        collective_id=pathway.collective_id,
        number=number,
        snapshot=pathway_snapshot(pathway),
        note=note[:300],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=timezone.now(),
    )
    Pathway.objects.filter(pk=pathway.pk).update(version=number)
    pathway.version = number
    return version


# --- stages ---------------------------------------------------------------------------------------


def _clean_checklist(items: Iterable[Any]) -> list[str]:
    cleaned = [str(item).strip() for item in items if str(item).strip()]
    problems = []
    if len(cleaned) > MAX_CHECKLIST_ITEMS:
        problems.append(
            Problem("too_many", f"Use at most {MAX_CHECKLIST_ITEMS} checklist items.", field="checklist")
        )
    if any(len(item) > 300 for item in cleaned):
        problems.append(Problem("too_long", "Keep each item under 300 characters.", field="checklist"))
    if len(set(cleaned)) != len(cleaned):
        problems.append(Problem("duplicate", "Each checklist item must differ.", field="checklist"))
    if problems:
        raise DomainError(problems)
    return cleaned


@transaction.atomic
def stage_create(
    *,
    actor: Any,
    pathway: Pathway,
    name: str,
    description: str = "",
    checklist: Sequence[str] = (),
    requires_verification: bool = False,
) -> Stage:
    """Add a stage at the end of `pathway`."""
    pathway = _lock_pathway(actor, pathway)
    last = pathway.stages.aggregate(last=Max("order"))["last"]
    stage = Stage(
        pathway=pathway,
        order=0 if last is None else last + 1,
        name=name.strip(),
        description=description,
        checklist=_clean_checklist(checklist),
        requires_verification=requires_verification,
    )
    full_clean(stage)
    stage.save()
    audit_record(
        actor=actor,
        action="stage.create",
        target=stage,
        collective=pathway.collective,
        changes={"pathway": pathway.name, "name": stage.name, "order": stage.order},
    )
    if pathway.is_published:
        _new_version(actor, pathway, f"Added the stage “{stage.name}”")
    return stage


@transaction.atomic
def stage_update(*, actor: Any, stage: Stage, **changes: Any) -> Stage:
    """Change a stage's name, description, checklist or verification rule."""
    pathway = _lock_pathway(actor, stage.pathway)
    _unknown(changes, STAGE_FIELDS)
    stage = Stage.objects.get(pk=stage.pk)
    before = snapshot(stage, STAGE_FIELDS)
    if "checklist" in changes:
        changes["checklist"] = _clean_checklist(changes["checklist"])
    for name, value in changes.items():
        setattr(stage, name, value.strip() if name == "name" and isinstance(value, str) else value)
    full_clean(stage)
    diff = diff_fields(stage, before, STAGE_FIELDS)
    if not diff:
        return stage
    stage.save()
    audit_record(
        actor=actor, action="stage.update", target=stage, collective=pathway.collective, changes=diff
    )
    if pathway.is_published:
        _new_version(actor, pathway, f"Changed the stage “{stage.name}”")
    return stage


@transaction.atomic
def stage_delete(*, actor: Any, stage: Stage) -> None:
    """Remove a stage no group has ever entered (history keeps the others)."""
    pathway = _lock_pathway(actor, stage.pathway)
    if ProgressEntry.objects.filter(stage=stage).exists():
        raise DomainError.single(
            "stage_in_use", "Groups have entered this stage; rename it instead of removing it."
        )
    name = stage.name
    audit_record(
        actor=actor,
        action="stage.delete",
        target=stage,
        collective=pathway.collective,
        changes={"name": name},
    )
    stage.delete()
    if pathway.is_published:
        _new_version(actor, pathway, f"Removed the stage “{name}”")


@transaction.atomic
def stage_reorder(*, actor: Any, pathway: Pathway, stage_ids: Sequence[int]) -> list[Stage]:
    """Put the stages of `pathway` in the order of `stage_ids` (every stage, once each)."""
    pathway = _lock_pathway(actor, pathway)
    stages = {s.pk: s for s in pathway.stages.all()}
    if sorted(stage_ids) != sorted(stages) or len(set(stage_ids)) != len(stage_ids):
        raise DomainError.single(
            "invalid_order", "List every stage of this pathway exactly once.", field="stage_ids"
        )
    before = [s.pk for s in sorted(stages.values(), key=lambda s: (s.order, s.pk))]
    if list(stage_ids) == before:
        return [stages[i] for i in stage_ids]
    for position, stage_id in enumerate(stage_ids):
        stages[stage_id].order = position
    Stage.objects.bulk_update(stages.values(), ["order"])
    audit_record(
        actor=actor, action="stage.reorder", target=pathway, changes={"order": [before, list(stage_ids)]}
    )
    if pathway.is_published:
        _new_version(actor, pathway, "Reordered the stages")
    return [stages[i] for i in stage_ids]


@transaction.atomic
def stage_condition_add(
    *,
    actor: Any,
    stage: Stage,
    indicator: Indicator,
    threshold: float,
    comparison: str = StageCondition.Comparison.AT_LEAST,
    periods: int = 1,
) -> StageCondition:
    """Add an indicator condition to a stage (a numeric indicator of the same collective)."""
    pathway = _lock_pathway(actor, stage.pathway)
    problems = []
    if indicator.collective_id != pathway.collective_id:
        problems.append(
            Problem("invalid_indicator", "This indicator belongs to another collective.", field="indicator")
        )
    elif not indicator.is_numeric:
        problems.append(Problem("not_numeric", "Choose an indicator with numeric values.", field="indicator"))
    if problems:
        raise DomainError(problems)
    condition = StageCondition(
        stage=stage, indicator=indicator, comparison=comparison, threshold=threshold, periods=periods
    )
    full_clean(condition)
    condition.save()
    audit_record(
        actor=actor,
        action="stage.condition_add",
        target=stage,
        collective=pathway.collective,
        changes={"condition": condition.describe()},
    )
    if pathway.is_published:
        _new_version(actor, pathway, f"Added a condition to “{stage.name}”")
    return condition


@transaction.atomic
def stage_condition_remove(*, actor: Any, condition: StageCondition) -> None:
    """Remove an indicator condition from its stage."""
    stage = condition.stage
    pathway = _lock_pathway(actor, stage.pathway)
    text = condition.describe()
    condition.delete()
    audit_record(
        actor=actor,
        action="stage.condition_remove",
        target=stage,
        collective=pathway.collective,
        changes={"condition": text},
    )
    if pathway.is_published:
        _new_version(actor, pathway, f"Removed a condition from “{stage.name}”")


# --- progress -------------------------------------------------------------------------------------


def _clean_links(links: Iterable[str]) -> list[str]:
    cleaned = [link.strip() for link in links if link and link.strip()]
    validate = URLValidator(schemes=["http", "https"])
    problems = []
    for link in cleaned:
        try:
            validate(link)
        except ValidationError:
            problems.append(Problem("invalid_link", f"“{link[:80]}” is not a web address.", field="links"))
    if len(cleaned) > MAX_LINKS:
        problems.append(Problem("too_many", f"Give at most {MAX_LINKS} links.", field="links"))
    if problems:
        raise DomainError(problems)
    return cleaned


@dataclass(frozen=True)
class ConditionCheck:
    """A stage condition evaluated for one group: the values it looked at, newest first, and the verdict."""

    condition: StageCondition
    values: list[tuple[str, float]]  # (period code, value)

    @property
    def met(self) -> bool:
        return len(self.values) >= self.condition.periods and all(
            self.condition.holds_for(value) for _, value in self.values
        )


def condition_checks(stage: Stage, group: Group) -> list[ConditionCheck]:
    """Evaluate the stage's indicator conditions against the group's own reported totals: the group's
    last N reported periods of the indicator must each meet the threshold (one query per condition)."""
    checks = []
    for condition in stage.conditions.select_related("indicator").order_by("id"):
        rows = (
            DataValue.objects.filter(
                indicator_id=condition.indicator_id, group=group, option=TOTAL, value__isnull=False
            )
            .order_by("-period__start")
            .values_list("period__code", "value")[: condition.periods]
        )
        checks.append(ConditionCheck(condition, [(code, float(v)) for code, v in rows if v is not None]))
    return checks


def condition_problems(stage: Stage, group: Group) -> list[Problem]:
    """The stage's unmet indicator conditions for `group`, as problems on the field "conditions".

    Called by every submission (page, API), so the rule holds everywhere at once.
    """
    problems = []
    for check in condition_checks(stage, group):
        if not check.met:
            seen = ", ".join(f"{v:g} ({code})" for code, v in check.values) or "nothing reported yet"
            problems.append(
                Problem(
                    "condition_unmet",
                    f"Needs {check.condition.describe()}; reported: {seen}.",
                    field="conditions",
                )
            )
    return problems


def next_stage(pathway: Pathway, current: Stage | None) -> Stage | None:
    """The stage after `current` (the first stage when the group has not started)."""
    stages = pathway.stages.order_by("order", "id")
    if current is None:
        return stages.first()
    return stages.filter(order__gt=current.order).first()


def _entry_date(entered_on: dt.date | None, progress: GroupProgress | None) -> dt.date:
    today = timezone.localdate()
    day = entered_on or today
    if day > today:
        raise DomainError.single("future_date", "The date cannot be in the future.", field="entered_on")
    if progress is not None and day < progress.stage_entered_on:
        raise DomainError.single(
            "date_before_current",
            f"The group entered its current stage on {progress.stage_entered_on:%-d %b %Y}; "
            "a later move cannot be dated earlier.",
            field="entered_on",
        )
    return day


def _lock_progress(pathway: Pathway, group: Group) -> GroupProgress | None:
    return (
        GroupProgress.objects.select_for_update()
        .select_related("stage")
        .filter(pathway=pathway, group=group)
        .first()
    )


def _check_traveller(actor: Any, pathway: Pathway, group: Group) -> None:
    if group.collective_id != pathway.collective_id:
        raise NotFound("group")
    if not may_submit(actor, group):
        raise NotFound("group")
    if not pathway.is_published:
        raise DomainError.single("not_published", "Groups can travel a pathway once it is published.")


def _enter(
    *, progress: GroupProgress | None, pathway: Pathway, group: Group, stage: Stage, day: dt.date
) -> GroupProgress:
    """Make `stage` the group's current stage from `day`: close the open history row, move the pointer."""
    if progress is None:
        return GroupProgress.objects.create(
            pathway=pathway, group=group, stage=stage, started_on=day, stage_entered_on=day
        )
    ProgressEntry.objects.filter(
        progress=progress, status=ProgressEntry.Status.ACCEPTED, left_on__isnull=True
    ).update(left_on=day)
    progress.stage = stage
    progress.stage_entered_on = day
    progress.save(update_fields=["stage", "stage_entered_on", "updated_at"])
    return progress


@transaction.atomic
def progress_submit(
    *,
    actor: Any,
    pathway: Pathway,
    group: Group,
    stage: Stage,
    evidence: str = "",
    links: Sequence[str] = (),
    checklist: Sequence[str] = (),
    evidence_file: UploadedFile[Any] | None = None,
    entered_on: dt.date | None = None,
) -> ProgressEntry:
    """Move `group` forward to `stage` (the next one) with evidence.

    Every checklist item of the stage must be confirmed and some evidence given (text, a link or a
    file; joining the first stage needs only the checklist). When the stage requires verification and
    the actor may not verify, the entry waits (status pending) and the group stays where it is.
    """
    _check_traveller(actor, pathway, group)
    if stage.pathway_id != pathway.pk:
        raise DomainError.single("invalid_stage", "This stage belongs to another pathway.", field="stage")
    progress = _lock_progress(pathway, group)
    if ProgressEntry.objects.filter(
        pathway=pathway, group=group, status=ProgressEntry.Status.PENDING
    ).exists():
        raise DomainError.single(
            "already_pending", "A move of this group is waiting for verification.", field="stage"
        )
    expected = next_stage(pathway, progress.stage if progress else None)
    problems: list[Problem] = []
    if expected is None:
        problems.append(Problem("last_stage", "The group has reached the last stage.", field="stage"))
    elif stage.pk != expected.pk:
        problems.append(
            Problem("not_next_stage", f"The next stage for this group is “{expected.name}”.", field="stage")
        )
    confirmed = [str(item).strip() for item in checklist]
    missing = [item for item in stage.checklist if item not in confirmed]
    if missing:
        problems.append(
            Problem(
                "checklist_incomplete",
                "Confirm every entry criterion: " + "; ".join(missing) + ".",
                field="checklist",
            )
        )
    clean_links: list[str] = []
    try:
        clean_links = _clean_links(links)
    except DomainError as error:
        problems.extend(error.problems)
    unmet = condition_problems(stage, group)
    measured = stage.conditions.exists() and not unmet  # satisfied conditions are evidence enough
    if progress is not None and not (evidence.strip() or clean_links or evidence_file or measured):
        problems.append(
            Problem(
                "evidence_required", "Describe what the group did, or add a link or a file.", field="evidence"
            )
        )
    problems.extend(unmet)
    if problems:
        raise DomainError(problems)
    day = _entry_date(entered_on, progress)
    verified = not stage.requires_verification or may_verify(actor, group)
    now = timezone.now()
    starting = progress is None or not progress.entries.exists()
    if verified:
        progress = _enter(progress=progress, pathway=pathway, group=group, stage=stage, day=day)
    # Otherwise the request waits; a group asking to join at a first stage that needs verification has
    # no progress yet: a coordinator's verification creates it.
    entry = ProgressEntry(
        pathway=pathway,
        group=group,
        progress=progress,
        stage=stage,
        kind=ProgressEntry.Kind.START if starting else ProgressEntry.Kind.FORWARD,
        status=ProgressEntry.Status.ACCEPTED if verified else ProgressEntry.Status.PENDING,
        entered_on=day,
        evidence=evidence.strip(),
        links=clean_links,
        checklist=[item for item in stage.checklist if item in confirmed],
        submitted_by=actor,
        submitted_at=now,
        verified_by=actor if verified and stage.requires_verification else None,
        verified_at=now if verified and stage.requires_verification else None,
    )
    if evidence_file is not None:
        entry.evidence_file = evidence_file
    full_clean(entry, exclude=["progress", "group", "pathway", "stage", "submitted_by", "verified_by"])
    entry.save()
    audit_record(
        actor=actor,
        action="progress.submit" if entry.status == ProgressEntry.Status.PENDING else "progress.advance",
        target=entry,
        collective=pathway.collective,
        changes={"group": group.name, "stage": stage.name, "status": entry.status},
    )
    return entry


def _lock_pending(actor: Any, entry: ProgressEntry) -> ProgressEntry:
    locked = (
        ProgressEntry.objects.verifiable_by(actor)
        .select_for_update(of=("self",))  # the progress is an outer join (a request to join has none)
        .select_related("pathway__collective", "group", "stage", "progress")
        .filter(pk=entry.pk)
        .first()
    )
    if locked is None:
        decided = ProgressEntry.objects.filter(pk=entry.pk).exclude(status=ProgressEntry.Status.PENDING)
        if decided.exists() and may_verify(actor, entry.group):
            raise DomainError.single("not_pending", "This move was already decided.")
        raise NotFound("progress entry")
    return locked


@transaction.atomic
def progress_verify(*, actor: Any, entry: ProgressEntry) -> ProgressEntry:
    """Accept a pending move: the group enters the stage on the day it said it did."""
    entry = _lock_pending(actor, entry)
    if entry.submitted_by_id == getattr(actor, "pk", None) and not is_admin(actor, entry.pathway.collective):
        raise DomainError.single("own_submission", "Someone other than the submitter must verify it.")
    progress = _lock_progress(entry.pathway, entry.group)  # None: the group asked to join
    day = max(entry.entered_on, progress.stage_entered_on) if progress else entry.entered_on
    progress = _enter(progress=progress, pathway=entry.pathway, group=entry.group, stage=entry.stage, day=day)
    entry.progress = progress
    entry.status = ProgressEntry.Status.ACCEPTED
    entry.entered_on = day
    entry.verified_by = actor
    entry.verified_at = timezone.now()
    entry.save(update_fields=["progress", "status", "entered_on", "verified_by", "verified_at"])
    audit_record(
        actor=actor,
        action="progress.verify",
        target=entry,
        collective=entry.pathway.collective,
        changes={"group": entry.group.name, "stage": entry.stage.name},
    )
    return entry


@transaction.atomic
def progress_reject(*, actor: Any, entry: ProgressEntry, reason: str) -> ProgressEntry:
    """Refuse a pending move, saying why; the group stays where it is and may submit again."""
    entry = _lock_pending(actor, entry)
    if not reason.strip():
        raise DomainError.single("reason_required", "Say why, so the group knows what to do.", field="reason")
    entry.status = ProgressEntry.Status.REJECTED
    entry.reason = reason.strip()
    entry.verified_by = actor
    entry.verified_at = timezone.now()
    entry.save(update_fields=["status", "reason", "verified_by", "verified_at"])
    audit_record(
        actor=actor,
        action="progress.reject",
        target=entry,
        collective=entry.pathway.collective,
        changes={"group": entry.group.name, "stage": entry.stage.name, "reason": entry.reason},
    )
    return entry


@transaction.atomic
def progress_move_back(
    *,
    actor: Any,
    pathway: Pathway,
    group: Group,
    stage: Stage,
    reason: str,
    entered_on: dt.date | None = None,
) -> ProgressEntry:
    """Move `group` back to an earlier `stage`, with the reason (no verification needed)."""
    if group.collective_id != pathway.collective_id or not may_submit(actor, group):
        raise NotFound("group")
    progress = _lock_progress(pathway, group)
    if progress is None:
        raise DomainError.single("not_started", "This group has not started the pathway.", field="stage")
    problems = []
    if stage.pathway_id != pathway.pk:
        problems.append(Problem("invalid_stage", "This stage belongs to another pathway.", field="stage"))
    elif (stage.order, stage.pk) >= (progress.stage.order, progress.stage.pk):
        problems.append(Problem("not_earlier", "Choose a stage before the current one.", field="stage"))
    if not reason.strip():
        problems.append(Problem("reason_required", "Say why the group moves back.", field="reason"))
    if problems:
        raise DomainError(problems)
    day = _entry_date(entered_on, progress)
    # A move back overrides a pending move forward: that request no longer applies.
    progress.entries.filter(status=ProgressEntry.Status.PENDING).update(
        status=ProgressEntry.Status.REJECTED, reason="Superseded by a move back.", verified_at=timezone.now()
    )
    _enter(progress=progress, pathway=pathway, group=group, stage=stage, day=day)
    now = timezone.now()
    entry = ProgressEntry.objects.create(
        pathway=pathway,
        group=group,
        progress=progress,
        stage=stage,
        kind=ProgressEntry.Kind.BACK,
        status=ProgressEntry.Status.ACCEPTED,
        entered_on=day,
        reason=reason.strip(),
        submitted_by=actor,
        submitted_at=now,
    )
    audit_record(
        actor=actor,
        action="progress.move_back",
        target=entry,
        collective=pathway.collective,
        changes={"group": group.name, "stage": stage.name, "reason": entry.reason},
    )
    return entry


@transaction.atomic
def progress_bulk_set(
    *,
    actor: Any,
    pathway: Pathway,
    within: Group,
    stage: Stage,
    note: str,
    group_ids: Sequence[int] | None = None,
    layer: str | None = Layer.ACTION,
    entered_on: dt.date | None = None,
) -> int:
    """Record that the groups of a subtree (all of `layer`, or those of `group_ids`) are at `stage`.

    For coordinators of `within` (and admins): the move counts as verified, so `note` must say on what
    basis. Set-based: one UPDATE closes the open history rows, one UPDATE moves the pointers, and the new
    rows go in with bulk inserts. Groups already at `stage` are left alone. Returns how many moved.
    """
    if within.collective_id != pathway.collective_id or not may_verify(actor, within):
        raise NotFound("group")
    if not pathway.is_published:
        raise DomainError.single("not_published", "Groups can travel a pathway once it is published.")
    problems = []
    if stage.pathway_id != pathway.pk:
        problems.append(Problem("invalid_stage", "This stage belongs to another pathway.", field="stage"))
    if not note.strip():
        problems.append(Problem("note_required", "Say on what basis these groups are moved.", field="note"))
    if group_ids is not None and len(group_ids) > MAX_BULK_GROUPS:
        problems.append(Problem("too_many", f"At most {MAX_BULK_GROUPS} groups at once.", field="group_ids"))
    if problems:
        raise DomainError(problems)
    day = _entry_date(entered_on, None)
    groups = Group.objects.within(within).exclude(status="closed")
    if layer:
        groups = groups.filter(layer=layer)
    if group_ids is not None:
        groups = groups.filter(pk__in=list(group_ids))
        found = set(groups.values_list("pk", flat=True))
        outside = sorted(set(group_ids) - found)
        if outside:
            raise DomainError.single(
                "outside_subtree",
                f"{len(outside)} of the groups are not in {within.name}"
                + (f" or not in the {layer} layer" if layer else "")
                + f": {', '.join(map(str, outside[:10]))}.",
                field="group_ids",
            )
    # One bulk update per pathway at a time: the pathway row is the lock.
    Pathway.objects.select_for_update().filter(pk=pathway.pk).first()
    existing = GroupProgress.objects.filter(pathway=pathway, group__in=groups.values("pk"))
    blocked = existing.filter(stage_entered_on__gt=day).count()
    if blocked:
        raise DomainError.single(
            "date_before_current",
            f"{blocked} of the groups entered their current stage after this date.",
            field="entered_on",
        )
    now = timezone.now()
    text = note.strip()
    moving = existing.exclude(stage=stage)
    # 1. close the open history rows and withdraw pending requests of the groups that move
    ProgressEntry.objects.filter(
        progress__in=moving.values("pk"), status=ProgressEntry.Status.ACCEPTED, left_on__isnull=True
    ).update(left_on=day)
    ProgressEntry.objects.filter(
        progress__in=moving.values("pk"), status=ProgressEntry.Status.PENDING
    ).update(
        status=ProgressEntry.Status.REJECTED, reason="Superseded by a coordinator's update.", verified_at=now
    )
    # 2. their new history rows (a move to an earlier stage is recorded as a move back), then the pointers
    moved = _insert_entries(
        source=moving.values("pk"),
        pathway=pathway,
        stage=stage,
        actor=actor,
        day=day,
        now=now,
        note=text,
        kind_sql="CASE WHEN s.{order} > %s THEN 'back' ELSE 'bulk' END",
    )
    moving.update(stage=stage, stage_entered_on=day, updated_at=now)
    # 3. groups new to the pathway: their requests to join are answered by this update; their progress
    # rows, then their first history rows
    joining = groups.exclude(pk__in=GroupProgress.objects.filter(pathway=pathway).values("group_id"))
    ProgressEntry.objects.filter(
        pathway=pathway, group__in=joining.values("pk"), status=ProgressEntry.Status.PENDING
    ).update(
        status=ProgressEntry.Status.REJECTED, reason="Superseded by a coordinator's update.", verified_at=now
    )
    sql, params = joining.values("pk").query.sql_with_params()
    cast = _casts()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(GroupProgress)} "
            "(pathway_id, group_id, stage_id, started_on, stage_entered_on, updated_at) "
            f"SELECT %s, g.id, %s, {cast('date')}, {cast('date')}, {cast('timestamptz')} "
            f"FROM {_table(Group)} g WHERE g.id IN ({sql})",
            [pathway.pk, stage.pk, *_date_params(day, day), _moment(now), *params],
        )
    fresh = GroupProgress.objects.filter(pathway=pathway, group__in=groups.values("pk"), entries__isnull=True)
    moved += _insert_entries(
        source=fresh.values("pk"),
        pathway=pathway,
        stage=stage,
        actor=actor,
        day=day,
        now=now,
        note=text,
        kind_sql="'start'",
    )
    audit_record(
        actor=actor,
        action="progress.bulk_set",
        target=pathway,
        changes={"within": within.name, "stage": stage.name, "moved": moved, "note": text},
    )
    return moved


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _casts() -> Callable[[str], str]:
    """A parameter placeholder typed for PostgreSQL (untyped literals in a SELECT list are text there);
    SQLite stores the value as given."""
    if connection.vendor == "postgresql":
        names = {"date": "date", "timestamptz": "timestamp with time zone", "jsonb": "jsonb"}
        return lambda kind: f"CAST(%s AS {names[kind]})"
    return lambda kind: "%s"


def _date_params(*days: dt.date) -> list[Any]:
    return [connection.ops.adapt_datefield_value(day) for day in days]


def _moment(moment: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _insert_entries(
    *,
    source: Any,
    pathway: Pathway,
    stage: Stage,
    actor: Any,
    day: dt.date,
    now: dt.datetime,
    note: str,
    kind_sql: str,
) -> int:
    """INSERT … SELECT one accepted, verified history row at `stage` for each progress row of `source`
    (a values("pk") queryset). `kind_sql` may compare the row's current stage order (`s.{order}`)."""
    sql, params = source.query.sql_with_params()
    cast = _casts()
    order = connection.ops.quote_name("order")
    kind = kind_sql.format(order=order)
    back = f"CASE WHEN s.{order} > %s THEN %s ELSE '' END"
    kind_params = [stage.order] if "%s" in kind_sql else []
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    columns = (
        "pathway_id, group_id, progress_id, stage_id, kind, status, entered_on, left_on, evidence, links, "
        "evidence_file, checklist, reason, submitted_by_id, submitted_at, verified_by_id, verified_at"
    )
    statement = (
        f"INSERT INTO {_table(ProgressEntry)} ({columns}) "
        f"SELECT %s, p.group_id, p.id, %s, {kind}, 'accepted', {cast('date')}, NULL, %s, "
        f"{cast('jsonb')}, '', {cast('jsonb')}, {back}, %s, {cast('timestamptz')}, %s, {cast('timestamptz')} "
        f"FROM {_table(GroupProgress)} p JOIN {_table(Stage)} s ON s.id = p.stage_id "
        f"WHERE p.id IN ({sql})"
    )
    values = [
        pathway.pk,
        stage.pk,
        *kind_params,
        *_date_params(day),
        note,
        "[]",
        json.dumps(stage.checklist),
        stage.order,
        note,
        actor_id,
        _moment(now),
        actor_id,
        _moment(now),
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        return int(cursor.rowcount)


# --- strategy -------------------------------------------------------------------------------------


@transaction.atomic
def strategy_revision_create(*, actor: Any, collective: Collective, **fields: Any) -> StrategyRevision:
    """Record a dated strategy change of `collective` (backbone admins only)."""
    _require_admin(actor, collective)
    _unknown(fields, STRATEGY_FIELDS)
    revision = StrategyRevision(collective=collective, created_by=actor, **fields)
    problems = []
    if revision.pathway is not None and revision.pathway.collective_id != collective.pk:
        problems.append(
            Problem("invalid_pathway", "This pathway belongs to another collective.", field="pathway")
        )
    if revision.decided_on and revision.decided_on > timezone.localdate():
        problems.append(
            Problem("future_date", "A decision cannot be dated in the future.", field="decided_on")
        )
    if problems:
        raise DomainError(problems)
    full_clean(revision, exclude=["created_by"])
    revision.save()
    audit_record(
        actor=actor,
        action="strategy.create",
        target=revision,
        changes=snapshot(revision, ["decided_on", "title"]),
    )
    return revision


@transaction.atomic
def strategy_revision_update(*, actor: Any, revision: StrategyRevision, **changes: Any) -> StrategyRevision:
    """Correct a strategy revision (the audit log keeps what it said before)."""
    _require_admin(actor, revision.collective_id)
    _unknown(changes, STRATEGY_FIELDS)
    revision = StrategyRevision.objects.select_for_update().get(pk=revision.pk)
    before = snapshot(revision, STRATEGY_FIELDS)
    for name, value in changes.items():
        setattr(revision, name, value)
    if revision.decided_on and revision.decided_on > timezone.localdate():
        raise DomainError.single(
            "future_date", "A decision cannot be dated in the future.", field="decided_on"
        )
    full_clean(revision, exclude=["created_by"])
    diff = diff_fields(revision, before, STRATEGY_FIELDS)
    if diff:
        revision.save()
        audit_record(actor=actor, action="strategy.update", target=revision, changes=diff)
    return revision
