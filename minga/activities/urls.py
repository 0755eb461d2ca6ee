"""Collective activities: pages under /c/<collective slug>/activities/."""

from django.urls import URLPattern, URLResolver, path

from minga.activities import views, views_evidence

app_name = "activities"
A = "c/<slug:slug>/activities/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(A, views.activity_list, name="activity_list"),
    path(f"{A}calendar/", views.activity_calendar, name="activity_calendar"),
    path(f"{A}areas/", views.areas, name="areas"),
    path(f"{A}new/", views.activity_create, name="activity_create"),
    path(f"{A}<int:activity_id>/", views.activity_detail, name="activity_detail"),
    path(f"{A}<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path(f"{A}<int:activity_id>/campaign/", views.campaign_create, name="campaign_create"),
    path(f"{A}campaigns/", views.campaign_list, name="campaign_list"),
    path(f"{A}campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path(f"{A}institutions/", views_evidence.institution_list, name="institution_list"),
    path(f"{A}institutions/new/", views_evidence.institution_create, name="institution_create"),
    path(
        f"{A}institutions/<int:institution_id>/", views_evidence.institution_detail, name="institution_detail"
    ),
    path(f"{A}outcomes/", views_evidence.outcome_list, name="outcome_list"),
    path(f"{A}outcomes/new/", views_evidence.outcome_create, name="outcome_create"),
    path(f"{A}outcomes/<int:outcome_id>/", views_evidence.outcome_detail, name="outcome_detail"),
    path(f"{A}outcomes/<int:outcome_id>/edit/", views_evidence.outcome_edit, name="outcome_edit"),
    path(
        f"{A}outcomes/<int:outcome_id>/review/", views_evidence.outcome_transition, name="outcome_transition"
    ),
    path(f"{A}stories/", views_evidence.story_list, name="story_list"),
    path(f"{A}stories/themes/", views_evidence.story_themes, name="story_themes"),
    path(f"{A}stories/new/", views_evidence.story_create, name="story_create"),
    path(f"{A}stories/<int:story_id>/", views_evidence.story_detail, name="story_detail"),
    path(f"{A}stories/<int:story_id>/edit/", views_evidence.story_edit, name="story_edit"),
    path(f"{A}stories/<int:story_id>/withdraw/", views_evidence.story_withdraw, name="story_withdraw"),
]
