"""The interactive API docs (/api/v1/docs), served from vendored swagger-ui: no CDN at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(DocsBase):
    """Swagger UI from `minga/static/vendor/swagger-ui/` with our own template and start-up script."""

    template = "api/docs.html"
    default_settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        # The default posts the spec to validator.swagger.io: an outside request, and our spec is public
        # anyway at /api/v1/openapi.json.
        "validatorUrl": None,
        "persistAuthorization": False,
    }

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = {**self.default_settings, **(settings or {})}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        page_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {"api": api, "swagger_settings": page_settings}
        return render(request, self.template, context)
