"""DHIS2 dataValueSets over the API: import with a code mapping and DHIS2's summary, export that
re-imports unchanged, scoping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from minga.measurement.models import DataValue
from tests.factories.api import ApiClient, error_fields
from tests.factories.measurement import make_indicator, make_sex_age

MAPPING = {
    "dataElement": {"fbfJHSPpUQD": "meetings", "cYeuwXTCPkU": "enrolled"},
    "orgUnit": {"DiszpKrYNg8": "ke-nai-kib"},
    "categoryOptionCombo": {"S34ULMcHMca": "f.0-14"},
}


@pytest.fixture
def indicators(world: Any) -> None:
    make_indicator(world.alpha, code="meetings")
    make_indicator(world.alpha, code="enrolled", disaggregation=make_sex_age(world.alpha))


def value_set(**extra: Any) -> dict[str, Any]:
    return {
        "period": "202604",
        "orgUnit": "DiszpKrYNg8",
        "dataValues": [
            {"dataElement": "fbfJHSPpUQD", "categoryOptionCombo": "HllvX50cXC0", "value": "4"},
            {
                "dataElement": "cYeuwXTCPkU",
                "categoryOptionCombo": "S34ULMcHMca",
                "value": "12",
                "comment": "ok",
            },
            {"dataElement": "unknownUID1", "value": "1"},
            {"dataElement": "fbfJHSPpUQD", "orgUnit": "ke-cst-mom", "value": "2"},
        ],
        "mapping": MAPPING,
        **extra,
    }


def test_import_maps_codes_and_answers_dhis2s_summary(world: Any, indicators: None) -> None:
    response = ApiClient(world.lead).post("/dhis2/dataValueSets?collective=alpha", value_set())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "WARNING"
    assert body["importCount"] == {"imported": 2, "updated": 0, "ignored": 2, "deleted": 0}
    assert [(c["object"], c["errorCode"]) for c in body["conflicts"]] == [
        ("unknownUID1", "unknown_indicator"),
        ("fbfJHSPpUQD", "no_group"),  # Mombasa is outside the lead's reach
    ]
    assert DataValue.objects.filter(source="dhis2").count() == 2


def test_dry_run_imports_nothing(world: Any, indicators: None) -> None:
    response = ApiClient(world.admin).post("/dhis2/dataValueSets?collective=alpha&dryRun=true", value_set())
    assert response.json()["importCount"]["imported"] == 3 and response.json()["dryRun"] is True
    assert not DataValue.objects.exists()


def test_export_maps_back_and_reimports_unchanged(world: Any, indicators: None) -> None:
    admin = ApiClient(world.admin)
    admin.post("/dhis2/dataValueSets?collective=alpha", value_set())
    exported = admin.get(
        "/dhis2/dataValueSets", {"collective": "alpha", "period": "202604", "mapping": json.dumps(MAPPING)}
    ).json()
    by_element = {v["dataElement"]: v for v in exported["dataValues"] if v["orgUnit"] == "DiszpKrYNg8"}
    assert by_element["fbfJHSPpUQD"]["categoryOptionCombo"] == "HllvX50cXC0"
    assert by_element["cYeuwXTCPkU"] == by_element["cYeuwXTCPkU"] | {
        "categoryOptionCombo": "S34ULMcHMca",
        "value": "12",
        "comment": "ok",
    }
    again = admin.post("/dhis2/dataValueSets?collective=alpha", exported | {"mapping": MAPPING}).json()
    assert again["status"] == "SUCCESS"
    assert again["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}


def test_export_is_scoped_and_bad_input_is_422(world: Any, indicators: None) -> None:
    ApiClient(world.admin).post("/dhis2/dataValueSets?collective=alpha", value_set())
    mine = ApiClient(world.coordinator_b).get("/dhis2/dataValueSets", {"collective": "alpha"}).json()
    assert [v["orgUnit"] for v in mine["dataValues"]] == ["ke-cst-mom"]
    assert ApiClient().get("/dhis2/dataValueSets", {"collective": "alpha"}).json() == {"dataValues": []}
    bad = ApiClient(world.admin).get("/dhis2/dataValueSets", {"collective": "alpha", "period": "2026-99"})
    assert bad.status_code == 422 and error_fields(bad) == {"period"}
    bad_mapping = ApiClient(world.admin).get(
        "/dhis2/dataValueSets", {"collective": "alpha", "mapping": "[1]"}
    )
    assert bad_mapping.status_code == 422 and error_fields(bad_mapping) == {"mapping"}
    assert ApiClient().post("/dhis2/dataValueSets?collective=alpha", value_set()).status_code == 401
