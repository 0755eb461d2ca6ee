"""Activities and attendance through the bulk framework: upsert by code, reach, bad cells, consent,
exports that re-import unchanged."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from minga.activities.models import Activity, Attendance
from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table, stream_csv
from minga.core.bulk.runner import ImportReport, run_import
from tests.conftest import World
from tests.factories.activities import make_activity, make_consenting_person

pytestmark = pytest.mark.django_db
HEADER = [
    "code",
    "title",
    "area",
    "group",
    "participating_groups",
    "starts_on",
    "ends_on",
    "participants_total",
    "participation",
]


def write(tmp_path: Path, header: list[str], rows: list[list[Any]], name: str = "a.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(kind: str, user: Any, world: World, path: Path, **options: Any) -> ImportReport:
    return run_import(
        record_type=get_record_type(kind),
        actor=user,
        collective=world.alpha,
        table=open_table(path),
        **options,
    )


def codes(report: ImportReport) -> set[tuple[int | None, str | None, str]]:
    return {(p.get("row"), p.get("column"), p["code"]) for p in report.problems}


def test_admin_imports_activities_and_a_second_run_updates_them(world: World, tmp_path: Path) -> None:
    rows = [
        [
            "ke-1",
            "Kiosk survey",
            "data",
            "ke-nai",
            "ke-cst; ke-nai-kib",
            "2025-03-01",
            "",
            "40",
            "women: 25; youth: 10",
        ],
        [
            "ke-2",
            "Budget hearing",
            "Influencing institutions",
            "ke",
            "",
            "2025-04-01",
            "2025-04-02",
            "12",
            "",
        ],
    ]
    report = run("activities", world.admin, world, write(tmp_path, HEADER, rows))
    assert report.ok and (report.created, report.updated) == (2, 0), report.problems
    survey = Activity.objects.get(code="ke-1")
    assert survey.group == world.region_a and survey.participation == {"women": 25, "youth": 10}
    assert set(survey.participants.values_list("code", flat=True)) == {"ke-cst", "ke-nai-kib"}
    assert Activity.objects.get(code="ke-2").area == "institutions"
    rows[0][1] = "Kiosk price survey"
    rows[0][4] = "ke-cst"
    again = run("activities", world.admin, world, write(tmp_path, HEADER, rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    survey.refresh_from_db()
    assert survey.title == "Kiosk price survey"
    assert list(survey.participants.values_list("code", flat=True)) == ["ke-cst"]


def test_bad_rows_and_reach_are_reported_per_cell(world: World, tmp_path: Path) -> None:
    make_activity(world.mombasa, code="coast-1")
    rows = [
        ["ok-1", "Fine", "learning", "ke-nai-kib", "", "2025-03-01", "", "", ""],
        ["bad-1", "Wrong area", "dancing", "ke-nai-kib", "", "2025-03-01", "", "", ""],
        ["bad-2", "Bad dates", "data", "ke-nai-kib", "", "2025-03-05", "2025-03-01", "5", "women: 9"],
        ["bad-3", "Other group", "data", "ke-cst-mom", "", "2025-03-01", "", "", ""],
        ["coast-1", "Takeover", "data", "ke-nai-kib", "", "2025-03-01", "", "", ""],
        ["ok-1", "Twice", "data", "ke-nai-kib", "", "2025-03-01", "", "", ""],
        ["bad-4", "No date", "data", "ke-nai-kib", "nope", "31/12/2025", "", "", ""],
    ]
    report = run("activities", world.lead, world, write(tmp_path, HEADER, rows), mode="valid")
    assert report.created == 1
    assert codes(report) >= {
        (3, "area", "invalid_area"),
        (4, "ends_on", "dates_out_of_order"),
        (4, "participation", "count_above_total"),
        (5, "group", "outside_reach"),
        (6, "code", "outside_reach"),
        (7, "code", "duplicate_in_file"),
        (8, "starts_on", "invalid_date"),
        (8, "participating_groups", "no_group"),
    }
    assert Activity.objects.get(code="coast-1").title != "Takeover"
    assert not run("activities", world.member, world, write(tmp_path, HEADER, rows[:1])).committed


def test_attendance_needs_consent_and_an_editable_activity(world: World, tmp_path: Path) -> None:
    make_activity(world.kibera, code="kib-1")
    make_activity(world.mombasa, code="mom-1")
    yes = make_consenting_person(world.kibera, email="yes@example.org")
    make_consenting_person(world.kibera, consent=False, external_id="M-2")
    rows = [
        ["kib-1", "yes@example.org", "facilitator"],
        ["kib-1", "M-2", ""],
        ["mom-1", "yes@example.org", ""],
        ["kib-1", "ghost@example.org", ""],
    ]
    report = run(
        "attendance", world.lead, world, write(tmp_path, ["activity", "person", "role"], rows), mode="valid"
    )
    assert report.created == 1
    assert codes(report) == {
        (3, "person", "consent_required"),
        (4, "activity", "unknown_activity"),
        (5, "person", "unknown_person"),
    }
    assert list(Attendance.objects.values_list("person_id", "role")) == [(yes.pk, "facilitator")]


def test_exports_reimport_unchanged(world: World, tmp_path: Path) -> None:
    make_activity(
        world.region_a,
        code="x-1",
        participants=[world.region_b],
        participants_total=10,
        participation={"women": 6},
        ends_on=dt.date(2025, 6, 3),
    )
    make_activity(world.kibera, code="x-2")
    record_type = get_record_type("activities")
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"".join(
            stream_csv(
                record_type.headers,
                record_type.export_rows(actor=world.admin, collective=world.alpha, filters={}),
            )
        )
    )
    report = run("activities", world.admin, world, path)
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 2), report.problems
    assert list(Activity.objects.get(code="x-1").participants.values_list("code", flat=True)) == ["ke-cst"]
    public_rows = list(record_type.export_rows(actor=world.coordinator_b, collective=world.alpha, filters={}))
    assert [r[0] for r in public_rows] == ["x-1"]  # Kibera is private
