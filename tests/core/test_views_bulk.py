"""The import and export pages, walked through the test client with the "people" record type.

Upload → column mapping → dry run → import; problems shown next to the fields they are about; who may
reach which page (404 otherwise); the rejected rows as a file; exports with filters and scoping; a round
trip; background runs with a progress bar; bounded queries.
"""

from __future__ import annotations

import csv
import gc
import html
import io
import json
import re
from typing import Any

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from minga.core.bulk import formats
from minga.core.bulk.jobs import _set_progress
from minga.core.choices import Role
from minga.core.models import ImportJob
from minga.people.models import Membership, Person
from tests.factories.people import make_person

pytestmark = pytest.mark.django_db

HEADER = "external_id,email,full_name,group,role\n"
GOOD = (
    HEADER
    + "X-1,wanjiru@example.org,Wanjiru Kamau,ke-nai-kib,member\n"
    + "X-2,otieno@example.org,Otieno Odhiambo,ke-nai,\n"
)
ONE_BAD = GOOD + "X-3,not-an-email,Bad Email,ke-nai-kib,member\n"


@pytest.fixture(autouse=True)
def _bulk_settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MINGA_IMPORT_INLINE_BYTES = 10**9  # run inline: the request returns with the job finished
    settings.CACHES = {
        **settings.CACHES,
        "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bulk-tests"},
    }


def url(name: str, *args: Any, slug: str = "alpha") -> str:
    return reverse(name, args=[slug, *args])


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def upload(client: Any, text: str | bytes, *, name: str = "people.csv", **fields: str) -> Any:
    content = text.encode() if isinstance(text, str) else text
    data: dict[str, Any] = {"kind": "people", "mode": "all", "encoding": "", "delimiter": "", **fields}
    data["file"] = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(url("import_upload"), data)


def job_of(response: Any) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    job_id = int(re.search(r"/imports/(\d+)/$", response["Location"]).group(1))  # type: ignore[union-attr]
    return ImportJob.objects.get(pk=job_id)


def mapping_post(job: ImportJob, action: str, *, mode: str = "all", **changes: str) -> dict[str, str]:
    """The mapping form as the page shows it (job.mapping), with `changes` by header, and a button."""
    data = {"action": action, "mode": mode}
    for index, header in enumerate(job.headers):
        data[f"col_{index}"] = changes.get(header, job.mapping.get(header, ""))
    return data


def job_url(job: ImportJob) -> str:
    return url("import_job", job.pk)


def text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode("utf-8-sig")


def rows_of(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text(response))))


# --- the import flow -----------------------------------------------------------------------------------


