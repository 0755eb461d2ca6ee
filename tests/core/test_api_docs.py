"""The OpenAPI document and the docs page: served locally, nothing from a CDN."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client

from minga.api import api
from minga.core.api_support import ReadOnlyApiAuth, is_idempotent


def test_openapi_json_loads_and_describes_every_resource(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Minga API"
    paths = set(schema["paths"])
    for path in [
        "/api/v1/collectives",
        "/api/v1/collectives/{slug}/kinds",
        "/api/v1/groups",
        "/api/v1/groups/{group_id}/move",
        "/api/v1/groups/{group_id}/close",
        "/api/v1/group-sets/{set_id}",
        "/api/v1/links",
        "/api/v1/people/{person_id}/export",
        "/api/v1/people/{person_id}/consent",
        "/api/v1/memberships/{membership_id}/end",
        "/api/v1/imports",
        "/api/v1/imports/{job_id}/run",
        "/api/v1/exports/{kind}",
    ]:
        assert path in paths
    assert schema["components"]["securitySchemes"]["ApiAuth"] == {"type": "http", "scheme": "bearer"}


def test_docs_page_uses_only_local_static_files(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    assert all(url.startswith("/static/") for url in urls), urls
    assert "//" not in "".join(urls)
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    for url in urls:
        assert finders.find(url.removeprefix("/static/")), url
        assert Client().get(url).status_code == 200


def test_swagger_does_not_call_the_online_validator(db):
    html = Client().get("/api/v1/docs").content.decode()
    assert '"validatorUrl": null' in html


def test_every_write_operation_honours_idempotency_keys():
    unmarked, writes = [], 0
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                # A POST that writes nothing (Ask: a question too long for a query string) says so with
                # ReadOnlyApiAuth: nothing to duplicate on a retry.
                read_only = isinstance(operation.auth_param, ReadOnlyApiAuth)
                if set(operation.methods) & {"POST", "PUT", "PATCH", "DELETE"} and not read_only:
                    writes += 1
                    if not is_idempotent(operation.view_func):
                        unmarked.append((path, operation.methods))
        for _sub_prefix, sub_router, _tags in router._routers:
            raise AssertionError(f"nested router {sub_router} not walked")
    # Every app's writes are walked (architecture, people and bulk alone have twenty), and each is marked.
    assert writes >= 20
    assert unmarked == []


def test_openapi_schema_is_built_once_per_process(db, monkeypatch):
    import ninja.main

    first = Client().get("/api/v1/openapi.json")
    assert first.status_code == 200

    def rebuild(**kwargs):
        raise AssertionError("the OpenAPI schema was built again")

    monkeypatch.setattr(ninja.main, "get_schema", rebuild)
    again = Client().get("/api/v1/openapi.json")
    assert again.status_code == 200 and again.json() == first.json()
    assert api.get_openapi_schema() is api.get_openapi_schema()
