"""The definitions API beside indicators: disaggregations, indicator sets, targets and validation rules
(list, create, change, delete), for backbone admins; missing (404) or forbidden for everybody else."""

from __future__ import annotations

from typing import Any

import pytest

from minga.core.models import AuditEntry
from minga.measurement.models import Disaggregation, IndicatorSet, Target, ValidationRule
from tests.factories.api import ApiClient, error_codes, error_fields
from tests.factories.measurement import make_indicator, make_period

pytestmark = pytest.mark.django_db

SEX_AGE = {
    "collective": "alpha",
    "code": "sex_age",
    "name": "Sex x age",
    "categories": [
        {"code": "sex", "name": "Sex", "options": [["f", "Female"], ["m", "Male"]]},
        {"code": "age", "name": "Age", "options": [["0-14", "0-14"], ["15+", "15+"]]},
    ],
}


@pytest.fixture
def indicators(world: Any) -> tuple[Any, Any]:
    return make_indicator(world.alpha, code="meetings"), make_indicator(world.alpha, code="members")


def test_disaggregation_life(world: Any) -> None:
    api = ApiClient(world.admin)
    created = api.post("/disaggregations", SEX_AGE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert [o["code"] for o in body["options"]] == ["f.0-14", "f.15+", "m.0-14", "m.15+"]
    listed = api.get("/disaggregations", {"collective": "alpha"}).json()
    assert [d["code"] for d in listed] == ["sex_age"]
    renamed = api.patch(f"/disaggregations/{body['id']}", {"name": "Sex and age"})
    assert renamed.json()["name"] == "Sex and age" and len(renamed.json()["options"]) == 4
    make_indicator(world.alpha, code="enrolled", disaggregation=Disaggregation.objects.get())
    refused = api.patch(f"/disaggregations/{body['id']}", {"categories": SEX_AGE["categories"][:1]})
    assert refused.status_code == 422 and error_codes(refused) == {"in_use"}
    assert api.delete(f"/disaggregations/{body['id']}").status_code == 422
    assert Disaggregation.objects.get().options.count() == 4


def test_bad_disaggregation_names_its_field(world: Any) -> None:
    bad = {**SEX_AGE, "categories": [{"code": "sex", "options": [["f.x", "F"]]}]}
    response = ApiClient(world.admin).post("/disaggregations", bad)
    assert response.status_code == 422 and error_fields(response) == {"categories"}
    assert not Disaggregation.objects.exists()


@pytest.mark.parametrize("actor", ["lead", "coordinator_a", "beta_admin"])
def test_only_admins_define(world: Any, indicators: Any, actor: str) -> None:
    api = ApiClient(getattr(world, actor))
    assert api.post("/disaggregations", SEX_AGE).status_code in (403, 404, 422)
    form = IndicatorSet.objects.create(collective=world.alpha, code="monthly", name="Monthly")
    assert api.patch(f"/indicator-sets/{form.pk}", {"name": "x"}).status_code == 404
    assert api.delete(f"/indicator-sets/{form.pk}").status_code == 404
    assert not Disaggregation.objects.exists() and IndicatorSet.objects.get().name == "Monthly"


def test_indicator_set_life(world: Any, indicators: Any) -> None:
    api = ApiClient(world.admin)
    created = api.post(
        "/indicator-sets",
        {"collective": "alpha", "code": "monthly", "name": "Monthly", "indicators": ["meetings", "members"]},
    )
    assert created.status_code == 201, created.content
    set_id = created.json()["id"]
    changed = api.patch(f"/indicator-sets/{set_id}", {"indicators": ["members"], "kinds": ["group"]})
    assert changed.json()["indicators"] == ["members"] and changed.json()["kinds"] == ["group"]
    assert changed.json()["name"] == "Monthly"  # left out: unchanged
    unknown = api.patch(f"/indicator-sets/{set_id}", {"indicators": ["nope"]})
    assert unknown.status_code == 422 and error_fields(unknown) == {"indicators"}
    assert [s["code"] for s in api.get("/indicator-sets", {"collective": "alpha"}).json()] == ["monthly"]
    assert api.delete(f"/indicator-sets/{set_id}").status_code == 204
    assert not IndicatorSet.objects.exists()
    assert AuditEntry.objects.filter(action="indicator_set.delete").exists()


def test_target_change_and_delete(world: Any, indicators: Any) -> None:
    target = Target.objects.create(
        collective=world.alpha,
        indicator=indicators[1],
        group=world.region_a,
        period=make_period(world.alpha, "202604"),
        value=10,
    )
    # The coordinator of another region can't see it; the region's coordinator may change it.
    assert ApiClient(world.coordinator_b).patch(f"/targets/{target.pk}", {"value": 1}).status_code == 404
    changed = ApiClient(world.coordinator_a).patch(f"/targets/{target.pk}", {"value": 12, "note": "more"})
    assert changed.status_code == 200 and changed.json()["value"] == 12
    assert ApiClient(world.lead).delete(f"/targets/{target.pk}").status_code == 404
    assert ApiClient(world.admin).delete(f"/targets/{target.pk}").status_code == 204
    assert not Target.objects.exists()


def test_validation_rule_life(world: Any, indicators: Any) -> None:
    api = ApiClient(world.admin)
    created = api.post(
        "/validation-rules",
        {"collective": "alpha", "name": "Meetings under members", "left": "meetings", "right": "members"},
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    same = api.patch(f"/validation-rules/{rule_id}", {"right": "meetings"})
    assert same.status_code == 422
    unknown = api.patch(f"/validation-rules/{rule_id}", {"left": "nope"})
    assert unknown.status_code == 422 and error_fields(unknown) == {"left"}
    changed = api.patch(f"/validation-rules/{rule_id}", {"operator": "<"})
    assert changed.json()["operator"] == "<" and changed.json()["left"] == "meetings"
    assert api.get("/validation-rules", {"collective": "alpha"}).json()[0]["id"] == rule_id
    assert ApiClient(world.lead).delete(f"/validation-rules/{rule_id}").status_code == 404
    assert api.delete(f"/validation-rules/{rule_id}").status_code == 204
    assert not ValidationRule.objects.exists()
