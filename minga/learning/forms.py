"""Forms of the learning pages: they parse input; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from minga.architecture.models import Group
from minga.core.choices import Visibility
from minga.learning.models import RESOURCE_EXTENSIONS, PassageKind, PracticeStatus

TEXTAREA = forms.Textarea(attrs={"rows": 5})


def _group_field(groups: list[Group], label: str, *, required: bool = False) -> forms.TypedChoiceField:
    empty = [] if required else [("", "The backbone (whole collective)")]
    return forms.TypedChoiceField(
        label=label,
        choices=[*empty, *((g.pk, g.name) for g in groups)],
        coerce=int,
        required=required,
        empty_value=None,
    )


def split_words(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class PracticeForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=400, required=False, help_text="One or two sentences.")
    problem = forms.CharField(widget=TEXTAREA, required=False, help_text="What problem does it answer?")
    method = forms.CharField(widget=TEXTAREA, required=False, help_text="How is it done, step by step?")
    context = forms.CharField(widget=TEXTAREA, required=False, help_text="Where and for whom did it work?")
    evidence = forms.CharField(widget=TEXTAREA, required=False, help_text="What shows that it works?")
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. savings, women, credit.")
    languages = forms.CharField(required=False, initial="en", help_text="Language codes, comma-separated.")
    status = forms.ChoiceField(choices=PracticeStatus.choices, initial=PracticeStatus.EMERGING)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["origin_group"] = _group_field(groups, "Origin group")

    def changes(self, groups: dict[int, Group]) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["tags"] = split_words(data["tags"])
        data["languages"] = split_words(data["languages"]) or ["en"]
        data["origin_group"] = groups.get(data["origin_group"]) if data.get("origin_group") else None
        return data


class AdoptionForm(forms.Form):
    adopted_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    adapted_how = forms.CharField(widget=TEXTAREA, required=False, label="How it was adapted")
    result = forms.CharField(widget=TEXTAREA, required=False, label="What came of it")
    learned_from = forms.CharField(
        required=False,
        label="Learned from (group code)",
        help_text="The code of the group you learned it from.",
    )

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"] = _group_field(groups, "Adopting group", required=True)
        self.order_fields(["group", "adopted_on", "adapted_how", "result", "learned_from"])


class ResourceForm(forms.Form):
    title = forms.CharField(max_length=200)
    file = forms.FileField(
        required=False,
        help_text=f"A document: {', '.join(RESOURCE_EXTENSIONS).upper()} (its text is indexed).",
    )
    url = forms.URLField(required=False, label="Or a web link", max_length=500, assume_scheme="https")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}), required=False, label="Or write the text (Markdown)"
    )
    description = forms.CharField(widget=TEXTAREA, required=False)
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    language = forms.CharField(max_length=10, initial="en")
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"] = _group_field(groups, "Shared by")


class CommunityForm(forms.Form):
    name = forms.CharField(max_length=200)
    topic = forms.CharField(max_length=300)
    description = forms.CharField(widget=TEXTAREA, required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"] = _group_field(groups, "Hosted by")


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    agenda = forms.CharField(widget=TEXTAREA, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), required=False)
    attendance = forms.IntegerField(min_value=0, initial=0)
    recording_url = forms.URLField(required=False, label="Recording link", assume_scheme="https")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=2000, label="Search")
    kind = forms.ChoiceField(choices=[("", "Everything"), *PassageKind.choices], required=False)
    tag = forms.CharField(required=False, max_length=40)
    language = forms.CharField(required=False, max_length=10)
