"""Language tags: the one rule for every language Minga stores (a person's preferred language, a
collective's languages), used alike by forms, the API and imports.

A language is any well-formed BCP 47 tag, simplified: a 2-3 letter language and optional subtags (sw,
hi, pt-BR, zh-Hant). A collective mobilising people across countries meets many more languages than the
interface speaks (`settings.LANGUAGES`), so the rule is the tag's form, not a list. Tags are stored in
their canonical case (language lower, script title, region upper), so "PT-br" and "pt-BR" are one
language. Where people type, a language's name ("Kiswahili", "Hindi") is understood too.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO

from minga.core.errors import DomainError

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

# Names of languages the collectives work in that Django's locale table lacks.
_MORE_NAMES = {
    "am": "Amharic",
    "ceb": "Cebuano",
    "ee": "Ewe",
    "gu": "Gujarati",
    "ha": "Hausa",
    "kek": "Q'eqchi'",
    "lg": "Luganda",
    "nah": "Nahuatl",
    "or": "Odia",
    "qu": "Quechua",
    "quc": "K'iche'",
    "rw": "Kinyarwanda",
    "so": "Somali",
    "tl": "Tagalog",
    "tw": "Twi",
    "wo": "Wolof",
    "yo": "Yoruba",
    "zap": "Zapotec",
    "zu": "Zulu",
}


class LanguageError(ValueError):
    """The text is neither a language tag nor a language's name; the message says so plainly."""


def canonical(tag: str) -> str:
    """`tag` in BCP 47's canonical case: "PT-br" → "pt-BR", "zh-hant" → "zh-Hant", "es-419" as is."""
    language, *subtags = tag.split("-")
    parts = [language.lower()]
    for subtag in subtags:
        if len(subtag) == 4 and subtag.isalpha():
            parts.append(subtag.title())  # a script
        elif len(subtag) == 2 and subtag.isalpha():
            parts.append(subtag.upper())  # a region
        else:
            parts.append(subtag.lower())
    return "-".join(parts)


def is_tag(text: str) -> bool:
    """Whether `text` is a well-formed tag (any case)."""
    return bool(LANGUAGE_TAG.match(text))


@functools.cache
def _names() -> dict[str, str]:
    """Tag → name: the interface's own names first, then Django's, then ours."""
    names = {canonical(code): info["name"] for code, info in LANG_INFO.items() if "name" in info}
    names.update(_MORE_NAMES)
    names.update({canonical(code): str(name) for code, name in settings.LANGUAGES})
    return names


@functools.cache
def _by_name() -> dict[str, str]:
    """Lower-cased name (English or the language's own) → tag."""
    found: dict[str, str] = {}
    for code, info in LANG_INFO.items():
        for key in ("name", "name_local"):
            if key in info:
                found.setdefault(info[key].lower(), canonical(code))
    for code, name in _MORE_NAMES.items():
        found.setdefault(name.lower(), code)
    found.update({str(name).lower(): canonical(code) for code, name in settings.LANGUAGES})
    return found


def name(tag: str) -> str:
    """The language's name, or the tag itself when Minga knows no name for it."""
    return _names().get(tag) or _names().get(tag.split("-")[0]) or tag


def parse(text: str, *, names: bool = True, max_length: int | None = None) -> str:
    """The canonical tag `text` gives: a tag in any case, or (with `names`) a language's name. Raises
    LanguageError. A short text that is a tag is read as a tag ("or" is Odia, not a word), a longer one as
    a name first; a POSIX locale's underscore (en_GB) reads as the tag's hyphen.
    """
    text = text.strip()
    if "_" in text and is_tag(text.replace("_", "-")):
        text = text.replace("_", "-")  # a POSIX locale (en_GB), as other systems export them
    if is_tag(text) and len(text) <= 3:
        tag = canonical(text)
    elif names and text.lower() in _by_name():
        tag = _by_name()[text.lower()]
    elif is_tag(text):
        tag = canonical(text)
    else:
        or_name = ", or a name such as Kiswahili" if names else ""
        raise LanguageError(f"{text!r} is not a language: give a code such as en, sw, hi or pt-BR{or_name}.")
    if max_length is not None and len(tag) > max_length:
        raise LanguageError(f"{text!r} is too long for a language code (at most {max_length} characters).")
    return tag


def as_filter(text: str) -> str:
    """What a language filter looks for: the tag `text` names ("Hindi", "PT-br"), or the text itself,
    which then matches nothing."""
    try:
        return parse(text)
    except LanguageError:
        return text


def choices(*preferred: str) -> list[tuple[str, str]]:
    """(tag, name) to offer where a language is picked: `preferred` first (e.g. the collective's
    languages and the current value), then the interface's languages, without repeats."""
    tags = [*preferred, *(code for code, _ in settings.LANGUAGES)]
    return [(tag, name(tag)) for tag in dict.fromkeys(t for t in tags if t)]


def clean(value: Any, *, field: str, max_length: int | None = None, names: bool = True) -> str:
    """`parse` for services: the canonical tag of `value`, or a DomainError on `field`."""
    if not isinstance(value, str):
        raise DomainError.single("invalid_language", "Give the language as a code such as en.", field=field)
    try:
        return parse(value, names=names, max_length=max_length)
    except LanguageError as error:
        raise DomainError.single("invalid_language", str(error), field=field) from error


def clean_list(values: Any, *, field: str, names: bool = True) -> list[str]:
    """A list of languages as canonical tags without repeats, or one DomainError on `field` naming every
    value that is no language."""
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        message = "Give the languages as a list of codes, e.g. en, es."
        raise DomainError.single("invalid", message, field=field)
    tags, bad = [], []
    for value in values:
        try:
            tags.append(parse(value, names=names))
        except LanguageError:
            bad.append(value)
    if bad:
        raise DomainError.single(
            "invalid_language",
            f"Not a language code: {', '.join(bad)}. Use codes such as en, es or pt-BR.",
            field=field,
        )
    return list(dict.fromkeys(tags))
