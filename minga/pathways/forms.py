"""Forms of the pathway pages. They parse input; the services in `services.py` decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet

from minga.architecture.models import Group, GroupSet, Layer
from minga.core.models import Collective
from minga.measurement.models import Indicator, ValueType
from minga.pathways.models import Pathway, Stage, StageCondition, StrategyRevision

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT_HELP = "Markdown: blank lines between paragraphs, “- ” for lists, **bold**, “## ” for headings."


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class PathwayForm(forms.Form):
    """A pathway's texts and settings."""

    def __init__(self, *args: Any, collective: Collective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        text = forms.Textarea(attrs={"rows": 6})
        self.fields.update(
            forms.fields_for_model(
                Pathway,
                fields=[
                    "name",
                    "summary",
                    "vision",
                    "principles",
                    "methods",
                    "practices",
                    "language",
                    "owner",
                ],
                widgets={"vision": text, "principles": text, "methods": text, "practices": text},
                help_texts={k: TEXT_HELP for k in ("vision", "principles", "methods", "practices")},
            )
        )
        self.fields["visibility"] = forms.ChoiceField(
            choices=Pathway._meta.get_field("visibility").choices  # type: ignore[arg-type]
        )
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = Group.objects.filter(collective=collective, layer=Layer.SUPPORT).order_by("name")
        owner.required = False

    def changes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class StageForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    checklist = forms.CharField(
        label="Entry criteria",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One item per line: what a group confirms to enter this stage.",
    )
    requires_verification = forms.BooleanField(
        required=False, label="A coordinator verifies each group's move into this stage"
    )

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["checklist"] = _lines(data["checklist"])
        return data

    @classmethod
    def initial_for(cls, stage: Stage) -> dict[str, Any]:
        return {
            "name": stage.name,
            "description": stage.description,
            "checklist": "\n".join(stage.checklist),
            "requires_verification": stage.requires_verification,
        }


class SubmitForm(forms.Form):
    """Evidence for moving a group into the next stage."""

    checklist = forms.MultipleChoiceField(
        label="Entry criteria", widget=forms.CheckboxSelectMultiple, required=False
    )
    evidence = forms.CharField(
        label="What the group did",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="A few sentences: what happened, when, who took part.",
    )
    links = forms.CharField(
        label="Links",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Photos, reports, minutes: one web address per line.",
    )
    evidence_file = forms.FileField(
        label="A file", required=False, help_text="PDF, image, spreadsheet or text."
    )
    entered_on = forms.DateField(
        label="Since", widget=DATE, required=False, help_text="When the group reached it (default: today)."
    )

    def __init__(self, *args: Any, stage: Stage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["checklist"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(item, item) for item in stage.checklist]

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["links"] = _lines(data["links"])
        return data


class MoveBackForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label="Back to")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    entered_on = forms.DateField(label="Since", widget=DATE, required=False)

    def __init__(self, *args: Any, earlier: QuerySet[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = earlier


class RejectForm(forms.Form):
    reason = forms.CharField(label="Why not yet", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class GroupFilterForm(forms.Form):
    """Which groups a coordinator view is about (subtree, group set) and when a group counts as stalled."""

    within = forms.ModelChoiceField(queryset=Group.objects.none(), required=False, label="Within")
    group_set = forms.ModelChoiceField(queryset=GroupSet.objects.none(), required=False, label="Group set")
    stalled_days = forms.IntegerField(
        label="Stalled after (days)", min_value=7, max_value=3650, required=False, initial=180
    )

    def __init__(
        self, *args: Any, branches: QuerySet[Group], sets: QuerySet[GroupSet], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        within = self.fields["within"]
        group_set = self.fields["group_set"]
        assert isinstance(within, forms.ModelChoiceField) and isinstance(group_set, forms.ModelChoiceField)
        within.queryset = branches
        within.empty_label = "All groups you can see"
        group_set.queryset = sets
        group_set.empty_label = "Any"

    def value(self, name: str) -> Any:
        if not self.is_valid():
            return None if name != "stalled_days" else 180
        value = self.cleaned_data.get(name)
        return 180 if name == "stalled_days" and value is None else value


class BulkForm(forms.Form):
    within = forms.ModelChoiceField(queryset=Group.objects.none(), label="Groups within")
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label="Are now at")
    group_codes = forms.CharField(
        label="Only these groups (codes)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave empty for every open action-layer group of the subtree. One code per line.",
    )
    note = forms.CharField(
        label="On what basis",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. “Training roll of 12 May”.",
    )
    entered_on = forms.DateField(label="Since", widget=DATE, required=False)

    def __init__(self, *args: Any, branches: QuerySet[Group], stages: QuerySet[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        within = self.fields["within"]
        stage = self.fields["stage"]
        assert isinstance(within, forms.ModelChoiceField) and isinstance(stage, forms.ModelChoiceField)
        within.queryset = branches
        stage.queryset = stages

    def codes(self) -> list[str]:
        return _lines(self.cleaned_data.get("group_codes", ""))


def _https_links(field: Any, **kwargs: Any) -> forms.Field | None:
    """A model field's form field, links typed without a scheme taken as https (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class StrategyRevisionForm(forms.Form):
    def __init__(self, *args: Any, collective: Collective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                StrategyRevision,
                fields=[
                    "decided_on",
                    "title",
                    "what_changed",
                    "why",
                    "evidence",
                    "decided_by",
                    "link",
                    "pathway",
                ],
                widgets={
                    "decided_on": DATE,
                    "what_changed": forms.Textarea(attrs={"rows": 3}),
                    "why": forms.Textarea(attrs={"rows": 3}),
                    "evidence": forms.Textarea(attrs={"rows": 3}),
                },
                formfield_callback=_https_links,
            )
        )
        self.fields["visibility"] = forms.ChoiceField(
            choices=StrategyRevision._meta.get_field("visibility").choices,  # type: ignore[arg-type]
            initial="collective",
        )
        self.fields["decided_on"].initial = dt.date.today
        pathway = self.fields["pathway"]
        assert isinstance(pathway, forms.ModelChoiceField)
        pathway.queryset = Pathway.objects.filter(collective=collective)
        pathway.required = False

    def changes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ConditionForm(forms.Form):
    """An indicator condition on a stage: indicator, at least / at most, threshold, over how many periods."""

    indicator = forms.ModelChoiceField(queryset=Indicator.objects.none())
    comparison = forms.ChoiceField(choices=StageCondition.Comparison.choices, initial="gte")
    threshold = forms.FloatField()
    periods = forms.IntegerField(
        min_value=1, max_value=24, initial=1, label="In each of the last … reported periods"
    )

    def __init__(self, *args: Any, indicators: QuerySet[Indicator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = indicators.exclude(value_type=ValueType.TEXT).order_by("name")
