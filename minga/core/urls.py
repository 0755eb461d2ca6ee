"""Start page, authentication and passwords. Names are global ("login", "home") as Django's auth
settings and views expect. (Invitations are accepted at /invitations/<token>/: see `minga.people.urls`.)"""

from django.contrib.auth import views as auth_views
from django.urls import path

from minga.core import views, views_bulk
from minga.core.forms import EmailAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Imports and exports of any registered record type (minga.core.bulk), under the collective.
    path("c/<slug:slug>/imports/", views_bulk.import_index, name="import_index"),
    path("c/<slug:slug>/imports/new/", views_bulk.import_upload, name="import_upload"),
    path(
        "c/<slug:slug>/imports/templates/<slug:kind>.<str:fmt>",
        views_bulk.import_template,
        name="import_template",
    ),
    path("c/<slug:slug>/imports/<int:job_id>/", views_bulk.import_job, name="import_job"),
    path(
        "c/<slug:slug>/imports/<int:job_id>/progress/",
        views_bulk.import_job_progress,
        name="import_job_progress",
    ),
    path(
        "c/<slug:slug>/imports/<int:job_id>/rejected.csv",
        views_bulk.import_job_rejected,
        name="import_job_rejected",
    ),
    path("c/<slug:slug>/export/<slug:kind>.<str:fmt>", views_bulk.export, name="export"),
]
