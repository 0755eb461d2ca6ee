"""Shared measurement: indicators, their disaggregations and forms, reporting periods, data values,
their history, targets, approvals and validation rules.

Storage is built for a large collective (10 million values): a `DataValue` row is integer keys only
(collective, indicator, group, period, disaggregation option) plus the value, unique on its natural key
and indexed by (indicator, period, group) so that a rollup reads one index range and joins the group
tree's indexed `path` for the subtree filter. See docs/measurement.md, "Storage".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q

from minga.architecture.models import Group, GroupKind, group_visibility_q
from minga.core.choices import Visibility
from minga.core.models import Collective
from minga.core.scoping import ANONYMOUS, scope_for
from minga.measurement import periods

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Use letters, digits, dots, hyphens and underscores, e.g. members_active.",
)

# DataValue.option for a value that is not disaggregated (the indicator's total).
TOTAL = 0


def _collective_visible_q(user: Any, prefix: str = "") -> Q:
    """Definitions (indicators, periods, sets…) are seen by whoever sees the collective."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return Q(**{f"{prefix}collective__visibility": Visibility.PUBLIC}) | Q(
        **{f"{prefix}collective_id__in": scope.member_collectives}
    )


class DefinitionQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> DefinitionQuerySet:
        """Definitions of the collectives `user` may see (indicators also need to be published for
        visitors, see `IndicatorQuerySet`)."""
        return self.filter(_collective_visible_q(user))

    def editable_by(self, user: Any) -> DefinitionQuerySet:
        """The backbone defines what is measured: admins of the collective."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.admin_collectives)


class Disaggregation(models.Model):
    """A category combination defined once per collective, e.g. sex x age band. `categories` is a list
    of {"code", "name", "options": [[code, label], …]}; its options (the cartesian product) are rows of
    `DisaggregationOption`, written by `services.disaggregation_create`."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="disaggregations")
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=120)
    categories = models.JSONField(default=list)

    objects = DefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "code"], name="disaggregation_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class DisaggregationOption(models.Model):
    """One cell of a disaggregation: "f.15-24" → "Female, 15-24". Its id is `DataValue.option`."""

    disaggregation = models.ForeignKey(Disaggregation, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(max_length=80)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["disaggregation", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["disaggregation", "code"], name="disaggregation_option_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ValueType(models.TextChoices):
    INTEGER = "integer", "Whole number"
    NUMBER = "number", "Number"
    PERCENTAGE = "percentage", "Percentage (0-100)"
    YES_NO = "yes_no", "Yes / no"
    TEXT = "text", "Text"


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    AVERAGE = "average", "Average"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"
    LAST = "last", "Last value (per group, then summed)"
    COUNT = "count", "Count of reporting groups"


class Frequency(models.TextChoices):
    WEEK = periods.WEEK, "Weekly"
    MONTH = periods.MONTH, "Monthly"
    QUARTER = periods.QUARTER, "Quarterly"
    YEAR = periods.YEAR, "Yearly"


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def visible_to(self, user: Any) -> IndicatorQuerySet:
        """Indicators `user` may see: all of their collectives; the published ones of public
        collectives to everybody else."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(
            Q(collective_id__in=scope.member_collectives)
            | Q(visibility=Visibility.PUBLIC, collective__visibility=Visibility.PUBLIC)
        )

    def editable_by(self, user: Any) -> IndicatorQuerySet:
        """Indicators are the backbone's: admins of the collective define and change them."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.admin_collectives)

    def active_on(self, day: Any) -> IndicatorQuerySet:
        return self.filter(Q(active_from__isnull=True) | Q(active_from__lte=day)).filter(
            Q(active_until__isnull=True) | Q(active_until__gte=day)
        )


class Indicator(models.Model):
    """What groups measure and report: code, unit, value type, how it adds up, how it is broken down."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(max_length=60, validators=[code_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=40, blank=True, help_text="people, meetings, KES…")
    value_type = models.CharField(max_length=12, choices=ValueType.choices, default=ValueType.INTEGER)
    aggregation = models.CharField(max_length=8, choices=Aggregation.choices, default=Aggregation.SUM)
    disaggregation = models.ForeignKey(
        Disaggregation, null=True, blank=True, on_delete=models.RESTRICT, related_name="indicators"
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    kinds = models.ManyToManyField(
        GroupKind, blank=True, related_name="indicators", help_text="Kinds of group that report it."
    )
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    required = models.BooleanField(default=False, help_text="A report is incomplete without it.")
    sdg_target = models.CharField("SDG target", max_length=20, blank=True, help_text="e.g. 5.5")
    iris_code = models.CharField("IRIS+ code", max_length=20, blank=True, help_text="e.g. PI4060")
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)
    visibility = models.CharField(
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text="Public: approved values appear on public dashboards.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["collective", "code"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "code"], name="indicator_unique_code"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="indicator_min_le_max",
            ),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=F("active_from")),
                name="indicator_active_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_numeric(self) -> bool:
        return self.value_type != ValueType.TEXT


class IndicatorSet(models.Model):
    """A form: the indicators a kind of group reports each period, in order."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="indicator_sets")
    code = models.CharField(max_length=60, validators=[code_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    kinds = models.ManyToManyField(GroupKind, blank=True, related_name="indicator_sets")
    indicators = models.ManyToManyField(Indicator, through="IndicatorSetItem", related_name="sets")

    objects = DefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["collective", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "code"], name="indicatorset_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorSetItem(models.Model):
    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    section = models.CharField(max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["indicator_set", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["indicator_set", "indicator"], name="indicatorsetitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_set_id}: {self.indicator_id}"


class ReportingPeriod(models.Model):
    """A week, month, quarter or year of a collective, by ISO code, with its reporting window: values
    are due by `due_on` (later ones count as late) and refused after `closes_on` (when set)."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="reporting_periods")
    kind = models.CharField(max_length=8, choices=Frequency.choices)
    code = models.CharField(max_length=8)
    start = models.DateField()
    end = models.DateField()
    due_on = models.DateField(help_text="Reports after this day are late.")
    closes_on = models.DateField(null=True, blank=True, help_text="No more entries after this day.")

    objects = DefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["collective", "kind", "start"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "code"], name="period_unique_code"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="period_dates_ordered"),
        ]
        indexes = [models.Index(fields=["collective", "kind", "start"], name="period_kind_start_idx")]

    def __str__(self) -> str:
        return self.code


def approved_q(prefix: str = "") -> Q:
    """Values covered by an approval still in force: one for their period on their group or an ancestor."""
    approvals = (
        Approval.objects.filter(period_id=OuterRef(f"{prefix}period_id"), revoked_at__isnull=True)
        .annotate(
            value_path=ExpressionWrapper(OuterRef(f"{prefix}group__path"), output_field=models.CharField())
        )
        .filter(value_path__startswith=F("group__path"))
    )
    return Q(Exists(approvals))


class DataValueQuerySet(models.QuerySet["DataValue"]):
    def visible_to(self, user: Any) -> DataValueQuerySet:
        """Values `user` may see: in their collectives, those of groups they may see; everybody else
        (visitors included) sees only approved values of published indicators and public groups."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        public = (
            Q(indicator__visibility=Visibility.PUBLIC)
            & group_visibility_q(ANONYMOUS, "group__")  # the visitors' rule: public groups
            & approved_q()
        )
        if scope.is_anonymous:
            return self.filter(public)
        return self.filter(
            (Q(collective_id__in=scope.member_collectives) & group_visibility_q(scope, "group__")) | public
        )

    def editable_by(self, user: Any) -> DataValueQuerySet:
        """Values `user` may write: admins everything of their collective, coordinators their subtree,
        leads their group (approval locks are checked by the service)."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(group__in=Group.objects.editable_by(user).values("id"))

    def within(self, group: Group) -> DataValueQuerySet:
        return self.filter(group__path__startswith=group.path)


class DataValue(models.Model):
    """One reported value: indicator x group x period x disaggregation option → value.

    Numbers (integer, number, percentage, yes/no as 1/0) are in `value`, text in `text`. `option` is the
    `DisaggregationOption` id, or 0 (`TOTAL`) for an indicator without disaggregation: an integer rather
    than a nullable foreign key so the natural key is unique on both databases.
    """

    class Source(models.TextChoices):
        WEB = "web", "Web form"
        API = "api", "API"
        FILE = "file", "File import"
        DHIS2 = "dhis2", "DHIS2"
        DEMO = "demo", "Demo data"

    # Three indexes in all — the primary key, the natural key, (group, period, created_at) — because
    # every index costs on each of millions of inserts: the foreign keys' own indexes are left out.
    # `indicator` and `group` lead the other two; `collective`, `period` and `entered_by` are searched
    # alone only when a collective, a period or a login is deleted, which may scan.
    id = models.BigAutoField(primary_key=True)
    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+", db_index=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values", db_index=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="data_values", db_index=False)
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.RESTRICT, related_name="values", db_index=False
    )
    option = models.PositiveIntegerField(default=TOTAL)
    value = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=500, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.WEB)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = DataValueQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "group", "option"], name="datavalue_natural_key"
            )
        ]
        indexes = [
            # The entry grid (one group's values in a period), completeness (who reported in a period and
            # when first: read from the index alone) and deleting a group.
            models.Index(fields=["group", "period", "created_at"], name="datavalue_group_period_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.group_id}/{self.period_id}/{self.option} = {self.value}"


class DataValueHistoryQuerySet(models.QuerySet["DataValueHistory"]):
    def visible_to(self, user: Any) -> DataValueHistoryQuerySet:
        """The history of values `user` may change (leads, coordinators, admins): who changed what."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(group__in=Group.objects.editable_by(user).values("id"))


class DataValueHistory(models.Model):
    """A change to a stored value (update or deletion): the value before and after, who, when, how.
    Creations are not copied here: the value itself records who entered it and when."""

    id = models.BigAutoField(primary_key=True)
    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    option = models.PositiveIntegerField(default=TOTAL)
    old_value = models.FloatField(null=True, blank=True)
    new_value = models.FloatField(null=True, blank=True)
    old_text = models.CharField(max_length=500, blank=True)
    new_text = models.CharField(max_length=500, blank=True)
    deleted = models.BooleanField(default=False)
    source = models.CharField(max_length=6, choices=DataValue.Source.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    objects = DataValueHistoryQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["indicator", "period", "group", "option"], name="dvhistory_key_idx")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.group_id}/{self.period_id}: {self.old_value} → {self.new_value}"


def _whole_subtree_q(user: Any) -> Q | None:
    """Rows adding up a node's whole subtree, private groups included (aggregates, spans): only those
    who see every value in it may read them — admins of the collective, coordinators and leads of the
    subtree. None: everything (a superuser)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    covered = Q(collective_id__in=scope.admin_collectives)
    for path in scope.view_paths:
        covered |= Q(node__path__startswith=path)
    return covered & Q(collective_id__in=scope.member_collectives)


class ValueAggregateQuerySet(models.QuerySet["ValueAggregate"]):
    def visible_to(self, user: Any) -> ValueAggregateQuerySet:
        covered = _whole_subtree_q(user)
        return self.all() if covered is None else self.filter(covered)


class ValueSpanQuerySet(models.QuerySet["ValueSpan"]):
    def visible_to(self, user: Any) -> ValueSpanQuerySet:
        covered = _whole_subtree_q(user)
        return self.all() if covered is None else self.filter(covered)


class NodeRows(models.Model):
    """The key of rows derived from the values, per indicator x period x node x option
    (`ValueAggregate`, `ValueSpan`)."""

    id = models.BigAutoField(primary_key=True)
    # Derived tables without database foreign keys: on PostgreSQL their checks at commit were a third of
    # a recomputation into an empty table (6.8 s of 17 s for 360,000 rows). Django's CASCADE still
    # deletes a row with its collective, indicator, period or node (every deletion goes through the
    # ORM), and a recomputation deletes the rows of groups that no longer exist.
    collective = models.ForeignKey(
        Collective, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    node = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    option = models.PositiveIntegerField(default=TOTAL)

    class Meta:
        abstract = True


class ValueAggregate(NodeRows):
    """Partial aggregates of one indicator in one period over the subtree of a group of the top
    levels of the tree (a "node": depth < `aggregates.NODE_LEVELS`), per disaggregation option.

    Kept up to date by the value writer in the same transaction (`aggregates.record`) and rebuilt by
    `aggregates.reaggregate`; read by rollups only when the viewer sees every value they cover and the
    collective's aggregates are current (`AggregateState`). See docs/architecture.md."""

    total = models.FloatField(default=0.0)  # sum of the numeric values
    numbers = models.IntegerField(default=0)  # how many numeric values
    reported = models.IntegerField(default=0)  # how many values, text included (groups reporting)
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)

    objects = ValueAggregateQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "node", "option"], name="valueaggregate_key"
            )
        ]
        indexes = [models.Index(fields=["collective"], name="valueaggregate_collective_idx")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.node_id}/{self.period_id}/{self.option}: {self.total}"


