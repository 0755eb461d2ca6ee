"""Matching a file's header to a record type's columns: automatically by name or alias, and checking a
mapping the user edited before anything is imported."""

from __future__ import annotations

import pytest

from minga.core.bulk import Column
from minga.core.bulk.mapping import auto_mapping, check_mapping, data_columns, normalise
from tests.core.bulk_support import PeopleState, file_codes, import_file, people_csv, write

COLUMNS = (
    Column("external_id", "An id from another system."),
    Column("email", "Email address."),
    Column("full_name", "The person's name.", required=True, aliases=("name", "Nom complet")),
    Column("group", "Group code.", required=True),
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Full name", "full_name"),
        ("full-name", "full_name"),
        ("  FULL_NAME ", "full_name"),
        ("Full  Name!", "full_name"),
        ("E-mail", "e_mail"),
    ],
)
def test_headers_are_compared_without_case_spaces_or_punctuation(header, expected):
    assert normalise(header) == expected


def test_auto_mapping_matches_names_aliases_case_and_spaces():
    headers = ["External ID", " EMAIL ", "nom complet", "Group", "Notes"]
    assert auto_mapping(COLUMNS, headers) == {
        "External ID": "external_id",
        " EMAIL ": "email",
        "nom complet": "full_name",
        "Group": "group",
        "Notes": "",
    }


def test_auto_mapping_fills_a_field_once_the_first_header_wins():
    assert auto_mapping(COLUMNS, ["Name", "full_name", "group"]) == {
        "Name": "full_name",
        "full_name": "",
        "group": "group",
    }


def test_a_good_mapping_gives_each_column_its_file_index():
    headers = ["group", "Name", "email"]
    sources, problems, warnings = check_mapping(COLUMNS, headers, auto_mapping(COLUMNS, headers))
    assert sources == [None, 2, 1, 0]
    assert problems == [] and warnings == []


def test_duplicate_headers_are_a_problem_naming_both_columns():
    headers = ["full_name", "group", "email", "email"]
    _, problems, _ = check_mapping(COLUMNS, headers, {"full_name": "full_name", "group": "group"})
    assert [(p.code, p.column) for p in problems] == [("duplicate_column", "email")]
    assert "columns 3 and 4" in problems[0].message


def test_two_headers_mapped_to_one_field_are_a_problem():
    headers = ["Name", "Full name", "group"]
    mapping = {"Name": "full_name", "Full name": "full_name", "group": "group"}
    _, problems, _ = check_mapping(COLUMNS, headers, mapping)
    assert [(p.code, p.column) for p in problems] == [("duplicate_mapping", "Full name")]
    assert problems[0].message == "Columns 'Name' and 'Full name' both fill 'full_name': choose one."


def test_a_missing_required_column_is_named_with_its_description():
    _, problems, _ = check_mapping(COLUMNS, ["email"], {"email": "email"})
    assert [(p.code, p.column) for p in problems] == [
        ("missing_column", "full_name"),
        ("missing_column", "group"),
    ]
    assert problems[0].message == "The required column 'full_name' (The person's name.) is missing."


def test_mapping_to_an_unknown_field_is_a_problem():
    headers = ["full_name", "group", "Shoe size"]
    mapping = {"full_name": "full_name", "group": "group", "Shoe size": "shoe_size"}
    _, problems, _ = check_mapping(COLUMNS, headers, mapping)
    assert [(p.code, p.column) for p in problems] == [("unknown_field", "Shoe size")]


def test_every_problem_is_reported_at_once():
    headers = ["email", "email", "x"]
    _, problems, _ = check_mapping(COLUMNS, headers, {"email": "email", "x": "nope"})
    assert {p.code for p in problems} == {"duplicate_column", "unknown_field", "missing_column"}


def test_extra_columns_only_warn():
    headers = ["full_name", "group", "Notes", "Shoe size", ""]
    sources, problems, warnings = check_mapping(COLUMNS, headers, auto_mapping(COLUMNS, headers))
    assert problems == []
    assert warnings == ["Column 'Notes' is not imported.", "Column 'Shoe size' is not imported."]
    assert sources == [None, None, 0, 1]


