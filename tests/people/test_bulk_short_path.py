"""Re-imports take a short path: rows whose raw cells are what is stored are counted unchanged before
they are parsed (`PeopleImporter.skip_unchanged`). Whatever the stored values and however the file writes
them, an import must report exactly what the full path would: the short path may only save time."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minga.core.bulk import Importer, get_record_type
from minga.core.bulk.formats import open_table
from minga.core.bulk.runner import ImportReport, run_import
from minga.core.choices import Role
from minga.people.bulk import PeopleImporter
from minga.people.models import Membership, Person
from tests.core.bulk_support import located, write
from tests.factories.people import make_person

PEOPLE = get_record_type("people")
HEADER = PEOPLE.headers  # external_id, email, full_name, language, skills, consent (2), group, role, since


@contextmanager
def full_path_only() -> Iterator[None]:
    """Every row the full way: the importer without its short path (the base class's, which takes none)."""
    short = PeopleImporter.skip_unchanged
    PeopleImporter.skip_unchanged = Importer.skip_unchanged  # type: ignore[method-assign]
    try:
        yield
    finally:
        PeopleImporter.skip_unchanged = short  # type: ignore[method-assign]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def outcome(report: ImportReport) -> tuple[Any, ...]:
    return (report.created, report.updated, report.unchanged, report.rejected, located(report))


def both_ways(world: Any, tmp_path: Any, content: bytes, **options: Any) -> tuple[tuple[Any, ...], ...]:
    """The dry-run outcome of importing `content` with the short path and without it."""
    path = write(tmp_path, content, "people.csv")

    def once() -> tuple[Any, ...]:
        report = run_import(
            record_type=PEOPLE,
            actor=world.admin,
            collective=world.alpha,
            table=open_table(path),
            dry_run=True,
            **options,
        )
        return outcome(report)

    short = once()
    with full_path_only():
        full = once()
    return short, full


# --- stored people, some of them stored by paths that don't clean values (a raw UPDATE) --------------

# Each field's first value is clean; the others are the ways a stored value can differ from what the
# full path would store, each a reason for the short path to leave the row to it.
CHOICES: dict[str, list[Any]] = {
    "name": [
        "Amina Otieno",
        " Padded",
        "Trailing ",
        "'=quoted formula",
        "'plain quote",
        "Nbsp\u00a0",
        "L" * 201,
        "",
    ],
    "email": ["p{n}@example.org", "P{n}@Example.org", "bad..{n}@example.org", "", " p{n}@example.org"],
    "external_id": ["KE-{n}", "", " KE-{n}", "=KE-{n}", "K" * 100 + "{n}"],
    "language": ["fr", "", "FR", "hi", "pt-br", "pt-BR", "Hindi", "x!"],
    "skills": [["facilitation", "bookkeeping"], [], ["a; b"], ["x", " y"], ["b", "a"]],
    "consent": ["given", "none", "withdrawn", "future", "padded", "long"],
    "membership": ["member", "ended", "none", "lead"],
}
OVERLONG = {"L" * 201, "K" * 100 + "{n}", "long"}


def choices() -> dict[str, list[Any]]:
    """`CHOICES`, less the values too long for their column on PostgreSQL, which refuses to store them
    (SQLite stores them, so a file can meet them there)."""
    if connection.vendor != "postgresql":
        return CHOICES
    return {
        f: [v for v in values if not (isinstance(v, str) and v in OVERLONG)] for f, values in CHOICES.items()
    }


@st.composite
def stored_people(draw: Any) -> list[dict[str, Any]]:
    """One to three people, each clean but for up to two fields."""
    people = []
    fields = choices()
    for n in range(draw(st.integers(1, 3))):
        person = {field: values[0] for field, values in fields.items()}
        for field in draw(st.lists(st.sampled_from(list(fields)), max_size=2)):
            person[field] = draw(st.sampled_from(fields[field][1:]))
        person.update(n=n, email=person["email"].format(n=n), external_id=person["external_id"].format(n=n))
        if not person["email"].strip() and not person["external_id"].strip():
            person["external_id"] = f"KE-{n}"
        people.append(person)
    return people


def store(world: Any, spec: dict[str, Any]) -> None:
    """The person as `spec` says, written behind the services where they would clean the values."""
    someone = make_person(world.alpha, full_name="x", email=f"tmp{spec['n']}@example.org")
    consent: dict[str, Any] = {"consent_purpose": "", "consent_given_at": None, "consent_withdrawn_at": None}
    given = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    if spec["consent"] in ("given", "padded", "withdrawn", "long"):
        purpose = {"padded": " Records", "long": "R" * 301}.get(spec["consent"], "Records")
        consent.update(consent_purpose=purpose)
        consent.update(consent_given_at=given)
    if spec["consent"] == "withdrawn":
        consent["consent_withdrawn_at"] = given + dt.timedelta(days=30)
    if spec["consent"] == "future":
        consent.update(consent_purpose="Records", consent_given_at=dt.datetime(2099, 1, 1, 12, tzinfo=dt.UTC))
    Person.objects.filter(pk=someone.pk).update(
        full_name=spec["name"],
        email=spec["email"],
        external_id=spec["external_id"],
        preferred_language=spec["language"],
        skills=spec["skills"],
        **consent,
    )
    if spec["membership"] != "none":
        role = Role.LEAD if spec["membership"] == "lead" else Role.MEMBER
        ended = dt.date(2024, 1, 1) if spec["membership"] == "ended" else None
        Membership.objects.create(
            person=someone, group=world.kibera, role=role, started_on=dt.date(2023, 6, 15), ended_on=ended
        )


# --- file rows: the stored values as an export writes them, or written otherwise ----------------------


def cells_of(spec: dict[str, Any]) -> list[str]:
    consent = spec["consent"]
    return [
        spec["external_id"],
        spec["email"],
        spec["name"],
        spec["language"],
        "; ".join(spec["skills"]),
        {"none": "", "padded": " Records", "long": "R" * 301}.get(consent, "Records"),
        {"none": "", "future": "2099-01-01"}.get(consent, "2024-03-01"),
        "ke-nai-kib",
        "lead" if spec["membership"] == "lead" else "member",
        "2023-06-15",
    ]


VARIANTS = [
    lambda c: c,  # as stored
    lambda c: [f" {c[0]}", *c[1:]],
    lambda c: [c[0], c[1].upper(), *c[2:]],
    lambda c: [*c[:2], c[2].strip() or "Someone", *c[3:]],
    lambda c: [*c[:2], "Another Name", *c[3:]],
    lambda c: [*c[:2], f"'{c[2]}", *c[3:]],
    lambda c: [*c[:3], "", *c[4:]],
    lambda c: [*c[:3], "FR", *c[4:]],
    lambda c: [*c[:4], c[4].replace("; ", ","), *c[5:]],
    lambda c: [*c[:4], "", *c[5:]],
    lambda c: [*c[:5], "", "", *c[7:]],
    lambda c: [*c[:5], "Records", "", *c[7:]],
    lambda c: [*c[:6], "2024-03-02", *c[7:]],
    lambda c: [*c[:7], "", "", *c[9:]],
    lambda c: [*c[:7], "ke-nai", *c[8:]],
    lambda c: [*c[:7], "no-such-group", *c[8:]],
    lambda c: [*c[:8], "Member", *c[9:]],
    lambda c: [*c[:8], "observer", *c[9:]],
    lambda c: [*c[:9], ""],
    lambda c: [*c[:9], "2099-12-31"],
    lambda c: [*c[:9], "15/06/2023"],
    lambda c: c[:8],  # a short row
]


@pytest.mark.django_db
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    people=stored_people(),
    variants=st.lists(st.one_of(st.just(0), st.integers(1, len(VARIANTS) - 1)), min_size=1, max_size=4),
    repeat=st.booleans(),
)
def test_the_short_path_reports_what_the_full_path_does(world, tmp_path, people, variants, repeat):
    with transaction.atomic():
        for spec in people:
            store(world, spec)
        rows = [VARIANTS[v](cells_of(people[i % len(people)])) for i, v in enumerate(variants)]
        if repeat:
            rows.append(list(rows[0]))  # a person on two rows, as exports write one per membership
        short, full = both_ways(world, tmp_path, csv_bytes(rows))
        assert short == full
        transaction.set_rollback(True)


