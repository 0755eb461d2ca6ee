"""API clients for tests: one per kind of caller, authenticated the way real clients are (bearer token)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from minga.core.services import api_token_create

BASE = "/api/v1"


class ApiClient:
    """A thin JSON wrapper around Django's test client; `None` user means anonymous."""

    def __init__(self, user: Any = None, **headers: str) -> None:
        self.headers = dict(headers)
        if user is not None:
            _, raw = api_token_create(actor=user, user=user, name="tests")
            self.headers["Authorization"] = f"Bearer {raw}"
        self.client = Client(headers=self.headers)

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else f"{BASE}{path}"

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(self._url(path), params or {}, headers=headers)

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
        send = getattr(self.client, method)
        return send(self._url(path), data=data, content_type="application/json", headers=headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._send("post", path, body, headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._send("patch", path, body, headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(self._url(path), headers=headers)


def error_fields(response: Any) -> set[str | None]:
    return {e.get("field") for e in response.json()["errors"]}


def error_codes(response: Any) -> set[str]:
    return {e["code"] for e in response.json()["errors"]}
