"""Forms of the activities pages. They parse input; the services decide (rules, reach, consent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from minga.activities.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Area,
    Engagement,
    Institution,
    Outcome,
    Story,
)
from minga.architecture.models import Group

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ANY = [("", "Any")]


def _group_choices(groups: list[Group]) -> list[tuple[Any, str]]:
    return [(g.pk, g.name) for g in groups]


class ActivityFilterForm(forms.Form):
    """The list's and calendar's filters (GET). Invalid values are ignored rather than refused."""

    q = forms.CharField(label="Title contains", required=False, max_length=100)
    area = forms.ChoiceField(label="Area", choices=ANY + list(Area.choices), required=False)
    status = forms.ChoiceField(label="Status", choices=ANY + list(ActivityStatus.choices), required=False)
    type = forms.TypedChoiceField(label="Type", required=False, coerce=int, empty_value=None)
    group = forms.TypedChoiceField(label="Group (and below)", required=False, coerce=int, empty_value=None)
    starts_from = forms.DateField(label="From", required=False, widget=DATE)
    starts_until = forms.DateField(label="Until", required=False, widget=DATE)

    def __init__(self, *args: Any, types: list[ActivityType], groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["type"]
        assert isinstance(kind, forms.TypedChoiceField)
        kind.choices = [("", "Any type"), *((t.pk, t.name) for t in types)]
        group = self.fields["group"]
        assert isinstance(group, forms.TypedChoiceField)
        group.choices = [("", "All groups"), *_group_choices(groups)]

    def value(self, name: str) -> Any:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class ParticipationField(forms.Field):
    """Counts by category as lines "women: 30" (shown and parsed back)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "women: 30\nyouth: 12"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k}: {v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, int]:
        text = str(value or "")
        result: dict[str, int] = {}
        for line in text.replace(";", "\n").splitlines():
            if not line.strip():
                continue
            name, sep, count = line.partition(":")
            if not sep or not count.strip().isdigit():
                raise forms.ValidationError(
                    f"Write one category per line, like “women: 30” (got {line.strip()!r})."
                )
            result[name.strip().lower()] = int(count.strip())
        return result


class ActivityForm(forms.Form):
    title = forms.CharField(max_length=200)
    area = forms.ChoiceField(choices=Area.choices)
    type = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    group = forms.TypedChoiceField(
        label="Owner group", coerce=int, help_text="A group you lead or coordinate."
    )
    participants = forms.TypedMultipleChoiceField(
        label="Participating groups",
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    starts_on = forms.DateField(widget=DATE)
    ends_on = forms.DateField(required=False, widget=DATE)
    place_name = forms.CharField(label="Place", required=False, max_length=200)
    status = forms.ChoiceField(choices=ActivityStatus.choices)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    outputs = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    participants_total = forms.IntegerField(label="Participants in total", min_value=0, initial=0)
    participation = ParticipationField(
        label="Participation by category", required=False, help_text="One per line, e.g. women: 30."
    )
    visibility = forms.ChoiceField(choices=Activity._meta.get_field("visibility").choices)  # type: ignore[arg-type]
    code = forms.SlugField(
        required=False, max_length=60, help_text="Optional; imports find the activity by it."
    )

    def __init__(
        self, *args: Any, types: list[ActivityType], owners: list[Group], groups: list[Group], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("type", [("", "—"), *((t.pk, t.name) for t in types)]),
            ("group", _group_choices(owners)),
            ("participants", _group_choices(groups)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField | forms.TypedMultipleChoiceField)
            field.choices = choices


class CampaignForm(forms.Form):
    goal = forms.IntegerField(min_value=1)
    unit = forms.CharField(max_length=60, initial="sign-ups")
    ask = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    closes_on = forms.DateField(required=False, widget=DATE)


class SignupForm(forms.Form):
    group = forms.TypedChoiceField(coerce=int)
    count = forms.IntegerField(min_value=1)
    signed_on = forms.DateField(widget=DATE, initial=dt.date.today)
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = _group_choices(groups)


class InstitutionForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Institution.Kind.choices)
    level = forms.ChoiceField(choices=Institution.Level.choices)
    country_code = forms.CharField(required=False, max_length=2)
    website = forms.URLField(required=False, assume_scheme="https")
    group = forms.TypedChoiceField(label="Steward group", required=False, coerce=int, empty_value=None)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "— (backbone)"), *_group_choices(groups)]