def test_every_stored_oddity_under_every_way_of_writing_the_row(world, tmp_path):
    """Exhaustively, one field at a time: a person per (stored oddity, way the row is written)."""
    oddities = [(None, None)] + [(f, v) for f, values in choices().items() for v in values[1:]]
    rows = []
    n = 0
    for field, value in oddities:
        for variant in VARIANTS:
            spec = {f: values[0] for f, values in CHOICES.items()}
            if field is not None:
                spec[field] = value
            spec.update(n=n, email=spec["email"].format(n=n), external_id=spec["external_id"].format(n=n))
            if not spec["email"].strip() and not spec["external_id"].strip():
                spec["external_id"] = f"KE-{n}"
            store(world, spec)
            rows.append(variant(cells_of(spec)))
            n += 1
    short, full = both_ways(world, tmp_path, csv_bytes(rows), mode="valid")
    assert short == full
    assert short[2] > len(VARIANTS)  # many rows unchanged, so the short path had rows to take


def test_a_plain_reimport_is_taken_whole_by_the_short_path(world, tmp_path):
    rows = [
        cells_of({**{f: v[0] for f, v in CHOICES.items()}, "external_id": f"KE-{n}", "email": f"p{n}@x.org"})
        for n in range(20)
    ]
    path = write(tmp_path, csv_bytes(rows), "people.csv")
    options = {"record_type": PEOPLE, "actor": world.admin, "collective": world.alpha}
    assert run_import(**options, table=open_table(path)).created == 20
    importer = PEOPLE.importer(actor=world.admin, collective=world.alpha)
    importer.sources = {name: index for index, name in enumerate(HEADER)}
    numbered = list(enumerate(rows, start=2))
    rest, unchanged = importer.skip_unchanged(numbered, lambda rows: [True] * len(rows))
    assert (rest, unchanged) == ([], 20)
    report = run_import(**options, table=open_table(path))
    assert report.summary() == "Imported 20 rows: all unchanged, nothing to do."


@pytest.mark.parametrize(
    ("stored", "written", "becomes"),
    [
        (" Padded", " Padded", "Padded"),  # the full path strips the cell
        ("'=SUM(1)", "'=SUM(1)", "=SUM(1)"),  # and un-neutralises it
    ],
)
def test_a_cell_equal_to_an_unclean_stored_value_still_updates_it(world, tmp_path, stored, written, becomes):
    someone = make_person(world.alpha, full_name="x", external_id="KE-1")
    Person.objects.filter(pk=someone.pk).update(full_name=stored)
    short, full = both_ways(
        world, tmp_path, csv_bytes([["KE-1", written]], header=["external_id", "full_name"])
    )
    assert short == full == (0, 1, 0, 0, set())
    path = write(tmp_path, csv_bytes([["KE-1", written]], header=["external_id", "full_name"]), "again.csv")
    run_import(record_type=PEOPLE, actor=world.admin, collective=world.alpha, table=open_table(path))
    assert Person.objects.get(pk=someone.pk).full_name == becomes
