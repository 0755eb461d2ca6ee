from typing import Any

from django.conf import settings
from django.http import HttpRequest


def minga(request: HttpRequest) -> dict[str, Any]:
    return {
        "MINGA_TILE_URL": settings.MINGA_TILE_URL,
        "MINGA_TILE_ATTRIBUTION": settings.MINGA_TILE_ATTRIBUTION,
    }