def test_upload_map_dry_run_and_import_people(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    assert job.status == ImportJob.Status.UPLOADED

    page = client.get(job_url(job))
    body = page.content.decode()
    assert page.status_code == 200 and "Columns" in body
    # Each header of the file gets a select, preselected from the proposed mapping, with help.
    assert re.search(r'<option value="full_name"[^>]*selected', body)
    assert "The person&#x27;s name." in body and "Check (dry run)" in body

    response = client.post(job_url(job), mapping_post(job, "check"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and not Person.objects.filter(external_id="X-1").exists()
    body = client.get(job_url(job)).content.decode()
    assert "Dry run of 2 rows: 2 to create, 0 to update, 0 unchanged, 0 rejected. Nothing was saved." in body
    assert "Ready to import" in body and "Importing will create 2, update 0 and leave 0 unchanged" in body

    response = client.post(job_url(job), {"action": "import_now"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    body = client.get(job_url(job)).content.decode()
    assert "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected." in body
    assert "Import now" not in body and "Check (dry run)" not in body  # a finished job is not rerun
    otieno = Person.objects.get(collective=world.alpha, external_id="X-2")
    assert otieno.full_name == "Otieno Odhiambo"
    assert Membership.objects.filter(person=otieno, group=world.region_a, role=Role.MEMBER).exists()
    assert job.pk in [j.pk for j in client.get(url("import_index")).context["jobs"]]


def test_all_or_nothing_dry_run_lists_the_bad_row_and_offers_no_import(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, ONE_BAD))
    client.post(job_url(job), mapping_post(job, "check"))
    body = client.get(job_url(job)).content.decode()
    assert "1 rejected" in body and "Fix the rejected rows first" in body and "Import now" not in body
    table = body[body.index('class="table compact rejected"') :]
    assert re.search(r'<td class="num">4</td><td><code>email</code></td><td>[^<]*not a valid email', table)
    assert not Person.objects.filter(external_id__in=["X-1", "X-2", "X-3"]).exists()


def test_valid_rows_mode_imports_the_good_rows_and_reports_the_rest(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, ONE_BAD, mode="valid"))
    client.post(job_url(job), mapping_post(job, "check", mode="valid"))
    body = client.get(job_url(job)).content.decode()
    assert "Ready to import" in body and "the 1 rejected row will be left out" in body
    client.post(job_url(job), {"action": "import_now"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.report["created"] == 2 and job.report["rejected"] == 1
    assert set(Person.objects.filter(external_id__startswith="X-").values_list("external_id", flat=True)) == {
        "X-1",
        "X-2",
    }


def test_import_button_runs_without_a_dry_run(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    client.post(job_url(job), mapping_post(job, "import"))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Person.objects.filter(external_id="X-1").exists()


def test_changing_the_mapping_leaves_a_column_out(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    client.post(job_url(job), mapping_post(job, "import", role=""))
    job.refresh_from_db()
    assert job.mapping["role"] == "" and job.status == ImportJob.Status.DONE
    assert "Column 'role' is not imported." in html.unescape(client.get(job_url(job)).content.decode())


def test_semicolon_file_in_windows_encoding_with_advanced_options(client, world):
    content = "full_name;email\nJosé Müller;jose@example.org\n".encode("cp1252")
    client = login(client, world.admin)
    job = job_of(upload(client, content, encoding="cp1252", delimiter=";"))
    assert job.headers == ["full_name", "email"] and job.delimiter == ";"
    client.post(job_url(job), mapping_post(job, "import"))
    assert Person.objects.get(email="jose@example.org").full_name == "José Müller"


# --- problems shown next to the fields -----------------------------------------------------------------


def field_errors(response: Any, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def test_empty_file_is_refused_on_the_file_field(client, world):
    response = upload(login(client, world.admin), b"")
    assert response.status_code == 422
    assert field_errors(response, "file") == ["The file is empty."]
    assert 'id="id_file_error"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_header_only_file_is_refused(client, world):
    response = upload(login(client, world.admin), HEADER)
    assert response.status_code == 422
    assert field_errors(response, "file") == ["The file has a header row but no data rows."]


def test_a_file_that_is_not_a_table_is_refused_on_the_file_field(client, world):
    response = upload(login(client, world.admin), b"%PDF-1.4\x00\x01\x02binary", name="scan.pdf")
    assert response.status_code == 422
    assert "not a text file" in field_errors(response, "file")[0]


def test_unknown_record_type_is_refused_on_the_kind_field(client, world):
    client = login(client, world.admin)
    response = upload(client, GOOD, kind="spaceships")
    assert response.status_code == 422 and field_errors(response, "kind")
    assert field_errors(upload(client, GOOD, kind=""), "kind") == ["This field is required."]


def test_missing_required_column_in_the_mapping_is_explained(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    response = client.post(job_url(job), mapping_post(job, "check", full_name=""))
    assert response.status_code == 422
    body = response.content.decode()
    assert "The required column 'full_name' (The person's name.) is missing." in html.unescape(body)
    # …shown on the file's column headed "full_name", now left out.
    index = job.headers.index("full_name")
    assert field_errors(response, f"col_{index}")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED and not job.report.get("summary")


def test_two_columns_for_one_field_are_shown_on_the_second(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    response = client.post(job_url(job), mapping_post(job, "check", email="external_id"))
    assert response.status_code == 422
    assert "both fill" in field_errors(response, f"col_{job.headers.index('email')}")[0]


# --- who may reach what --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "anonymous"])
def test_member_and_anonymous_get_404_on_import_pages(client, world, who):
    admin_job = job_of(upload(login(client, world.admin), GOOD))
    client.logout()
    if who == "member":
        client.force_login(world.member)
    for path in (
        url("import_index"),
        url("import_upload"),
        url("import_template", "people", "csv"),
        job_url(admin_job),
        url("import_job_progress", admin_job.pk),
    ):
        assert client.get(path).status_code == 404, path
    assert upload(client, GOOD).status_code == 404
    assert client.post(job_url(admin_job), {"action": "import_now"}).status_code == 404


def test_other_collective_and_unknown_kind_are_404(client, world):
    client = login(client, world.admin)
    assert client.get(url("import_index", slug="beta")).status_code == 404
    assert client.get(url("import_template", "spaceships", "csv")).status_code == 404
    assert client.get(url("import_template", "people", "pdf")).status_code == 404


def test_a_user_cannot_see_another_users_job_unless_admin(client, world):
    coordinator_job = job_of(upload(login(client, world.coordinator_a), GOOD))
    client.force_login(world.coordinator_b)
    assert client.get(job_url(coordinator_job)).status_code == 404
    assert client.get(url("import_job_rejected", coordinator_job.pk)).status_code == 404
    assert coordinator_job.pk not in [j.pk for j in client.get(url("import_index")).context["jobs"]]
    client.force_login(world.admin)
    assert client.get(job_url(coordinator_job)).status_code == 200
    client.force_login(world.beta_admin)
    assert client.get(job_url(coordinator_job)).status_code == 404


def test_coordinator_imports_into_their_subtree_only(client, world):
    text_ = HEADER + "C-1,,In Reach,ke-nai-kib,member\nC-2,,Out Of Reach,ke-cst-mom,member\n"
    client = login(client, world.coordinator_a)
    job = job_of(upload(client, text_))
    client.post(job_url(job), mapping_post(job, "check"))
    job.refresh_from_db()
    assert job.report["rejected"] == 1
    assert job.report["problems"][0]["row"] == 3 and job.report["problems"][0]["column"] == "group"


# --- templates and the rejected rows -------------------------------------------------------------------


def test_index_lists_what_the_user_may_import_with_templates(client, world):
    response = login(client, world.admin).get(url("import_index"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "People" in body and "Matched by external id, else email" in body
    assert (
        url("import_template", "people", "csv") in body and url("import_template", "people", "xlsx") in body
    )


def test_csv_template_has_the_header_and_an_example_row(client, world):
    response = login(client, world.admin).get(url("import_template", "people", "csv"))
    assert response["Content-Disposition"] == 'attachment; filename="people-template.csv"'
    header, example = rows_of(response)
    assert header[:3] == ["external_id", "email", "full_name"] and example[2] == "Amina Wanjiru"


def test_xlsx_template_has_a_columns_sheet(client, world):
    response = login(client, world.admin).get(url("import_template", "people", "xlsx"))
    workbook = load_workbook(io.BytesIO(response.content))
    first, about = workbook.worksheets
    assert [c.value for c in first[1]][:3] == ["external_id", "email", "full_name"]
    assert [c.value for c in first[2]][2] == "Amina Wanjiru"
    assert about.title == "Columns"
    described = {row[0]: (row[1], row[2]) for row in about.iter_rows(min_row=2, values_only=True) if row[1]}
    assert described["full_name"] == ("yes", "The person's name.")
    assert described["email"][0] == "no"


def test_rejected_rows_download_has_an_errors_column(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, ONE_BAD))
    client.post(job_url(job), mapping_post(job, "check"))
    body = client.get(job_url(job)).content.decode()
    assert url("import_job_rejected", job.pk) in body
    response = client.get(url("import_job_rejected", job.pk))
    assert response["Content-Disposition"] == 'attachment; filename="people-rejected.csv"'
    header, *rows = rows_of(response)
    assert header == ["external_id", "email", "full_name", "group", "role", "errors"]
    assert len(rows) == 1 and rows[0][:3] == ["X-3", "not-an-email", "Bad Email"]
    assert rows[0][5].startswith("Row 4: email: ")


def test_no_rejected_rows_file_is_404(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    assert client.get(url("import_job_rejected", job.pk)).status_code == 404


# --- background runs, progress, resume -----------------------------------------------------------------


def test_large_file_is_queued_and_the_worker_runs_it(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.MINGA_IMPORT_INLINE_BYTES = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(job_url(job), mapping_post(job, "import"))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and len(callbacks) == 1
    body = client.get(job_url(job)).content.decode()
    assert 'hx-trigger="every 1s"' in body and "<progress" in body and "Waiting to start" in body
    partial = client.get(url("import_job_progress", job.pk))
    assert "every 1s" in partial.content.decode() and "HX-Refresh" not in partial

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Person.objects.filter(external_id="X-2").exists()
    partial = client.get(url("import_job_progress", job.pk))
    assert partial["HX-Refresh"] == "true" and "every 1s" not in partial.content.decode()
    assert "Imported 2 rows" in client.get(job_url(job)).content.decode()


def test_queued_run_goes_through_on_commit(client, world, settings, django_capture_on_commit_callbacks):
    settings.MINGA_IMPORT_INLINE_BYTES = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(job_url(job), mapping_post(job, "check"))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and job.report["created"] == 2


def test_running_job_shows_progress_and_a_stale_one_offers_resume(client, world):
    client = login(client, world.admin)
    job = job_of(upload(client, GOOD, mode="valid"))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, dry_run=False, mode="valid")
    _set_progress(job.pk, 1200, 0.4)
    body = client.get(job_url(job)).content.decode()
    assert "1,200 rows read · 40% of the file" in body and 'value="40"' in body
    assert "Columns" not in body  # no mapping while it runs
    response = client.post(job_url(job), mapping_post(job, "check"))
    assert response.status_code == 302  # refused, explained by a message
    assert "This import is running or finished: it can't be changed." in html.unescape(
        client.get(job_url(job)).content.decode()
    )

    # The worker stopped reporting long ago: the page marks the run interrupted and offers to resume it.
    caches["progress"].set(f"import-job-{job.pk}", {"rows": 1200, "fraction": 0.4, "at": 0})
    body = client.get(job_url(job)).content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INTERRUPTED and "Resume" in body
    client.post(job_url(job), {"action": "resume"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Person.objects.filter(external_id="X-1").exists()


# --- exports -------------------------------------------------------------------------------------------


def people_rows(world: Any) -> None:
    for group, name, email in (
        (world.kibera, "Kibera Person", "kibera@example.org"),
        (world.mombasa, "Mombasa Person", "mombasa@example.org"),
    ):
        Membership.objects.create(
            person=make_person(world.alpha, full_name=name, email=email), group=group, role=Role.MEMBER
        )


def test_export_people_as_csv_with_filters(client, world):
    people_rows(world)
    client = login(client, world.admin)
    response = client.get(url("export", "people", "csv"))
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="alpha-people-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"]
    )
    header, *rows = rows_of(response)
    assert header[:3] == ["external_id", "email", "full_name"]
    assert {"Kibera Person", "Mombasa Person"} <= {r[2] for r in rows}
    filtered = rows_of(client.get(url("export", "people", "csv"), {"q": "Mombasa"}))
    assert [r[2] for r in filtered[1:]] == ["Mombasa Person"]


def test_export_people_as_xlsx_and_json(client, world):
    people_rows(world)
    client = login(client, world.admin)
    response = client.get(url("export", "people", "xlsx"), {"group": world.mombasa.code})
    assert response["Content-Type"] == formats.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("external_id", "email", "full_name")
    assert [v[2] for v in values[1:]] == ["Mombasa Person"]

    response = client.get(url("export", "people", "json"), {"q": "Kibera"})
    assert response["Content-Disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in text(response).splitlines()]
    assert [line["full_name"] for line in lines] == ["Kibera Person"] and lines[0]["group"] == "ke-nai-kib"


def test_coordinators_export_holds_only_their_subtree(client, world):
    people_rows(world)
    names = {
        r[2] for r in rows_of(login(client, world.coordinator_a).get(url("export", "people", "csv")))[1:]
    }
    assert "Kibera Person" in names and "Mombasa Person" not in names


def test_anonymous_export_of_people_is_empty(client, world):
    people_rows(world)
    response = client.get(url("export", "people", "csv"))
    assert response.status_code == 200 and len(rows_of(response)) == 1  # the header only
    assert client.get(url("export", "people", "pdf")).status_code == 404
    assert client.get(url("export", "spaceships", "csv")).status_code == 404
    assert client.get(url("export", "people", "csv", slug="nowhere")).status_code == 404


# openpyxl's write-only sheet complains when the workbook stopped half way is collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_xlsx_export_larger_than_a_sheet_explains_itself(client, world, monkeypatch):
    people_rows(world)
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 1)
    response = login(client, world.admin).get(url("export", "people", "xlsx"), {"q": "Person"})
    gc.collect()
    assert response.status_code == 422
    body = response.content.decode()
    assert "More rows than a spreadsheet holds" in body
    assert url("export", "people", "csv") + "?q=Person" in body


def test_exported_csv_imports_back_unchanged(client, world):
    people_rows(world)
    client = login(client, world.admin)
    exported = b"".join(client.get(url("export", "people", "csv")).streaming_content)
    job = job_of(upload(client, exported, name="alpha-people.csv"))
    assert all(job.mapping[h] == h for h in job.headers)  # the export's headers are the columns
    client.post(job_url(job), mapping_post(job, "import"))
    job.refresh_from_db()
    rows = job.report["rows"]
    assert rows >= 7 and job.report["unchanged"] == rows and job.report["rejected"] == 0
    assert f"Imported {rows} rows: all unchanged, nothing to do." in client.get(job_url(job)).content.decode()


# --- links on other pages ------------------------------------------------------------------------------


def test_people_directory_links_exports_with_its_filters_and_import(client, world):
    body = login(client, world.admin).get(
        reverse("people:person_list", args=["alpha"]), {"q": "Ken", "page": "1"}
    )
    page = body.content.decode()
    assert f'href="{url("export", "people", "csv")}?q=Ken"' in page
    assert f'href="{url("export", "people", "json")}?q=Ken"' in page
    assert f'href="{url("import_upload")}?kind=people"' in page
    assert f'href="{url("import_index")}"' in page  # the navigation's entry


def test_member_sees_exports_but_no_import_links(client, world):
    page = login(client, world.member).get(reverse("people:person_list", args=["alpha"])).content.decode()
    assert url("export", "people", "csv") in page
    assert url("import_upload") not in page and url("import_index") not in page


def test_lead_sees_the_imports_entry(client, world):
    page = (
        login(client, world.lead)
        .get(reverse("architecture:collective_home", args=["alpha"]))
        .content.decode()
    )
    assert f'href="{url("import_index")}"' in page


# --- bounded queries -----------------------------------------------------------------------------------


def test_index_and_job_pages_have_bounded_queries(client, world, django_assert_max_num_queries):
    client = login(client, world.admin)
    for _ in range(5):
        job = job_of(upload(client, ONE_BAD))
        client.post(job_url(job), mapping_post(job, "check"))
    client.get(url("import_index"))  # warm the session
    # session, user, scope, collective, switcher, jobs
    with django_assert_max_num_queries(6):
        assert client.get(url("import_index")).status_code == 200
    # session, user, scope, collective, switcher, job
    with django_assert_max_num_queries(6):
        assert client.get(job_url(job)).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(url("import_job_progress", job.pk)).status_code == 200