class ValueSpan(NodeRows):
    """For indicators whose rule is "last value" or "count of reporting groups": the values of one period
    under a node whose series (a group's values of the indicator, per option for "last") next reports
    in the period starting `next_start` (`spans.NEVER`: not since). A rollup over periods a…b then adds
    the rows of a…b whose next report starts after b: each series' latest value in the range, once.

    Kept by the value writer and rebuilt by `aggregates.reaggregate`, like `ValueAggregate` (see
    `minga/measurement/spans.py` and docs/measurement.md); read under the same conditions."""

    next_start = models.DateField()
    total = models.FloatField(default=0.0)  # sum of the numeric values ("last")
    numbers = models.IntegerField(default=0)  # how many numeric values ("last")
    reported = models.IntegerField(default=0)  # how many values ("last") or groups ("count")

    objects = ValueSpanQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "node", "option", "next_start"], name="valuespan_key"
            )
        ]
        indexes = [models.Index(fields=["collective"], name="valuespan_collective_idx")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.node_id}/{self.period_id}/{self.option}→{self.next_start}"


class AggregateState(models.Model):
    """Whether a collective's `ValueAggregate` rows are current. Set by a full recomputation; cleared
    by the database itself (a trigger, see migration 0007) when a group of the collective moves in the
    tree or is deleted, since either changes which subtree a value adds up under. Rollups read the
    value table while it is not current."""

    collective = models.OneToOneField(
        Collective, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    current = models.BooleanField(default=False)
    built_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.collective_id}: {'current' if self.current else 'stale'}"


