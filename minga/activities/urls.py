"""Collective activities: pages under /c/<collective slug>/."""

from django.urls import URLPattern, URLResolver

app_name = "activities"
urlpatterns: list[URLPattern | URLResolver] = []
