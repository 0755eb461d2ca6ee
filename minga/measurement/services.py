"""Writes of shared measurement: definitions (indicators, disaggregations, sets, periods, targets,
validation rules), data values (set-based, through `ingest.ValueWriter`), approvals and their unlocking.

Every service takes the acting user first, runs in a transaction, checks permission and rules, writes
and audits; problems are raised as `DomainError` (or reported per value, for data values).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from minga.architecture.models import Group, GroupKind
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.choices import Role
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement import periods, spans
from minga.measurement.ingest import DUE_AFTER_DAYS, Outcome, ValueIn, ValueWriter
from minga.measurement.models import (
    Approval,
    DataValue,
    Disaggregation,
    DisaggregationOption,
    Indicator,
    IndicatorSet,
    IndicatorSetItem,
    ReportingPeriod,
    Target,
    ValidationRule,
)

MAX_BATCH = 10_000
# A category option's code: joined with dots into an option ("f.15-24"), which a wide file's column
# names after a colon ("enrolled:f.15-24").
OPTION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]*")
CHUNK = 5_000

INDICATOR_FIELDS = [
    "name",
    "description",
    "unit",
    "value_type",
    "aggregation",
    "disaggregation",
    "frequency",
    "min_value",
    "max_value",
    "required",
    "sdg_target",
    "iris_code",
    "active_from",
    "active_until",
    "visibility",
]


def _is_admin(actor: Any, collective: Collective) -> bool:
    scope = scope_for(actor)
    return scope.is_superuser or collective.pk in scope.admin_collectives


def may_define(actor: Any, collective: Collective) -> bool:
    """Whether `actor` defines what `collective` measures (its backbone admins): no query."""
    return _is_admin(actor, collective)


def may_report(actor: Any, collective: Collective) -> bool:
    """Admins, coordinators and leads of `collective` report values (each value is scoped too): no query."""
    scope = scope_for(actor)
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return True
    return any(c == collective.pk and r in (Role.COORDINATOR, Role.LEAD) for c, r in scope.roles)


def _require_admin(actor: Any, collective: Collective) -> None:
    if not _is_admin(actor, collective):
        raise DomainError.single(
            "forbidden", "Only the collective's backbone admins define what is measured."
        )


# --- data values ----------------------------------------------------------------------------------


def datavalues_upsert(
    *,
    actor: Any,
    collective: Collective,
    values: Sequence[ValueIn],
    source: str = DataValue.Source.API,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> Outcome:
    """Upsert a batch of values (at most 10,000) by their natural key, set-based.

    Returns what was (or, with `dry_run`, would be) created, updated, unchanged and deleted (a blank
    value deletes), and each refused value with its location and reasons; valid values are written even
    when others are refused. Changes are kept in `DataValueHistory` and the batch is audited.
    """
    if len(values) > MAX_BATCH:
        raise DomainError.single(
            "batch_too_large",
            f"Send at most {MAX_BATCH:,} values at a time (got {len(values):,}).",
            field="values",
        )
    writer = ValueWriter(actor=actor, collective=collective, source=source, today=today)
    outcome = Outcome()
    with transaction.atomic():
        for start in range(0, len(values), CHUNK):
            outcome.add(writer.write(values[start : start + CHUNK], dry_run=dry_run))
        if not dry_run and (outcome.created or outcome.updated or outcome.deleted):
            audit_record(
                actor=actor,
                action="datavalues.upsert",
                target=collective,
                changes={
                    "source": source,
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "deleted": outcome.deleted,
                    "rejected": len(outcome.rejected),
                },
            )
    return outcome


# --- definitions ----------------------------------------------------------------------------------


@transaction.atomic
def disaggregation_create(
    *, actor: Any, collective: Collective, code: str, name: str, categories: list[dict[str, Any]]
) -> Disaggregation:
    """A category combination, e.g. sex x age band: `categories` is a list of {"code", "name",
    "options": [[code, label], …]}; its options are the cartesian product ("f.15-24" → "Female, 15-24")."""
    _require_admin(actor, collective)
    _check_categories(categories)
    disaggregation = Disaggregation(collective=collective, code=code, name=name, categories=categories)
    full_clean(disaggregation)
    if Disaggregation.objects.filter(collective=collective, code=code).exists():
        raise DomainError.single(
            "duplicate_code", "A disaggregation with this code exists already.", field="code"
        )
    disaggregation.save()
    _create_options(disaggregation)
    audit_record(actor=actor, action="disaggregation.create", target=disaggregation, changes={"code": code})
    return disaggregation


def _check_categories(categories: list[dict[str, Any]]) -> None:
    problems: list[Problem] = []
    if not categories:
        problems.append(
            Problem("required", "Give at least one category with its options.", field="categories")
        )
    for category in categories:
        options = category.get("options") or []
        if not category.get("code") or not options:
            problems.append(Problem("invalid", "Each category needs a code and options.", field="categories"))
        codes = [str(o[0]) for o in options if o]
        if any(not OPTION_CODE.fullmatch(c) for c in codes) or len(set(codes)) != len(codes):
            problems.append(
                Problem(
                    "invalid_option",
                    f"Options of {category.get('code')!r}: give each a distinct code of letters, digits, "
                    "+, - or _ (no dot or colon: they join and head options in files).",
                    field="categories",
                )
            )
    if problems:
        raise DomainError(problems)


def _create_options(disaggregation: Disaggregation) -> None:
    DisaggregationOption.objects.bulk_create(
        [
            DisaggregationOption(disaggregation=disaggregation, code=code, name=label[:200], order=order)
            for order, (code, label) in enumerate(_options_of(disaggregation.categories))
        ]
    )


def _check_indicator(indicator: Indicator, kinds: Sequence[GroupKind] | None) -> None:
    problems: list[Problem] = []
    if (
        indicator.disaggregation is not None
        and indicator.disaggregation.collective_id != indicator.collective_id
    ):
        problems.append(
            Problem("invalid", "This disaggregation belongs to another collective.", field="disaggregation")
        )
    for kind in kinds or ():
        if kind.collective_id != indicator.collective_id:
            problems.append(Problem("invalid_kind", "A kind of group of another collective.", field="kinds"))
    if problems:
        raise DomainError(problems)
    full_clean(indicator, exclude=["collective"])


@transaction.atomic
def indicator_create(
    *,
    actor: Any,
    collective: Collective,
    code: str,
    name: str,
    kinds: Sequence[GroupKind] | None = None,
    **fields: Any,
) -> Indicator:
    """Define an indicator of `collective` (backbone admins)."""
    _require_admin(actor, collective)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    indicator = Indicator(collective=collective, code=code, name=name, **fields)
    _check_indicator(indicator, kinds)
    if Indicator.objects.filter(collective=collective, code=code).exists():
        raise DomainError.single(
            "duplicate_code", "An indicator with this code exists already.", field="code"
        )
    indicator.save()
    if kinds:
        indicator.kinds.set(kinds)
    audit_record(actor=actor, action="indicator.create", target=indicator, changes={"code": code})
    return indicator


@transaction.atomic
def indicator_update(
    *, actor: Any, indicator: Indicator, kinds: Sequence[GroupKind] | None = None, **changes: Any
) -> Indicator:
    """Change an indicator's definition. Its code is its identity in files and the API and stays; a
    change of meaning is better a new indicator with the old one's `active_until` set."""
    _require_admin(actor, indicator.collective)
    unknown = set(changes) - set(INDICATOR_FIELDS)
    if unknown:
        raise DomainError.single(
            "unknown_field", f"Fields that can't be changed: {', '.join(sorted(unknown))}."
        )
    before = snapshot(indicator, list(changes))
    if (
        "disaggregation" in changes
        and changes["disaggregation"] != indicator.disaggregation
        and indicator.values.exists()
    ):
        raise DomainError.single(
            "has_values",
            "Values are stored under the current disaggregation: it can't change.",
            field="disaggregation",
        )
    rule = indicator.aggregation
    for name, value in changes.items():
        setattr(indicator, name, value)
    _check_indicator(indicator, kinds)
    indicator.save()
    if indicator.aggregation != rule:
        spans.rebuild_indicator(indicator)  # "last" and "count" keep span rows, the others none
    if kinds is not None:
        indicator.kinds.set(kinds)
    audit_record(
        actor=actor,
        action="indicator.update",
        target=indicator,
        changes=diff_fields(indicator, before, list(changes)),
    )
    return indicator


