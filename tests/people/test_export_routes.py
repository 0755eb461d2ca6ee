"""The people CSV export has four routes (cell by cell, rows ready for CSV, cells joined by SQLite,
PostgreSQL's COPY): whichever runs, a user gets the same table, scoped and filtered the same way, formulas
neutralised the same way; the routes written by Python give the same bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minga.core.bulk import get_record_type
from minga.core.bulk.export import Export, stream_joined
from minga.core.bulk.formats import neutralise, stream_csv, unneutralise
from minga.core.choices import Role
from minga.people.models import Membership, Person
from tests.factories.people import make_person

PEOPLE = get_record_type("people")

TRICKY = [
    "=cmd|' /C calc'!A0",
    "'=already neutralised",
    "''+two apostrophes",
    "-5 and a minus",
    "@SUM(A1)",
    "\tTab first",
    'A "quoted" name, with a comma',
    "Two\nlines",
    "Wanjiru Ñúñez ✓",
    "'just an apostrophe",
]


@pytest.fixture
def tricky(world: Any) -> list[Person]:
    people = []
    for n, name in enumerate(TRICKY):
        person = make_person(
            world.alpha,
            full_name=name,
            external_id=f"X-{n}" if n % 3 else f"=X{n}",
            email=f"p{n}@example.org",
            skills=["=SUM(1)", "a, b", 'say "hi"'] if n % 4 == 0 else [],
            consent_purpose=name if n % 2 else "",
            consent_given_at=dt.datetime(2024, 3, n + 1, 12, tzinfo=dt.UTC) if n % 2 else None,
        )
        group = world.kibera if n % 2 else world.mombasa
        Membership.objects.create(person=person, group=group, role=Role.MEMBER)
        if n % 5 == 0:  # a second role, and an ended one that must not show
            Membership.objects.create(person=person, group=world.region_a, role=Role.OBSERVER)
            Membership.objects.create(
                person=person,
                group=world.kibera,
                role=Role.LEAD,
                started_on=dt.date(2020, 1, 1),
                ended_on=dt.date(2021, 1, 1),
            )
        people.append(person)
    make_person(world.alpha, full_name="-Nobody's member", external_id="X-none")
    return people


def table(chunks: Any) -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def cell_by_cell(world: Any, user: Any, params: dict[str, str]) -> list[list[str]]:
    rows = PEOPLE.export_rows(actor=user, collective=world.alpha, filters=params)
    return table(stream_csv(PEOPLE.headers, rows))


def routes(world: Any, user: Any, params: dict[str, str]) -> dict[str, bytes]:
    """Each route's file for `user` and `params` (the joined route only where the database offers it)."""
    scope = {"actor": user, "collective": world.alpha, "filters": params}
    files = {"cells": b"".join(stream_csv(PEOPLE.headers, PEOPLE.export_rows(**scope)))}
    joined = PEOPLE.export_csv_joined(**scope)
    if joined is not None:
        files["joined"] = b"".join(stream_joined(PEOPLE.headers, joined))
    return files


def assert_every_route_alike(world: Any, user: Any, params: dict[str, str]) -> list[list[str]]:
    """Every route gives the same table, those written by Python the same bytes, and `Export` takes the
    fastest the database offers (the joined cells on SQLite, COPY on PostgreSQL). The table."""
    files = routes(world, user, params)
    if connection.vendor == "sqlite":
        assert files["joined"] == files["cells"]
    else:
        assert "joined" not in files
    export = Export(PEOPLE, actor=user, collective=world.alpha, filters=params)
    fast = b"".join(export.csv())
    if connection.vendor == "sqlite":
        assert fast == files["cells"]
    assert table([fast]) == table([files["cells"]])
    assert export.rows == len(table([fast])) - 1
    return table([fast])


@pytest.mark.parametrize("who", ["admin", "coordinator_a", "coordinator_b", "lead", "member", "beta_admin"])
@pytest.mark.parametrize("params", [{}, {"group": "ke-cst"}, {"q": "name"}, {"role": "observer"}])
def test_every_route_gives_the_same_table(world, tricky, who, params):
    user = getattr(world, who)
    rows = assert_every_route_alike(world, user, params)
    if who == "admin" and not params:
        assert len(rows) > len(TRICKY)  # the people above, and the world's own


def test_people_in_several_groups_or_none_and_whole_chunks_come_alike(world, tricky, monkeypatch):
    # Chunks of three people: some hold one membership each (put together without a loop), others
    # two or none (merged one by one).
    monkeypatch.setattr("minga.people.selectors.EXPORT_CHUNK", 3)
    for who in ("admin", "coordinator_a"):
        assert_every_route_alike(world, getattr(world, who), {})


def test_formulas_are_neutralised_and_come_back_as_they_were(world, tricky):
    rows = table(Export(PEOPLE, actor=world.admin, collective=world.alpha, filters={}).csv())
    header, body = rows[0], rows[1:]
    names = {row[header.index("full_name")] for row in body}
    assert "'=cmd|' /C calc'!A0" in names
    assert "'''+two apostrophes" in names
    assert "'just an apostrophe" in names  # no trigger after it: left alone
    assert {unneutralise(name) for name in names} >= set(TRICKY)
    skills = {row[header.index("skills")] for row in body}
    assert '\'=SUM(1); a, b; say "hi"' in skills


def test_the_route_taken_is_the_fastest_the_database_offers(world, tricky, django_assert_max_num_queries):
    export = Export(PEOPLE, actor=world.admin, collective=world.alpha, filters={})
    # COPY is one statement on PostgreSQL; SQLite reads people then their memberships a chunk at a time.
    with django_assert_max_num_queries(6):
        body = b"".join(export.csv())
    expected_terminator = b"\n" if connection.vendor == "postgresql" else b"\r\n"
    assert body.splitlines(keepends=True)[1].endswith(expected_terminator)


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(name=texts, skills=st.lists(texts, max_size=3), purpose=texts)
def test_any_text_is_written_alike_by_every_route(world, name, skills, purpose):
    person = make_person(
        world.alpha,
        full_name=name,
        external_id="H-1",
        skills=skills,
        consent_purpose=purpose,
        consent_given_at=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC),
    )
    Membership.objects.create(person=person, group=world.kibera, role=Role.MEMBER)
    try:
        fast = assert_every_route_alike(world, world.admin, {"q": name})
        written = [row for row in fast[1:] if row[0] == "H-1"]
        if name.strip() == name:  # the search strips what it is given
            assert [row[2] for row in written] == [neutralise(name)]
            assert [row[4] for row in written] == [neutralise("; ".join(skills)) if skills else ""]
    finally:
        person.delete()


def test_a_visitors_export_is_the_header_alone(world, tricky):
    from django.contrib.auth.models import AnonymousUser

    export = Export(PEOPLE, actor=AnonymousUser(), collective=world.alpha, filters={})
    assert table(export.csv()) == [PEOPLE.headers]
    assert export.rows == 0
