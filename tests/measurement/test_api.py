"""The measurement API: the data values batch (idempotency, dry run, bad input), lists, indicators,
periods, analytics scoping, completeness and approvals."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from minga.core.models import IdempotencyKey
from minga.measurement import services
from minga.measurement.models import Approval, DataValue, Indicator
from tests.factories.api import ApiClient, error_codes, error_fields
from tests.factories.measurement import make_indicator, make_period, make_value

KEY = {"Idempotency-Key": "batch-2026-04-kibera"}


def batch(*values: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
    return {"collective": "alpha", "dry_run": dry_run, "values": list(values)}


def item(value: Any = 4, **over: Any) -> dict[str, Any]:
    return {"indicator": "meetings", "group": "ke-nai-kib", "period": "202604", "value": value} | over


@pytest.fixture
def meetings(world: Any) -> Indicator:
    return make_indicator(world.alpha, code="meetings", min_value=0)


def test_batch_counts_and_reasons(world: Any, meetings: Indicator) -> None:
    api = ApiClient(world.lead)
    response = api.post(
        "/datavalues", batch(item(4), item("x", period="202603"), item(2, group="ke-cst-mom"))
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (1, 0, 0, 2)
    assert [(r["index"], r["code"], r["field"]) for r in body["rejections"]] == [
        (1, "invalid_value", "value"),
        (2, "no_group", "group"),
    ]
    again = api.post("/datavalues", batch(item(4), item(5, period="202603")))
    assert (again.json()["unchanged"], again.json()["created"]) == (1, 1)
    assert DataValue.objects.get(period__code="202604").source == "api"


def test_dry_run_saves_nothing(world: Any, meetings: Indicator) -> None:
    response = ApiClient(world.lead).post("/datavalues", batch(item(4), dry_run=True))
    assert response.json()["created"] == 1 and response.json()["dry_run"] is True
    assert not DataValue.objects.exists()


def test_same_key_replays_and_writes_once(world: Any, meetings: Indicator) -> None:
    api = ApiClient(world.lead)
    first = api.post("/datavalues", batch(item(4)), **KEY)
    api_again = api.post("/datavalues", batch(item(4)), **KEY)
    assert api_again.status_code == 200 and api_again["Idempotent-Replayed"] == "true"
    assert api_again.json() == first.json() and first.json()["created"] == 1
    assert DataValue.objects.count() == 1


def test_same_key_different_body_is_422(world: Any, meetings: Indicator) -> None:
    api = ApiClient(world.lead)
    api.post("/datavalues", batch(item(4)), **KEY)
    response = api.post("/datavalues", batch(item(5)), **KEY)
    assert response.status_code == 422 and error_codes(response) == {"idempotency_key_reused"}
    assert DataValue.objects.get().value == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_is_409(
    world: Any, meetings: Indicator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second request with the key while the first is still running gets 409, and writes nothing."""
    entered, release = threading.Event(), threading.Event()
    original = services.datavalues_upsert

    def slow(**kwargs: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(services, "datavalues_upsert", slow)
    api = ApiClient(world.lead)
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            results["first"] = api.post("/datavalues", batch(item(4)), **KEY)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    second = ApiClient(world.lead).post("/datavalues", batch(item(4)), **KEY)
    release.set()
    thread.join(10)
    assert second.status_code == 409 and error_codes(second) == {"request_in_progress"}
    assert results["first"].status_code == 200 and results["first"].json()["created"] == 1
    assert DataValue.objects.count() == 1
    assert IdempotencyKey.objects.get().status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"collective": "alpha", "values": [{"group": "x", "period": "202604"}]}, "indicator"),
        ({"collective": "alpha", "values": "nope"}, "values"),
        ({"values": []}, "collective"),
    ],
)
def test_malformed_batches_are_422(world: Any, payload: dict[str, Any], field: str) -> None:
    response = ApiClient(world.admin).post("/datavalues", payload)
    assert response.status_code == 422
    assert any(field in (f or "") for f in error_fields(response))


def test_batch_over_the_limit_is_422(world: Any, meetings: Indicator) -> None:
    response = ApiClient(world.admin).post("/datavalues", batch(*[item(1)] * 10_001))
    assert response.status_code == 422
    assert not DataValue.objects.exists()


def test_anonymous_write_is_401_and_other_collective_404(world: Any, meetings: Indicator) -> None:
    assert ApiClient().post("/datavalues", batch(item(4))).status_code == 401
    response = ApiClient(world.admin).post("/datavalues", batch(item(4)) | {"collective": "nope"})
    assert response.status_code == 422 and error_fields(response) == {"collective"}


