"""Forms of the people pages. They parse input only; the rules (who may grant what, duplicates, dates)
live in `minga.people.services` and come back as problems next to the fields (`add_problems`)."""

from __future__ import annotations

from typing import Any

from django import forms

from minga.architecture.models import Group
from minga.core import languages
from minga.core.choices import Role
from minga.core.models import Collective
from minga.people.models import LANGUAGE_LENGTH

ROLE_FILTER_CHOICES = [("", "Any role"), *Role.choices]


class SkillsField(forms.CharField):
    """Skills typed as "sewing, bookkeeping, facilitation" and stored as a list of short tags."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        seen: dict[str, None] = {}
        for item in text.split(","):
            tag = item.strip()
            if tag:
                seen.setdefault(tag[:60], None)
        return list(seen)


class GroupCodeField(forms.CharField):
    """A group picked by its code (with a datalist of suggestions): works for 50,000 groups, where a
    <select> would not. Resolves to a Group of the collective, or "no such group"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault("help_text", "Type the group's code or name and pick it from the list.")
        super().__init__(*args, **kwargs)
        self.queryset: Any = Group.objects.none()

    def clean(self, value: Any) -> Group | None:
        code = super().clean(value)
        if not code:
            return None
        text = code.strip()
        group = self.queryset.filter(code=text).first()
        if group is None:
            # People type names more often than codes: accept a name that points at one group.
            named = list(self.queryset.filter(name__iexact=text)[:2])
            if len(named) > 1:
                raise forms.ValidationError(
                    "Several groups have this name: pick one from the list.", code="ambiguous_group"
                )
            group = named[0] if named else None
        if group is None:
            raise forms.ValidationError(
                "There is no group with this code that you can reach.", code="no_group"
            )
        return group


class _GroupFormMixin:
    """Points the group field at the groups the viewer may reach in this collective."""

    fields: dict[str, forms.Field]

    def _limit_groups(self, groups: Any, collective: Collective) -> None:
        field = self.fields["group"]
        assert isinstance(field, GroupCodeField)
        field.queryset = groups.filter(collective=collective).select_related("collective")
        field.widget.attrs["list"] = "group-choices"
        field.widget.attrs["autocomplete"] = "off"


class PersonFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": "Name or email"}),
    )
    group = forms.CharField(label="In group (code)", required=False, max_length=60)
    role = forms.ChoiceField(label="Role", required=False, choices=ROLE_FILTER_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].widget.attrs.update({"list": "group-choices", "autocomplete": "off"})


class PersonForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email", required=False, help_text="Needed only to invite them to log in.")
    external_id = forms.CharField(
        label="External id",
        required=False,
        max_length=100,
        help_text="An identifier from another system, if any.",
    )
    preferred_language = forms.CharField(
        label="Preferred language",
        required=False,
        initial="en",
        max_length=60,
        help_text="A code such as en, sw, hi or pt-BR, or the language's name. Empty: no preference.",
    )
    skills = SkillsField(
        label="Skills",
        required=False,
        max_length=1000,
        help_text="Separate with commas, e.g. sewing, bookkeeping.",
    )

    def __init__(self, *args: Any, collective: Collective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any language may be typed (the rule of `core.languages`, as in imports and the API); the
        # collective's own languages and the current one are suggested first, then the interface's.
        current = self.initial.get("preferred_language") or ""
        self.language_choices = languages.choices(*(collective.languages or []), current)
        self.fields["preferred_language"].widget.attrs.update(
            {"list": "language-choices", "autocomplete": "off"}
        )

    def clean_preferred_language(self) -> str:
        text = self.cleaned_data["preferred_language"]
        if not text:
            return ""
        try:
            return languages.parse(text, max_length=LANGUAGE_LENGTH)
        except languages.LanguageError as error:
            raise forms.ValidationError(str(error), code="invalid_language") from error


class PersonCreateForm(_GroupFormMixin, PersonForm):
    group = GroupCodeField(label="Group")
    role = forms.ChoiceField(label="Role in the group", choices=Role.choices, initial=Role.MEMBER)
    consent_given = forms.BooleanField(
        label="They consent to Minga keeping this record", required=False, initial=False
    )
    consent_purpose = forms.CharField(
        label="Purpose of the consent",
        required=False,
        max_length=300,
        help_text="What they agreed to, e.g. “membership records and activity invitations”.",
    )

    field_order = ["full_name", "email", "group", "role"]

    def __init__(
        self, *args: Any, groups: Any, collective: Collective, roles: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, collective=collective, **kwargs)
        self._limit_groups(groups, collective)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = roles
        if roles and Role.MEMBER in dict(roles):
            role.initial = Role.MEMBER

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("consent_given") and not (data.get("consent_purpose") or "").strip():
            self.add_error("consent_purpose", "Say what the consent is for.")
        return data


class ConsentForm(forms.Form):
    action = forms.ChoiceField(choices=[("give", "Consent given"), ("withdraw", "Consent withdrawn")])
    purpose = forms.CharField(label="Purpose", required=False, max_length=300)


class MembershipForm(_GroupFormMixin, forms.Form):
    group = GroupCodeField(label="Group")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)
    started_on = forms.DateField(
        label="Started on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today if empty.",
    )
    ended_on = forms.DateField(
        label="Ended on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a current role.",
    )

    def __init__(
        self, *args: Any, groups: Any, collective: Collective, roles: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._limit_groups(groups, collective)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = roles


class MembershipEndForm(forms.Form):
    ended_on = forms.DateField(label="Ended on", widget=forms.DateInput(attrs={"type": "date"}))


class InvitationForm(_GroupFormMixin, forms.Form):
    group = GroupCodeField(label="Group", help_text="The group whose role they take up when they accept.")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)

    def __init__(
        self, *args: Any, groups: Any, collective: Collective, roles: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._limit_groups(groups, collective)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = roles
