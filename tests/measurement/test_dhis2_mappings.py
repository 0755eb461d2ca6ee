"""Many mappings at once (`dhis2_mappings_upsert`): create, update, unchanged, ids moving between rows,
refused rows with reasons; over the API and as a CSV upload on the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from minga.core.errors import DomainError
from minga.measurement import dhis2_exchange as dx
from minga.measurement.models_dhis2 import Dhis2Mapping
from tests.factories.api import ApiClient
from tests.factories.measurement import make_indicator, make_sex_age


@pytest.fixture
def defined(world: Any) -> None:
    make_indicator(world.alpha, code="meetings")
    make_indicator(world.alpha, code="MTG2")
    make_sex_age(world.alpha)


def row(kind: str = "group", code: str = "ke", dhis2_id: str = "ouKenya0001", **over: Any) -> dict[str, Any]:
    return {"kind": kind, "code": code, "dhis2_id": dhis2_id} | over


def upsert(world: Any, *rows: Any, **kwargs: Any) -> dx.MappingBatch:
    return dx.dhis2_mappings_upsert(actor=world.admin, collective=world.alpha, rows=list(rows), **kwargs)


def test_create_update_unchanged(world: Any, defined: None) -> None:
    result = upsert(
        world,
        row(),
        row("indicator", "meetings", "deMeeting01", dhis2_code="MTG", name="Meetings"),
        row("option", "F.15-24", "cocF1524xxx"),
        row("period", "2026-03", "", dhis2_code="2026S1"),
    )
    assert (result.created, result.updated, result.unchanged, result.rejected) == (4, 0, 0, [])
    assert Dhis2Mapping.objects.get(kind="period").code == "202603"
    again = upsert(world, row(), row("indicator", "meetings", "deMeeting02", dhis2_code="MTG"))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    mapping = Dhis2Mapping.objects.get(kind="indicator")
    assert (mapping.dhis2_id, mapping.name) == ("deMeeting02", "Meetings")  # a blank name keeps the old one


def test_ids_may_swap_between_rows(world: Any, defined: None) -> None:
    upsert(world, row("group", "ke-nai", "ouA"), row("group", "ke-cst", "ouB"))
    result = upsert(world, row("group", "ke-nai", "ouB"), row("group", "ke-cst", "ouA"))
    assert result.updated == 2 and not result.rejected
    assert dict(Dhis2Mapping.objects.values_list("code", "dhis2_id")) == {"ke-nai": "ouB", "ke-cst": "ouA"}


BAD = [
    (row(kind="planet"), "kind", "invalid"),
    (row(code=""), "code", "required"),
    (row(dhis2_id=""), "dhis2_id", "required"),
    (row(code="nowhere"), "code", "unknown_reference"),
    (row("indicator", "mtg2", "x"), "code", "unknown_reference"),  # indicator codes are exact
    (row("period", "2026-13", "2026S9"), "code", "invalid_period"),
    (row(dhis2_id="x" * 51), "code", "too_long"),
    (row("group", "ke-nai", "ouTaken0001"), "dhis2_id", "duplicate"),
    (row("group", "ke", "ouKenya0001"), "code", "duplicate"),  # twice in the batch
    ("not a row", None, "invalid"),
]


@pytest.mark.parametrize(("bad", "field", "code"), BAD)
def test_refused_rows_have_reasons(world: Any, defined: None, bad: Any, field: str | None, code: str) -> None:
    Dhis2Mapping.objects.create(collective=world.alpha, kind="group", code="backbone", dhis2_id="ouTaken0001")
    result = upsert(world, row(), bad)
    assert result.created == 1, result.rejected
    [problem] = result.rejected
    assert (problem.row, problem.field, problem.code) == (1, field, code)


def test_dry_run_and_permission(world: Any, defined: None) -> None:
    assert upsert(world, row(), dry_run=True).created == 1 and not Dhis2Mapping.objects.exists()
    with pytest.raises(DomainError):
        dx.dhis2_mappings_upsert(actor=world.coordinator_a, collective=world.alpha, rows=[row()])


def test_batch_over_the_api(world: Any, defined: None) -> None:
    body = {"collective": "alpha", "mappings": [row(), row(code="nowhere", dhis2_id="y")]}
    response = ApiClient(world.admin).post("/dhis2/mappings/batch", body)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1 and response.json()["problems"][0]["row"] == 1
    assert ApiClient(world.lead).post("/dhis2/mappings/batch", body).status_code == 422
    assert ApiClient(world.beta_admin).post("/dhis2/mappings/batch", body).status_code == 422


def test_csv_upload_on_the_page(world: Any, defined: None) -> None:
    browser = Client()
    browser.force_login(world.admin)
    text = "kind,code,dhis2_id,dhis2_code,name\ngroup,ke,ouKenya0001,KE,Kenya\ngroup,nowhere,ouX,,\n"
    response = browser.post(
        reverse("measurement:dhis2_mapping_upload", args=["alpha"]),
        {"mappings": SimpleUploadedFile("map.csv", text.encode())},
        follow=True,
    )
    assert response.status_code == 200
    assert b"1 new" in response.content and b"line 3" in response.content
    assert Dhis2Mapping.objects.get().dhis2_code == "KE"
    bad = browser.post(
        reverse("measurement:dhis2_mapping_upload", args=["alpha"]),
        {"mappings": SimpleUploadedFile("map.csv", b"a;b\n1;2\n")},
    )
    assert bad.status_code == 422 and b"names the columns" in bad.content
