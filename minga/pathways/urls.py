"""Collective pathways: pages under /c/<collective slug>/."""

from django.urls import URLPattern, URLResolver, path

from minga.pathways import views

app_name = "pathways"
P = "c/<slug:slug>/pathways/<int:pathway_id>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path("c/<slug:slug>/pathways/", views.pathway_list, name="pathway_list"),
    path("c/<slug:slug>/pathways/new/", views.pathway_create, name="pathway_create"),
    path(P, views.pathway_detail, name="pathway_detail"),
    path(P + "edit/", views.pathway_edit, name="pathway_edit"),
    path(P + "publish/", views.pathway_publish, name="pathway_publish"),
    path(P + "stages/new/", views.stage_create, name="stage_create"),
    path(P + "stages/<int:stage_id>/edit/", views.stage_edit, name="stage_edit"),
    path(P + "stages/<int:stage_id>/delete/", views.stage_delete, name="stage_delete"),
    path(P + "stages/<int:stage_id>/move/", views.stage_move, name="stage_move"),
    path(P + "stages/<int:stage_id>/conditions/", views.stage_condition_add, name="stage_condition_add"),
    path(
        "c/<slug:slug>/pathways/conditions/<int:condition_id>/remove/",
        views.stage_condition_remove,
        name="stage_condition_remove",
    ),
    path(P + "groups/<int:group_id>/", views.journey, name="journey"),
    path(P + "groups/<int:group_id>/back/", views.journey_move_back, name="journey_move_back"),
    path(P + "funnel/", views.funnel, name="funnel"),
    path(P + "verify/", views.verification_queue, name="verification_queue"),
    path(P + "bulk/", views.bulk_update, name="bulk_update"),
    path("c/<slug:slug>/pathways/entries/<int:entry_id>/decide/", views.entry_decide, name="entry_decide"),
    path("c/<slug:slug>/strategy/", views.timeline, name="timeline"),
    path("c/<slug:slug>/strategy/new/", views.strategy_create, name="strategy_create"),
]
