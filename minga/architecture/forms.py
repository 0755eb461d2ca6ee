"""Forms of the architecture pages. They parse input; the services in `services.py` decide.

Fields come from the models (`fields_for_model`), so lengths, choices and validators are declared once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from minga.architecture.models import Group, GroupKind, GroupSet, GroupStatus, Layer, Link
from minga.core.models import Collective

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

GROUP_FORM_FIELDS = [
    "name",
    "code",
    "kind",
    "layer",
    "status",
    "founded_on",
    "closed_on",
    "place_name",
    "admin_area",
    "country_code",
    "latitude",
    "longitude",
    "contact_email",
    "description",
    "visibility",
]


class GroupForm(forms.Form):
    """Create or edit a group's profile (not its place in the tree: see `GroupMoveForm`)."""

    def __init__(self, *args: Any, collective: Collective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Group,
                fields=GROUP_FORM_FIELDS,
                widgets={
                    "founded_on": DATE,
                    "closed_on": DATE,
                    "description": forms.Textarea(attrs={"rows": 4}),
                    "country_code": forms.TextInput(attrs={"size": 2, "autocapitalize": "characters"}),
                },
                help_texts={
                    "layer": "Leave empty to use the layer of the kind.",
                    "closed_on": "Only for closed groups.",
                    "country_code": "Two letters, e.g. KE.",
                    "latitude": "Decimal degrees, e.g. -1.31. Give both latitude and longitude, or neither.",
                },
            )
        )
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ModelChoiceField)
        kind.queryset = GroupKind.objects.filter(collective=collective).order_by("order", "name")
        layer = self.fields["layer"]
        assert isinstance(layer, forms.ChoiceField)
        layer.required = False
        layer.choices = [("", "Same as the kind"), *Layer.choices]
        # The model's default ("action") would preselect a layer: a new group takes its kind's.
        layer.initial = ""

    def clean_country_code(self) -> str:
        return (self.cleaned_data.get("country_code") or "").upper()

    def changes(self) -> dict[str, Any]:
        """The cleaned values as service keyword arguments (an empty layer means "the kind's")."""
        data = dict(self.cleaned_data)
        if not data.get("layer"):
            data["layer"] = data["kind"].layer if data.get("kind") else None
        return data

    @staticmethod
    def initial_from(group: Group) -> dict[str, Any]:
        return {name: getattr(group, name) for name in GROUP_FORM_FIELDS}


