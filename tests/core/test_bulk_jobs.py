"""Import jobs: an upload's life from file to report (minga.core.bulk.jobs), as the web UI and the API
drive it — refused uploads, column mappings, inline and background runs, the rejected-rows file, and
interrupted jobs that resume."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile

import minga.core.bulk.jobs as jobs
from minga.core.bulk import get_record_type
from minga.core.bulk.jobs import (
    import_job_create,
    import_job_refresh,
    import_job_run,
    import_job_set_mapping,
    import_job_start,
    import_progress,
)
from minga.core.bulk.rejected import RejectedRowsWriter
from minga.core.errors import DomainError, NotFound
from minga.core.models import ImportJob
from minga.people.models import Membership, Person
from tests.core.bulk_support import PeopleState, people_csv, xlsx_bytes

GOOD = [f"KE-{n},person{n}@example.org,Person {n},ke-nai-kib,member" for n in range(1, 7)]


@pytest.fixture(autouse=True)
def _files_and_progress(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        **settings.CACHES,
        "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bulk-jobs"},
    }
    caches["progress"].clear()


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def create(
    world: Any, content: bytes, *, name: str = "people.csv", actor: Any = None, **options: Any
) -> ImportJob:
    return import_job_create(
        actor=actor or world.admin,
        collective=world.alpha,
        kind=options.pop("kind", "people"),
        upload=SimpleUploadedFile(name, content),
        name=name,
        **options,
    )


def imported() -> list[str]:
    return sorted(Person.objects.filter(external_id__startswith="KE-").values_list("external_id", flat=True))


# --- uploads that are refused ---------------------------------------------------------------------


def _truncated_xlsx() -> bytes:
    data = xlsx_bytes([["external_id", "full_name"], ["KE-1", "Amina"]])
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("content", "name", "options", "code", "field"),
    [
        (people_csv(GOOD[0]), "people.csv", {"kind": "spaceships"}, "unknown_kind", "kind"),
        (b"", "people.csv", {}, "empty_file", "file"),
        (b"\r\n \r\n", "people.csv", {}, "empty_file", "file"),
        (people_csv(), "people.csv", {}, "no_rows", "file"),
        (xlsx_bytes([["external_id", "full_name"]]), "people.xlsx", {}, "no_rows", "file"),
        (b"\x00\x01\x02\x03 binary", "people.csv", {}, "not_text", "file"),
        (_truncated_xlsx(), "people.xlsx", {}, "damaged_xlsx", "file"),
        (b"[1, 2]\n", "people.jsonl", {}, "not_jsonl", "file"),
        (people_csv(GOOD[0]), "people.csv", {"encoding": "klingon-8"}, "unknown_encoding", "file"),
        (people_csv(GOOD[0]), "people.csv", {"mode": "most"}, "invalid_mode", "mode"),
        (people_csv(GOOD[0]), "people.csv", {"delimiter": ";;"}, "invalid_delimiter", "delimiter"),
    ],
    ids=[
        "unknown-kind",
        "empty",
        "blank-lines",
        "header-only",
        "header-only-xlsx",
        "binary",
        "truncated-xlsx",
        "not-json-lines",
        "unknown-encoding",
        "bad-mode",
        "bad-delimiter",
    ],
)
def test_an_unusable_upload_is_refused_and_leaves_nothing(
    world, settings, content, name, options, code, field
):
    before = PeopleState.now()
    with pytest.raises(DomainError) as error:
        create(world, content, name=name, **options)
    assert [(p.code, p.field) for p in error.value.problems] == [(code, field)]
    assert error.value.problems[0].message
    assert not ImportJob.objects.exists()
    assert stored_files(settings) == []
    assert PeopleState.now() == before


def test_every_problem_of_an_upload_is_reported_at_once(world, settings):
    settings.MINGA_IMPORT_MAX_BYTES = 10
    with pytest.raises(DomainError) as error:
        create(world, people_csv(*GOOD), mode="most", delimiter="ab")
    assert {p.code for p in error.value.problems} == {"invalid_mode", "file_too_large", "invalid_delimiter"}


def test_a_file_over_the_upload_limit_is_refused_before_it_is_stored(world, settings):
    settings.MINGA_IMPORT_MAX_BYTES = 1_000
    with pytest.raises(DomainError) as error:
        create(world, people_csv(*GOOD * 40))
    [problem] = error.value.problems
    assert (problem.code, problem.field) == ("file_too_large", "file")
    assert "uploads are limited to" in problem.message and "minga import" in problem.message
    assert stored_files(settings) == [] and not ImportJob.objects.exists()


def test_a_real_file_over_100_mb_is_refused_at_once(world, settings, tmp_path):
    settings.MINGA_IMPORT_MAX_BYTES = 100 * 1024 * 1024
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(people_csv(*GOOD))
        handle.truncate(101 * 1024 * 1024)  # sparse: 101 MB on paper, nothing written to disk
    with path.open("rb") as handle:
        with pytest.raises(DomainError) as error:
            import_job_create(
                actor=world.admin, collective=world.alpha, kind="people", upload=File(handle), name="huge.csv"
            )
        assert handle.tell() == 0  # refused by its size, before a byte is read
    assert [p.code for p in error.value.problems] == ["file_too_large"]
    assert "The file is 101 MB; uploads are limited to 100 MB." in error.value.problems[0].message
    assert stored_files(settings) == []


@pytest.mark.parametrize("who", ["member", "beta_admin"])
def test_someone_who_may_not_import_here_gets_not_found(world, who):
    with pytest.raises(NotFound):
        create(world, people_csv(*GOOD), actor=getattr(world, who))
    assert not ImportJob.objects.exists()


# --- a good upload and its mapping ----------------------------------------------------------------


def test_an_upload_is_stored_with_its_header_and_a_proposed_mapping(world):
    content = "Ref;E-mail;Name;Group;Notes\r\nKE-1;a@example.org;Amina;ke-nai-kib;x\r\n".encode("cp1252")
    job = create(world, content, name="../../people list.csv")
    assert job.status == ImportJob.Status.UPLOADED and job.mode == "all"
    assert (job.format, job.encoding, job.delimiter) == ("csv", "utf-8", ";")
    assert job.original_name == "people list.csv"
    assert job.headers == ["Ref", "E-mail", "Name", "Group", "Notes"]
    assert job.mapping == {"Ref": "", "E-mail": "", "Name": "full_name", "Group": "group", "Notes": ""}
    assert Path(job.file.path).read_bytes() == content


def test_a_windows_1252_upload_carries_the_warning(world):
    job = create(world, people_csv("KE-1,jose@example.org,José,,").decode().encode("cp1252"))
    assert job.encoding == "cp1252"
    assert any("Windows-1252" in w for w in job.report["warnings"])


@pytest.mark.parametrize(
    ("mapping", "mode", "codes"),
    [
        ({"Ref": "external_id", "Name": "full_name", "Nom": "full_name"}, "all", {"duplicate_mapping"}),
        ({"Ref": "external_id"}, "all", {"missing_column"}),
        ({"Ref": "external_id", "Name": "full_name", "Nom": "shoe_size"}, "all", {"unknown_field"}),
        ({"Ref": "external_id", "Name": "full_name"}, "most", {"invalid_mode"}),
    ],
)
def test_a_mapping_that_cannot_work_is_refused(world, mapping, mode, codes):
    job = create(world, people_csv("KE-1,Amina,Amina W", header="Ref,Name,Nom"))
    with pytest.raises(DomainError) as error:
        import_job_set_mapping(actor=world.admin, job=job, mapping=mapping, mode=mode)
    assert {p.code for p in error.value.problems} == codes
    job.refresh_from_db()
    assert job.mapping == {"Ref": "", "Name": "full_name", "Nom": ""}


def test_a_mapping_is_saved_and_headers_it_leaves_out_are_not_imported(world):
    job = create(world, people_csv("KE-1,Amina,Amina W", header="Ref,Name,Nom"))
    job = import_job_set_mapping(
        actor=world.admin,
        job=job,
        mapping={"Ref": "external_id", "Nom": "full_name", "Extra": "email"},
        mode="valid",
    )
    job.refresh_from_db()
    assert job.mapping == {"Ref": "external_id", "Name": "", "Nom": "full_name"}
    assert job.mode == "valid"
    job = import_job_start(actor=world.admin, job=job, dry_run=False)
    assert job.status == ImportJob.Status.DONE
    assert Person.objects.get(external_id="KE-1").full_name == "Amina W"


# --- running ---------------------------------------------------------------------------------------


def test_a_small_file_runs_at_once_dry_run_then_import(world):
    job = create(world, people_csv(*GOOD))
    job = import_job_start(actor=world.admin, job=job, dry_run=True)
    assert job.status == ImportJob.Status.CHECKED and job.dry_run
    assert (job.report["created"], job.report["committed"]) == (6, False)
    assert imported() == []
    assert import_progress(job)["rows"] == 6 and import_progress(job)["fraction"] == 1.0

    job = import_job_start(actor=world.admin, job=job, dry_run=False)
    assert job.status == ImportJob.Status.DONE and job.report["committed"]
    assert job.started_at is not None and job.finished_at is not None
    assert imported() == [f"KE-{n}" for n in range(1, 7)]
    with pytest.raises(DomainError) as error:
        import_job_start(actor=world.admin, job=job, dry_run=False)
    assert error.value.problems[0].code == "job_done"


def test_a_larger_file_is_queued_and_run_by_the_task_worker(
    world, settings, django_capture_on_commit_callbacks
):
    settings.MINGA_IMPORT_INLINE_BYTES = 10
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    job = create(world, people_csv(*GOOD))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = import_job_start(actor=world.admin, job=job, dry_run=False)
        assert job.status == ImportJob.Status.QUEUED  # the request returns; the worker takes it on commit
        assert imported() == []
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.report["created"] == 6
    assert imported() == [f"KE-{n}" for n in range(1, 7)]


def test_a_queued_job_cannot_be_started_again(world, settings, django_capture_on_commit_callbacks):
    settings.MINGA_IMPORT_INLINE_BYTES = 10
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_start(actor=world.admin, job=create(world, people_csv(*GOOD)), dry_run=True)
    with pytest.raises(DomainError) as error:
        import_job_start(actor=world.admin, job=job, dry_run=False)
    assert error.value.problems[0].code == "job_running"
    with pytest.raises(DomainError):
        import_job_set_mapping(actor=world.admin, job=job, mapping=job.mapping, mode="valid")


def test_a_queued_job_is_not_run_twice(world, settings):
    settings.MINGA_IMPORT_INLINE_BYTES = 10
    job = import_job_start(actor=world.admin, job=create(world, people_csv(*GOOD)), dry_run=False)
    assert import_job_run(job.pk).status == ImportJob.Status.DONE
    finished = ImportJob.objects.get(pk=job.pk).finished_at
    assert import_job_run(job.pk).finished_at == finished


def test_a_job_fails_with_its_report_and_the_rejected_rows_file(world):
    rows = [GOOD[0], "KE-2,not-an-email,Person 2,ke-nai-kib,member", GOOD[2], "KE-4,,,ke-nai-kib,member"]
    job = import_job_start(actor=world.admin, job=create(world, people_csv(*rows)), dry_run=False)
    assert job.status == ImportJob.Status.FAILED
    assert (job.report["rejected"], job.report["committed"]) == (2, False)
    assert imported() == []
    content = Path(job.rejected_file.path).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines == [
        ["external_id", "email", "full_name", "group", "role", "errors"],
        [
            "KE-2",
            "not-an-email",
            "Person 2",
            "ke-nai-kib",
            "member",
            "Row 3: email: 'not-an-email' is not a valid email address.",
        ],
        ["KE-4", "", "", "ke-nai-kib", "member", "Row 5: full_name: A full name is required."],
    ]


def test_the_fixed_rejected_rows_file_imports_cleanly(world):
    rows = [GOOD[0], "KE-2,not-an-email,Person 2,ke-nai-kib,member"]
    job = create(world, people_csv(*rows), mode="valid")
    failed = import_job_start(actor=world.admin, job=job, dry_run=False)
    assert imported() == ["KE-1"]
    fixed = Path(failed.rejected_file.path).read_bytes().replace(b"not-an-email", b"p2@example.org")
    again = create(world, fixed, name="rejected.csv")
    assert again.mapping["errors"] == ""
    job = import_job_start(actor=world.admin, job=again, dry_run=False)
    assert job.status == ImportJob.Status.DONE, job.report
    assert job.report["warnings"] == [] and not job.rejected_file
    assert imported() == ["KE-1", "KE-2"]


def test_a_formula_sent_in_a_rejected_row_stays_text_in_the_file_and_comes_back_as_sent(world):
    name = '=HYPERLINK("http://evil.example","x")'
    rows = [GOOD[0], f'KE-2,not-an-email,"{name.replace(chr(34), chr(34) * 2)}",ke-nai-kib,member']
    failed = import_job_start(
        actor=world.admin, job=create(world, people_csv(*rows), mode="valid"), dry_run=False
    )
    content = Path(failed.rejected_file.path).read_bytes()
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[1][:3] == ["KE-2", "not-an-email", "'" + name]  # a spreadsheet shows it, never runs it
    fixed = content.replace(b"not-an-email", b"p2@example.org")
    job = import_job_start(actor=world.admin, job=create(world, fixed, name="rejected.csv"), dry_run=False)
    assert job.status == ImportJob.Status.DONE, job.report
    assert Person.objects.get(external_id="KE-2").full_name == name


def test_a_clean_rerun_forgets_the_old_rejected_rows_file(world, settings):
    job = create(world, people_csv(GOOD[0], "KE-2,bad@,P,ke-nai-kib,member"), mode="valid")
    job = import_job_start(actor=world.admin, job=job, dry_run=True)
    assert job.rejected_file
    job = import_job_set_mapping(
        actor=world.admin, job=job, mapping={**job.mapping, "email": ""}, mode="valid"
    )
    job = import_job_start(actor=world.admin, job=job, dry_run=True)
    assert job.report["rejected"] == 0 and not job.rejected_file
    assert stored_files(settings) == [Path(job.file.path)]


# --- interrupted jobs ------------------------------------------------------------------------------


def test_a_running_job_whose_worker_went_quiet_becomes_interrupted(world):
    job = create(world, people_csv(*GOOD))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job.refresh_from_db()
    jobs._set_progress(job.pk, 3, 0.5)
    assert import_job_refresh(job).status == ImportJob.Status.RUNNING  # it reported just now

    caches["progress"].set(jobs._progress_key(job.pk), {"rows": 3, "fraction": 0.5, "at": time.time() - 600})
    assert import_job_refresh(job).status == ImportJob.Status.INTERRUPTED
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.INTERRUPTED


def test_a_running_job_with_no_progress_at_all_is_interrupted(world):
    job = create(world, people_csv(*GOOD))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job.refresh_from_db()
    assert import_job_refresh(job).status == ImportJob.Status.INTERRUPTED


class Killed(Exception):
    """Stands for the worker dying between two chunks."""


def test_an_interrupted_valid_rows_job_resumes_after_its_last_chunk(world, settings, monkeypatch):
    monkeypatch.setattr(get_record_type("people"), "chunk_size", 2)
    rows = [GOOD[0], "KE-2,bad@,Person 2,ke-nai-kib,member", *GOOD[2:5], "KE-6,bad@too,Person 6,ke-nai-kib,"]
    job = create(world, people_csv(*rows), mode="valid")
    real_progress = jobs._set_progress

    def dies_after_two_chunks(job_id: int, rows_read: int, fraction: float | None) -> None:
        real_progress(job_id, rows_read, fraction)
        if rows_read >= 4:
            raise Killed

    monkeypatch.setattr(jobs, "_set_progress", dies_after_two_chunks)
    with pytest.raises(Killed):
        import_job_start(actor=world.admin, job=job, dry_run=False)
    monkeypatch.setattr(jobs, "_set_progress", real_progress)

    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportJob.Status.RUNNING, 4)
    assert imported() == ["KE-1", "KE-3", "KE-4"]
    caches["progress"].set(jobs._progress_key(job.pk), {"rows": 4, "fraction": 0.6, "at": time.time() - 600})
    job = import_job_refresh(job)
    assert job.status == ImportJob.Status.INTERRUPTED and job.can_resume

    job = import_job_start(actor=world.admin, job=job, dry_run=False)
    assert job.status == ImportJob.Status.DONE
    assert (job.rows_done, job.report["rows"], job.report["created"], job.report["rejected"]) == (6, 6, 4, 2)
    assert imported() == ["KE-1", "KE-3", "KE-4", "KE-5"]
    assert Membership.objects.filter(person__external_id__startswith="KE-").count() == 4
    assert [p["row"] for p in job.report["problems"]] == [3, 7]
    lines = Path(job.rejected_file.path).read_text("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines] == ["external_id", "KE-2", "KE-6"]
    assert sorted(stored_files(settings)) == sorted([Path(job.file.path), Path(job.rejected_file.path)])


def test_an_interrupted_all_or_nothing_job_starts_again_from_the_top(world):
    job = create(world, people_csv(*GOOD))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.INTERRUPTED, dry_run=False, rows_done=0
    )
    job.refresh_from_db()
    assert not job.can_resume
    job = import_job_start(actor=world.admin, job=job, dry_run=False)
    assert job.status == ImportJob.Status.DONE and job.report["created"] == 6


def test_rejected_rows_of_a_chunk_that_never_committed_are_not_kept_twice(world, settings, monkeypatch):
    monkeypatch.setattr(get_record_type("people"), "chunk_size", 2)
    rows = [GOOD[0], "KE-2,bad@,Person 2,ke-nai-kib,member", *GOOD[2:5], "KE-6,bad@too,Person 6,ke-nai-kib,"]
    job = create(world, people_csv(*rows), mode="valid")
    real_write = RejectedRowsWriter.write
    writes = {"count": 0}

    def dies_in_the_third_chunk(self: RejectedRowsWriter, rejections: Any) -> None:
        real_write(self, rejections)  # the row is on disk, but its chunk has not committed
        writes["count"] += 1
        if writes["count"] == 2:
            raise Killed

    monkeypatch.setattr(RejectedRowsWriter, "write", dies_in_the_third_chunk)
    with pytest.raises(Killed):
        import_job_start(actor=world.admin, job=job, dry_run=False)
    monkeypatch.setattr(RejectedRowsWriter, "write", real_write)
    job.refresh_from_db()
    assert job.rows_done == 4 and imported() == ["KE-1", "KE-3", "KE-4"]

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.INTERRUPTED)
    job = import_job_start(actor=world.admin, job=ImportJob.objects.get(pk=job.pk), dry_run=False)
    assert job.status == ImportJob.Status.DONE
    assert imported() == ["KE-1", "KE-3", "KE-4", "KE-5"]
    lines = Path(job.rejected_file.path).read_text("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines] == ["external_id", "KE-2", "KE-6"]
