"""The one rule for languages (`core.languages`): what is a language, and how it is written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minga.core import languages


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("EN", "en"),
        (" sw ", "sw"),
        ("or", "or"),  # Odia, though it is also an English word
        ("pt-br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("en_GB", "en-GB"),
        ("Kiswahili", "sw"),
        ("swahili", "sw"),
        ("Hindi", "hi"),
        ("Français", "fr"),
        ("Brazilian Portuguese", "pt-BR"),
        ("Odia", "or"),
    ],
)
def test_a_tag_in_any_case_or_a_name_gives_the_canonical_tag(text, tag):
    assert languages.parse(text) == tag


@pytest.mark.parametrize("text", ["", "x", "en_", "en-", "-en", "english language", "e1", "pt-BRAZILIANPT"])
def test_what_is_no_language_is_refused_saying_what_to_give(text):
    with pytest.raises(languages.LanguageError, match="give a code such as en, sw, hi or pt-BR"):
        languages.parse(text)


def test_names_can_be_refused_where_only_codes_belong():
    assert languages.parse("sw", names=False) == "sw"
    with pytest.raises(languages.LanguageError):
        languages.parse("Kiswahili", names=False)


def test_a_tag_longer_than_its_column_is_refused():
    assert languages.parse("zh-Hant-TW", max_length=10) == "zh-Hant-TW"
    with pytest.raises(languages.LanguageError, match="at most 10"):
        languages.parse("zh-Hant-TWN", max_length=10)


subtag = st.from_regex(r"[A-Za-z0-9]{2,8}", fullmatch=True)
tags = st.builds(
    lambda first, rest: "-".join([first, *rest]),
    st.from_regex(r"[A-Za-z]{2,3}", fullmatch=True),
    st.lists(subtag, max_size=3),
)


@given(tags)
def test_every_tag_reads_as_itself_once_canonical(tag):
    """What the services store reads back unchanged: the import's round trip rests on this."""
    stored = languages.parse(tag)
    assert languages.is_tag(stored)
    assert languages.parse(stored) == stored == languages.canonical(stored)
    assert stored.lower() == languages.canonical(tag).lower()


def test_choices_put_the_given_first_without_repeats_and_name_them():
    assert languages.choices("hi", "sw", "", "hi")[:3] == [
        ("hi", "Hindi"),
        ("sw", "Kiswahili"),
        ("en", "English"),
    ]
    assert languages.name("hi-IN") == "Hindi"
    assert languages.name("xyz") == "xyz"
