"""The DHIS2 page: who opens it, the mapping (add, remove, generate), upload → dry run → confirm, and
the export download."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from minga.measurement.models import DataValue
from minga.measurement.models_dhis2 import Dhis2Mapping
from tests.factories.measurement import make_indicator, make_period, make_value

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"measurement:{name}", args=["alpha", *args])


def client(world: Any, actor: str) -> Client:
    c = Client()
    if actor != "anonymous":
        c.force_login(getattr(world, actor))
    return c


@pytest.fixture
def mapped(world: Any) -> Any:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings held")
    Dhis2Mapping.objects.create(
        collective=world.alpha, kind="indicator", code="meetings", dhis2_id="deMeeting01"
    )
    for group in (world.kibera, world.mombasa):
        Dhis2Mapping.objects.create(
            collective=world.alpha, kind="group", code=group.code, dhis2_id=f"ou-{group.code}"
        )
    return meetings


def upload(values: list[dict[str, Any]] | str) -> SimpleUploadedFile:
    text = values if isinstance(values, str) else json.dumps({"dataValues": values})
    return SimpleUploadedFile("april.json", text.encode(), content_type="application/json")


APRIL = [{"dataElement": "deMeeting01", "period": "202604", "orgUnit": "ou-ke-nai-kib", "value": "4"}]


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 404),
        ("member", 404),
        ("beta_admin", 404),
        ("lead", 200),
        ("coordinator_b", 200),
        ("admin", 200),
    ],
)
def test_who_opens_the_page(
    world: Any, mapped: Any, actor: str, status: int, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(24):
        response = client(world, actor).get(url("dhis2"))
    assert response.status_code == status
    if status == 200:
        assert b"deMeeting01" in response.content
        assert (b"Map everything" in response.content) == (actor == "admin")


def test_upload_dry_run_then_confirm(world: Any, mapped: Any) -> None:
    browser = client(world, "lead")
    bad = {"dataElement": "deUnknown01", "period": "202604", "orgUnit": "ou-ke-nai-kib", "value": "1"}
    response = browser.post(url("dhis2_import"), {"file": upload([*APRIL, bad])})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["importCount"]["imported"] == 1 and summary["conflicts"][0]["object"] == "deUnknown01"
    assert b"Confirm the import" in response.content and not DataValue.objects.exists()
    confirmed = browser.post(url("dhis2_import"), {"confirm": response.context["digest"]})
    assert confirmed.context["confirmed"] and DataValue.objects.get().value == 4
    again = browser.post(url("dhis2_import"), {"confirm": response.context["digest"]})
    assert again.status_code == 422 and b"no longer waiting" in again.content
    assert DataValue.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, b"Choose a dataValueSets JSON file"),
        ({"file": upload("{not json")}, b"This is not JSON"),
        ({"file": upload('{"rows": []}')}, b"dataValues"),
        ({"file": upload(APRIL), "strategy": "MERGE"}, b"importStrategy"),
        ({"confirm": "forged"}, b"no longer waiting"),
    ],
)
def test_bad_uploads_are_explained(world: Any, mapped: Any, data: dict[str, Any], message: bytes) -> None:
    response = client(world, "lead").post(url("dhis2_import"), data)
    assert response.status_code == 422 and message in response.content
    assert not DataValue.objects.exists()


def test_strangers_cannot_upload(world: Any, mapped: Any) -> None:
    assert client(world, "member").post(url("dhis2_import"), {"file": upload(APRIL)}).status_code == 404


def test_export_download_is_scoped(world: Any, mapped: Any) -> None:
    april = make_period(world.alpha, "202604")
    make_value(mapped, world.kibera, april, 4)
    make_value(mapped, world.mombasa, april, 6)
    response = client(world, "coordinator_b").get(url("dhis2_export"), {"period": "202604"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert [v["orgUnit"] for v in json.loads(response.content)["dataValues"]] == ["ou-ke-cst-mom"]
    everything = client(world, "admin").get(url("dhis2_export"), {"data_set": "", "indicator": "meetings"})
    assert len(json.loads(everything.content)["dataValues"]) == 2
    bad = client(world, "admin").get(url("dhis2_export"), {"period": "2026X1"})
    assert bad.status_code == 422
    assert client(world, "member").get(url("dhis2_export")).status_code == 404


def test_admin_maintains_the_mapping(world: Any, mapped: Any) -> None:
    admin = client(world, "admin")
    response = admin.post(
        url("dhis2_mapping"), {"kind": "group", "code": "ke-nai", "dhis2_id": "ouNairobi01"}
    )
    assert response.status_code == 302 and Dhis2Mapping.objects.filter(code="ke-nai").exists()
    refused = admin.post(url("dhis2_mapping"), {"kind": "group", "code": "nowhere", "dhis2_id": "x"})
    assert refused.status_code == 422 and b"There is no group" in refused.content
    mapping = Dhis2Mapping.objects.get(code="ke-nai")
    assert client(world, "lead").post(url("dhis2_mapping_delete", mapping.pk)).status_code == 404
    assert admin.post(url("dhis2_mapping_delete", mapping.pk)).status_code == 302
    assert not Dhis2Mapping.objects.filter(code="ke-nai").exists()
    assert admin.post(url("dhis2_mapping_generate")).status_code == 302
    assert Dhis2Mapping.objects.filter(kind="group", code="ke-nai").exists()
    lead = client(world, "lead").post(url("dhis2_mapping_generate"))
    assert lead.status_code == 422