@pytest.mark.parametrize("errors_header", ["errors", "Errors", " ERRORS "])
def test_the_errors_column_of_a_rejected_rows_file_is_ignored_silently(errors_header):
    headers = ["full_name", "group", errors_header]
    _, problems, warnings = check_mapping(COLUMNS, headers, auto_mapping(COLUMNS, headers))
    assert problems == [] and warnings == []


# --- through a real import ------------------------------------------------------------------------


def test_an_edited_mapping_with_a_problem_saves_nothing_and_says_why(world, tmp_path):
    before = PeopleState.now()
    content = people_csv("a@example.org,Amina,Amina W", header="email,full_name,Full Name")
    mapping = {"email": "email", "full_name": "full_name", "Full Name": "full_name"}
    report = import_file(write(tmp_path, content), actor=world.admin, collective=world.alpha, mapping=mapping)
    assert file_codes(report) == {"duplicate_mapping"}
    assert report.rows == 0 and not report.committed
    assert report.summary().startswith("Nothing was imported: Columns 'full_name' and 'Full Name'")
    assert PeopleState.now() == before


@pytest.mark.parametrize(
    ("header", "code", "column"),
    [
        ("external_id,email,group", "missing_column", "full_name"),
        ("external_id,email,full_name,email", "duplicate_column", "email"),
        ("external_id,email,full_name,FULL NAME", None, None),  # the second is left out, with a warning
    ],
)
def test_missing_and_duplicate_columns_stop_the_import(world, tmp_path, header, code, column):
    before = PeopleState.now()
    row = ",".join(["KE-1", "a@example.org", "Amina", "Amina"][: header.count(",") + 1])
    report = import_file(
        write(tmp_path, people_csv(row, header=header)), actor=world.admin, collective=world.alpha
    )
    if code is None:
        assert report.committed and report.created == 1
        assert "Column 'FULL NAME' is not imported." in report.warnings
        return
    assert [(p["code"], p.get("column")) for p in report.file_problems] == [(code, column)]
    assert PeopleState.now() == before


def test_a_rejected_rows_file_imports_again_without_a_warning(world, tmp_path):
    content = people_csv(
        "KE-1,a@example.org,Amina,,,Row 2: email: 'x' is not a valid email address.",
        header="external_id,email,full_name,group,role,errors",
    )
    report = import_file(write(tmp_path, content), actor=world.admin, collective=world.alpha)
    assert report.committed and report.created == 1
    assert report.warnings == []


# --- a column fed by many file columns (the wide layout) ----------------------------------------------

WIDE = (
    Column("group", "Group code.", required=True),
    Column("period", "Period code.", required=True),
    Column("value", "One column per indicator, headed by its code.", required=True, many=True),
)


def test_headers_matching_no_column_feed_the_many_column():
    headers = ["Group", "period", "members", "meetings:f", "errors", ""]
    mapping = auto_mapping(WIDE, headers)
    assert mapping == {
        "Group": "group",
        "period": "period",
        "members": "value",
        "meetings:f": "value",
        "errors": "",  # the rejected-rows file's own column stays out
        "": "",
    }
    sources, problems, warnings = check_mapping(WIDE, headers, mapping)
    assert (sources, problems, warnings) == ([0, 1, None], [], [])
    assert data_columns(WIDE, headers, mapping) == [(2, "members"), (3, "meetings:f")]


def test_a_column_left_out_of_the_many_column_is_warned_and_not_handed_on():
    headers = ["group", "period", "members", "notes"]
    mapping = {"group": "group", "period": "period", "members": "value", "notes": ""}
    _, problems, warnings = check_mapping(WIDE, headers, mapping)
    assert not problems and warnings == ["Column 'notes' is not imported."]
    assert data_columns(WIDE, headers, mapping) == [(2, "members")]


def test_a_required_many_column_needs_one_file_column():
    headers = ["group", "period", "notes"]
    _, problems, _ = check_mapping(WIDE, headers, {"group": "group", "period": "period", "notes": ""})
    assert [(p.code, p.column) for p in problems] == [("missing_column", "value")]


def test_record_types_without_a_many_column_are_unchanged():
    headers = ["full_name", "group", "members"]
    mapping = auto_mapping(COLUMNS, headers)
    assert mapping["members"] == "" and data_columns(COLUMNS, headers, mapping) == []
