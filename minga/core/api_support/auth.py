"""Who is calling the API: a bearer token, the browser's session, or nobody (read-only public access).

One resolver, memoised on the request, so the idempotency layer and ninja's auth step agree on the
user without looking the token up twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from minga.core.services import api_token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CACHE_ATTR = "_minga_api_user"


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed: send the X-CSRFToken header with session requests.")


def api_user(request: HttpRequest, *, read_only: bool = False) -> Any:
    """The caller of an API request: a user, or AnonymousUser for public reads.

    Raises AuthenticationError (401) for a bad token, or for an anonymous write; CsrfFailed (403) for a
    session write without a valid CSRF token. Bearer tokens need no CSRF: browsers never add them.
    `read_only`: the operation writes nothing whatever its method (a POST whose body is a question), so
    nobody may call it too, and gets public data as with a GET.
    """
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    user = _resolve(request, read_only=read_only)
    setattr(request, _CACHE_ATTR, user)
    return user


def _resolve(request: HttpRequest, *, read_only: bool) -> Any:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise AuthenticationError(401, "Use 'Authorization: Bearer <token>'.")
        user = api_token_authenticate(raw.strip())
        if user is None:
            raise AuthenticationError(401, "This token is unknown or has been revoked.")
        return user
    session_user = getattr(request, "user", None)
    if session_user is not None and session_user.is_authenticated:
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return session_user
    if request.method in SAFE_METHODS or read_only:
        return AnonymousUser()
    raise AuthenticationError(401, "Sign in or send a bearer token to change anything.")


class ApiAuth(HttpBearer):
    """Ninja's auth hook. Declared as HTTP bearer so the OpenAPI document says how to authenticate;
    the session cookie and anonymous reads are accepted too (see `api_user`)."""

    def __call__(self, request: HttpRequest) -> Any:
        return api_user(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - unused
        return api_user(request)


class ReadOnlyApiAuth(ApiAuth):
    """For operations that write nothing though they are POSTs: anonymous callers are served public
    data, as on a GET (`auth=ReadOnlyApiAuth()` on the operation)."""

    def __call__(self, request: HttpRequest) -> Any:
        return api_user(request, read_only=True)


class ApiRequest(HttpRequest):
    """For type checkers: a request that went through `ApiAuth` carries the caller in `auth`."""

    auth: Any
