"""Forms of the measurement pages where the backbone defines what is measured. They parse input; the
services in `services.py` decide (and their problems are attached to the fields with `add_problems`).

Fields come from the models (`fields_for_model`), so lengths, choices and validators are declared once.
"""

from __future__ import annotations

from typing import Any

from django import forms

from minga.architecture.models import GroupKind
from minga.core.models import Collective
from minga.measurement import periods
from minga.measurement.models import Disaggregation, Frequency, Indicator, IndicatorSet, ValidationRule
from minga.measurement.models_dashboards import CHARTS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

INDICATOR_FORM_FIELDS = [
    "code",
    "name",
    "description",
    "unit",
    "value_type",
    "aggregation",
    "disaggregation",
    "frequency",
    "kinds",
    "min_value",
    "max_value",
    "required",
    "sdg_target",
    "iris_code",
    "active_from",
    "active_until",
    "visibility",
]


def _kinds(collective: Collective) -> Any:
    return GroupKind.objects.filter(collective=collective).order_by("order", "name")


class IndicatorForm(forms.Form):
    """Define or change an indicator. Its code is its identity in files, the API and DHIS2 mappings: it
    is set once and not offered when editing."""

    def __init__(self, *args: Any, collective: Collective, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = [f for f in INDICATOR_FORM_FIELDS if not (editing and f == "code")]
        self.fields.update(
            forms.fields_for_model(
                Indicator,
                fields=names,
                widgets={
                    "active_from": DATE,
                    "active_until": DATE,
                    "description": forms.Textarea(attrs={"rows": 3}),
                    "kinds": forms.CheckboxSelectMultiple,
                },
                help_texts={
                    "code": "Letters, digits, dots, hyphens, underscores; it can't change later.",
                    "disaggregation": "Optional breakdown, e.g. sex x age. Fixed once values are stored.",
                    "kinds": "None ticked: every kind of group may report it.",
                    "min_value": "Values below are refused on entry.",
                    "max_value": "Values above are refused on entry.",
                    "active_from": "Values for periods before this day are refused.",
                    "active_until": "To retire it, or to replace it with a new definition.",
                },
            )
        )
        kinds = self.fields["kinds"]
        assert isinstance(kinds, forms.ModelMultipleChoiceField)
        kinds.queryset = _kinds(collective)
        kinds.label = "Reported by"
        disaggregation = self.fields["disaggregation"]
        assert isinstance(disaggregation, forms.ModelChoiceField)
        disaggregation.queryset = Disaggregation.objects.filter(collective=collective).order_by("name")
        disaggregation.empty_label = "None (one value)"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", "The maximum can't be below the minimum.")
        start, end = data.get("active_from"), data.get("active_until")
        if start and end and end < start:
            self.add_error("active_until", "It can't end before it starts.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments of `indicator_create` / `indicator_update`."""
        data = dict(self.cleaned_data)
        data["kinds"] = list(data.get("kinds") or [])
        return data

    @staticmethod
    def initial_from(indicator: Indicator) -> dict[str, Any]:
        initial = {name: getattr(indicator, name) for name in INDICATOR_FORM_FIELDS if name != "kinds"}
        initial["kinds"] = [k.pk for k in indicator.kinds.all()]
        return initial


class IndicatorSetForm(forms.Form):
    """A form of indicators: which ones, in which order (one code a line), for which kinds of group."""

    code = forms.CharField(max_length=60, help_text="e.g. monthly_group_report")
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    frequency = forms.ChoiceField(choices=Frequency.choices)
    indicators = forms.CharField(
        label="Indicators, in order",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="One indicator code a line, in the order of the form.",
    )
    kinds = forms.ModelMultipleChoiceField(
        queryset=GroupKind.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Reported by",
        help_text="The kinds of group that fill in this form.",
    )

    def __init__(self, *args: Any, collective: Collective, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collective = collective
        kinds = self.fields["kinds"]
        assert isinstance(kinds, forms.ModelMultipleChoiceField)
        kinds.queryset = _kinds(collective)
        self.fields["frequency"].initial = periods.MONTH
        if editing:  # the code names the form in files and the API: set once
            del self.fields["code"]

    @staticmethod
    def initial_from(indicator_set: IndicatorSet) -> dict[str, Any]:
        codes = [item.indicator.code for item in indicator_set.items.select_related("indicator")]
        return {
            "name": indicator_set.name,
            "description": indicator_set.description,
            "frequency": indicator_set.frequency,
            "indicators": "\n".join(codes),
            "kinds": [k.pk for k in indicator_set.kinds.all()],
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "frequency": data["frequency"],
            "indicators": data["indicators"],
            "kinds": list(data["kinds"]),
        }

    def clean_indicators(self) -> list[Indicator]:
        codes = [line.strip() for line in self.cleaned_data["indicators"].splitlines() if line.strip()]
        by_code = {i.code: i for i in Indicator.objects.filter(collective=self.collective, code__in=codes)}
        unknown = [c for c in codes if c not in by_code]
        if unknown:
            raise forms.ValidationError(f"Unknown indicator codes: {', '.join(unknown[:10])}.")
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise forms.ValidationError(f"Listed twice: {', '.join(repeated)}.")
        if not codes:
            raise forms.ValidationError("List at least one indicator.")
        return [by_code[c] for c in codes]


def _indicator_field(collective: Collective, label: str) -> forms.ModelChoiceField[Indicator]:
    return forms.ModelChoiceField(
        queryset=Indicator.objects.filter(collective=collective).order_by("name", "id"), label=label
    )


class TargetForm(forms.Form):
    """The target of an indicator for a group (a network group: its subtree) in a period."""

    indicator = forms.ModelChoiceField(queryset=Indicator.objects.none())
    group = forms.CharField(
        max_length=60, label="Group code", help_text="For a network group the target covers its subtree."
    )
    period = forms.CharField(
        max_length=10, help_text="An ISO code of the indicator's frequency: 202603, 2026Q1…"
    )
    value = forms.FloatField()
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, collective: Collective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"] = _indicator_field(collective, "Indicator")

    def clean_period(self) -> str:
        try:
            spec = periods.parse_period(self.cleaned_data["period"])
        except periods.PeriodError as error:
            raise forms.ValidationError(str(error)) from None
        return spec.code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        indicator, code = data.get("indicator"), data.get("period")
        if indicator is not None and code and periods.parse_period(code).kind != indicator.frequency:
            self.add_error(
                "period", f"{indicator.name} is reported {indicator.get_frequency_display().lower()}."
            )
        return data


class TargetEditForm(forms.Form):
    """A target's value and note (its indicator, group and period are its identity)."""

    value = forms.FloatField()
    note = forms.CharField(max_length=300, required=False)


class DisaggregationForm(forms.Form):
    """A category combination defined once: its categories, one a line, with their options."""

    code = forms.CharField(max_length=40, help_text="e.g. sex_age")
    name = forms.CharField(max_length=120, help_text="e.g. Sex x age band")
    categories = forms.CharField(
        label="Categories",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One category a line: code | name | option=label, option=label. For example "
        "“sex | Sex | f=Female, m=Male” and “age | Age band | 0-14=0-14, 15-24=15-24, 25+=25+”. "
        "The options are every combination, e.g. f.15-24 “Female, 15-24”.",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # the code names it in the API and DHIS2 mappings: set once
            del self.fields["code"]

    @staticmethod
    def categories_text(categories: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{c.get('code', '')} | {c.get('name', '')} | "
            + ", ".join(f"{o[0]}={o[1]}" for o in c.get("options") or [])
            for c in categories
        )

    def clean_categories(self) -> list[dict[str, Any]]:
        categories: list[dict[str, Any]] = []
        for number, line in enumerate(self.cleaned_data["categories"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3 or not parts[0] or not parts[2]:
                raise forms.ValidationError(f"Line {number}: write code | name | option=label, option=label.")
            options = []
            for item in parts[2].split(","):
                code, _, label = item.partition("=")
                if code.strip():
                    options.append([code.strip(), label.strip() or code.strip()])
            categories.append({"code": parts[0], "name": parts[1] or parts[0], "options": options})
        if not categories:
            raise forms.ValidationError("Give at least one category.")
        return categories


class ValidationRuleForm(forms.Form):
    """A rule between two indicators of the same group and period: left operator right."""

    name = forms.CharField(max_length=200, help_text="e.g. Girls enrolled ≤ children enrolled")
    left = forms.ModelChoiceField(queryset=Indicator.objects.none())
    operator = forms.ChoiceField(choices=ValidationRule.Operator.choices)
    right = forms.ModelChoiceField(queryset=Indicator.objects.none())

    def __init__(self, *args: Any, collective: Collective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["left"] = _indicator_field(collective, "Left")
        self.fields["right"] = _indicator_field(collective, "Right")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        left, right = data.get("left"), data.get("right")
        if left is not None and left == right:
            self.add_error("right", "Compare two different indicators.")
        for side in ("left", "right"):
            indicator = data.get(side)
            if indicator is not None and not indicator.is_numeric:
                self.add_error(side, "A text indicator can't be compared.")
        return data


DASHBOARD_SETTINGS = ("name", "indicators", "period", "charts", "shared")


class SaveDashboardForm(forms.Form):
    """Save the dashboard as it is shown (area and periods come from the page) under a name, with the
    indicators and charts chosen."""

    name = forms.CharField(max_length=120)
    indicators = forms.MultipleChoiceField(
        choices=[], widget=forms.SelectMultiple(attrs={"size": 6}), help_text="Up to 12."
    )
    charts = forms.MultipleChoiceField(choices=CHARTS, widget=forms.CheckboxSelectMultiple)
    shared = forms.BooleanField(
        required=False,
        label="Share with the collective",
        help_text="Each person who opens it sees only the data they may see.",
    )
    within = forms.IntegerField(required=False, widget=forms.HiddenInput)
    set = forms.IntegerField(required=False, widget=forms.HiddenInput)
    period = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, collective: Collective, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicators = self.fields["indicators"]
        assert isinstance(indicators, forms.MultipleChoiceField)
        indicators.choices = list(
            Indicator.objects.visible_to(viewer)
            .filter(collective=collective)
            .order_by("name", "id")
            .values_list("code", "name")
        )

    def settings(self) -> dict[str, Any]:
        """The chosen settings as keyword arguments of `dashboard_save` / `dashboard_update`, the area
        apart (the view resolves it to what the viewer may reach)."""
        return {
            name: self.cleaned_data[name] for name in ("name", "indicators", "period", "charts", "shared")
        }


class EditDashboardForm(SaveDashboardForm):
    """Change a saved dashboard: its name, indicators, charts and sharing as when saving, and its area
    (the whole collective, the subtree it was saved for, or a group set) and periods."""

    area = forms.ChoiceField(label="Area", required=False)
    period = forms.CharField(
        label="Periods",
        max_length=60,
        required=False,
        help_text="Blank: the last 12. A range 202501:202512, or codes 2025Q1,2025Q2.",
    )

    field_order = ["name", "indicators", "area", "period", "charts", "shared"]

    def __init__(
        self, *args: Any, collective: Collective, viewer: Any, within: Any, group_sets: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, collective=collective, viewer=viewer, **kwargs)
        del self.fields["within"], self.fields["set"]
        choices = [("", f"The whole of {collective.name}")]
        if within is not None:
            choices.append((f"within:{within.pk}", f"{within.name} and its groups"))
        choices += [(f"set:{s.pk}", f"Group set: {s.name}") for s in group_sets]
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = choices

    def area_ids(self) -> tuple[int | None, int | None]:
        """(within id, group set id) from the chosen area."""
        kind, _, pk = (self.cleaned_data.get("area") or "").partition(":")
        return (int(pk) if kind == "within" else None, int(pk) if kind == "set" else None)
