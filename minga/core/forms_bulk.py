"""Forms of the import pages: the upload, and the column mapping of an uploaded file.

They only parse input; the import services decide (sizes, encodings, the mapping's rules) and their
problems come back through `minga.core.forms.add_problems`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from minga.core.bulk.spec import RecordType
from minga.core.models import ImportJob

NOT_IMPORTED = "— not imported —"
MODE_HELP = (
    "All or nothing: if any row is wrong, nothing is saved and every problem is listed. "
    "Valid rows: the good rows are saved and the others listed, to fix and upload again."
)
ENCODINGS = [
    ("", "Detect automatically"),
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows-1252 (Western European, older Excel)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("utf-16", "UTF-16"),
]
DELIMITERS = [
    ("", "Detect automatically"),
    (",", "Comma ( , )"),
    (";", "Semicolon ( ; )"),
    ("\t", "Tab"),
    ("|", "Vertical bar ( | )"),
]


def _mode_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="If some rows are wrong",
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL,
        widget=forms.RadioSelect,
        help_text=MODE_HELP,
    )


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(
        label="File",
        # Empty files are refused by the import service, with the same message as the API and the CLI.
        allow_empty_file=True,
        help_text="CSV, Excel (XLSX) or JSON lines, with the column names in the first row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.jsonl,.ndjson,.json"}),
    )
    mode = _mode_field()
    encoding = forms.ChoiceField(
        label="Text encoding", choices=ENCODINGS, required=False, help_text="CSV and JSON lines only."
    )
    delimiter = forms.ChoiceField(
        label="Delimiter",
        choices=DELIMITERS,
        required=False,
        help_text="The character between cells (CSV only).",
    )

    def __init__(self, *args: Any, record_types: Sequence[RecordType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(rt.name, rt.label) for rt in record_types]
        if len(record_types) == 1:
            kind.initial = record_types[0].name
        else:
            # No silent default: a people file read as groups would only produce confusing problems.
            kind.choices = [("", "Choose…"), *kind.choices]


class ColumnSelect(forms.Select):
    """A select of a record type's columns whose options carry their description (shown as help)."""

    def __init__(self, descriptions: dict[str, str], attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={**(attrs or {}), "data-describe": ""})
        self.descriptions = descriptions

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["attrs"]["data-description"] = self.descriptions.get(str(option["value"]), "")
        return option


def column_help(record_type: RecordType, name: str) -> str:
    if not name:
        return "This column of your file is left out."
    try:
        return record_type.column(name).description
    except KeyError:
        return ""


class MappingForm(forms.Form):
    """One select per header cell of the file (fields col_0, col_1, …), and the mode."""

    def __init__(
        self,
        *args: Any,
        record_type: RecordType,
        headers: Sequence[str],
        mapping: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        descriptions = {c.name: c.description for c in record_type.columns}
        descriptions[""] = column_help(record_type, "")
        choices = [("", NOT_IMPORTED)] + [
            (c.name, f"{c.name} (required)" if c.required else c.name) for c in record_type.columns
        ]
        for index, header in enumerate(self.headers):
            chosen = mapping.get(header, "")
            self.fields[self.field_name(index)] = forms.ChoiceField(
                label=header.strip() or f"Column {index + 1} (no heading)",
                choices=choices,
                required=False,
                initial=chosen,
                help_text=column_help(record_type, chosen),
                widget=ColumnSelect(descriptions),
            )
        self.fields["mode"] = _mode_field()

    @staticmethod
    def field_name(index: int) -> str:
        return f"col_{index}"

    def column_fields(self) -> list[forms.BoundField]:
        return [self[self.field_name(i)] for i in range(len(self.headers))]

    def field_for_header(self, header: str) -> str | None:
        """The field of the first file column headed `header` (problems name columns by header)."""
        for index, name in enumerate(self.headers):
            if name == header or name.strip() == header:
                return self.field_name(index)
        return None

    def mapping(self) -> dict[str, str]:
        """{header: column name or ""}; the first of two identical headers wins (the service refuses them)."""
        result: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            result.setdefault(header, self.cleaned_data.get(self.field_name(index)) or "")
        return result
