"""Learning and sharing what works: pages under /c/<collective slug>/."""

from django.urls import URLPattern, URLResolver, path

from minga.learning import views

app_name = "learning"
P = "c/<slug:slug>/learning/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(P, views.index, name="index"),
    path("c/<slug:slug>/search/", views.search_view, name="search"),
    path(f"{P}ask/", views.ask_view, name="ask"),
    path(f"{P}working/", views.whats_working, name="whats_working"),
    path(f"{P}practices/new/", views.practice_create, name="practice_create"),
    path(f"{P}practices/<int:practice_id>/", views.practice_detail, name="practice_detail"),
    path(
        f"{P}practices/<int:practice_id>/attachments/",
        views.practice_attachment_add,
        name="practice_attachment_add",
    ),
    path(
        f"{P}practices/<int:practice_id>/attachments/<int:attachment_id>/delete/",
        views.practice_attachment_delete,
        name="practice_attachment_delete",
    ),
    path(f"{P}practices/<int:practice_id>/compare/", views.practice_compare, name="practice_compare"),
    path(f"{P}practices/<int:practice_id>/edit/", views.practice_edit, name="practice_edit"),
    path(f"{P}practices/<int:practice_id>/delete/", views.practice_delete, name="practice_delete"),
    path(f"{P}practices/<int:practice_id>/adopt/", views.adoption_create, name="adoption_create"),
    path(f"{P}library/new/", views.resource_create, name="resource_create"),
    path(f"{P}library/<int:resource_id>/", views.resource_detail, name="resource_detail"),
    path(f"{P}library/<int:resource_id>/delete/", views.resource_delete, name="resource_delete"),
    path(f"{P}communities/new/", views.community_create, name="community_create"),
    path(f"{P}communities/<int:community_id>/", views.community_detail, name="community_detail"),
    path(
        f"{P}communities/<int:community_id>/members/add/",
        views.community_member_add,
        name="community_member_add",
    ),
    path(
        f"{P}communities/<int:community_id>/members/<int:person_id>/remove/",
        views.community_member_remove,
        name="community_member_remove",
    ),
    path(f"{P}communities/<int:community_id>/sessions/new/", views.session_create, name="session_create"),
    path(f"{P}sessions/<int:session_id>/", views.session_detail, name="session_detail"),
]