class TargetQuerySet(models.QuerySet["Target"]):
    def visible_to(self, user: Any) -> TargetQuerySet:
        """Targets of the groups `user` may see, in collectives they may see."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(_collective_visible_q(user), group_visibility_q(scope, "group__"))


class Target(models.Model):
    """What an indicator should reach for a group (for a network group: its whole subtree) in a period."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="targets")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="targets")
    value = models.FloatField()
    note = models.CharField(max_length=300, blank=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "group", "period"], name="target_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.group_id}/{self.period_id} → {self.value}"


class ApprovalQuerySet(models.QuerySet["Approval"]):
    def visible_to(self, user: Any) -> ApprovalQuerySet:
        """Approvals of groups `user` may see."""
        return self.filter(group__in=Group.objects.visible_to(user).values("id"))

    def in_force(self) -> ApprovalQuerySet:
        return self.filter(revoked_at__isnull=True)


class Approval(models.Model):
    """A coordinator (or admin) approved a subtree's data for a period: it is locked for lower levels
    until an admin unlocks it (`revoked_at`, with a reason)."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="approvals")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="approvals")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField()
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=500, blank=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "period"],
                condition=Q(revoked_at__isnull=True),
                name="approval_one_in_force",
            )
        ]
        indexes = [models.Index(fields=["period", "revoked_at"], name="approval_period_idx")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.period_id} approved"


class ValidationRule(models.Model):
    """A rule between two indicators of the same group and period, e.g. girls enrolled ≤ children
    enrolled (totals over the disaggregation). Checked on entry (a warning) and as a report."""

    class Operator(models.TextChoices):
        LE = "<=", "≤"
        LT = "<", "<"
        EQ = "==", "="
        GE = ">=", "≥"
        GT = ">", ">"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="validation_rules")
    name = models.CharField(max_length=200)
    left = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    operator = models.CharField(max_length=2, choices=Operator.choices, default=Operator.LE)
    right = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")

    objects = DefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["collective", "name"]

    def __str__(self) -> str:
        return self.name

    def holds(self, left: float, right: float) -> bool:
        return {
            "<=": left <= right,
            "<": left < right,
            "==": abs(left - right) < 1e-9,
            ">=": left >= right,
            ">": left > right,
        }[self.operator]


from minga.measurement.models_dashboards import SavedDashboard  # noqa: E402, F401  (saved dashboards)
from minga.measurement.models_dhis2 import Dhis2Kind, Dhis2Mapping  # noqa: E402, F401  (DHIS2 code mapping)
