"""Measurement pages: dashboard, pivot and its export, the entry grid (htmx cells and Save all),
completeness with approval and unlock, the indicators list; for each kind of visitor."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from minga.measurement.models import Approval, DataValue, Indicator
from tests.factories.measurement import make_indicator, make_period, make_sex_age, make_value

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "member", "lead", "coordinator_a", "coordinator_b", "beta_admin", "admin"]


def url(name: str, *args: Any) -> str:
    return reverse(f"measurement:{name}", args=["alpha", *args])


def client(world: Any, actor: str) -> Client:
    c = Client()
    if actor != "anonymous":
        c.force_login(getattr(world, actor))
    return c


@pytest.fixture
def data(world: Any) -> dict[str, Any]:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings held", unit="meetings")
    enrolled = make_indicator(
        world.alpha, code="enrolled", name="Children enrolled", disaggregation=make_sex_age(world.alpha)
    )
    march, april = make_period(world.alpha, "202603"), make_period(world.alpha, "202604")
    make_value(meetings, world.kibera, march, 3)
    make_value(meetings, world.kibera, april, 4)
    make_value(meetings, world.mombasa, april, 6)
    return {"meetings": meetings, "enrolled": enrolled, "march": march, "april": april}


@pytest.mark.parametrize("actor", ACTORS)
def test_dashboard_opens_for_everyone_who_sees_the_collective(
    world: Any, data: dict[str, Any], actor: str, django_assert_max_num_queries: Any
) -> None:
    browser = client(world, actor)
    with django_assert_max_num_queries(20):
        response = browser.get(url("dashboard"), {"indicator": "meetings", "period": "202603:202604"})
    assert response.status_code == 200
    assert b"Meetings held" in response.content


def test_dashboard_figures_follow_the_viewer(world: Any, data: dict[str, Any]) -> None:
    admin = client(world, "admin").get(url("dashboard"), {"indicator": "meetings", "period": "202603:202604"})
    assert admin.context["data"].trend.total == 13
    assert b"<svg" in admin.content
    coordinator = client(world, "coordinator_a").get(
        url("dashboard"), {"indicator": "meetings", "period": "202603:202604"}
    )
    assert coordinator.context["data"].trend.total == 7
    visitor = client(world, "anonymous").get(
        url("dashboard"), {"indicator": "meetings", "period": "202603:202604"}
    )
    assert visitor.context["data"].trend.total is None  # nothing approved and public
    assert visitor.context["data"].completeness is None


def test_dashboard_drills_into_a_subtree_and_refuses_hidden_ones(world: Any, data: dict[str, Any]) -> None:
    response = client(world, "admin").get(
        url("dashboard"), {"indicator": "meetings", "period": "202604", "within": world.kenya.pk}
    )
    assert [(label, value) for _, label, value in response.context["data"].breakdown.cells] == [
        ("Coast", 6.0),
        ("Nairobi", 4.0),
    ]
    assert (
        client(world, "coordinator_a").get(url("dashboard"), {"within": world.mombasa.pk}).status_code == 404
    )
    assert client(world, "admin").get(url("dashboard"), {"indicator": "nope"}).status_code == 404


def test_dashboard_bad_period_is_explained(world: Any, data: dict[str, Any]) -> None:
    response = client(world, "admin").get(url("dashboard"), {"indicator": "meetings", "period": "2026-77"})
    assert response.status_code == 200 and b"not a real period" in response.content


def test_pivot_and_its_exports(world: Any, data: dict[str, Any]) -> None:
    admin = client(world, "admin")
    params = {"indicator": "meetings", "period": "202603:202604", "within": world.kenya.pk}
    page = admin.get(url("pivot"), params)
    table = page.context["table"]
    assert table.columns == ["202603", "202604"]
    assert table.rows == [("Coast", [None, 6.0], 6.0), ("Nairobi", [3.0, 4.0], 7.0)]
    csv_file = admin.get(url("pivot"), params | {"format": "csv"})
    assert csv_file["Content-Disposition"].endswith('.csv"')
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "unit,202603,202604,total" and lines[-1] == "Total,3.0,10.0,13.0"
    xlsx = admin.get(url("pivot"), params | {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.cell(row=3, column=1).value == "Nairobi"
    mine = client(world, "coordinator_b").get(url("pivot"), params | {"format": "csv"})
    assert "Nairobi" not in mine.content.decode("utf-8-sig")


def test_pivot_files_write_a_formula_like_unit_name_as_text(world: Any, data: dict[str, Any]) -> None:
    world.region_b.name = '=HYPERLINK("http://evil.example")'
    world.region_b.save(update_fields=["name"])
    admin = client(world, "admin")
    params = {"indicator": "meetings", "period": "202603:202604", "within": world.kenya.pk}
    lines = admin.get(url("pivot"), params | {"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[-1] == "Total,3.0,10.0,13.0"
    xlsx = admin.get(url("pivot"), params | {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://evil.example")'
    assert sheet.cell(row=2, column=3).value == 6.0  # numbers stay numbers


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("lead", 200),
        ("coordinator_a", 200),
        ("admin", 200),
        ("member", 404),
        ("coordinator_b", 404),
        ("beta_admin", 404),
        ("anonymous", 404),
    ],
)
def test_entry_grid_is_for_those_who_report_for_the_group(
    world: Any, data: dict[str, Any], actor: str, status: int
) -> None:
    assert client(world, actor).get(url("entry", world.kibera.pk, "202604")).status_code == status


def test_entry_grid_shows_each_option_and_stored_values(
    world: Any, data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    lead = client(world, "lead")
    with django_assert_max_num_queries(14):
        response = lead.get(url("entry", world.kibera.pk, "202604"))
    rows = response.context["rows"]
    assert len(rows) == 1 + 6  # meetings, and enrolled by sex x age
    assert next(r for r in rows if r.indicator.code == "meetings").value == "4"


def test_htmx_cell_saves_one_value(world: Any, data: dict[str, Any]) -> None:
    key = f"{data['meetings'].pk}-0"
    lead = client(world, "lead")
    response = lead.post(
        url("entry_cell", world.kibera.pk, "202605"),
        {"key": key, "indicator": "meetings", "option": "", f"v-{key}": "9", f"c-{key}": "two trainings"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"Saved" in response.content
    stored = DataValue.objects.get(period__code="202605")
    assert (stored.value, stored.comment, stored.source) == (9, "two trainings", "web")
    bad = lead.post(
        url("entry_cell", world.kibera.pk, "202605"),
        {"key": key, "indicator": "meetings", "option": "", f"v-{key}": "lots"},
        HTTP_HX_REQUEST="true",
    )
    assert b"is not a number" in bad.content
    assert DataValue.objects.get(period__code="202605").value == 9


def test_save_all_without_javascript(world: Any, data: dict[str, Any]) -> None:
    enrolled = data["enrolled"]
    f_option = enrolled.disaggregation.options.get(code="f.0-14")
    meetings_key = f"{data['meetings'].pk}-0"
    enrolled_key = f"{enrolled.pk}-{f_option.pk}"
    response = client(world, "lead").post(
        url("entry", world.kibera.pk, "202605"), {f"v-{meetings_key}": "5", f"v-{enrolled_key}": "12"}
    )
    assert response.status_code == 302
    assert DataValue.objects.filter(period__code="202605").count() == 2
    refused = client(world, "lead").post(url("entry", world.kibera.pk, "202605"), {f"v-{meetings_key}": "-x"})
    assert refused.status_code == 422 and b"is not a number" in refused.content


def test_completeness_approve_and_unlock(world: Any, data: dict[str, Any]) -> None:
    coordinator = client(world, "coordinator_a")
    page = coordinator.get(url("completeness"), {"period": "202604", "within": world.region_a.pk})
    assert page.status_code == 200
    assert (page.context["result"].expected, page.context["result"].missing) == (1, 0)
    assert page.context["can_approve"]
    approved = coordinator.post(url("approve"), {"group": world.region_a.pk, "period": "202604"})
    assert approved.status_code == 302
    approval = Approval.objects.get()
    # The lead can no longer change April in Kibera.
    key = f"{data['meetings'].pk}-0"
    locked = client(world, "lead").post(
        url("entry_cell", world.kibera.pk, "202604"), {"key": key, "indicator": "meetings", f"v-{key}": "8"}
    )
    assert b"approved and locked" in locked.content
    other = client(world, "coordinator_b").post(
        url("approve"), {"group": world.region_a.pk, "period": "202604"}
    )
    assert other.status_code == 404
    assert Approval.objects.count() == 1
    assert client(world, "coordinator_a").post(url("unlock", approval.pk), {"reason": "x"}).status_code == 404
    assert Approval.objects.in_force().count() == 1
    client(world, "admin").post(url("unlock", approval.pk), {"reason": "Kibera resent April."})
    assert Approval.objects.in_force().count() == 0


@pytest.mark.parametrize(
    ("actor", "status"), [("anonymous", 404), ("beta_admin", 404), ("member", 200), ("admin", 200)]
)
def test_completeness_is_for_the_collectives_people(
    world: Any, data: dict[str, Any], actor: str, status: int
) -> None:
    assert client(world, actor).get(url("completeness"), {"period": "202604"}).status_code == status


def test_indicator_list(world: Any, data: dict[str, Any]) -> None:
    Indicator.objects.filter(code="enrolled").update(visibility="collective")
    assert b"Children enrolled" not in client(world, "anonymous").get(url("indicator_list")).content
    assert b"Children enrolled" in client(world, "member").get(url("indicator_list")).content


def test_entry_index_lists_the_groups_one_reports_for(world: Any, data: dict[str, Any]) -> None:
    response = client(world, "lead").get(url("entry_index"))
    assert [g.code for g in response.context["groups"]] == ["ke-nai-kib"]
    assert client(world, "member").get(url("entry_index")).status_code == 404


def test_the_group_page_links_to_its_subtree_dashboard(world: Any, data: dict[str, Any]) -> None:
    page = client(world, "admin").get(reverse("architecture:group_detail", args=["alpha", world.region_a.pk]))
    link = f"{url('dashboard')}?within={world.region_a.pk}"
    assert link.encode() in page.content
    assert client(world, "admin").get(link).status_code == 200
