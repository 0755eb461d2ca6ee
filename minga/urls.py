from django.urls import include, path

urlpatterns = [
    path("", include("minga.core.urls")),
]
