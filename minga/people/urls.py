"""Pages about people, under /c/<collective slug>/people/, and accepting an invitation (/invitations/)."""

from django.urls import path

from minga.people import views

app_name = "people"
urlpatterns = [
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("c/<slug:slug>/people/", views.person_list, name="person_list"),
    path("c/<slug:slug>/people/new/", views.person_create, name="person_create"),
    path("c/<slug:slug>/people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("c/<slug:slug>/people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("c/<slug:slug>/people/<int:person_id>/consent/", views.person_consent, name="person_consent"),
    path("c/<slug:slug>/people/<int:person_id>/export/", views.person_export, name="person_export"),
    path("c/<slug:slug>/people/<int:person_id>/erase/", views.person_erase, name="person_erase"),
    path("c/<slug:slug>/people/<int:person_id>/invite/", views.person_invite, name="person_invite"),
    path(
        "c/<slug:slug>/people/<int:person_id>/memberships/new/",
        views.membership_create,
        name="membership_create",
    ),
    path(
        "c/<slug:slug>/people/memberships/<int:membership_id>/end/",
        views.membership_end,
        name="membership_end",
    ),
]
