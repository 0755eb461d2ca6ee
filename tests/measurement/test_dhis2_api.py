"""The DHIS2 API: POST/GET /api/v1/dhis2/datavaluesets (summary, dry run, Idempotency-Key, bad input,
scoping) and the mapping's CRUD."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection

from minga.measurement import dhis2_exchange as dx
from minga.measurement.models import DataValue
from minga.measurement.models_dhis2 import Dhis2Mapping
from tests.factories.api import ApiClient, error_codes, error_fields
from tests.factories.measurement import make_indicator, make_period, make_value

URL = "/dhis2/datavaluesets"


@pytest.fixture
def mapped(world: Any) -> Any:
    meetings = make_indicator(world.alpha, code="meetings", min_value=0)
    Dhis2Mapping.objects.create(
        collective=world.alpha, kind="indicator", code="meetings", dhis2_id="deMeeting01"
    )
    for group in (world.region_a, world.kibera, world.mombasa):
        Dhis2Mapping.objects.create(
            collective=world.alpha,
            kind="group",
            code=group.code,
            dhis2_id=f"ou-{group.code}",
            dhis2_code=group.code,
        )
    return meetings


def body(*values: Any) -> dict[str, Any]:
    return {"dataValues": list(values)}


def dv(value: Any = "4", **over: Any) -> dict[str, Any]:
    return {
        "dataElement": "deMeeting01",
        "period": "202604",
        "orgUnit": "ou-ke-nai-kib",
        "value": value,
    } | over


def post(api: ApiClient, payload: Any, query: str = "", **headers: str) -> Any:
    return api.post(f"{URL}?collective=alpha{query}", payload, **headers)


def test_import_answers_dhis2_summary(world: Any, mapped: Any) -> None:
    response = post(ApiClient(world.lead), body(dv("4"), dv("x", period="202603")))
    assert response.status_code == 200, response.content
    summary = response.json()
    assert summary["status"] == "WARNING" and summary["responseType"] == "ImportSummary"
    assert summary["importCount"] == {"imported": 1, "updated": 0, "ignored": 1, "deleted": 0}
    assert summary["conflicts"][0]["object"] == "x" and summary["conflicts"][0]["indexes"] == [1]


def test_dry_run_and_strategy_params(world: Any, mapped: Any) -> None:
    api = ApiClient(world.lead)
    assert post(api, body(dv("4")), "&dryRun=true").json()["importCount"]["imported"] == 1
    assert not DataValue.objects.exists()
    post(api, body(dv("4")))
    response = post(api, body(dv("9")), "&importStrategy=CREATE")
    assert response.json()["importCount"]["ignored"] == 1 and DataValue.objects.get().value == 4
    assert post(api, body(dv("9")), "&importStrategy=DELETE_ALL").status_code == 422
    assert post(api, body(dv("9")), "&idScheme=NAME").status_code == 422


def test_import_by_code_scheme(world: Any, mapped: Any) -> None:
    response = post(ApiClient(world.lead), body(dv("4", orgUnit="ke-nai-kib")), "&orgUnitIdScheme=CODE")
    assert response.json()["importCount"]["imported"] == 1, response.json()


@pytest.mark.parametrize("payload", ["{", "[1, 2]", '{"dataValues": {}}', '"text"'])
def test_malformed_body_is_422(world: Any, mapped: Any, payload: str) -> None:
    response = post(ApiClient(world.lead), payload)
    assert response.status_code == 422, response.content
    assert error_codes(response) & {"invalid_json", "invalid_payload"}


def test_idempotency_key(world: Any, mapped: Any) -> None:
    api = ApiClient(world.lead)
    key = {"Idempotency-Key": "dhis2-april"}
    first = post(api, body(dv("4")), "", **key)
    again = post(api, body(dv("4")), "", **key)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert first.json()["importCount"]["imported"] == 1 and DataValue.objects.count() == 1
    other = post(api, body(dv("5")), "", **key)
    assert other.status_code == 422 and error_codes(other) == {"idempotency_key_reused"}


def test_who_may_import(world: Any, mapped: Any) -> None:
    assert post(ApiClient(), body(dv())).status_code == 401
    assert post(ApiClient(world.member), body(dv())).status_code == 404
    assert post(ApiClient(world.beta_admin), body(dv())).status_code == 404
    response = post(ApiClient(world.coordinator_b), body(dv()))
    assert response.json()["conflicts"][0]["errorCode"] == "no_group"


def test_export(world: Any, mapped: Any, django_assert_max_num_queries: Any) -> None:
    april = make_period(world.alpha, "202604")
    for group, value in ((world.kibera, 4), (world.mombasa, 6), (world.region_a, 1)):
        make_value(mapped, group, april, value)
    api = ApiClient(world.coordinator_a)
    with django_assert_max_num_queries(12):
        response = api.get(URL, {"collective": "alpha", "period": "202604"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert sorted(v["orgUnit"] for v in data["dataValues"]) == ["ou-ke-nai", "ou-ke-nai-kib"]
    assert data["period"] == "202604" and response["X-Minga-Unmapped"] == "0"
    only = api.get(URL, {"collective": "alpha", "orgUnit": "ou-ke-nai"}).json()
    assert [v["orgUnit"] for v in only["dataValues"]] == ["ou-ke-nai"]
    subtree = api.get(URL, {"collective": "alpha", "orgUnit": "ou-ke-nai", "children": "true"}).json()
    assert len(subtree["dataValues"]) == 2
    by_indicator = api.get(URL, {"collective": "alpha", "indicator": "meetings"}).json()
    assert len(by_indicator["dataValues"]) == 2
    assert api.get(URL, {"collective": "alpha", "dataElement": "nope"}).status_code == 422
    assert api.get(URL, {"collective": "alpha", "period": "2026X"}).status_code == 422
    bad_unit = api.get(URL, {"collective": "alpha", "orgUnit": "ou-ke-cst-mom-x"})
    assert bad_unit.status_code == 422 and error_fields(bad_unit) == {"orgUnit"}
    assert ApiClient(world.member).get(URL, {"collective": "alpha"}).status_code == 404


def test_round_trip_over_the_api(world: Any, mapped: Any) -> None:
    api = ApiClient(world.admin)
    post(api, body(dv("4", comment="ok"), dv("2", orgUnit="ou-ke-cst-mom")))
    exported = api.get(URL, {"collective": "alpha"}).json()
    summary = post(api, json.loads(json.dumps(exported))).json()
    assert summary["status"] == "SUCCESS" and summary["importCount"]["ignored"] == 2, summary


def test_mapping_crud(world: Any, mapped: Any, django_assert_max_num_queries: Any) -> None:
    admin = ApiClient(world.admin)
    created = admin.post(
        "/dhis2/mappings", {"collective": "alpha", "kind": "group", "code": "ke", "dhis2_id": "ouKenya0001"}
    )
    assert created.status_code == 201, created.content
    mapping_id = created.json()["id"]
    with django_assert_max_num_queries(8):
        listed = admin.get("/dhis2/mappings", {"collective": "alpha", "kind": "group"})
    assert [m["code"] for m in listed.json()["items"]] == ["ke", "ke-cst-mom", "ke-nai", "ke-nai-kib"]
    patched = admin.patch(f"/dhis2/mappings/{mapping_id}", {"dhis2_code": "KE"})
    assert patched.json()["dhis2_code"] == "KE"
    duplicate = admin.post(
        "/dhis2/mappings",
        {"collective": "alpha", "kind": "group", "code": "ke-nai", "dhis2_id": "ouKenya0001"},
    )
    assert duplicate.status_code == 422 and "code" in error_fields(duplicate)
    coordinator = ApiClient(world.coordinator_a)
    assert coordinator.get(f"/dhis2/mappings/{mapping_id}").status_code == 200
    assert coordinator.patch(f"/dhis2/mappings/{mapping_id}", {"name": "x"}).status_code == 404
    assert ApiClient(world.beta_admin).get(f"/dhis2/mappings/{mapping_id}").status_code == 404
    assert admin.delete(f"/dhis2/mappings/{mapping_id}").status_code == 204
    assert admin.get(f"/dhis2/mappings/{mapping_id}").status_code == 404


def test_generate_over_the_api(world: Any, mapped: Any) -> None:
    response = ApiClient(world.admin).post(
        "/dhis2/mappings/generate", {"collective": "alpha", "kinds": ["group"]}
    )
    assert response.status_code == 200 and response.json()["group"] >= 3
    assert ApiClient(world.lead).post("/dhis2/mappings/generate", {"collective": "alpha"}).status_code == 422


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_is_409(world: Any, mapped: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second import with the same key while the first runs gets 409 and writes nothing."""
    entered, release = threading.Event(), threading.Event()
    original = dx.dhis2_import

    def slow(**kwargs: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(dx, "dhis2_import", slow)
    key = {"Idempotency-Key": "dhis2-concurrent"}
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            results["first"] = post(ApiClient(world.lead), body(dv("4")), "", **key)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    second = post(ApiClient(world.lead), body(dv("4")), "", **key)
    release.set()
    thread.join(10)
    assert second.status_code == 409 and error_codes(second) == {"request_in_progress"}
    assert results["first"].status_code == 200 and results["first"].json()["importCount"]["imported"] == 1
    assert DataValue.objects.count() == 1
