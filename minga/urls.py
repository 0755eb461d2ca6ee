"""The wiring: every app's pages and the JSON API. Nothing imports this module."""

from django.urls import include, path

from minga.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("minga.core.urls")),
    path("", include("minga.people.urls")),
    path("", include("minga.architecture.urls")),
    path("", include("minga.measurement.urls")),
    path("", include("minga.pathways.urls")),
    path("", include("minga.learning.urls")),
    path("", include("minga.activities.urls")),
]