@transaction.atomic
def indicator_set_create(
    *,
    actor: Any,
    collective: Collective,
    code: str,
    name: str,
    indicators: Sequence[Indicator],
    kinds: Sequence[GroupKind] | None = None,
    frequency: str = periods.MONTH,
    description: str = "",
) -> IndicatorSet:
    """A form: `indicators` in this order, reported by groups of `kinds`."""
    _require_admin(actor, collective)
    if any(i.collective_id != collective.pk for i in indicators):
        raise DomainError.single("invalid", "An indicator of another collective.", field="indicators")
    form = IndicatorSet(
        collective=collective, code=code, name=name, frequency=frequency, description=description
    )
    full_clean(form)
    form.save()
    IndicatorSetItem.objects.bulk_create(
        [IndicatorSetItem(indicator_set=form, indicator=i, order=n) for n, i in enumerate(indicators)]
    )
    if kinds:
        form.kinds.set(kinds)
    audit_record(actor=actor, action="indicator_set.create", target=form, changes={"code": code})
    return form


@transaction.atomic
def period_ensure(
    *,
    actor: Any,
    collective: Collective,
    code: str,
    due_on: dt.date | None = None,
    closes_on: dt.date | None = None,
) -> ReportingPeriod:
    """The reporting period with this ISO code (created when new; admins set its window)."""
    try:
        spec = periods.parse_period(code)
    except periods.PeriodError as error:
        raise DomainError.single("invalid_period", str(error), field="code") from None
    period, created = ReportingPeriod.objects.get_or_create(
        collective=collective,
        code=spec.code,
        defaults={
            "kind": spec.kind,
            "start": spec.start,
            "end": spec.end,
            "due_on": spec.end + dt.timedelta(days=DUE_AFTER_DAYS),
        },
    )
    if due_on is not None or closes_on is not None:
        _require_admin(actor, collective)
        before = snapshot(period, ["due_on", "closes_on"])
        period.due_on = due_on or period.due_on
        period.closes_on = closes_on
        if period.due_on < period.start or (period.closes_on is not None and period.closes_on < period.start):
            raise DomainError.single("dates_out_of_order", "Reporting can't close before the period starts.")
        period.save()
        audit_record(
            actor=actor,
            action="period.update",
            target=period,
            changes=diff_fields(period, before, ["due_on", "closes_on"]),
        )
    elif created:
        audit_record(actor=actor, action="period.create", target=period, changes={"code": spec.code})
    return period


