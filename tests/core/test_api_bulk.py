"""The import and export API, as a client with a bearer token sees it: upload, dry run, import, report,
rejected rows, idempotent retries, scoping, and exports that re-import unchanged."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from openpyxl import Workbook, load_workbook

from minga.core.bulk.jobs import import_job_run
from minga.core.choices import Role
from minga.core.models import AuditEntry, ImportJob
from minga.people.models import Membership, Person
from tests.factories.api import BASE, ApiClient, error_codes, error_fields
from tests.factories.people import make_person

HEADER = "external_id,email,full_name,group,role\r\n"


@pytest.fixture(autouse=True)
def _files_and_progress(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        **settings.CACHES,
        "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bulk-tests"},
    }


def people_csv(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\r\n" for row in rows)).encode()


GOOD = (
    "KE-1,wanjiku@example.org,Wanjiku Kamau,ke-nai-kib,member",
    "KE-2,otieno@example.org,Otieno Odhiambo,ke-nai-kib,member",
)
BAD_EMAIL = "KE-3,not-an-email,Baraka Mwangi,ke-nai-kib,member"


def upload(
    api: ApiClient,
    content: bytes,
    *,
    name: str = "people.csv",
    kind: str = "people",
    collective: str = "alpha",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    data = {
        "kind": kind,
        "collective": collective,
        "file": SimpleUploadedFile(name, content),
        **{k: str(v).lower() if isinstance(v, bool) else v for k, v in fields.items()},
    }
    return api.client.post(f"{BASE}/imports", data=data, headers=headers or {})


def imported() -> set[str]:
    return set(Person.objects.filter(external_id__startswith="KE-").values_list("external_id", flat=True))


# --- record types and templates ---------------------------------------------------------------------


def test_kinds_describe_the_people_columns(world):
    response = ApiClient(world.admin).get("/imports/kinds")
    assert response.status_code == 200
    kinds = {kind["name"]: kind for kind in response.json()}
    people = kinds["people"]
    columns = {c["name"]: c for c in people["columns"]}
    assert columns["full_name"]["required"] is True
    assert columns["email"]["example"] == "amina@example.org"
    assert columns["group"]["description"]
    assert people["templates"]["csv"].endswith("/imports/templates/people?format=csv")


def test_templates_as_csv_and_xlsx(world):
    api = ApiClient(world.admin)
    csv_file = api.get("/imports/templates/people", {"format": "csv"})
    assert csv_file.status_code == 200
    assert csv_file["Content-Type"].startswith("text/csv")
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("external_id,email,full_name,")
    assert "amina@example.org" in lines[1]

    xlsx = api.get("/imports/templates/people", {"format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[:3] == ("external_id", "email", "full_name")

    assert api.get("/imports/templates/nothing").status_code == 404
    assert api.get("/imports/templates/people", {"format": "pdf"}).status_code == 422


# --- importing --------------------------------------------------------------------------------------


def test_dry_run_saves_nothing_then_the_run_imports(world):
    api = ApiClient(world.admin)
    response = upload(api, people_csv(*GOOD), dry_run=True)
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["dry_run"], job["kind"], job["mode"]) == ("checked", True, "people", "all")
    assert job["report"]["created"] == 2 and job["report"]["rejected"] == 0
    assert "Dry run of 2 rows" in job["report"]["summary"]
    assert job["progress"] == {"rows": 2, "fraction": 1.0}
    assert job["links"]["self"] == f"{BASE}/imports/{job['id']}"
    assert imported() == set()

    run = api.post(f"/imports/{job['id']}/run", {"dry_run": False})
    assert run.status_code == 200, run.content
    done = run.json()
    assert done["status"] == "done" and done["report"]["committed"] is True
    assert done["report"]["summary"] == "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected."
    assert imported() == {"KE-1", "KE-2"}
    assert Membership.objects.filter(person__external_id="KE-1", group=world.kibera).exists()
    assert AuditEntry.objects.filter(action="people.import").count() == 1
    assert api.get(f"/imports/{job['id']}").json()["status"] == "done"

    again = api.post(f"/imports/{job['id']}/run", {"dry_run": False})
    assert again.status_code == 422 and error_codes(again) == {"job_done"}


def test_all_or_nothing_rejects_the_file_and_lists_every_bad_row(world):
    api = ApiClient(world.admin)
    response = upload(api, people_csv(GOOD[0], BAD_EMAIL, "KE-4,,,ke-nai-kib,member"))
    assert response.status_code == 201, response.content
    job = response.json()
    report = job["report"]
    assert job["status"] == "failed"
    assert (report["committed"], report["rejected"], report["rows"]) == (False, 2, 3)
    assert report["summary"].startswith("Nothing was imported: 2 of 3 rows were rejected")
    located = {(p["row"], p["column"]) for p in report["problems"]}
    assert (3, "email") in located and (4, "full_name") in located
    assert all(p["message"] for p in report["problems"])
    assert imported() == set()

    rejected = api.get(job["links"]["rejected"])
    assert rejected.status_code == 200
    lines = b"".join(rejected.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "external_id,email,full_name,group,role,errors"
    assert lines[1].startswith("KE-3,not-an-email,Baraka Mwangi,ke-nai-kib,member,Row 3: email:")
    assert len(lines) == 3


def test_valid_rows_mode_imports_the_good_rows_and_reports_the_rest(world):
    api = ApiClient(world.admin)
    response = upload(api, people_csv(GOOD[0], BAD_EMAIL, GOOD[1]), mode="valid")
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["mode"]) == ("done", "valid")
    assert (job["report"]["created"], job["report"]["rejected"]) == (2, 1)
    assert [p["row"] for p in job["report"]["problems"]] == [3]
    assert imported() == {"KE-1", "KE-2"}


def test_a_mapping_names_the_columns_of_a_foreign_file(world):
    api = ApiClient(world.admin)
    content = people_csv("KE-1,wanjiku@example.org,Wanjiku", header="Ref,Mail,Nom\r\n")
    mapping = {"Ref": "external_id", "Mail": "email", "Nom": "full_name"}
    response = upload(api, content, mapping=json.dumps(mapping))
    assert response.status_code == 201, response.content
    assert response.json()["mapping"] == mapping
    assert Person.objects.get(external_id="KE-1").full_name == "Wanjiku"


def test_a_large_file_is_queued_for_the_worker(world, settings):
    settings.MINGA_IMPORT_INLINE_BYTES = 10
    api = ApiClient(world.admin)
    response = upload(api, people_csv(*GOOD))
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "queued" and job["report"] is None
    import_job_run(job["id"])  # what the task worker does
    assert api.get(f"/imports/{job['id']}").json()["status"] == "done"
    assert imported() == {"KE-1", "KE-2"}


def test_an_interrupted_valid_rows_import_resumes(world):
    api = ApiClient(world.admin)
    job = upload(api, people_csv(*GOOD), mode="valid", dry_run=True).json()
    ImportJob.objects.filter(pk=job["id"]).update(status=ImportJob.Status.INTERRUPTED, dry_run=False)
    resumed = api.post(f"/imports/{job['id']}/run", {"dry_run": False})
    assert resumed.status_code == 200, resumed.content
    assert resumed.json()["status"] == "done"
    assert imported() == {"KE-1", "KE-2"}


# --- idempotency ------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_same_job_and_imports_once(world):
    api = ApiClient(world.admin)
    key = {"Idempotency-Key": "upload-people-1"}
    first = upload(api, people_csv(*GOOD), headers=key)
    assert first.status_code == 201, first.content
    audits = AuditEntry.objects.count()

    # A real client draws a new multipart boundary for each attempt: the body bytes differ.
    fields = {
        "kind": "people",
        "collective": "alpha",
        "file": SimpleUploadedFile("people.csv", people_csv(*GOOD)),
    }
    boundary = "another-boundary-42"
    again = api.client.post(
        f"{BASE}/imports",
        data=encode_multipart(boundary, fields),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=key,
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert ImportJob.objects.count() == 1
    assert Person.objects.filter(external_id__startswith="KE-").count() == 2
    assert AuditEntry.objects.count() == audits

    other_file = upload(api, people_csv(GOOD[0]), headers=key)
    assert other_file.status_code == 422 and error_codes(other_file) == {"idempotency_key_reused"}


# --- files that can't be imported -----------------------------------------------------------------


def _truncated_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["external_id", "email", "full_name"])
    sheet.append(["KE-1", "a@example.org", "A"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("content", "name", "fields", "code", "field"),
    [
        (b"", "people.csv", {}, "empty_file", "file"),
        (HEADER.encode(), "people.csv", {}, "no_rows", "file"),
        (_truncated_xlsx(), "people.xlsx", {}, "damaged_xlsx", "file"),
        (b"\x00\x01\x02binary", "people.csv", {}, "not_text", "file"),
        (people_csv(GOOD[0]), "people.csv", {"kind": "spaceships"}, "unknown_kind", "kind"),
        (
            people_csv("KE-1,a@example.org", header="external_id,email\r\n"),
            "p.csv",
            {},
            "missing_column",
            "file",
        ),
        (people_csv(GOOD[0]), "people.csv", {"mapping": "[1, 2]"}, "invalid_mapping", "mapping"),
        (people_csv(GOOD[0]), "people.csv", {"mapping": '{"Nope": "email"}'}, "unknown_header", "mapping"),
        (people_csv(GOOD[0]), "people.csv", {"mode": "some"}, "literal_error", "mode"),
    ],
)
def test_a_file_that_cannot_be_imported_is_422_and_leaves_no_job(world, content, name, fields, code, field):
    response = upload(ApiClient(world.admin), content, name=name, **fields)
    assert response.status_code == 422, response.content
    assert code in error_codes(response)
    assert field in error_fields(response)
    assert all(e["message"] for e in response.json()["errors"])
    assert not ImportJob.objects.exists()
    assert imported() == set()


def test_anonymous_uploads_are_refused(world):
    response = upload(ApiClient(), people_csv(*GOOD))
    assert response.status_code == 401
    assert not ImportJob.objects.exists()


# --- scoping --------------------------------------------------------------------------------------


def test_a_coordinator_cannot_import_people_into_another_region(world):
    api = ApiClient(world.coordinator_a)
    own, other = GOOD[0], "KE-9,amina@example.org,Amina Said,ke-cst-mom,member"
    response = upload(api, people_csv(own, other))
    job = response.json()
    assert job["status"] == "failed"
    # The group out of reach is named as the problem (its code is the people record type's business).
    assert [(p["row"], p["column"]) for p in job["report"]["problems"]] == [(3, "group")]
    assert imported() == set()

    valid = upload(api, people_csv(own, other), mode="valid").json()
    assert (valid["report"]["created"], valid["report"]["rejected"]) == (1, 1)
    assert imported() == {"KE-1"}


@pytest.mark.parametrize("collective", ["alpha", "no-such-collective"])
def test_another_collective_is_404(world, collective):
    response = upload(ApiClient(world.beta_admin), people_csv(*GOOD), collective=collective)
    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_jobs_are_seen_by_their_owner_and_the_collective_admins_only(world):
    job = upload(ApiClient(world.coordinator_a), people_csv(GOOD[0]), dry_run=True).json()
    for actor, status in [
        ("coordinator_a", 200),
        ("admin", 200),
        ("coordinator_b", 404),
        ("beta_admin", 404),
    ]:
        api = ApiClient(getattr(world, actor))
        assert api.get(f"/imports/{job['id']}").status_code == status, actor
        assert api.post(f"/imports/{job['id']}/run", {"dry_run": True}).status_code == status, actor
        listed = {item["id"] for item in api.get("/imports").json()["items"]}
        assert (job["id"] in listed) is (status == 200)
    assert ApiClient(world.coordinator_b).get(f"/imports/{job['id']}/rejected").status_code == 404
    assert ApiClient(world.coordinator_a).get(f"/imports/{job['id']}/rejected").status_code == 404  # none
    assert ApiClient().get("/imports").json()["items"] == []


def test_the_job_list_is_cursor_paginated(world):
    api = ApiClient(world.admin)
    ids = [upload(api, people_csv(GOOD[0]), dry_run=True).json()["id"] for _ in range(3)]
    first = api.get("/imports", {"limit": 2}).json()
    second = api.get("/imports", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [j["id"] for j in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


# --- exports --------------------------------------------------------------------------------------


@pytest.fixture
def directory(world):
    """Two people in region A (Kibera), one in region B (Mombasa), one without a group."""
    people = {
        "wanjiku": make_person(world.alpha, full_name="Wanjiku Kamau", email="wanjiku@example.org"),
        "otieno": make_person(world.alpha, full_name="=cmd|' /C calc'!A0", external_id="KE-7"),
        "amina": make_person(world.alpha, full_name="Amina Said", email="amina@example.org"),
        "loner": make_person(world.alpha, full_name="Lone Ranger", email="loner@example.org"),
    }
    Membership.objects.create(person=people["wanjiku"], group=world.kibera, role=Role.MEMBER)
    Membership.objects.create(person=people["otieno"], group=world.kibera, role=Role.LEAD)
    Membership.objects.create(person=people["amina"], group=world.mombasa, role=Role.MEMBER)
    return people


def exported_csv(response: Any) -> list[list[str]]:
    import csv

    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_export_as_csv_json_and_xlsx(world, directory):
    api = ApiClient(world.admin)
    response = api.get("/exports/people", {"collective": "alpha"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="alpha-people-')
    assert response["Cache-Control"] == "private, no-store"
    rows = exported_csv(response)
    assert rows[0][:3] == ["external_id", "email", "full_name"]
    names = {row[2] for row in rows[1:]}
    assert {"Wanjiku Kamau", "Amina Said", "Lone Ranger"} <= names
    assert "'=cmd|' /C calc'!A0" in names  # neutralised: a spreadsheet shows it, never runs it
    otieno = next(row for row in rows if row[0] == "KE-7")
    assert otieno[7:9] == ["ke-nai-kib", "lead"]

    lines = b"".join(api.get("/exports/people", {"collective": "alpha", "format": "json"}).streaming_content)
    objects = [json.loads(line) for line in lines.decode().splitlines()]
    assert {o["full_name"] for o in objects} == names - {"'=cmd|' /C calc'!A0"} | {"=cmd|' /C calc'!A0"}
    assert next(o for o in objects if o["external_id"] == "KE-7")["group"] == "ke-nai-kib"

    xlsx = api.get("/exports/people", {"collective": "alpha", "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][:3] == ("external_id", "email", "full_name")
    assert len(cells) == len(rows)


def test_export_applies_the_list_filters(world, directory):
    api = ApiClient(world.admin)
    by_group = exported_csv(api.get("/exports/people", {"collective": "alpha", "group": "ke-nai"}))
    in_region_a = set(
        Person.objects.filter(memberships__group__path__startswith=world.region_a.path).values_list(
            "full_name", flat=True
        )
    )
    assert {row[2].removeprefix("'") for row in by_group[1:]} == in_region_a
    assert {"Wanjiku Kamau", "=cmd|' /C calc'!A0"} <= in_region_a and "Amina Said" not in in_region_a
    by_role = exported_csv(api.get("/exports/people", {"collective": "alpha", "role": "lead"}))
    assert {row[0] for row in by_role[1:]} >= {"KE-7"} and "Amina Said" not in {r[2] for r in by_role}
    by_name = exported_csv(api.get("/exports/people", {"collective": "alpha", "q": "amina"}))
    assert [row[2] for row in by_name[1:]] == ["Amina Said"]
    unknown_group = exported_csv(api.get("/exports/people", {"collective": "alpha", "group": "nope"}))
    assert unknown_group[1:] == []


def test_export_holds_only_what_the_caller_may_see(world, directory):
    region_a = exported_csv(ApiClient(world.coordinator_a).get("/exports/people", {"collective": "alpha"}))
    names = {row[2] for row in region_a[1:]}
    assert {"Wanjiku Kamau", "'=cmd|' /C calc'!A0"} <= names
    assert not names & {"Amina Said", "Lone Ranger"}
    assert exported_csv(ApiClient(world.beta_admin).get("/exports/people", {"collective": "alpha"}))[1:] == []
    assert exported_csv(ApiClient().get("/exports/people", {"collective": "alpha"}))[1:] == []
    assert ApiClient(world.admin).get("/exports/people", {"collective": "nowhere"}).status_code == 404
    assert ApiClient(world.admin).get("/exports/spaceships", {"collective": "alpha"}).status_code == 404
    assert ApiClient(world.admin).get("/exports/people").status_code == 422


def test_an_export_imports_again_unchanged(world, directory):
    api = ApiClient(world.admin)
    content = b"".join(api.get("/exports/people", {"collective": "alpha"}).streaming_content)
    people, memberships = Person.objects.count(), Membership.objects.count()
    job = upload(api, content, name="alpha-people.csv").json()
    report = job["report"]
    assert job["status"] == "done", report
    assert report["rows"] == report["unchanged"] == 4 + 5  # the world's own people of alpha too
    assert report["summary"] == f"Imported {report['rows']} rows: all unchanged, nothing to do."
    assert (Person.objects.count(), Membership.objects.count()) == (people, memberships)
    assert Person.objects.get(external_id="KE-7").full_name == "=cmd|' /C calc'!A0"


def test_export_rows_carry_skills_consent_and_every_current_membership(world):
    import datetime as dt

    from django.utils import timezone

    given = dt.datetime(2024, 3, 1, 23, 30, tzinfo=dt.UTC)
    wanjiku = make_person(
        world.alpha,
        full_name="Wanjiku Kamau",
        external_id="KE-1",
        skills=["facilitation", "bookkeeping"],
        consent_purpose="Membership records",
        consent_given_at=given,
    )
    withdrawn = make_person(
        world.alpha,
        full_name="Baraka Mwangi",
        external_id="KE-2",
        consent_purpose="Photos",
        consent_given_at=given,
        consent_withdrawn_at=timezone.now(),
    )
    Membership.objects.create(person=wanjiku, group=world.mombasa, role=Role.MEMBER)
    Membership.objects.create(
        person=wanjiku, group=world.kibera, role=Role.LEAD, started_on=dt.date(2023, 6, 15)
    )
    Membership.objects.create(
        person=wanjiku,
        group=world.kibera,
        role=Role.MEMBER,
        started_on=dt.date(2020, 1, 1),
        ended_on=dt.date(2024, 1, 1),
    )
    api = ApiClient(world.admin)

    today = timezone.localdate().isoformat()
    rows = exported_csv(api.get("/exports/people", {"collective": "alpha"}))[1:]
    person = ["Wanjiku Kamau", "en", "facilitation; bookkeeping", "Membership records", "2024-03-01"]
    assert [row[2:] for row in rows if row[0] == "KE-1"] == [
        [*person, "ke-cst-mom", "member", today],  # current memberships only, by group code
        [*person, "ke-nai-kib", "lead", "2023-06-15"],
    ]
    # Withdrawn consent is not exported; a person without a group has one row with the group left empty.
    assert [row[2:] for row in rows if row[0] == "KE-2"] == [["Baraka Mwangi", "en", "", "", "", "", "", ""]]
    lines = b"".join(api.get("/exports/people", {"collective": "alpha", "format": "json"}).streaming_content)
    objects = [json.loads(line) for line in lines.decode().splitlines()]
    mine = [o for o in objects if o["external_id"] == "KE-1"]
    assert [(o["group"], o["role"], o["member_since"]) for o in mine] == [
        ("ke-cst-mom", "member", today),
        ("ke-nai-kib", "lead", "2023-06-15"),
    ]
    assert all(o["skills"] == ["facilitation", "bookkeeping"] for o in mine)
    assert all(
        (o["consent_purpose"], o["consent_given_on"]) == ("Membership records", "2024-03-01") for o in mine
    )
    baraka = next(o for o in objects if o["external_id"] == "KE-2")
    assert (baraka["consent_purpose"], baraka["consent_given_on"], baraka["group"]) == ("", None, "")
    assert baraka["member_since"] is None and baraka["skills"] == []
    assert withdrawn.consent_purpose == "Photos"  # kept in the record, not in the export


def test_the_openapi_document_describes_the_upload_and_the_files(db):
    schema = ApiClient().get("/openapi.json").json()
    upload_op = schema["paths"]["/api/v1/imports"]["post"]
    form = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "kind", "collective"} <= set(form["required"])
    assert form["properties"]["file"]["format"] == "binary"
    assert {"201", "202", "401", "404", "422"} <= set(upload_op["responses"])
    export_op = schema["paths"]["/api/v1/exports/{kind}"]["get"]
    assert set(export_op["responses"]["200"]["content"]) == {
        "text/csv",
        "application/x-ndjson",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    rejected = schema["paths"]["/api/v1/imports/{job_id}/rejected"]["get"]["responses"]["200"]
    assert rejected["content"]["text/csv"]["schema"] == {"type": "string", "format": "binary"}
    assert all(
        response.get("description") for op in (upload_op, export_op) for response in op["responses"].values()
    )


def test_the_job_list_costs_the_same_queries_for_one_job_or_many(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = ApiClient(world.admin)
    upload(api, people_csv(GOOD[0]), dry_run=True)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/imports").json()["items"]) == 1
    for _ in range(3):
        upload(api, people_csv(GOOD[0]), dry_run=True)
    with CaptureQueriesContext(connection) as four:
        assert len(api.get("/imports").json()["items"]) == 4
    assert len(four) == len(one)
