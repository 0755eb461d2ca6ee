"""Every API error has one shape: `{"errors": [{"code", "message", "field"?}]}`.

`install_error_handlers(api)` is the only place exceptions become HTTP responses, so domain rules
(DomainError), access (NotFound), request validation (ninja/pydantic), authentication and idempotency
conflicts all read the same to a client.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from minga.core.errors import DomainError, NotFound

logger = logging.getLogger(__name__)


class ErrorItem(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorsOut(Schema):
    errors: list[ErrorItem]


class Conflict(Exception):
    """A request that collides with another one still being processed (409)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


# Standard answers for each status a handler can produce; used in the OpenAPI `response=` maps.
ERROR_RESPONSES: dict[int, type[Schema]] = {
    401: ErrorsOut,
    404: ErrorsOut,
    409: ErrorsOut,
    422: ErrorsOut,
}

_HTTP_CODES = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "throttled",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "message": message}
    if field:
        item["field"] = field
    return {"errors": [item]}


def json_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, field), status=status)


def _field_from_loc(loc: list[Any] | tuple[Any, ...]) -> str | None:
    """`("body", "payload", "latitude")` → "latitude"; `("query", "limit")` → "limit".

    The first element says where the value came from; for bodies the second names the handler's
    parameter, which means nothing to a client.
    """
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source, parts = parts[0], parts[1:]
        if source == "body" and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or None


def _validation_message(error: dict[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    return str(error.get("msg", "Invalid value."))


def _validation_code(error: dict[str, Any]) -> str:
    kind = str(error.get("type", "invalid"))
    return "required" if kind == "missing" else kind


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the JSON error handlers on `api`."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        items = [
            {k: v for k, v in p.as_dict().items() if k in {"code", "message", "field"}} for p in exc.problems
        ]
        # A domain "forbidden" (e.g. a top-level group by a non-admin) is still a rule, not an access
        # question about an object: 422 keeps one status for every rule.
        return respond(request, 422, {"errors": items})

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        what = str(exc) or "object"
        return respond(
            request, 404, error_body("not_found", f"No {what} with this id, or you may not see it.")
        )

    @api.exception_handler(Http404)
    def http_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "Not found."))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        items = []
        for error in exc.errors:
            item = {"code": _validation_code(error), "message": _validation_message(error)}
            field = _field_from_loc(error.get("loc", ()))
            if field:
                item["field"] = field
            items.append(item)
        return respond(request, 422, {"errors": items})

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        if exc.status_code == 403 and "CSRF" in str(exc):
            code = "csrf_failed"
        response = respond(request, exc.status_code, error_body(code, str(exc)))
        if isinstance(exc, AuthenticationError):
            response["WWW-Authenticate"] = 'Bearer realm="minga"'
        return response

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return respond(request, 409, error_body(exc.code, exc.message))

    @api.exception_handler(IntegrityError)
    def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # Services validate before writing; this is a race with a concurrent write of the same thing.
        logger.info("API write lost a race: %s", exc)
        return respond(
            request, 409, error_body("conflict", "A concurrent change got there first; fetch and retry.")
        )