@transaction.atomic
def target_set(
    *, actor: Any, indicator: Indicator, group: Group, period: ReportingPeriod, value: float, note: str = ""
) -> Target:
    """Set the target of `indicator` for `group`'s subtree in `period` (admins, or coordinators for
    their subtree)."""
    scope = scope_for(actor)
    if not (_is_admin(actor, indicator.collective) or scope.covers_path(group.path, for_edit=True)):
        raise NotFound("group")
    if group.collective_id != indicator.collective_id or period.collective_id != indicator.collective_id:
        raise DomainError.single("invalid", "The group, indicator and period must be of one collective.")
    target, created = Target.objects.update_or_create(
        indicator=indicator,
        group=group,
        period=period,
        defaults={"collective": indicator.collective, "value": value, "note": note},
    )
    audit_record(
        actor=actor, action="target.set", target=target, changes={"value": value, "created": created}
    )
    return target


def _check_rule(collective: Collective, left: Indicator, right: Indicator) -> None:
    if left.collective_id != collective.pk or right.collective_id != collective.pk:
        raise DomainError.single("invalid", "Both indicators must be of this collective.")
    problems = [
        Problem("not_numeric", "A text indicator can't be compared.", field=side)
        for side, indicator in (("left", left), ("right", right))
        if not indicator.is_numeric
    ]
    if left.pk == right.pk:
        problems.append(Problem("same_indicator", "Compare two different indicators.", field="right"))
    if problems:
        raise DomainError(problems)


@transaction.atomic
def validation_rule_create(
    *, actor: Any, collective: Collective, name: str, left: Indicator, operator: str, right: Indicator
) -> ValidationRule:
    """A rule "left operator right" between two indicators of the collective (backbone admins)."""
    _require_admin(actor, collective)
    _check_rule(collective, left, right)
    rule = ValidationRule(collective=collective, name=name, left=left, operator=operator, right=right)
    full_clean(rule)
    rule.save()
    audit_record(actor=actor, action="validation_rule.create", target=rule)
    return rule


