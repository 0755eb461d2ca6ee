"""Collective activities: the API router mounted under /api/v1/."""

from ninja import Router

router = Router(tags=["activities"])
