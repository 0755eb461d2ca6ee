"""Memberships in and out of files: matched by person, group, role and start date; the grant rules of
`people.services` on every row; exports (what the user may see, with the people directory's filters)
that re-import unchanged."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table, stream_csv
from minga.core.bulk.runner import ImportReport, run_import
from minga.core.choices import Role
from minga.people.models import Membership, Person
from tests.factories.people import make_person

HEADER = ["person", "group", "role", "started_on", "ended_on"]
TODAY = timezone.localdate


def write(tmp_path: Path, rows: list[list[Any]], header: list[str] = HEADER, name: str = "m.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(user: Any, collective: Any, path: Path, **options: Any) -> ImportReport:
    return run_import(
        record_type=get_record_type("memberships"),
        actor=user,
        collective=collective,
        table=open_table(path),
        **options,
    )


def problems(report: ImportReport) -> set[tuple[int | None, str | None, str]]:
    return {(p.get("row"), p.get("column"), p["code"]) for p in report.problems}


def export(user: Any, collective: Any, tmp_path: Path, **filters: str) -> Path:
    record_type = get_record_type("memberships")
    rows = record_type.export_rows(actor=user, collective=collective, filters=filters)
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(stream_csv(record_type.headers, rows)))
    return path


def exported(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def amina(world):
    """Someone of region A (a member of Kibera since 2020), known by email and by external id."""
    person = make_person(world.alpha, full_name="Amina W", email="amina@example.org", external_id="KE-1")
    Membership.objects.create(
        person=person, group=world.kibera, role=Role.MEMBER, started_on=dt.date(2020, 1, 1)
    )
    return person


def roles_of(person: Person) -> set[tuple[str, str, dt.date, dt.date | None]]:
    return {
        (m.group.code, m.role, m.started_on, m.ended_on)
        for m in Membership.objects.filter(person=person).select_related("group")
    }


# --- creating and updating ----------------------------------------------------------------------------


def test_memberships_are_added_for_people_found_by_email_or_external_id(world, amina, tmp_path):
    path = write(
        tmp_path,
        [
            ["AMINA@example.org", "ke-nai", "observer", "2021-03-01", ""],
            ["KE-1", "ke-cst-mom", "lead", "", ""],
        ],
    )
    report = run(world.admin, world.alpha, path)
    assert report.committed and (report.created, report.rejected) == (2, 0)
    assert roles_of(amina) >= {
        ("ke-nai", "observer", dt.date(2021, 3, 1), None),
        ("ke-cst-mom", "lead", TODAY(), None),
    }


def test_the_same_file_twice_changes_nothing_the_second_time(world, amina, tmp_path):
    path = write(tmp_path, [["KE-1", "ke-nai", "observer", "2021-03-01", ""], ["KE-1", "ke-cst", "", "", ""]])
    assert run(world.admin, world.alpha, path).created == 2
    again = run(world.admin, world.alpha, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Membership.objects.filter(person=amina).count() == 3


def test_an_end_date_ends_the_open_membership_without_its_start_date(world, amina, tmp_path):
    report = run(
        world.admin, world.alpha, write(tmp_path, [["KE-1", "ke-nai-kib", "member", "", "2024-06-30"]])
    )
    assert (report.created, report.updated) == (0, 1)
    assert roles_of(amina) == {("ke-nai-kib", "member", dt.date(2020, 1, 1), dt.date(2024, 6, 30))}


def test_a_membership_that_has_ended_stays_ended(world, amina, tmp_path):
    Membership.objects.filter(person=amina).update(ended_on=dt.date(2023, 1, 1))
    path = write(tmp_path, [["KE-1", "ke-nai-kib", "member", "2020-01-01", "2024-01-01"]])
    report = run(world.admin, world.alpha, path)
    assert problems(report) == {(2, "ended_on", "already_ended")}


def test_a_second_open_membership_with_the_same_role_is_refused(world, amina, tmp_path):
    path = write(
        tmp_path,
        [
            ["KE-1", "ke-nai-kib", "member", "2024-01-01", ""],  # Amina is a member already
            ["KE-1", "ke-cst", "member", "2024-01-01", ""],
            ["KE-1", "ke-cst", "member", "2024-02-01", ""],  # the row above opens it
            ["KE-1", "ke-nai-kib", "member", "2019-01-01", "2019-12-31"],  # history is fine
        ],
    )
    report = run(world.admin, world.alpha, path)
    assert problems(report) == {(2, "role", "duplicate_membership"), (4, "role", "duplicate_membership")}


def test_the_same_membership_twice_in_the_file_is_refused(world, amina, tmp_path):
    row = ["KE-1", "ke-cst", "member", "2024-01-01", "2024-02-01"]
    report = run(world.admin, world.alpha, write(tmp_path, [row, row]))
    assert problems(report) == {(3, "person", "duplicate_in_file")}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["nobody@example.org", "ke-nai", "", "", ""], {(2, "person", "unknown_person")}),
        (["not an email", "ke-nai", "", "", ""], {(2, "person", "unknown_person")}),
        (["", "ke-nai", "", "", ""], {(2, "person", "required")}),
        (["KE-1", "pe", "", "", ""], {(2, "group", "no_group")}),  # another collective's group
        (["KE-1", "", "", "", ""], {(2, "group", "required")}),
        (["KE-1", "ke-nai", "chief", "", ""], {(2, "role", "invalid_role")}),
        (["KE-1", "ke-nai", "", "2024-13-01", ""], {(2, "started_on", "invalid_date")}),
        (["KE-1", "ke-nai", "", "2024-01-02", "2024-01-01"], {(2, "ended_on", "dates_out_of_order")}),
        (["KE-1", "ke-nai", "", "", "1999-01-01"], {(2, "ended_on", "dates_out_of_order")}),
    ],
)
def test_invalid_rows_are_rejected_and_nothing_is_saved(world, amina, tmp_path, row, expected):
    report = run(world.admin, world.alpha, write(tmp_path, [row, ["KE-1", "ke-cst", "", "", ""]]))
    assert problems(report) == expected and not report.committed
    assert Membership.objects.filter(person=amina).count() == 1


def test_people_of_another_collective_are_unknown(world, tmp_path):
    make_person(world.beta, email="beta@example.org")
    report = run(world.admin, world.alpha, write(tmp_path, [["beta@example.org", "ke-nai", "", "", ""]]))
    assert problems(report) == {(2, "person", "unknown_person")}


# --- who may grant what ----------------------------------------------------------------------------------


def test_nobody_grants_a_role_above_their_own(world, amina, tmp_path):
    path = write(
        tmp_path,
        [
            ["KE-1", "ke-nai-kib", "lead", "2024-01-01", ""],
            ["KE-1", "ke-nai-kib", "coordinator", "2024-01-01", ""],
            ["KE-1", "ke-nai", "observer", "2024-01-01", ""],
        ],
    )
    coordinator = run(world.coordinator_a, world.alpha, path, dry_run=True)
    assert problems(coordinator) == {(3, "role", "role_too_high")} and coordinator.created == 2
    lead = run(world.lead, world.alpha, path, dry_run=True)
    assert problems(lead) == {
        (2, "role", "role_too_high"),
        (3, "role", "role_too_high"),
        (4, "group", "outside_reach"),
    }
    observer = write(tmp_path, [["KE-1", "ke-nai-kib", "observer", "2024-01-01", ""]], name="o.csv")
    assert run(world.lead, world.alpha, observer).created == 1


def test_a_coordinator_reaches_people_and_groups_of_their_region_only(world, amina, tmp_path):
    coast = make_person(world.alpha, email="coast@example.org")
    Membership.objects.create(person=coast, group=world.mombasa)
    path = write(
        tmp_path,
        [
            ["coast@example.org", "ke-nai-kib", "", "", ""],  # a person of region B: not within reach
            ["KE-1", "ke-cst-mom", "", "", ""],  # a group of region B
            ["KE-1", "ke-nai-kib", "", "", "2030-01-01"],  # ending a membership in their region
        ],
    )
    report = run(world.coordinator_a, world.alpha, path, mode="valid")
    assert problems(report) == {(2, "person", "unknown_person"), (3, "group", "outside_reach")}
    assert report.updated == 1


def test_members_may_not_import_memberships(world, tmp_path):
    report = run(world.member, world.alpha, write(tmp_path, [["KE-1", "ke-nai", "", "", ""]]))
    assert [p["code"] for p in report.file_problems] == ["forbidden"]


# --- exports ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "coordinator_a", "lead", "member"])
def test_an_exported_file_reimports_unchanged(world, amina, tmp_path, who):
    Membership.objects.create(
        person=amina,
        group=world.region_a,
        role=Role.OBSERVER,
        started_on=dt.date(2019, 1, 1),
        ended_on=dt.date(2019, 6, 1),
    )
    coast = make_person(world.alpha, full_name="Coast", external_id="=KE-2")  # a formula-looking id
    Membership.objects.create(person=coast, group=world.mombasa, role=Role.LEAD)
    user = getattr(world, who)
    path = export(user, world.alpha, tmp_path)
    rows = exported(path)
    assert len(rows) == Membership.objects.visible_to(user).filter(group__collective=world.alpha).count()
    if who != "member":
        report = run(user, world.alpha, path)
        assert report.committed and report.rejected == 0, report.problems
        assert (report.created, report.updated, report.unchanged) == (0, 0, len(rows))


def test_the_export_gives_people_by_external_id_else_email_with_the_directory_filters(world, amina, tmp_path):
    coast = make_person(world.alpha, full_name="Coast Person", email="coast@example.org")
    Membership.objects.create(person=coast, group=world.mombasa, role=Role.LEAD)

    def rows(user: Any, **filters: str) -> set[tuple[str, str, str]]:
        return {
            (r["person"], r["group"], r["role"])
            for r in exported(export(user, world.alpha, tmp_path, **filters))
        }

    admin_rows = rows(world.admin)
    assert ("KE-1", "ke-nai-kib", "member") in admin_rows and (
        "coast@example.org",
        "ke-cst-mom",
        "lead",
    ) in admin_rows
    coast_rows = rows(world.admin, group="ke-cst")
    assert ("coast@example.org", "ke-cst-mom", "lead") in coast_rows and not any(
        r[0] == "KE-1" for r in coast_rows
    )
    assert rows(world.admin, role="lead", q="coast") == {("coast@example.org", "ke-cst-mom", "lead")}
    assert rows(world.admin, group="no-such-group") == set()
    assert ("coast@example.org", "ke-cst-mom", "lead") not in rows(world.coordinator_a)
    assert rows(world.admin) >= rows(world.coordinator_a) >= {("KE-1", "ke-nai-kib", "member")}


def test_importing_ten_times_more_memberships_costs_the_same_queries(world, tmp_path):
    Person.objects.bulk_create(
        Person(collective=world.alpha, full_name=f"P{n}", email=f"p{n}@example.org") for n in range(2_000)
    )

    def queries(rows: range, name: str) -> int:
        path = write(
            tmp_path, [[f"p{n}@example.org", "ke-nai-kib", "", "2024-01-01", ""] for n in rows], name=name
        )
        with CaptureQueriesContext(connection) as captured:
            report = run(world.coordinator_a, world.alpha, path)
        assert report.created == len(rows), report.problems[:3]
        return len(captured.captured_queries)

    Membership.objects.bulk_create(
        Membership(person=p, group=world.region_a) for p in Person.objects.filter(full_name__startswith="P")
    )
    small, large = queries(range(200), "small.csv"), queries(range(200, 2_000), "large.csv")
    assert large <= small + 2, (small, large)
