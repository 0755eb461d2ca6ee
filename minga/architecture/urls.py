"""Pages of the collective architecture, all under /c/<collective slug>/."""

from django.urls import path

from minga.architecture import views, views_network, views_settings

app_name = "architecture"

urlpatterns = [
    path("c/<slug:slug>/", views.collective_home, name="collective_home"),
    path("c/<slug:slug>/settings/", views_settings.collective_settings, name="collective_settings"),
    path("c/<slug:slug>/settings/kinds/new/", views_settings.group_kind_create, name="group_kind_create"),
    path(
        "c/<slug:slug>/settings/kinds/<int:kind_id>/", views_settings.group_kind_edit, name="group_kind_edit"
    ),
    path("c/<slug:slug>/logo/", views_settings.collective_logo, name="collective_logo"),
    path("c/<slug:slug>/settings/boundaries/", views_settings.boundaries_import, name="boundaries_import"),
    path(
        "c/<slug:slug>/groups/<int:group_id>/boundary/",
        views_settings.group_boundary,
        name="group_boundary",
    ),
    path("c/<slug:slug>/map/", views_network.map_view, name="map"),
    path("c/<slug:slug>/network/", views_network.network_view, name="network"),
    path("c/<slug:slug>/network/refresh/", views_network.network_refresh, name="network_refresh"),
    path("c/<slug:slug>/groups/", views.group_list, name="group_list"),
    path("c/<slug:slug>/groups/new/", views.group_create, name="group_create"),
    path("c/<slug:slug>/groups/search/", views.group_search, name="group_search"),
    path("c/<slug:slug>/groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("c/<slug:slug>/groups/<int:group_id>/children/", views.group_children, name="group_children"),
    path("c/<slug:slug>/groups/<int:group_id>/edit/", views.group_edit, name="group_edit"),
    path("c/<slug:slug>/groups/<int:group_id>/move/", views.group_move, name="group_move"),
    path("c/<slug:slug>/groups/<int:group_id>/close/", views.group_close, name="group_close"),
    path("c/<slug:slug>/groups/<int:group_id>/links/new/", views.link_create, name="link_create"),
    path("c/<slug:slug>/links/<int:link_id>/edit/", views.link_edit, name="link_edit"),
    path("c/<slug:slug>/links/<int:link_id>/delete/", views.link_delete, name="link_delete"),
    path("c/<slug:slug>/sets/", views.group_set_list, name="group_set_list"),
    path("c/<slug:slug>/sets/new/", views.group_set_create, name="group_set_create"),
    path("c/<slug:slug>/sets/<int:set_id>/", views.group_set_detail, name="group_set_detail"),
    path("c/<slug:slug>/sets/<int:set_id>/edit/", views.group_set_edit, name="group_set_edit"),
    path("c/<slug:slug>/sets/<int:set_id>/delete/", views.group_set_delete, name="group_set_delete"),
]
