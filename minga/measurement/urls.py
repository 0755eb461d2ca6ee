"""Shared measurement: pages under /c/<collective slug>/."""

from django.urls import URLPattern, URLResolver

app_name = "measurement"
urlpatterns: list[URLPattern | URLResolver] = []
