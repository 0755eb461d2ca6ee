"""Turn the domain's `NotFound` into an HTTP 404, so views can call access functions and services
without wrapping each call."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from minga.core.errors import NotFound


class NotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            # Raised from here, Django renders it like any Http404 (our 404 page, status 404).
            raise Http404(str(exception)) from exception
        return None