@pytest.fixture
def approved(world: Any, meetings: Indicator) -> dict[str, Any]:
    """April: Kibera 4 (approved, in region A), Mombasa 6 (not approved)."""
    april = make_period(world.alpha, "202604")
    make_value(meetings, world.kibera, april, 4)
    make_value(meetings, world.mombasa, april, 6)
    Approval.objects.create(
        collective=world.alpha,
        group=world.region_a,
        period=april,
        approved_by=world.admin,
        approved_at=april_dt(),
    )
    return {"period": april}


def april_dt() -> Any:
    import datetime as dt

    return dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("actor", "total"),
    [
        ("anonymous", None),  # Kibera is a private group: visitors see public groups only
        ("member", 4.0),  # Kibera's member sees Kibera, not the private Mombasa group
        ("coordinator_a", 4.0),
        ("coordinator_b", 6.0),
        ("beta_admin", None),
        ("admin", 10.0),
    ],
)
def test_analytics_add_up_only_what_the_caller_may_see(
    world: Any, approved: dict[str, Any], actor: str, total: float | None
) -> None:
    api = ApiClient(None if actor == "anonymous" else getattr(world, actor))
    response = api.get("/analytics", {"collective": "alpha", "indicator": "meetings", "period": "202604"})
    assert response.status_code == 200, response.content
    assert response.json()["total"] == total


def test_visitors_see_approved_values_of_public_groups_only(world: Any, approved: dict[str, Any]) -> None:
    from minga.architecture.models import Group

    Group.objects.filter(pk__in=[world.kibera.pk, world.mombasa.pk]).update(visibility="public")
    response = ApiClient().get(
        "/analytics", {"collective": "alpha", "indicator": "meetings", "period": "202604"}
    )
    assert response.json()["total"] == 4.0  # Mombasa's 6 is not approved
    Indicator.objects.update(visibility="collective")
    response = ApiClient().get(
        "/analytics", {"collective": "alpha", "indicator": "meetings", "period": "202604"}
    )
    assert response.status_code == 404  # an unpublished indicator is not there for visitors


