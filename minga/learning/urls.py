"""Learning and sharing what works: pages under /c/<collective slug>/."""

from django.urls import URLPattern, URLResolver

app_name = "learning"
urlpatterns: list[URLPattern | URLResolver] = []
