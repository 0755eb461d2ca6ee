"""Parsing cells into values (minga.core.bulk.values): the same rules as the forms, whatever the path.

Property tests pin the two parsers every import leans on: `parse_email` accepts exactly what Django's
`validate_email` (the forms' validator) accepts, lower-cased and within the column's 254 characters,
fast path included; `parse_date` accepts exactly ISO dates (YYYY-MM-DD, a time after it allowed)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from minga.core.bulk.values import CellError, Choices, parse_date, parse_email, parse_float, parse_list

# --- emails ---------------------------------------------------------------------------------------


def django_accepts(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


LOCAL_CHARS = "abcXYZ09!#$%&'*+/=?^_`{|}~-.\"\\ (),:;<>[]@é\n\t"
DOMAIN_CHARS = "abcXYZ09-._[]:é\n"
near_emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}{tld}",
    st.text(alphabet=LOCAL_CHARS, min_size=0, max_size=70),
    st.text(alphabet=DOMAIN_CHARS, min_size=0, max_size=70),
    st.sampled_from(["", ".org", ".ORG", ".c", ".co.ke", ".xn--p1ai", ".рф", ".c-d", ".123", ".org.", "\n"]),
)


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.emails(), near_emails, st.text(max_size=40)))
@example("amina@example.org\n")
@example("Amina.Wanjiru@Example.ORG")
@example(f"{'a' * 64}@example.org")
@example(f"{'a' * 65}@example.org")
@example(f"a@{'b' * 63}.org")
@example(f"a@{'b' * 64}.org")
@example(f"a@{'b.' * 124}org")  # 255 characters: Django takes it, the column does not
@example('"amina wanjiru"@example.org')
@example("amina@[192.168.0.1]")
@example("amina@localhost")
@example("amina@bücher.de")
def test_parse_email_accepts_exactly_what_django_accepts_lower_cased(text):
    lowered = text.lower()
    expected = bool(text) and django_accepts(lowered) and len(lowered) <= 254
    try:
        value = parse_email(text)
    except CellError as error:
        assert not expected, f"{text!r} was refused ({error}) but Django accepts it"
        assert str(error)
        return
    if not text:
        assert value == ""
        return
    assert expected, f"{text!r} was accepted but Django refuses it"
    assert value == lowered


def test_an_empty_email_is_no_email():
    assert parse_email("") == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("amina@", "'amina@' is not a valid email address."),
        (f"{'a' * 250}@example.org", "This email is too long."),
    ],
)
def test_email_messages(text, message):
    with pytest.raises(CellError) as error:
        parse_email(text)
    assert str(error.value) == message


# --- dates ----------------------------------------------------------------------------------------

ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ](.+))?", re.DOTALL)


def iso_date(text: str) -> dt.date | None:
    """The oracle: YYYY-MM-DD, a real day, optionally followed by a time that Python reads as ISO."""
    match = ISO.fullmatch(text)
    if match is None:
        return None
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    if match[4] is not None:
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return day


DATE_CHARS = "0123456789-T :.+Z/W٣x\n"
date_like = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.datetimes().map(dt.datetime.isoformat),
    st.datetimes().map(lambda moment: moment.isoformat(sep=" ")),
    st.dates().map(lambda day: day.strftime("%Y%m%d")),  # ISO "basic" format: not what the files use
    st.dates().map(lambda day: day.strftime("%d/%m/%Y")),
    st.text(alphabet=DATE_CHARS, max_size=25),
    st.builds(
        lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
        st.integers(0, 9999),
        st.integers(0, 19),
        st.integers(0, 39),
        st.sampled_from(["", "T10:30", " 10:30:00", "T25:00", "x", "T", " ", "Z", "\n", "T10:30:00+02:00"]),
    ),
)


@settings(max_examples=600, deadline=None)
@given(date_like)
@example("2024-03-01")
@example("2024-02-29")
@example("2023-02-29")
@example("2024-03-01T10:30:00")
@example("2024-03-01 00:00:00")
@example("2024-03-01garbage")
@example("2024-03-01\n")
@example("20240301")
@example("2024-W09-5")
@example("\u0662\u0660\u0662\u0664-\u0660\u0663-\u0660\u0661")  # Arabic-Indic digits
def test_parse_date_accepts_exactly_iso_dates(text):
    expected = iso_date(text)
    try:
        value = parse_date(text)
    except CellError as error:
        assert expected is None, f"{text!r} was refused ({error}) but is an ISO date"
        return
    if not text:
        assert value is None
        return
    assert value == expected, f"{text!r} gave {value}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01/03/2024", "'01/03/2024' is not a date: write dates as YYYY-MM-DD, e.g. 2024-03-01."),
        ("2024-02-30", "'2024-02-30' is not a real date."),
        ("2024-03-01 soon", "'2024-03-01 soon' is not a date: write dates as YYYY-MM-DD, e.g. 2024-03-01."),
    ],
)
def test_date_messages(text, message):
    with pytest.raises(CellError) as error:
        parse_date(text)
    assert str(error.value) == message


def test_a_future_date_can_be_refused():
    today = dt.date(2024, 3, 1)
    assert parse_date("2024-03-01", allow_future=False, today=today) == today
    with pytest.raises(CellError) as error:
        parse_date("2024-03-02", allow_future=False, today=today)
    assert str(error.value) == "2024-03-02 is in the future."


# --- numbers, e.g. coordinates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("", None), ("-1.31", -1.31), ("-1,31", -1.31), ("36", 36.0), (" 36.78 ", 36.78), ("1e1", 10.0)],
)
def test_a_coordinate_is_read_with_a_point_or_a_decimal_comma(text, value):
    assert parse_float(text, low=-90, high=90, what="Latitude") == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("91", "Latitude must be between -90 and 90."),
        ("-90.0001", "Latitude must be between -90 and 90."),
        ("nan", "Latitude must be between -90 and 90."),
        ("inf", "Latitude must be between -90 and 90."),
        ("north", "'north' is not a number."),
        ("1,234.5", "'1,234.5' is not a number."),
        ("1,2,3", "'1,2,3' is not a number."),
    ],
)
def test_a_coordinate_out_of_range_or_not_a_number_is_explained(text, message):
    with pytest.raises(CellError) as error:
        parse_float(text, low=-90, high=90, what="Latitude")
    assert str(error.value) == message


# --- choices and lists ----------------------------------------------------------------------------


def test_a_choice_is_read_by_value_or_label_in_any_case():
    roles = Choices([("lead", "Group lead"), ("member", "Member")], what="role")
    assert [roles.parse(t) for t in ("lead", "LEAD", "Group lead", "group LEAD ", "member")] == [
        "lead",
        "lead",
        "lead",
        "lead",
        "member",
    ]
    with pytest.raises(CellError) as error:
        roles.parse("queen")
    assert str(error.value) == "'queen' is not a known role: use one of lead, member."


def test_a_choice_looked_up_without_raising_gives_none_for_unknown_text():
    roles = Choices([("lead", "Group lead"), ("member", "Member")], what="role")
    assert (roles.get("Group LEAD"), roles.get("member"), roles.get("queen"), roles.get("")) == (
        "lead",
        "member",
        None,
        None,
    )


def test_a_value_wins_over_a_label_that_spells_it():
    confusing = Choices([("a", "B"), ("b", "Bee")], what="thing")
    assert confusing.parse("b") == "b"


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("", []),
        ("facilitation; bookkeeping", ["facilitation", "bookkeeping"]),
        ("a, b;c ;; a", ["a", "b", "c"]),
        (" ; , ", []),
        ("x" * 100, ["x" * 60]),
    ],
)
def test_a_list_cell_is_split_on_semicolons_or_commas_without_blanks_or_repeats(text, items):
    assert parse_list(text) == items