def test_analytics_by_child_and_period(world: Any, approved: dict[str, Any]) -> None:
    api = ApiClient(world.admin)
    by_child = api.get(
        "/analytics",
        {
            "collective": "alpha",
            "indicator": "meetings",
            "period": "202604",
            "by": "child",
            "within": world.kenya.pk,
        },
    ).json()
    assert {c["label"]: c["value"] for c in by_child["cells"]} == {"Nairobi": 4.0, "Coast": 6.0}
    by_period = api.get(
        "/analytics",
        {"collective": "alpha", "indicator": "meetings", "period": "202603:202604", "by": "period"},
    ).json()
    assert by_period["periods"] == ["202604"]  # March was never reported: not stored


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-99"}, "period"),
        ({"by": "colour"}, "by"),
        ({"within": 999999}, "within"),
        ({"period": "202601:2026Q2"}, "period"),
    ],
)
def test_analytics_bad_input(
    world: Any, approved: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    response = ApiClient(world.admin).get(
        "/analytics", {"collective": "alpha", "indicator": "meetings"} | params
    )
    assert response.status_code == 422 and error_fields(response) == {field}


def test_analytics_within_another_region_shows_a_coordinator_nothing(
    world: Any, approved: dict[str, Any]
) -> None:
    api = ApiClient(world.coordinator_a)
    params = {"collective": "alpha", "indicator": "meetings", "period": "202604"}
    # The Coast region is public, its Mombasa group private: nothing of it adds up for region A's coordinator.
    assert api.get("/analytics", params | {"within": world.region_b.pk}).json()["total"] is None
    hidden = api.get("/analytics", params | {"within": world.mombasa.pk})
    assert hidden.status_code == 422 and error_fields(hidden) == {"within"}


def test_list_values_is_scoped_and_query_count_pinned(
    world: Any, approved: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    api = ApiClient(world.coordinator_a)
    with django_assert_max_num_queries(8):
        response = api.get("/datavalues", {"collective": "alpha"})
    assert [(v["group"], v["value"]) for v in response.json()["items"]] == [("ke-nai-kib", 4.0)]
    everything = ApiClient(world.admin).get(
        "/datavalues", {"collective": "alpha", "within": world.region_b.pk}
    )
    assert [v["group"] for v in everything.json()["items"]] == ["ke-cst-mom"]


def test_indicators_crud(world: Any) -> None:
    payload = {
        "collective": "alpha",
        "code": "savings",
        "name": "Savings mobilised",
        "unit": "KES",
        "kinds": ["group"],
    }
    assert ApiClient(world.coordinator_a).post("/indicators", payload).status_code == 422
    created = ApiClient(world.admin).post("/indicators", payload)
    assert created.status_code == 201, created.content
    assert created.json()["kinds"] == ["group"]
    pk = created.json()["id"]
    patched = ApiClient(world.admin).patch(f"/indicators/{pk}", {"name": "Savings"})
    assert patched.json()["name"] == "Savings"
    assert ApiClient(world.coordinator_a).patch(f"/indicators/{pk}", {"name": "X"}).status_code == 404
    assert ApiClient(world.beta_admin).get(f"/indicators/{pk}").status_code == 200  # public indicator
    listed = ApiClient().get("/indicators", {"collective": "alpha"}).json()["items"]
    assert [i["code"] for i in listed] == ["savings"]
    bad = ApiClient(world.admin).post("/indicators", payload | {"code": "other", "kinds": ["nope"]})
    assert bad.status_code == 422 and error_fields(bad) == {"kinds"}


def test_periods(world: Any) -> None:
    api = ApiClient(world.admin)
    response = api.post("/periods", {"collective": "alpha", "code": "2026q1", "closes_on": "2026-04-30"})
    assert response.status_code == 200, response.content
    assert (response.json()["code"], response.json()["end"]) == ("2026Q1", "2026-03-31")
    assert (
        ApiClient(world.lead).post("/periods", {"collective": "alpha", "code": "2026Q2"}).status_code == 404
    )
    bad = api.post("/periods", {"collective": "alpha", "code": "2026Q5"})
    assert bad.status_code == 422 and error_fields(bad) == {"code"}
    assert [p["code"] for p in api.get("/periods", {"collective": "alpha"}).json()["items"]] == ["2026Q1"]


def test_approve_and_unlock(world: Any, meetings: Indicator) -> None:
    make_period(world.alpha, "202604")
    body = {"collective": "alpha", "group": world.region_a.pk, "period": "202604"}
    assert ApiClient(world.coordinator_b).post("/approvals", body).status_code == 404
    created = ApiClient(world.coordinator_a).post("/approvals", body)
    assert created.status_code == 201
    pk = created.json()["id"]
    assert ApiClient(world.coordinator_a).post(f"/approvals/{pk}/unlock", {"reason": "x"}).status_code == 404
    assert ApiClient(world.admin).post(f"/approvals/{pk}/unlock", {"reason": ""}).status_code == 422
    unlocked = ApiClient(world.admin).post(f"/approvals/{pk}/unlock", {"reason": "Wrong month"})
    assert unlocked.status_code == 200 and unlocked.json()["revoke_reason"] == "Wrong month"


def test_completeness(world: Any, approved: dict[str, Any]) -> None:
    response = ApiClient(world.admin).get("/completeness", {"collective": "alpha", "period": "202604"})
    body = response.json()
    assert (body["expected"], body["on_time"] + body["late"], body["missing"]) == (2, 2, 0)
    coordinator = (
        ApiClient(world.coordinator_b)
        .get("/completeness", {"collective": "alpha", "period": "202604"})
        .json()
    )
    assert coordinator["expected"] == 1


def test_targets_for_a_subtree(world: Any, meetings: Indicator) -> None:
    body = {"collective": "alpha", "indicator": "meetings", "group": world.region_a.pk, "period": "202604"}
    assert ApiClient(world.coordinator_b).post("/targets", body | {"value": 10}).status_code == 404
    assert ApiClient(world.lead).post("/targets", body | {"value": 10}).status_code == 404
    set_once = ApiClient(world.coordinator_a).post("/targets", body | {"value": 10})
    assert set_once.status_code == 200, set_once.content
    again = ApiClient(world.coordinator_a).post("/targets", body | {"value": 12, "note": "raised"})
    assert again.json()["id"] == set_once.json()["id"] and again.json()["value"] == 12
    analytics = ApiClient(world.admin).get(
        "/analytics",
        {"collective": "alpha", "indicator": "meetings", "period": "202604", "within": world.region_a.pk},
    )
    assert analytics.json()["targets"] == {"202604": 12.0}
    bad = ApiClient(world.admin).post("/targets", body | {"value": 1, "indicator": "nope"})
    assert bad.status_code == 422 and error_fields(bad) == {"indicator"}


def test_validation_report_endpoint(world: Any) -> None:
    from minga.measurement.models import ValidationRule

    girls, children = make_indicator(world.alpha, code="girls"), make_indicator(world.alpha, code="children")
    ValidationRule.objects.create(
        collective=world.alpha, name="Girls within children", left=girls, right=children
    )
    april = make_period(world.alpha, "202604")
    make_value(girls, world.kibera, april, 9)
    make_value(children, world.kibera, april, 5)
    found = (
        ApiClient(world.coordinator_a).get("/validation", {"collective": "alpha", "period": "202604"}).json()
    )
    assert [(v["rule"], v["left"], v["right"]) for v in found] == [("Girls within children", 9.0, 5.0)]
    assert (
        ApiClient(world.coordinator_b).get("/validation", {"collective": "alpha", "period": "202604"}).json()
        == []
    )
    assert (
        ApiClient(world.admin).get("/validation", {"collective": "alpha", "period": "209901"}).status_code
        == 404
    )
