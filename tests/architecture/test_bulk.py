"""Groups and links in and out of files: upsert by natural key, parents first, the services' rules and
scoping on every row, exports that re-import unchanged, and a query count that doesn't grow with the file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minga.architecture.models import Group, GroupStatus, Link, NetworkSnapshot
from minga.architecture.network import snapshot_is_stale
from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table, stream_csv, write_xlsx
from minga.core.bulk.runner import ImportReport, run_import
from minga.core.choices import Visibility
from tests.factories.architecture import make_group, make_link

GROUP_HEADER = ["code", "name", "kind", "parent"]
LINK_HEADER = ["source", "target", "kind", "weight", "started_on", "ended_on", "note"]


def write(tmp_path: Path, header: list[str], rows: list[list[Any]], name: str = "file.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(kind: str, user: Any, collective: Any, path: Path, **options: Any) -> ImportReport:
    return run_import(
        record_type=get_record_type(kind),
        actor=user,
        collective=collective,
        table=open_table(path),
        **options,
    )


def problems(report: ImportReport) -> set[tuple[int | None, str | None, str]]:
    return {(p.get("row"), p.get("column"), p["code"]) for p in report.problems}


def export(name: str, user: Any, collective: Any, tmp_path: Path, /, **filters: str) -> Path:
    record_type = get_record_type(name)
    rows = record_type.export_rows(actor=user, collective=collective, filters=filters)
    path = tmp_path / f"export-{name}.csv"
    path.write_bytes(b"".join(stream_csv(record_type.headers, rows)))
    return path


def exported_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def group(code: str) -> Group:
    return Group.objects.get(code=code)


# --- creating, updating, moving -----------------------------------------------------------------------


def test_admin_creates_groups_whose_parents_come_later_in_the_file(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["ke-nai-kib-east", "Kibera East", "group", "ke-nai-kib-d"],
            ["ke-nai-kib-d", "Kibera district", "district", "ke-nai"],
            ["tz", "Tanzania", "country", ""],
        ],
    )
    report = run("groups", world.admin, world.alpha, path)
    assert report.committed and (report.created, report.rejected) == (3, 0)
    district, east, tanzania = group("ke-nai-kib-d"), group("ke-nai-kib-east"), group("tz")
    assert district.parent == world.region_a and east.parent == district and tanzania.parent is None
    assert district.path == f"{world.region_a.path}{district.pk}/" and district.depth == 2
    assert east.path == f"{district.path}{east.pk}/" and east.depth == 3
    assert tanzania.path == f"/{tanzania.pk}/" and tanzania.depth == 0
    assert east.layer == "action" and district.layer == "network"  # the kinds' layers
    assert east.status == GroupStatus.ACTIVE and east.status_changed_on == timezone.localdate()
    assert Group.objects.within(world.kenya).filter(code="ke-nai-kib-east").exists()


def test_rows_update_changed_groups_and_leave_the_rest(world, tmp_path):
    header = ["code", "name", "kind", "place_name", "latitude", "longitude"]
    path = write(
        tmp_path,
        header,
        [
            ["ke-nai-kib", "Kibera Youth", "group", "Kibera", "-1.31", "36.78"],
            ["ke-cst", "Coast region", "region", "", "", ""],
        ],
    )
    report = run("groups", world.admin, world.alpha, path)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert group("ke-nai-kib").place_name == "Kibera"
    assert group("ke-cst").name == "Coast region"
    again = run("groups", world.admin, world.alpha, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.summary() == "Imported 2 rows: all unchanged, nothing to do."


def test_a_column_left_out_leaves_the_field_alone_and_a_blank_one_clears_it(world, tmp_path):
    Group.objects.filter(pk=world.kibera.pk).update(place_name="Kibera", description="Savings")
    run(
        "groups",
        world.admin,
        world.alpha,
        write(tmp_path, ["code", "name", "kind"], [["ke-nai-kib", "K", "group"]]),
    )
    assert (group("ke-nai-kib").place_name, group("ke-nai-kib").parent) == ("Kibera", world.region_a)
    header = ["code", "name", "kind", "place_name"]
    run("groups", world.admin, world.alpha, write(tmp_path, header, [["ke-nai-kib", "K", "group", ""]]))
    assert group("ke-nai-kib").place_name == "" and group("ke-nai-kib").description == "Savings"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world, tmp_path):
    rows = [[f"ke-nai-{n}", f"Group {n}", "group", "Kenya / Nairobi"] for n in range(30)]
    path = write(tmp_path, GROUP_HEADER, rows)
    first = run("groups", world.admin, world.alpha, path)
    assert first.created == 30
    before = list(Group.objects.order_by("pk").values_list("pk", "path", "updated_at"))
    second = run("groups", world.admin, world.alpha, path)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 30, 0)
    assert list(Group.objects.order_by("pk").values_list("pk", "path", "updated_at")) == before


def test_a_new_parent_moves_the_whole_subtree(world, tmp_path):
    below = make_group(world.alpha, parent=world.kibera, code="ke-nai-kib-cell")
    path = write(tmp_path, GROUP_HEADER, [["ke-nai-kib", "Kibera Youth", "group", "ke-cst"]])
    report = run("groups", world.admin, world.alpha, path)
    assert report.updated == 1
    kibera, below = group("ke-nai-kib"), Group.objects.get(pk=below.pk)
    assert kibera.parent == world.region_b
    assert kibera.path == f"{world.region_b.path}{kibera.pk}/" and kibera.depth == 2
    assert below.path == f"{kibera.path}{below.pk}/" and below.depth == 3


def test_a_subtree_moves_under_a_group_created_in_the_same_file(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["ke-nai-kib", "Kibera Youth", "group", "ke-nai-west"],  # existing, moves under the new one
            ["ke-nai-west", "Nairobi West", "district", "ke-nai"],
        ],
    )
    report = run("groups", world.admin, world.alpha, path)
    assert (report.created, report.updated, report.rejected) == (1, 1, 0)
    west = group("ke-nai-west")
    assert group("ke-nai-kib").path == f"{world.region_a.path}{west.pk}/{world.kibera.pk}/"
    assert group("ke-nai-kib").depth == 3


def test_moving_a_group_under_its_own_subtree_is_refused(world, tmp_path):
    path = write(tmp_path, GROUP_HEADER, [["ke-nai", "Nairobi", "region", "ke-nai-kib"]])
    report = run("groups", world.admin, world.alpha, path)
    assert problems(report) == {(2, "parent", "cycle")} and not report.committed
    assert group("ke-nai").parent == world.kenya


def test_closing_a_group_dates_it_and_reopening_clears_the_date(world, tmp_path):
    header = ["code", "name", "kind", "status"]
    run("groups", world.admin, world.alpha, write(tmp_path, header, [["ke-nai-kib", "K", "group", "closed"]]))
    closed = group("ke-nai-kib")
    assert closed.closed_on == timezone.localdate() and closed.status_changed_on == timezone.localdate()
    run("groups", world.admin, world.alpha, write(tmp_path, header, [["ke-nai-kib", "K", "group", "Active"]]))
    assert group("ke-nai-kib").closed_on is None and group("ke-nai-kib").status == "active"


# --- the order of rows: parents, cycles, unknown parents, paths ----------------------------------------


def test_a_parent_cycle_rejects_each_row_of_it_and_the_rows_below(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["ok", "Fine", "group", "ke-nai"],
            ["a", "A", "group", "b"],
            ["b", "B", "group", "a"],
            ["c", "C", "group", "a"],
            ["self", "Self", "group", "self"],
        ],
    )
    report = run("groups", world.admin, world.alpha, path)
    assert problems(report) == {
        (3, "parent", "parent_cycle"),
        (4, "parent", "parent_cycle"),
        (5, "parent", "parent_rejected"),
        (6, "parent", "parent_cycle"),
    }
    messages = {p["row"]: p["message"] for p in report.problems}
    assert "a → b → a" in messages[3] and "b → a → b" in messages[4] and "self → self" in messages[6]
    assert not report.committed and not Group.objects.filter(code="ok").exists()


def test_an_unknown_parent_rejects_the_row_and_its_children(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["child", "Child", "group", "orphan"],
            ["orphan", "Orphan", "group", "nowhere"],
            ["x", "X", "group", "pe"],
        ],
    )
    report = run("groups", world.admin, world.alpha, path)
    assert problems(report) == {
        (2, "parent", "parent_rejected"),
        (3, "parent", "unknown_parent"),
        (4, "parent", "unknown_parent"),  # another collective's code is unknown here
    }
    assert Group.objects.filter(collective=world.alpha).count() == 6


def test_valid_rows_mode_keeps_the_good_rows(world, tmp_path):
    path = write(
        tmp_path, GROUP_HEADER, [["good", "Good", "group", "ke-nai"], ["bad", "Bad", "planet", "ke-nai"]]
    )
    report = run("groups", world.admin, world.alpha, path, mode="valid")
    assert report.committed and (report.created, report.rejected) == (1, 1)
    assert problems(report) == {(3, "kind", "invalid_kind")}
    assert group("good").parent == world.region_a


def test_a_dry_run_counts_without_saving(world, tmp_path):
    path = write(
        tmp_path, GROUP_HEADER, [["new", "New", "group", "ke-nai"], ["ke-cst", "Pwani", "region", "ke"]]
    )
    report = run("groups", world.admin, world.alpha, path, dry_run=True)
    assert (report.created, report.updated, report.committed) == (1, 1, False)
    assert not Group.objects.filter(code="new").exists() and group("ke-cst").name == "Coast"


def test_a_dry_run_of_valid_rows_places_children_of_groups_made_in_an_earlier_chunk(
    world, tmp_path, monkeypatch
):
    monkeypatch.setattr(type(get_record_type("groups")), "chunk_size", 2)
    rows = [
        ["p1", "P1", "district", "ke-nai"],
        ["p2", "P2", "district", "ke-nai"],
        ["c1", "C1", "group", "p1"],
    ]
    report = run(
        "groups", world.admin, world.alpha, write(tmp_path, GROUP_HEADER, rows), mode="valid", dry_run=True
    )
    assert (report.created, report.rejected) == (3, 0)
    assert not Group.objects.filter(code__in=["p1", "p2", "c1"]).exists()


def test_parents_named_by_path_of_names_or_codes(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["n1", "Group one", "group", "Kenya / Nairobi"],
            ["n2", "Group two", "group", "kenya / ke-cst"],
            ["n3", "Group three", "group", "ke / Nairobi / New district"],  # a row further down
            ["n4", "Group four", "group", "ke-nai / Kibera Youth"],  # starting from any group's code
            ["d", "New district", "district", "ke-nai"],
            ["n5", "Group five", "group", "Kenya / Mars"],
        ],
    )
    report = run("groups", world.admin, world.alpha, path, mode="valid")
    assert problems(report) == {(7, "parent", "unknown_parent")}
    assert "'Mars' under 'ke'" in report.problems[0]["message"]
    assert group("n1").parent == world.region_a and group("n2").parent == world.region_b
    assert group("n3").parent == group("d") and group("n4").parent == world.kibera


def test_a_path_naming_two_groups_is_ambiguous(world, tmp_path):
    make_group(world.alpha, parent=world.kenya, kind_code="region", name="Nairobi", code="ke-nai-2")
    report = run(
        "groups",
        world.admin,
        world.alpha,
        write(tmp_path, GROUP_HEADER, [["x", "X", "group", "Kenya / Nairobi"]]),
    )
    assert problems(report) == {(2, "parent", "unknown_parent")}
    assert "ke-nai, ke-nai-2" in report.problems[0]["message"]


def test_paths_only_see_groups_the_importer_can_see(world, tmp_path):
    # Mombasa Women is private to region B: coordinator A can't find it by name.
    path = write(tmp_path, GROUP_HEADER, [["x", "X", "group", "Kenya / Coast / Mombasa Women"]])
    report = run("groups", world.coordinator_a, world.alpha, path)
    assert problems(report) == {(2, "parent", "unknown_parent")}


def test_a_code_twice_in_the_file_rejects_the_second_row(world, tmp_path):
    path = write(tmp_path, GROUP_HEADER, [["x", "X", "group", "ke-nai"], ["x", "Again", "group", "ke-cst"]])
    report = run("groups", world.admin, world.alpha, path)
    assert problems(report) == {(3, "code", "duplicate_in_file")}
    assert "also on row 2" in report.problems[0]["message"]


# --- the rules of the form and the API ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("code", "not a code", "invalid_code"),
        ("code", "", "required"),
        ("name", "", "required"),
        ("name", "n" * 201, "too_long"),
        ("kind", "planet", "invalid_kind"),
        ("kind", "", "required"),
        ("layer", "middle", "invalid_layer"),
        ("latitude", "95", "invalid_latitude"),
        ("latitude", "north", "invalid_latitude"),
        ("longitude", "-181", "invalid_longitude"),
        ("status", "open", "invalid_status"),
        ("visibility", "secret", "invalid_visibility"),
        ("founded_on", "01/02/2020", "invalid_date"),
        ("founded_on", "2020-02-30", "invalid_date"),
        ("contact_email", "not-an-email", "invalid_email"),
        ("contact_email", "a@b", "invalid_email"),
        ("country_code", "Kenya", "invalid_country_code"),
    ],
)
def test_invalid_values_are_rejected_at_their_column(world, tmp_path, column, value, code):
    values = {"code": "new", "name": "New", "kind": "group", "parent": "ke-nai", column: value}
    header = list(dict.fromkeys([*GROUP_HEADER, column]))
    report = run("groups", world.admin, world.alpha, write(tmp_path, header, [[values[h] for h in header]]))
    assert problems(report) == {(2, column, code)}
    assert not report.committed and not Group.objects.filter(code="new").exists()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"latitude": "-1.2", "longitude": ""}, {(2, "latitude", "incomplete_point")}),
        ({"status": "active", "closed_on": "2024-01-01"}, {(2, "closed_on", "closed_on_without_close")}),
        (
            {"status": "closed", "founded_on": "2024-01-01", "closed_on": "2023-01-01"},
            {(2, "closed_on", "dates_out_of_order")},
        ),
    ],
)
def test_rules_across_fields_are_those_of_the_services(world, tmp_path, values, expected):
    header = [*GROUP_HEADER, *values]
    row = ["new", "New", "group", "ke-nai", *values.values()]
    report = run("groups", world.admin, world.alpha, write(tmp_path, header, [row]))
    assert problems(report) == expected


def test_a_place_may_be_given_by_name_only_and_country_codes_in_lower_case(world, tmp_path):
    header = [*GROUP_HEADER, "place_name", "country_code", "contact_email"]
    row = ["new", "New", "group", "ke-nai", "Kawangware", "ke", "Info@Example.org"]
    report = run("groups", world.admin, world.alpha, write(tmp_path, header, [row]))
    assert report.committed
    new = group("new")
    assert (new.place_name, new.country_code, new.latitude, new.contact_email) == (
        "Kawangware",
        "KE",
        None,
        "Info@Example.org",
    )


def test_the_tree_has_a_depth_limit(world, tmp_path):
    parent = world.kibera
    while parent.depth < 12:
        parent = make_group(world.alpha, parent=parent)
    report = run(
        "groups",
        world.admin,
        world.alpha,
        write(tmp_path, GROUP_HEADER, [["deep", "D", "group", parent.code]]),
    )
    assert problems(report) == {(2, "parent", "too_deep")}


# --- who may import what --------------------------------------------------------------------------------


def test_a_coordinator_creates_and_updates_within_their_region_only(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["ke-nai-new", "New in Nairobi", "group", "ke-nai"],
            ["ke-nai-kib", "Kibera renamed", "group", "ke-nai"],
            ["ke-cst-new", "New in Coast", "group", "ke-cst"],
            ["ke-cst-mom", "Mombasa renamed", "group", "ke-cst"],
            ["ke-top", "New country", "country", ""],
            ["ke-nai-kib2", "Into Coast", "group", "ke-cst-mom"],
        ],
    )
    report = run("groups", world.coordinator_a, world.alpha, path, mode="valid")
    assert problems(report) == {
        (4, "parent", "parent_out_of_reach"),
        (5, "code", "outside_reach"),
        (6, "parent", "forbidden"),
        (7, "parent", "parent_out_of_reach"),
    }
    assert (report.created, report.updated) == (1, 1)
    assert group("ke-nai-kib").name == "Kibera renamed" and group("ke-cst-mom").name == "Mombasa Women"


def test_a_coordinator_cannot_move_a_group_out_of_their_region(world, tmp_path):
    path = write(tmp_path, GROUP_HEADER, [["ke-nai-kib", "Kibera Youth", "group", "ke-cst"]])
    report = run("groups", world.coordinator_a, world.alpha, path)
    assert problems(report) == {(2, "parent", "parent_out_of_reach")}
    assert group("ke-nai-kib").parent == world.region_a


def test_a_lead_updates_their_own_group_only(world, tmp_path):
    path = write(
        tmp_path,
        GROUP_HEADER,
        [
            ["ke-nai-kib", "Kibera Youth Savings", "group", "ke-nai"],
            ["ke-nai", "Nairobi renamed", "region", "ke"],
            ["ke-nai-kib-sub", "Sub-group", "group", "ke-nai-kib"],
            ["ke-nai-kib-top", "Top", "group", "Kenya /"],
        ],
    )
    report = run("groups", world.lead, world.alpha, path, mode="valid")
    assert problems(report) == {
        (3, "code", "outside_reach"),
        (4, "parent", "parent_out_of_reach"),
        (5, "parent", "parent_out_of_reach"),
    }
    assert group("ke-nai-kib").name == "Kibera Youth Savings" and group("ke-nai").name == "Nairobi"


def test_a_lead_cannot_move_their_group(world, tmp_path):
    report = run(
        "groups",
        world.lead,
        world.alpha,
        write(tmp_path, GROUP_HEADER, [["ke-nai-kib", "Kibera Youth", "group", "ke-cst"]]),
    )
    assert problems(report) == {(2, "parent", "parent_out_of_reach")}


def test_members_and_other_collectives_may_not_import_groups(world, tmp_path):
    path = write(tmp_path, GROUP_HEADER, [["x", "X", "group", ""]])
    for user in (world.member, world.beta_admin, None):
        report = run("groups", user, world.alpha, path)
        assert [p["code"] for p in report.file_problems] == ["forbidden"] and not report.committed
    assert not Group.objects.filter(code="x").exists()


def test_codes_are_per_collective(world, tmp_path):
    # "ke" exists in alpha; in beta it is a new group, and alpha's groups are unknown there.
    path = write(
        tmp_path, GROUP_HEADER, [["ke", "Kenya (beta)", "country", ""], ["x", "X", "group", "ke-nai"]]
    )
    report = run("groups", world.beta_admin, world.beta, path, mode="valid")
    assert report.created == 1 and problems(report) == {(3, "parent", "unknown_parent")}
    assert (
        group("ke-nai").name == "Nairobi" and Group.objects.get(collective=world.beta, code="ke").depth == 0
    )


def test_unchanged_rows_must_be_groups_the_importer_can_see(world, tmp_path):
    exported = export("groups", world.admin, world.alpha, tmp_path)
    report = run("groups", world.coordinator_a, world.alpha, exported, mode="valid")
    assert problems(report) == {(row, "code", "outside_reach") for row in rows_of(exported, "ke-cst-mom")}
    assert (
        report.unchanged
        == Group.objects.visible_to(world.coordinator_a).filter(collective=world.alpha).count()
    )


def rows_of(path: Path, code: str) -> list[int]:
    return [n for n, row in enumerate(exported_rows(path), start=2) if row["code"] == code]


# --- exports --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "coordinator_a", "lead"])
def test_an_exported_file_reimports_unchanged(world, tmp_path, who):
    user = getattr(world, who)
    Group.objects.filter(pk=world.kibera.pk).update(
        description="=cmd|' /C calc'!A0",
        founded_on=dt.date(2019, 5, 1),
        contact_email="Kibera@Example.org",
        place_name="Kibera, Nairobi",
    )
    Group.objects.filter(pk=world.region_b.pk).update(
        status=GroupStatus.CLOSED, closed_on=dt.date(2024, 2, 1), status_changed_on=dt.date(2024, 2, 1)
    )
    path = export("groups", user, world.alpha, tmp_path)
    rows = exported_rows(path)
    report = run("groups", user, world.alpha, path)
    assert report.committed and report.rejected == 0, report.problems
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(rows))


def test_an_xlsx_export_reimports_unchanged(world, tmp_path):
    Group.objects.filter(pk=world.kibera.pk).update(founded_on=dt.date(2019, 5, 1), longitude=36.0)
    record_type = get_record_type("groups")
    path = tmp_path / "groups.xlsx"
    with path.open("wb") as target:
        rows = record_type.export_rows(actor=world.admin, collective=world.alpha, filters={})
        count = write_xlsx(record_type.headers, rows, target, title="Groups")
    report = run("groups", world.admin, world.alpha, path)
    assert (report.unchanged, report.rejected) == (count, 0), report.problems


def test_the_export_holds_what_the_user_may_see_with_the_directory_filters(world, tmp_path):
    def codes(user: Any, **filters: str) -> set[str]:
        return {r["code"] for r in exported_rows(export("groups", user, world.alpha, tmp_path, **filters))}

    assert "ke-cst-mom" not in codes(world.coordinator_a) and "ke-nai-kib" in codes(world.coordinator_a)
    assert codes(world.admin, layer="action") == {"ke-nai-kib", "ke-cst-mom"}
    assert codes(world.admin, parent=str(world.kenya.pk)) == {"ke-nai", "ke-cst"}
    assert codes(world.admin, q="nairobi") == {"ke-nai"}
    assert codes(world.admin, kind=str(world.kibera.kind_id)) == {"ke-nai-kib", "ke-cst-mom"}
    assert codes(world.admin, layer="nonsense") == codes(world.admin)  # as the directory: ignored
    assert codes(world.beta_admin) == codes(None) == {"backbone", "ke", "ke-nai", "ke-cst"}  # the public ones
    Group.objects.filter(collective=world.alpha).update(visibility=Visibility.PRIVATE)
    assert codes(None) == set()


def test_exported_rows_give_the_parent_by_code_in_the_import_s_column_order(world, tmp_path):
    rows = exported_rows(export("groups", world.admin, world.alpha, tmp_path))
    assert list(rows[0]) == get_record_type("groups").headers
    kibera = next(r for r in rows if r["code"] == "ke-nai-kib")
    assert (kibera["parent"], kibera["kind"], kibera["latitude"], kibera["visibility"]) == (
        "ke-nai",
        "group",
        "-1.31",
        "private",
    )
    codes = [r["code"] for r in rows]
    assert codes.index("ke") < codes.index("ke-nai") < codes.index("ke-nai-kib")  # parents first


# --- a query count that doesn't grow with the file ----------------------------------------------------


def tree_rows(count: int, prefix: str) -> list[list[str]]:
    """`count` groups in a binary tree under Nairobi, children listed before their parents."""
    rows = []
    for n in range(count):
        parent = "ke-nai" if n == 0 else f"{prefix}{(n - 1) // 2}"
        rows.append([f"{prefix}{n}", f"Tree {n}", "group" if n else "district", parent])
    return rows[::-1]


def queries_to_import(world: Any, tmp_path: Path, count: int, prefix: str) -> int:
    path = write(tmp_path, GROUP_HEADER, tree_rows(count, prefix), name=f"tree-{count}.csv")
    with CaptureQueriesContext(connection) as captured:
        report = run("groups", world.admin, world.alpha, path)
    assert report.created == count and report.committed
    return len(captured.captured_queries)


def test_importing_ten_times_more_groups_costs_the_same_queries(world, tmp_path):
    small = queries_to_import(world, tmp_path, 200, "s")
    large = queries_to_import(world, tmp_path, 2_000, "l")
    assert large <= small + 2, (small, large)
    assert small <= 20, small
    leaf = Group.objects.get(code="l1999")
    assert leaf.depth == 12 and leaf.path.startswith(world.region_a.path)


# --- links ----------------------------------------------------------------------------------------------


def test_links_are_created_updated_and_left_unchanged(world, tmp_path):
    make_link(world.kibera, world.mombasa, Link.Kind.MENTORING, weight=2.0)
    path = write(
        tmp_path,
        LINK_HEADER,
        [
            ["ke-nai-kib", "ke-cst-mom", "partnership", "3", "2022-01-15", "", "Joint savings"],
            ["ke-nai-kib", "ke-cst-mom", "Mentoring", "2", "", "", ""],
            ["ke-nai", "ke-cst", "information_flow", "", "2020-01-01", "2021-01-01", ""],
        ],
    )
    report = run("links", world.admin, world.alpha, path)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (2, 0, 1, 0)
    partnership = Link.objects.get(kind="partnership")
    assert (partnership.source, partnership.target, partnership.weight) == (world.kibera, world.mombasa, 3.0)
    assert partnership.started_on == dt.date(2022, 1, 15) and partnership.note == "Joint savings"
    assert Link.objects.get(kind="information_flow").weight == 1.0
    changed = write(
        tmp_path,
        LINK_HEADER,
        [["ke-nai-kib", "ke-cst-mom", "partnership", "4", "2022-01-15", "", ""]],
        "b.csv",
    )
    report = run("links", world.admin, world.alpha, changed)
    assert report.updated == 1 and Link.objects.get(kind="partnership").weight == 4.0
    again = run("links", world.admin, world.alpha, path)
    assert (again.updated, again.unchanged) == (1, 2)  # the weight and note go back
    assert run("links", world.admin, world.alpha, path).unchanged == 3


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["ke-nai", "ke-nai", "partnership", "", "", "", ""], {(2, "target", "self_link")}),
        (
            ["ke-nai", "ke-cst", "partnership", "", "2022-01-01", "2021-01-01", ""],
            {(2, "ended_on", "dates_out_of_order")},
        ),
        (["ke-nai", "pe", "partnership", "", "", "", ""], {(2, "target", "unknown_group")}),
        (["nowhere", "ke-cst", "partnership", "", "", "", ""], {(2, "source", "unknown_group")}),
        (["ke-nai", "ke-cst", "friendship", "", "", "", ""], {(2, "kind", "invalid_kind")}),
        (["ke-nai", "ke-cst", "partnership", "-1", "", "", ""], {(2, "weight", "invalid_weight")}),
        (["ke-nai", "ke-cst", "partnership", "", "yesterday", "", ""], {(2, "started_on", "invalid_date")}),
        (["ke-nai", "", "partnership", "", "", "", ""], {(2, "target", "required")}),
    ],
)
def test_invalid_links_are_rejected(world, tmp_path, row, expected):
    report = run("links", world.admin, world.alpha, write(tmp_path, LINK_HEADER, [row]))
    assert problems(report) == expected and not Link.objects.exists()


def test_the_same_link_twice_in_the_file_is_rejected(world, tmp_path):
    row = ["ke-nai", "ke-cst", "partnership", "", "", "", ""]
    report = run("links", world.admin, world.alpha, write(tmp_path, LINK_HEADER, [row, row]))
    assert problems(report) == {(3, "target", "duplicate_in_file")}


def test_links_need_one_end_the_importer_edits_and_another_they_see(world, tmp_path):
    path = write(
        tmp_path,
        LINK_HEADER,
        [
            ["ke-nai-kib", "ke-cst", "partnership", "", "", "", ""],  # edits one end, sees the other
            ["ke-nai", "ke-cst-mom", "partnership", "", "", "", ""],  # Mombasa is private to region B
            ["backbone", "ke", "partnership", "", "", "", ""],  # sees both, edits neither
        ],
    )
    report = run("links", world.coordinator_a, world.alpha, path, mode="valid")
    assert report.created == 1
    assert problems(report) == {(3, "target", "unknown_group"), (4, "source", "outside_reach")}


def test_a_links_import_makes_the_network_snapshot_stale(world, tmp_path):
    now = timezone.now()
    snapshot = NetworkSnapshot.objects.create(collective=world.alpha, computed_at=now - dt.timedelta(hours=1))
    Group.objects.filter(collective=world.alpha).update(updated_at=now - dt.timedelta(hours=2))
    assert not snapshot_is_stale(snapshot)
    run(
        "links", world.admin, world.alpha, write(tmp_path, LINK_HEADER, [["ke-nai", "ke-cst", "partnership"]])
    )
    assert snapshot_is_stale(snapshot)


@pytest.mark.parametrize("who", ["admin", "coordinator_a"])
def test_exported_links_reimport_unchanged(world, tmp_path, who):
    make_link(world.kibera, world.mombasa, note='=HYPERLINK("x")', started_on=dt.date(2020, 1, 1))
    make_link(world.region_a, world.region_b, Link.Kind.INFORMATION_FLOW, weight=0.25)
    make_link(world.kibera, world.region_b, Link.Kind.MENTORING, ended_on=dt.date(2023, 3, 1))
    user = getattr(world, who)
    path = export("links", user, world.alpha, tmp_path)
    rows = exported_rows(path)
    assert len(rows) == Link.objects.visible_to(user).count()
    report = run("links", user, world.alpha, path)
    assert report.committed and (report.unchanged, report.rejected) == (len(rows), 0)


def test_the_links_export_holds_visible_links_with_filters(world, tmp_path):
    make_link(world.kibera, world.mombasa)
    make_link(world.region_a, world.region_b, Link.Kind.MENTORING)
    rows = exported_rows(export("links", world.coordinator_a, world.alpha, tmp_path))
    assert [(r["source"], r["target"]) for r in rows] == [("ke-nai", "ke-cst")]
    rows = exported_rows(export("links", world.admin, world.alpha, tmp_path, kind="partnership"))
    assert [(r["source"], r["target"], r["kind"]) for r in rows] == [
        ("ke-nai-kib", "ke-cst-mom", "partnership")
    ]
    rows = exported_rows(export("links", world.admin, world.alpha, tmp_path, group="ke-cst"))
    assert [r["kind"] for r in rows] == ["mentoring"]