def _options_of(categories: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(code, name) of each option of a category combination: the cartesian product, in order."""
    combos = itertools.product(*[[(str(o[0]), str(o[1])) for o in c["options"]] for c in categories])
    return [(".".join(code for code, _ in combo), ", ".join(label for _, label in combo)) for combo in combos]


@transaction.atomic
def disaggregation_update(
    *, actor: Any, disaggregation: Disaggregation, name: str, categories: list[dict[str, Any]] | None = None
) -> Disaggregation:
    """Rename a disaggregation; its categories (hence its options) change only while no indicator uses
    it, since stored values name their option by id."""
    _require_admin(actor, disaggregation.collective)
    fields = ["name"]
    before = snapshot(disaggregation, ["name", "categories"])
    disaggregation.name = name
    if categories is not None and categories != disaggregation.categories:
        if disaggregation.indicators.exists():
            raise DomainError.single(
                "in_use",
                "Indicators are broken down by it: its categories can't change. Define a new one.",
                field="categories",
            )
        _check_categories(categories)
        disaggregation.categories = categories
        fields.append("categories")
    full_clean(disaggregation)
    disaggregation.save()
    if "categories" in fields:
        disaggregation.options.all().delete()
        _create_options(disaggregation)
    audit_record(
        actor=actor,
        action="disaggregation.update",
        target=disaggregation,
        changes=diff_fields(disaggregation, before, fields),
    )
    return disaggregation


@transaction.atomic
def disaggregation_delete(*, actor: Any, disaggregation: Disaggregation) -> None:
    """Delete a disaggregation no indicator uses."""
    _require_admin(actor, disaggregation.collective)
    if disaggregation.indicators.exists():
        raise DomainError.single("in_use", "Indicators are broken down by it: it can't be deleted.")
    audit_record(
        actor=actor,
        action="disaggregation.delete",
        target=disaggregation,
        changes={"code": disaggregation.code},
    )
    disaggregation.delete()


@transaction.atomic
def indicator_set_update(
    *,
    actor: Any,
    indicator_set: IndicatorSet,
    name: str,
    indicators: Sequence[Indicator],
    kinds: Sequence[GroupKind] | None = None,
    frequency: str = periods.MONTH,
    description: str = "",
) -> IndicatorSet:
    """Change a form: its name, description, frequency, indicators (in this order) and kinds. Its code
    stays (it names the form in files and the API). Values are stored per indicator, so none is lost."""
    collective = indicator_set.collective
    _require_admin(actor, collective)
    if any(i.collective_id != collective.pk for i in indicators):
        raise DomainError.single("invalid", "An indicator of another collective.", field="indicators")
    fields = ["name", "description", "frequency"]
    before = snapshot(indicator_set, fields)
    old_codes = list(indicator_set.items.order_by("order", "id").values_list("indicator__code", flat=True))
    old_kinds = sorted(indicator_set.kinds.values_list("code", flat=True))
    indicator_set.name, indicator_set.description, indicator_set.frequency = name, description, frequency
    full_clean(indicator_set)
    indicator_set.save()
    indicator_set.items.all().delete()
    IndicatorSetItem.objects.bulk_create(
        [
            IndicatorSetItem(indicator_set=indicator_set, indicator=i, order=n)
            for n, i in enumerate(indicators)
        ]
    )
    indicator_set.kinds.set(kinds or [])
    changes = diff_fields(indicator_set, before, fields)
    new_codes = [i.code for i in indicators]
    if new_codes != old_codes:
        changes["indicators"] = [old_codes, new_codes]
    new_kinds = sorted(k.code for k in kinds or [])
    if new_kinds != old_kinds:
        changes["kinds"] = [old_kinds, new_kinds]
    audit_record(actor=actor, action="indicator_set.update", target=indicator_set, changes=changes)
    return indicator_set


@transaction.atomic
def indicator_set_delete(*, actor: Any, indicator_set: IndicatorSet) -> None:
    """Delete a form. Its indicators and their values stay: a form only groups them."""
    _require_admin(actor, indicator_set.collective)
    audit_record(
        actor=actor, action="indicator_set.delete", target=indicator_set, changes={"code": indicator_set.code}
    )
    indicator_set.delete()


def _require_target_editor(actor: Any, target: Target) -> None:
    if not (
        _is_admin(actor, target.indicator.collective)
        or scope_for(actor).covers_path(target.group.path, for_edit=True)
    ):
        raise NotFound("target")


@transaction.atomic
def target_update(*, actor: Any, target: Target, value: float, note: str = "") -> Target:
    """Change a target's value and note (its indicator, group and period are its identity)."""
    _require_target_editor(actor, target)
    before = snapshot(target, ["value", "note"])
    target.value, target.note = value, note
    full_clean(target)
    target.save(update_fields=["value", "note"])
    audit_record(
        actor=actor,
        action="target.update",
        target=target,
        changes=diff_fields(target, before, ["value", "note"]),
    )
    return target


@transaction.atomic
def target_delete(*, actor: Any, target: Target) -> None:
    """Remove a target (admins, or coordinators for their subtree)."""
    _require_target_editor(actor, target)
    audit_record(actor=actor, action="target.delete", target=target, changes={"value": target.value})
    target.delete()


@transaction.atomic
def validation_rule_update(
    *, actor: Any, rule: ValidationRule, name: str, left: Indicator, operator: str, right: Indicator
) -> ValidationRule:
    """Change a rule. It is checked against the values as they stand, so nothing else changes."""
    _require_admin(actor, rule.collective)
    _check_rule(rule.collective, left, right)
    fields = ["name", "left", "operator", "right"]
    before = snapshot(rule, fields)
    rule.name, rule.left, rule.operator, rule.right = name, left, operator, right
    full_clean(rule)
    rule.save()
    audit_record(
        actor=actor, action="validation_rule.update", target=rule, changes=diff_fields(rule, before, fields)
    )
    return rule


@transaction.atomic
def validation_rule_delete(*, actor: Any, rule: ValidationRule) -> None:
    """Delete a rule (its broken cases stop being reported)."""
    _require_admin(actor, rule.collective)
    audit_record(actor=actor, action="validation_rule.delete", target=rule, changes={"name": rule.name})
    rule.delete()


# --- approval -------------------------------------------------------------------------------------


def may_approve(actor: Any, group: Group) -> bool:
    """Coordinators approve their subtree (or any group in it), admins anything of the collective."""
    scope = scope_for(actor)
    return _is_admin(actor, group.collective) or scope.covers_path(group.path, for_edit=True)


@transaction.atomic
def approval_approve(*, actor: Any, group: Group, period: ReportingPeriod) -> Approval:
    """Approve `group`'s subtree for `period`: its values lock for the levels below the approver."""
    if not may_approve(actor, group):
        raise NotFound("group")
    if period.collective_id != group.collective_id:
        raise DomainError.single("invalid", "The period belongs to another collective.", field="period")
    covering = (
        Approval.objects.in_force()
        .filter(period=period, group__collective=group.collective)
        .select_related("group")
    )
    for existing in covering:
        if group.path.startswith(existing.group.path):
            raise DomainError.single(
                "already_approved",
                f"{existing.group.name} is already approved for {period.code}.",
                field="group",
            )
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                collective=group.collective,
                group=group,
                period=period,
                approved_by=actor,
                approved_at=timezone.now(),
            )
    except IntegrityError:
        raise DomainError.single(
            "already_approved", "This data is already approved.", field="group"
        ) from None
    audit_record(
        actor=actor,
        action="approval.approve",
        target=approval,
        changes={"group": group.code, "period": period.code},
    )
    return approval


@transaction.atomic
def approval_unlock(*, actor: Any, approval: Approval, reason: str) -> Approval:
    """Lift an approval (backbone admins), with the reason kept."""
    if not _is_admin(actor, approval.collective):
        raise NotFound("approval")
    if approval.revoked_at is not None:
        raise DomainError.single("not_approved", "This approval was already lifted.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.single("required", "Say why the data is unlocked.", field="reason")
    approval.revoked_at = timezone.now()
    approval.revoked_by = actor
    approval.revoke_reason = reason[:500]
    approval.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=actor, action="approval.unlock", target=approval, changes={"reason": approval.revoke_reason}
    )
    return approval
