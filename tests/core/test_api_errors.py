"""Every API error has the shape {"errors": [{"code", "message", "field"?}]}, whatever raised it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from minga.api import api
from minga.architecture.models import Group
from tests.factories.api import ApiClient, error_codes, error_fields


def assert_error_shape(response, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert errors and all(
        {"code", "message"} <= set(e) and set(e) <= {"code", "message", "field"} for e in errors
    )
    return errors


def test_malformed_json_is_400(world):
    assert_error_shape(ApiClient(world.admin).post("/groups", "{not json"), 400)


def test_validation_errors_name_every_field(world):
    response = ApiClient(world.admin).post("/groups", {"latitude": "north"})
    errors = assert_error_shape(response, 422)
    assert {"code", "name", "kind", "latitude"} <= {e.get("field") for e in errors}
    assert "required" in {e["code"] for e in errors}


def test_nested_field_paths_are_dotted(world):
    response = ApiClient(world.admin).post(
        "/group-sets", {"collective": "alpha", "code": "x", "name": "X", "group_ids": [1, "two"]}
    )
    assert error_fields(response) == {"group_ids.1"}


def test_domain_errors_are_422_with_codes(world):
    response = ApiClient(world.admin).post(f"/groups/{world.kenya.pk}/move", {"parent_id": world.kibera.pk})
    assert assert_error_shape(response, 422) == [
        {
            "code": "cycle",
            "message": "A group cannot move under itself or one of its own sub-groups.",
            "field": "parent_id",
        }
    ]


def test_not_found_and_unknown_endpoint_are_404(world):
    assert error_codes(ApiClient().get("/groups/424242")) == {"not_found"}
    assert_error_shape(ApiClient().get("/groups/424242"), 404)
    assert_error_shape(ApiClient().get("/no-such-thing"), 404)
    assert error_fields(ApiClient().get("/groups/not-a-number")) == {"group_id"}


def test_wrong_method_is_405_json(world):
    response = ApiClient(world.admin).client.put("/api/v1/groups")
    errors = assert_error_shape(response, 405)
    assert errors[0]["code"] == "method_not_allowed"
    assert set(re.split(r",\s*", response["Allow"])) == {"GET", "POST"}


def test_anonymous_write_is_401(world):
    before = Group.objects.count()
    assert_error_shape(ApiClient().post("/groups", {}), 401)
    assert Group.objects.count() == before


@pytest.mark.parametrize("status", [401, 404, 422])
def test_openapi_documents_the_error_shape(status):
    operation = api.get_openapi_schema()["paths"]["/api/v1/groups"]["post"]
    error = operation["responses"][status]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorsOut"}
