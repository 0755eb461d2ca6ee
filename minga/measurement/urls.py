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

# DHIS2 exchange (minga/measurement/views_dhis2.py)
from minga.measurement import views_dhis2  # noqa: E402

urlpatterns += [
    path("c/<slug:slug>/measurement/dhis2/", views_dhis2.dhis2_index, name="dhis2"),
    path("c/<slug:slug>/measurement/dhis2/import/", views_dhis2.dhis2_import, name="dhis2_import"),
    path("c/<slug:slug>/measurement/dhis2/export/", views_dhis2.dhis2_export, name="dhis2_export"),
    path("c/<slug:slug>/measurement/dhis2/mappings/", views_dhis2.dhis2_mapping_add, name="dhis2_mapping"),
    path(
        "c/<slug:slug>/measurement/dhis2/mappings/upload/",
        views_dhis2.dhis2_mapping_upload,
        name="dhis2_mapping_upload",
    ),
    path(
        "c/<slug:slug>/measurement/dhis2/mappings/generate/",
        views_dhis2.dhis2_mapping_generate,
        name="dhis2_mapping_generate",
    ),
    path(
        "c/<slug:slug>/measurement/dhis2/mappings/<int:mapping_id>/delete/",
        views_dhis2.dhis2_mapping_delete,
        name="dhis2_mapping_delete",
    ),
]

# Defining what is measured (backbone admins; minga/measurement/views_define.py)
from minga.measurement import views_define  # noqa: E402

urlpatterns += [
    path("c/<slug:slug>/measurement/indicators/new/", views_define.indicator_create, name="indicator_create"),
    path(
        "c/<slug:slug>/measurement/indicators/<int:indicator_id>/edit/",
        views_define.indicator_edit,
        name="indicator_edit",
    ),
    path("c/<slug:slug>/measurement/sets/", views_define.indicator_sets, name="indicator_sets"),
    path("c/<slug:slug>/measurement/targets/", views_define.targets, name="targets"),
    path("c/<slug:slug>/measurement/rules/", views_define.validation_rules, name="validation_rules"),
    path("c/<slug:slug>/measurement/disaggregations/", views_define.disaggregations, name="disaggregations"),
    path(
        "c/<slug:slug>/measurement/disaggregations/<int:disaggregation_id>/edit/",
        views_define.disaggregation_edit,
        name="disaggregation_edit",
    ),
    path(
        "c/<slug:slug>/measurement/disaggregations/<int:disaggregation_id>/delete/",
        views_define.disaggregation_delete,
        name="disaggregation_delete",
    ),
    path(
        "c/<slug:slug>/measurement/sets/<int:set_id>/edit/",
        views_define.indicator_set_edit,
        name="indicator_set_edit",
    ),
    path(
        "c/<slug:slug>/measurement/sets/<int:set_id>/delete/",
        views_define.indicator_set_delete,
        name="indicator_set_delete",
    ),
    path(
        "c/<slug:slug>/measurement/targets/<int:target_id>/edit/",
        views_define.target_edit,
        name="target_edit",
    ),
    path(
        "c/<slug:slug>/measurement/targets/<int:target_id>/delete/",
        views_define.target_delete,
        name="target_delete",
    ),
    path(
        "c/<slug:slug>/measurement/rules/<int:rule_id>/edit/",
        views_define.validation_rule_edit,
        name="validation_rule_edit",
    ),
    path(
        "c/<slug:slug>/measurement/rules/<int:rule_id>/delete/",
        views_define.validation_rule_delete,
        name="validation_rule_delete",
    ),
]

# Spreadsheets in the wide layout (minga/measurement/views_files.py)
from minga.measurement import views_files  # noqa: E402

urlpatterns += [
    path("c/<slug:slug>/measurement/files/", views_files.files, name="files"),
    path(
        "c/<slug:slug>/measurement/sets/<int:set_id>/template.<str:fmt>",
        views_files.set_template,
        name="set_template",
    ),
]

# Saved dashboards (minga/measurement/views_dashboards.py)
from minga.measurement import views_dashboards  # noqa: E402

urlpatterns += [
    path(
        "c/<slug:slug>/measurement/dashboards/save/", views_dashboards.dashboard_save, name="dashboard_save"
    ),
    path(
        "c/<slug:slug>/measurement/dashboards/<int:dashboard_id>/",
        views_dashboards.saved_dashboard,
        name="saved_dashboard",
    ),
    path(
        "c/<slug:slug>/measurement/dashboards/<int:dashboard_id>/edit/",
        views_dashboards.saved_dashboard_edit,
        name="saved_dashboard_edit",
    ),
    path(
        "c/<slug:slug>/measurement/dashboards/<int:dashboard_id>/delete/",
        views_dashboards.saved_dashboard_delete,
        name="saved_dashboard_delete",
    ),
]