class GroupMoveForm(forms.Form):
    """Choose a new parent from the search results (radio buttons), or the top level (admins)."""

    q = forms.CharField(label="Find the new parent group", required=False)
    new_parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    to_top = forms.BooleanField(label="Move to the top level (no parent)", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("to_top") and not data.get("new_parent"):
            self.add_error("q", "Search for the new parent group and choose one of the results.")
        return data


class GroupCloseForm(forms.Form):
    closed_on = forms.DateField(label="Closed on", widget=DATE)


LINK_FIELDS = ["kind", "weight", "started_on", "ended_on", "note"]


class LinkDetailsForm(forms.Form):
    """What a link is (kind, weight, dates, note), not which groups it joins: editing a link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(Link, fields=LINK_FIELDS, widgets={"started_on": DATE, "ended_on": DATE})
        )
        # The model's range for the weight, checked with the other fields (form fields do not copy it).
        self.fields["weight"].validators.extend(Link._meta.get_field("weight").validators)

    @staticmethod
    def initial_from(link: Link) -> dict[str, Any]:
        return {name: getattr(link, name) for name in LINK_FIELDS}


class LinkForm(LinkDetailsForm):
    """A link from (or to) the current group; the other end is chosen with the group search."""

    DIRECTION_CHOICES = [("out", "From this group to the other"), ("in", "From the other group to this one")]

    q = forms.CharField(label="Find the other group", required=False)
    other = forms.IntegerField(required=False, widget=forms.HiddenInput)
    direction = forms.ChoiceField(choices=DIRECTION_CHOICES, initial="out", widget=forms.RadioSelect)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("other"):
            self.add_error("q", "Search for the other group and choose one of the results.")
        return data


class GroupSetForm(forms.Form):
    """A group set's fields, and its groups as codes (one per line or comma-separated)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                GroupSet,
                fields=["name", "code", "kind", "description", "visibility"],
                widgets={"description": forms.Textarea(attrs={"rows": 3})},
            )
        )
        self.fields["group_codes"] = forms.CharField(
            label="Groups",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text="Codes of the groups in this set, one per line or separated by commas.",
        )

    def clean_group_codes(self) -> list[str]:
        raw = self.cleaned_data.get("group_codes") or ""
        codes = [part.strip() for part in raw.replace(",", "\n").splitlines()]
        return list(dict.fromkeys(code for code in codes if code))

    def resolve_groups(self, visible: QuerySet[Group]) -> list[Group] | None:
        """The groups named by their codes among `visible`; an unknown code is an error on the field."""
        codes: list[str] = self.cleaned_data["group_codes"]
        found = {g.code: g for g in visible.filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            self.add_error("group_codes", f"No group you can see has the code: {', '.join(missing)}.")
            return None
        return [found[code] for code in codes]


# --- the collective's settings -------------------------------------------------------------------

LOGO_MAX_BYTES = 1024 * 1024


class CollectiveForm(forms.Form):
    """A collective's profile. Languages are typed as codes separated by commas; the logo is an upload
    (a new file replaces the old one, "remove" clears it, neither keeps it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(
            Collective,
            fields=["name", "mission", "visibility", "logo"],
            widgets={
                "mission": forms.Textarea(attrs={"rows": 4}),
                "logo": forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,.svg,.webp"}),
            },
            help_texts={"logo": "PNG, JPEG, SVG or WebP, at most 1 MB."},
        )
        self.fields["name"] = model_fields["name"]
        self.fields["mission"] = model_fields["mission"]
        self.fields["languages"] = forms.CharField(
            label="Languages",
            required=False,
            max_length=200,
            help_text="Language codes separated by commas, most used first, e.g. en, es, pt-BR.",
        )
        self.fields["visibility"] = model_fields["visibility"]
        self.fields["logo"] = model_fields["logo"]
        self.fields["remove_logo"] = forms.BooleanField(label="Remove the current logo", required=False)

    @staticmethod
    def initial_from(collective: Collective) -> dict[str, Any]:
        return {
            "name": collective.name,
            "mission": collective.mission,
            "languages": ", ".join(collective.languages or []),
            "visibility": collective.visibility,
        }

    def clean_languages(self) -> list[str]:
        raw = self.cleaned_data.get("languages") or ""
        # Codes only here (a name such as "Brazilian Portuguese" holds a space); the service checks and
        # canonicalises them (`core.languages`).
        return [part for part in raw.replace(",", " ").split() if part]

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo is too big: use a file of at most 1 MB.", code="too_big")
        return logo

    def changes(self) -> dict[str, Any]:
        """The cleaned values as `collective_update` keyword arguments."""
        data = {name: self.cleaned_data[name] for name in ["name", "mission", "languages", "visibility"]}
        if self.cleaned_data.get("logo"):
            data["logo"] = self.cleaned_data["logo"]
        elif self.cleaned_data.get("remove_logo"):
            data["logo"] = ""
        return data


class GroupKindForm(forms.Form):
    """A kind of group. Its code is set once, when the kind is added (imports and the API use it)."""

    def __init__(self, *args: Any, kind: GroupKind | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                GroupKind,
                fields=["name", "code", "layer", "order"],
                help_texts={
                    "code": "Short code used by imports and the API, e.g. district. It cannot change later.",
                    "layer": "New groups of this kind start in this layer; existing groups keep theirs.",
                    "order": "Kinds are listed by this number, then by name (0 comes first).",
                },
            )
        )
        if kind is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Used by imports and the API; it cannot change."

    @staticmethod
    def initial_from(kind: GroupKind) -> dict[str, Any]:
        return {"name": kind.name, "code": kind.code, "layer": kind.layer, "order": kind.order}

    def changes(self) -> dict[str, Any]:
        """The editable values as `group_kind_update` keyword arguments (the code is left out)."""
        return {name: self.cleaned_data[name] for name in ["name", "layer", "order"]}


# --- the directory --------------------------------------------------------------------------------

STATUS_CHOICES = [("", "Any status"), *GroupStatus.choices]
LAYER_CHOICES = [("", "Any layer"), *Layer.choices]


class DirectoryForm(forms.Form):
    """The directory's search and filters (GET). Invalid values are ignored rather than refused."""

    q = forms.CharField(label="Search by name or place", required=False, max_length=100)
    layer = forms.ChoiceField(label="Layer", choices=LAYER_CHOICES, required=False)
    kind = forms.TypedChoiceField(label="Kind", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    group_set = forms.TypedChoiceField(label="Group set", required=False, coerce=int, empty_value=None)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, kinds: list[GroupKind], sets: list[GroupSet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.TypedChoiceField)
        kind.choices = [("", "Any kind"), *((k.pk, k.name) for k in kinds)]
        group_set = self.fields["group_set"]
        assert isinstance(group_set, forms.TypedChoiceField)
        group_set.choices = [("", "Any set"), *((s.pk, s.name) for s in sets)]

    def value(self, name: str) -> Any:
        """A cleaned value, or the empty value when the form refused that field."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class BoundaryForm(forms.Form):
    """A group's boundary: a .geojson file or pasted GeoJSON (a Polygon or MultiPolygon, a Feature, or a
    FeatureCollection of one feature), or clearing it. The service checks the geometry."""

    file = forms.FileField(
        label="GeoJSON file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
        help_text="A .geojson file with the group's outline, in WGS84 longitude/latitude.",
    )
    text = forms.CharField(
        label="Or paste GeoJSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
    )
    clear = forms.BooleanField(label="Remove the boundary", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [name for name in ("file", "text") if data.get(name)]
        if not data.get("clear") and not given:
            self.add_error("file", "Choose a GeoJSON file or paste the GeoJSON.")
        elif len(given) > 1:
            self.add_error("text", "Give a file or pasted text, not both.")
        return data

    def raw(self) -> bytes | str:
        """The uploaded bytes or the pasted text (after `is_valid`)."""
        upload = self.cleaned_data.get("file")
        return upload.read() if upload else self.cleaned_data.get("text") or ""


class BoundaryImportForm(forms.Form):
    """A FeatureCollection of boundaries, each feature matched to a group by a property."""

    file = forms.FileField(
        label="GeoJSON FeatureCollection",
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )
    match_property = forms.CharField(
        label="Property holding the group code",
        initial="code",
        max_length=80,
        help_text="The feature property whose value is the group's code, e.g. code or ADM2_PCODE.",
    )
    dry_run = forms.BooleanField(label="Only check the file, save nothing", required=False)