class EngagementForm(forms.Form):
    group = forms.TypedChoiceField(coerce=int)
    kind = forms.ChoiceField(choices=Engagement.Kind.choices)
    occurred_on = forms.DateField(widget=DATE)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    asks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    response = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = _group_choices(groups)


class OutcomeForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(label="What changed", widget=forms.Textarea(attrs={"rows": 3}))
    actor_changed = forms.CharField(label="Who changed (or for whom)", max_length=200)
    happened_on = forms.DateField(label="When", widget=DATE)
    place_name = forms.CharField(label="Where", required=False, max_length=200)
    group = forms.TypedChoiceField(label="Harvested by", coerce=int)
    contributing_groups = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    contributing_activities = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    contribution = forms.CharField(
        label="How the collective contributed", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    significance = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sources = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    substantiated_by = forms.CharField(required=False, max_length=300)

    def __init__(
        self, *args: Any, owners: list[Group], groups: list[Group], activities: list[Activity], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("group", _group_choices(owners)),
            ("contributing_groups", _group_choices(groups)),
            ("contributing_activities", [(a.pk, f"{a.title} ({a.starts_on:%b %Y})") for a in activities]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField | forms.TypedMultipleChoiceField)
            field.choices = choices

    @staticmethod
    def initial_from(outcome: Outcome) -> dict[str, Any]:
        return {
            "title": outcome.title,
            "description": outcome.description,
            "actor_changed": outcome.actor,
            "happened_on": outcome.happened_on,
            "place_name": outcome.place_name,
            "group": outcome.group_id,
            "contributing_groups": [g.pk for g in outcome.contributing_groups.all()],
            "contributing_activities": [a.pk for a in outcome.contributing_activities.all()],
            "contribution": outcome.contribution,
            "significance": outcome.significance,
            "sources": outcome.sources,
            "substantiated_by": outcome.substantiated_by,
        }


class StoryForm(forms.Form):
    title = forms.CharField(max_length=200)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}))
    group = forms.TypedChoiceField(coerce=int)
    teller_name = forms.CharField(
        required=False,
        max_length=120,
        help_text="How the teller wants to be named. Never shown to the public.",
    )
    consent_note = forms.CharField(
        label="Consent", max_length=300, help_text="How and when the teller agreed to share this story."
    )
    told_on = forms.DateField(widget=DATE, initial=dt.date.today)
    themes = forms.CharField(required=False, help_text="Comma-separated, e.g. water, women, savings.")
    visibility = forms.ChoiceField(choices=Story._meta.get_field("visibility").choices, initial="collective")  # type: ignore[arg-type]
    groups = forms.TypedMultipleChoiceField(
        label="Other groups it is about",
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    activities = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    outcomes = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(
        self,
        *args: Any,
        owners: list[Group],
        groups: list[Group],
        activities: list[Activity],
        outcomes: list[Outcome],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("group", _group_choices(owners)),
            ("groups", _group_choices(groups)),
            ("activities", [(a.pk, f"{a.title} ({a.starts_on:%b %Y})") for a in activities]),
            ("outcomes", [(o.pk, o.title) for o in outcomes]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField | forms.TypedMultipleChoiceField)
            field.choices = choices

    @staticmethod
    def initial_from(story: Story) -> dict[str, Any]:
        return {
            "title": story.title,
            "text": story.text,
            "group": story.group_id,
            "teller_name": story.teller_name,
            "consent_note": story.consent_note,
            "told_on": story.told_on,
            "themes": ", ".join(story.themes),
            "visibility": story.visibility,
            "groups": [g.pk for g in story.groups.all()],
            "activities": [a.pk for a in story.activities.all()],
            "outcomes": [o.pk for o in story.outcomes.all()],
        }

    def clean_themes(self) -> list[str]:
        return [t.strip() for t in (self.cleaned_data.get("themes") or "").split(",") if t.strip()]
