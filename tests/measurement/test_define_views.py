"""Pages where the backbone defines what is measured: indicators (create, edit, history), indicator
sets, targets and validation rules. Admins only; 404 for everybody else; errors shown per field."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minga.architecture.models import GroupKind
from minga.core.models import AuditEntry
from minga.measurement.models import Indicator, IndicatorSet, Target, ValidationRule
from tests.factories.measurement import make_indicator, make_sex_age

pytestmark = pytest.mark.django_db

OTHERS = ["anonymous", "member", "lead", "coordinator_a", "beta_admin"]


def url(name: str, *args: Any) -> str:
    return reverse(f"measurement:{name}", args=["alpha", *args])


def client(world: Any, actor: str) -> Client:
    c = Client()
    if actor != "anonymous":
        c.force_login(getattr(world, actor))
    return c


INDICATOR = {
    "code": "girls_enrolled",
    "name": "Girls enrolled",
    "description": "Girls in the programme",
    "unit": "girls",
    "value_type": "integer",
    "aggregation": "last",
    "frequency": "month",
    "min_value": "0",
    "max_value": "500",
    "sdg_target": "4.1",
    "iris_code": "PI4060",
    "active_from": "2025-01-01",
    "active_until": "",
    "visibility": "public",
}


@pytest.mark.parametrize("actor", OTHERS)
@pytest.mark.parametrize("page", ["indicator_create", "indicator_sets", "targets", "validation_rules"])
def test_definition_pages_are_missing_for_all_but_admins(world: Any, actor: str, page: str) -> None:
    browser = client(world, actor)
    assert browser.get(url(page)).status_code == 404
    assert browser.post(url(page), INDICATOR).status_code == 404
    assert not Indicator.objects.filter(code="girls_enrolled").exists()


@pytest.mark.parametrize("actor", OTHERS)
def test_indicator_edit_is_missing_for_all_but_admins(world: Any, actor: str) -> None:
    indicator = make_indicator(world.alpha, code="meetings", name="Meetings")
    response = client(world, actor).post(url("indicator_edit", indicator.pk), {**INDICATOR, "name": "X"})
    assert response.status_code == 404
    indicator.refresh_from_db()
    assert indicator.name == "Meetings"


def test_indicators_page_links_the_forms_for_admins_only(world: Any) -> None:
    make_indicator(world.alpha, code="meetings")
    admin = client(world, "admin").get(url("indicator_list")).content.decode()
    assert url("indicator_create") in admin and url("targets") in admin and "/edit/" in admin
    member = client(world, "member").get(url("indicator_list")).content.decode()
    assert url("indicator_create") not in member and "/edit/" not in member


def test_admin_defines_an_indicator_with_kinds_and_disaggregation(world: Any) -> None:
    kind = GroupKind.objects.get(collective=world.alpha, code="group")
    dis = make_sex_age(world.alpha)
    response = client(world, "admin").post(
        url("indicator_create"), {**INDICATOR, "kinds": [kind.pk], "disaggregation": dis.pk, "required": "on"}
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get(collective=world.alpha, code="girls_enrolled")
    assert indicator.aggregation == "last" and indicator.required and indicator.max_value == 500
    assert indicator.disaggregation == dis and list(indicator.kinds.all()) == [kind]
    assert str(indicator.active_from) == "2025-01-01"
    assert AuditEntry.objects.for_object(indicator).filter(action="indicator.create").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "bad code!"}, "code"),
        ({"code": ""}, "code"),
        ({"name": ""}, "name"),
        ({"value_type": "colour"}, "value_type"),
        ({"min_value": "10", "max_value": "5"}, "max_value"),
        ({"active_from": "2026-01-01", "active_until": "2025-01-01"}, "active_until"),
        ({"active_from": "not a date"}, "active_from"),
    ],
)
def test_indicator_form_shows_errors_per_field(world: Any, changes: dict[str, str], field: str) -> None:
    response = client(world, "admin").post(url("indicator_create"), {**INDICATOR, **changes})
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not Indicator.objects.filter(collective=world.alpha, code="girls_enrolled").exists()


def test_a_duplicate_code_is_reported_on_the_code_field(world: Any) -> None:
    make_indicator(world.alpha, code="girls_enrolled")
    response = client(world, "admin").post(url("indicator_create"), INDICATOR)
    assert response.status_code == 422
    assert "exists already" in str(response.context["form"].errors["code"])


def test_a_kind_of_another_collective_is_not_offered(world: Any) -> None:
    beta_kind = GroupKind.objects.filter(collective=world.beta).first()
    assert beta_kind is not None
    response = client(world, "admin").post(url("indicator_create"), {**INDICATOR, "kinds": [beta_kind.pk]})
    assert response.status_code == 422 and response.context["form"].errors["kinds"]


def test_editing_keeps_the_code_and_records_the_change_in_the_history(world: Any) -> None:
    indicator = make_indicator(world.alpha, code="meetings", name="Meetings", unit="meetings")
    browser = client(world, "admin")
    page = browser.get(url("indicator_edit", indicator.pk))
    assert page.status_code == 200 and "code" not in page.context["form"].fields
    response = browser.post(
        url("indicator_edit", indicator.pk),
        {**INDICATOR, "code": "renamed", "name": "Meetings held", "active_until": "2026-12-31"},
    )
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.code == "meetings" and indicator.name == "Meetings held"
    assert str(indicator.active_until) == "2026-12-31"
    entry = AuditEntry.objects.for_object(indicator).get(action="indicator.update")
    assert entry.changes["name"] == ["Meetings", "Meetings held"]
    history = browser.get(url("indicator_edit", indicator.pk)).content.decode()
    assert "Meetings held" in history and "indicator.update" in history


def test_the_disaggregation_of_an_indicator_with_values_cannot_change(world: Any) -> None:
    from tests.factories.measurement import make_period, make_value

    indicator = make_indicator(world.alpha, code="meetings", name="Meetings")
    make_value(indicator, world.kibera, make_period(world.alpha, "202603"), 3)
    dis = make_sex_age(world.alpha)
    response = client(world, "admin").post(
        url("indicator_edit", indicator.pk), {**INDICATOR, "disaggregation": dis.pk}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["disaggregation"]


def test_indicator_sets_keep_the_order_given(world: Any, django_assert_max_num_queries: Any) -> None:
    a = make_indicator(world.alpha, code="a", name="A")
    b = make_indicator(world.alpha, code="b", name="B")
    kind = GroupKind.objects.get(collective=world.alpha, code="group")
    browser = client(world, "admin")
    response = browser.post(
        url("indicator_sets"),
        {
            "code": "monthly",
            "name": "Monthly report",
            "frequency": "month",
            "indicators": "b\n a\n",
            "kinds": [kind.pk],
        },
    )
    assert response.status_code == 302
    form = IndicatorSet.objects.get(collective=world.alpha, code="monthly")
    assert [item.indicator for item in form.items.all()] == [b, a]
    assert list(form.kinds.all()) == [kind]
    with django_assert_max_num_queries(12):
        page = browser.get(url("indicator_sets"))
    assert "Monthly report" in page.content.decode()


@pytest.mark.parametrize(("text", "message"), [("a\nnope", "Unknown"), ("a\na", "twice"), ("\n", "")])
def test_indicator_set_errors(world: Any, text: str, message: str) -> None:
    make_indicator(world.alpha, code="a", name="A")
    make_indicator(world.beta, code="nope", name="Beta's")
    response = client(world, "admin").post(
        url("indicator_sets"), {"code": "s", "name": "S", "frequency": "month", "indicators": text}
    )
    assert response.status_code == 422
    assert message in str(response.context["form"].errors["indicators"])
    assert not IndicatorSet.objects.filter(code="s").exists()


def test_targets_for_a_subtree_and_period(world: Any) -> None:
    indicator = make_indicator(world.alpha, code="meetings", name="Meetings")
    browser = client(world, "admin")
    data = {"indicator": indicator.pk, "group": "ke-nai", "period": "2026-03", "value": "40", "note": "plan"}
    assert browser.post(url("targets"), data).status_code == 302
    assert browser.post(url("targets"), {**data, "value": "45"}).status_code == 302
    target = Target.objects.get(indicator=indicator)
    assert (target.group, target.period.code, target.value) == (world.region_a, "202603", 45)
    assert "Nairobi" in browser.get(url("targets")).content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"group": "pe"}, "group"),  # another collective's group reads like a missing one
        ({"group": "nope"}, "group"),
        ({"period": "2026Q1"}, "period"),  # a monthly indicator
        ({"period": "2026-13"}, "period"),
        ({"value": "many"}, "value"),
    ],
)
def test_target_errors(world: Any, changes: dict[str, str], field: str) -> None:
    indicator = make_indicator(world.alpha, code="meetings", name="Meetings")
    data = {"indicator": indicator.pk, "group": "ke-nai", "period": "202603", "value": "40", **changes}
    response = client(world, "admin").post(url("targets"), data)
    assert response.status_code == 422 and response.context["form"].errors[field]
    assert not Target.objects.exists()


def test_validation_rules(world: Any) -> None:
    girls = make_indicator(world.alpha, code="girls", name="Girls enrolled")
    children = make_indicator(world.alpha, code="children", name="Children enrolled")
    notes = make_indicator(world.alpha, code="notes", name="Notes", value_type="text")
    browser = client(world, "admin")
    rule = {"name": "Girls ≤ children", "left": girls.pk, "operator": "<=", "right": children.pk}
    assert browser.post(url("validation_rules"), rule).status_code == 302
    saved = ValidationRule.objects.get(collective=world.alpha)
    assert (saved.left, saved.operator, saved.right) == (girls, "<=", children)
    same = browser.post(url("validation_rules"), {**rule, "right": girls.pk})
    assert same.status_code == 422 and same.context["form"].errors["right"]
    text = browser.post(url("validation_rules"), {**rule, "left": notes.pk})
    assert text.status_code == 422 and text.context["form"].errors["left"]
    assert ValidationRule.objects.count() == 1
    assert "Girls ≤ children" in browser.get(url("validation_rules")).content.decode()
