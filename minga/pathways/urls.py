"""Collective pathways: pages under /c/<collective slug>/."""

from django.urls import URLPattern, URLResolver

app_name = "pathways"
urlpatterns: list[URLPattern | URLResolver] = []
