"""The JSON API under /api/v1/: one NinjaAPI mounting each app's router.

- OpenAPI at /api/v1/openapi.json, interactive docs at /api/v1/docs (swagger-ui served from our static
  files: nothing from a CDN);
- auth: `Authorization: Bearer <token>` (`minga token create`), or the browser session (CSRF on writes),
  or nobody for public reads;
- every error is `{"errors": [{"code", "message", "field"?}]}`, including unknown URLs (404) and wrong
  methods (405);
- writes accept `Idempotency-Key`;
- the OpenAPI document is built on first use and kept for the life of the process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from minga.activities.api import router as activities_router
from minga.architecture.api import router as architecture_router
from minga.core.api_bulk import router as bulk_router
from minga.core.api_support import ApiAuth, install_error_handlers
from minga.core.api_support.docs import LocalSwagger
from minga.core.api_support.errors import json_error
from minga.learning.api import router as learning_router
from minga.measurement.api import router as measurement_router
from minga.measurement.api_dhis2 import router as dhis2_router
from minga.pathways.api import router as pathways_router
from minga.people.api import router as people_router


def _json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Ninja answers a wrong method with a bare text 405; give it the API's error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            json_response = json_error(
                405, "method_not_allowed", f"{request.method} is not allowed here. Allowed: {allowed}."
            )
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapper


@csrf_exempt
def _unknown_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return json_error(404, "not_found", "There is no API endpoint at this address; see /api/v1/docs.")


class MingaAPI(NinjaAPI):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._openapi_schemas: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The OpenAPI document, built once per process (≈0.9 s cold): routes and schemas are fixed once
        the URLconf is loaded, so every later /api/v1/openapi.json is served from memory. Read-only:
        callers must not change the returned dict."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = self._openapi_schemas.get(path_prefix)
        if schema is None:
            # Two first requests at once may both build it; the result is the same.
            schema = self._openapi_schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        patterns.append(re_path(r"^.*$", _unknown_endpoint))
        return patterns


api = MingaAPI(
    title="Minga API",
    version="1.0.0",
    description=(
        "The collective architecture, people and access of Minga collectives.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (create one with `minga token create`); "
        "without it, GET endpoints return public data only. Lists are cursor-paginated: pass "
        "`next_cursor` back as `cursor`. Every write accepts an `Idempotency-Key` header."
    ),
    urls_namespace="api",
    auth=ApiAuth(),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", architecture_router)
api.add_router("/", people_router)
api.add_router("/", bulk_router)
api.add_router("/", measurement_router)
api.add_router("/", dhis2_router)
api.add_router("/", pathways_router)
api.add_router("/", learning_router)
api.add_router("/", activities_router)
