"""The JSON API under /api/v1/: one NinjaAPI mounting each app's router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Minga API",
    version="1.0.0",
    description="The collective architecture, people and access of Minga collectives.",
    urls_namespace="api",
)
