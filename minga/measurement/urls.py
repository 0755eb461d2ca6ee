"""Shared measurement: pages under /c/<collective slug>/measurement/."""

from django.urls import URLPattern, URLResolver, path

from minga.measurement import views

app_name = "measurement"
urlpatterns: list[URLPattern | URLResolver] = [
    path("c/<slug:slug>/measurement/", views.dashboard, name="dashboard"),
    path("c/<slug:slug>/measurement/pivot/", views.pivot, name="pivot"),
    path("c/<slug:slug>/measurement/indicators/", views.indicator_list, name="indicator_list"),
    path("c/<slug:slug>/measurement/entry/", views.entry_index, name="entry_index"),
    path("c/<slug:slug>/measurement/entry/<int:group_id>/<str:period>/", views.entry, name="entry"),
    path(
        "c/<slug:slug>/measurement/entry/<int:group_id>/<str:period>/cell/",
        views.entry_cell,
        name="entry_cell",
    ),
    path("c/<slug:slug>/measurement/completeness/", views.completeness_view, name="completeness"),
    path("c/<slug:slug>/measurement/approve/", views.approve, name="approve"),
    path("c/<slug:slug>/measurement/approvals/<int:approval_id>/unlock/", views.unlock, name="unlock"),
]
