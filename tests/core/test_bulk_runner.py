"""One import run through the runner: all-or-nothing and "valid rows" modes, dry runs, database errors,
resuming a stopped run, the report's sentences and the audit entry. Rows are people, the record type
that the framework's speed is measured with."""

from __future__ import annotations

from typing import Any

import pytest

import minga.people.bulk as people_bulk
from minga.core.bulk import get_record_type
from minga.core.bulk.runner import ImportReport
from minga.core.bulk.sql import insert_rows as real_insert
from minga.core.models import AuditEntry
from minga.people.models import Membership, Person
from tests.core.bulk_support import PeopleState, file_codes, import_file, located, people_csv, write
from tests.factories.people import make_person

GOOD = [f"KE-{n},person{n}@example.org,Person {n},ke-nai-kib,member" for n in range(1, 7)]


@pytest.fixture
def existing(world):
    """Someone already registered, so that 'nothing changed' also means 'nothing overwritten'."""
    person = make_person(
        world.alpha, full_name="Zawadi Existing", email="zawadi@example.org", external_id="Z-1"
    )
    Membership.objects.create(person=person, group=world.kibera)
    return person


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two rows, so that a six-row file has three chunks."""
    monkeypatch.setattr(get_record_type("people"), "chunk_size", 2)


def imported() -> list[str]:
    return sorted(Person.objects.filter(external_id__startswith="KE-").values_list("external_id", flat=True))


# --- all or nothing -------------------------------------------------------------------------------


def test_one_bad_row_saves_nothing_and_every_bad_row_is_listed(world, tmp_path, existing):
    before = PeopleState.now()
    rows = [*GOOD[:2], "KE-3,not-an-email,Person 3,ke-nai-kib,member", GOOD[3], "KE-5,,,ke-nai-kib,member"]
    report = import_file(write(tmp_path, people_csv(*rows)), actor=world.admin, collective=world.alpha)
    assert not report.committed and not report.ok
    assert (report.rows, report.created, report.rejected) == (5, 3, 2)
    assert located(report) == {(4, "email", "invalid_email"), (6, "full_name", "required")}
    assert all(p["message"] for p in report.problems)
    assert PeopleState.now() == before


def test_a_clean_file_is_imported_whole(world, tmp_path, existing, small_chunks):
    report = import_file(write(tmp_path, people_csv(*GOOD)), actor=world.admin, collective=world.alpha)
    assert report.committed and report.ok
    assert (report.rows, report.created, report.updated, report.unchanged) == (6, 6, 0, 0)
    assert imported() == [f"KE-{n}" for n in range(1, 7)]
    assert Membership.objects.filter(person__external_id__startswith="KE-", group=world.kibera).count() == 6


def test_a_bad_row_in_the_last_chunk_undoes_the_earlier_chunks(world, tmp_path, existing, small_chunks):
    before = PeopleState.now()
    rows = [*GOOD[:5], "KE-6,person6@example.org,Person 6,no-such-group,member"]
    report = import_file(write(tmp_path, people_csv(*rows)), actor=world.admin, collective=world.alpha)
    assert located(report) == {(7, "group", "no_group")}
    assert PeopleState.now() == before


# --- import the valid rows ------------------------------------------------------------------------


def test_valid_rows_mode_saves_exactly_the_good_rows(world, tmp_path, existing, small_chunks):
    rows = [GOOD[0], "KE-2,bad@,Person 2,ke-nai-kib,member", *GOOD[2:5], "KE-6,person6@example.org,,,"]
    report = import_file(
        write(tmp_path, people_csv(*rows)), actor=world.admin, collective=world.alpha, mode="valid"
    )
    assert report.committed and not report.ok
    assert (report.rows, report.created, report.rejected) == (6, 4, 2)
    assert located(report) == {(3, "email", "invalid_email"), (7, "full_name", "required")}
    assert imported() == ["KE-1", "KE-3", "KE-4", "KE-5"]
    assert Person.objects.get(pk=existing.pk).full_name == "Zawadi Existing"


# --- dry runs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["all", "valid"])
def test_a_dry_run_counts_what_would_happen_and_saves_nothing(world, tmp_path, existing, small_chunks, mode):
    rows = [
        *GOOD[:3],
        "Z-1,zawadi@example.org,Zawadi Renamed,,",  # an update
        "KE-5,bad@,Person 5,ke-nai-kib,member",  # rejected
        "KE-6,person6@example.org,Person 6,ke-nai-kib,member",
    ]
    before = PeopleState.now()
    audits = AuditEntry.objects.count()
    report = import_file(
        write(tmp_path, people_csv(*rows)), actor=world.admin, collective=world.alpha, mode=mode, dry_run=True
    )
    assert report.dry_run and not report.committed
    assert (report.rows, report.created, report.updated, report.unchanged, report.rejected) == (6, 4, 1, 0, 1)
    assert report.summary() == (
        "Dry run of 6 rows: 4 to create, 1 to update, 0 unchanged, 1 rejected. Nothing was saved."
    )
    assert PeopleState.now() == before
    assert Person.objects.get(pk=existing.pk).full_name == "Zawadi Existing"
    assert AuditEntry.objects.count() == audits


def test_a_dry_run_then_the_real_run_give_the_same_counts(world, tmp_path, existing, small_chunks):
    path = write(tmp_path, people_csv(*GOOD, "Z-1,zawadi@example.org,Zawadi Renamed,,"))
    dry = import_file(path, actor=world.admin, collective=world.alpha, dry_run=True)
    real = import_file(path, actor=world.admin, collective=world.alpha)
    assert (
        (dry.created, dry.updated, dry.unchanged) == (real.created, real.updated, real.unchanged) == (6, 1, 0)
    )


# --- database errors ------------------------------------------------------------------------------


@pytest.fixture
def failing_second_insert(monkeypatch):
    """The second batch of people written trips the database's own unique constraint on external ids
    (as if another import had just written the same people): a real error from the database."""
    calls = {"people": 0}

    def insert_rows(table: str, columns: Any, rows: Any) -> None:
        if table == people_bulk.PERSON_TABLE:
            calls["people"] += 1
            if calls["people"] == 2:
                real_insert(table, columns, rows)  # the same rows twice: a duplicate key
        real_insert(table, columns, rows)

    monkeypatch.setattr(people_bulk, "insert_rows", insert_rows)


def test_a_database_error_mid_run_saves_nothing(
    world, tmp_path, existing, small_chunks, failing_second_insert
):
    before = PeopleState.now()
    report = import_file(write(tmp_path, people_csv(*GOOD)), actor=world.admin, collective=world.alpha)
    assert file_codes(report) == {"database_error"}
    assert not report.committed
    assert report.summary().startswith("Nothing was imported: The database refused the import")
    assert PeopleState.now() == before
    assert not AuditEntry.objects.filter(action="people.import").exists()


def test_a_database_error_in_valid_rows_mode_keeps_the_chunks_before_it(
    world, tmp_path, existing, small_chunks, failing_second_insert
):
    report = import_file(
        write(tmp_path, people_csv(*GOOD)), actor=world.admin, collective=world.alpha, mode="valid"
    )
    assert file_codes(report) == {"database_error"}
    assert report.committed and (report.rows, report.created) == (2, 2)
    assert imported() == ["KE-1", "KE-2"]
    assert report.summary().startswith(
        "Imported 2 rows (2 created, 0 updated, 0 unchanged, 0 rejected), then stopped: The database refused"
    )


# --- resuming a stopped run -----------------------------------------------------------------------


class Killed(Exception):
    """Stands for the process dying between two chunks."""


def test_a_stopped_valid_rows_run_resumes_where_it_stopped(world, tmp_path, existing, small_chunks):
    rows = [GOOD[0], "KE-2,bad@,Person 2,ke-nai-kib,member", *GOOD[2:6], "KE-7,person7@example.org,P7,,"]
    path = write(tmp_path, people_csv(*rows))
    checkpoints: list[tuple[int, dict[str, Any]]] = []

    def checkpoint(rows_done: int, report: ImportReport) -> None:
        checkpoints.append((rows_done, report.as_dict()))

    def progress(rows_read: int, fraction: float | None) -> None:
        if rows_read >= 4:
            raise Killed

    with pytest.raises(Killed):
        import_file(
            path,
            actor=world.admin,
            collective=world.alpha,
            mode="valid",
            on_chunk_committed=checkpoint,
            progress=progress,
        )
    rows_done, saved = checkpoints[-1]
    assert rows_done == 4 and imported() == ["KE-1", "KE-3", "KE-4"]

    report = import_file(
        path,
        actor=world.admin,
        collective=world.alpha,
        mode="valid",
        skip_rows=rows_done,
        resume_report=ImportReport.from_dict(saved),
    )
    assert report.committed
    assert (report.rows, report.created, report.unchanged, report.rejected) == (7, 6, 0, 1)
    assert located(report) == {(3, "email", "invalid_email")}  # reported once, by the first part
    assert imported() == ["KE-1", "KE-3", "KE-4", "KE-5", "KE-6", "KE-7"]
    assert Membership.objects.filter(person__external_id__startswith="KE-").count() == 5  # KE-7: no group
    assert AuditEntry.objects.filter(action="people.import").count() == 1


def test_resuming_from_the_start_changes_nothing_already_done(world, tmp_path, existing):
    path = write(tmp_path, people_csv(*GOOD))
    first = import_file(path, actor=world.admin, collective=world.alpha, mode="valid")
    again = import_file(path, actor=world.admin, collective=world.alpha, mode="valid")
    assert (first.created, again.created, again.unchanged) == (6, 0, 6)
    assert again.summary() == "Imported 6 rows: all unchanged, nothing to do."
    assert Person.objects.filter(external_id__startswith="KE-").count() == 6
    assert Membership.objects.filter(person__external_id__startswith="KE-").count() == 6


# --- the report and the audit log -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        (
            {"rows": 3, "created": 2, "updated": 1, "committed": True},
            "Imported 3 rows: 2 created, 1 updated, 0 unchanged, 0 rejected.",
        ),
        (
            {"rows": 1_500, "unchanged": 1_500, "committed": True},
            "Imported 1,500 rows: all unchanged, nothing to do.",
        ),
        (
            {"rows": 4, "created": 3, "rejected": 1},
            "Nothing was imported: 1 of 4 rows were rejected "
            "(3 to create, 0 to update, 0 unchanged, 1 rejected).",
        ),
        (
            {"rows": 2, "created": 2, "dry_run": True},
            "Dry run of 2 rows: 2 to create, 0 to update, 0 unchanged, 0 rejected. Nothing was saved.",
        ),
        (
            {"file_problems": [{"code": "empty_file", "message": "The file is empty."}]},
            "Nothing was imported: The file is empty.",
        ),
        (
            {
                "mode": "valid",
                "rows": 5_000,
                "created": 5_000,
                "committed": True,
                "file_problems": [{"code": "wrong_encoding", "message": "Row 5002: …"}],
            },
            "Imported 5,000 rows (5,000 created, 0 updated, 0 unchanged, 0 rejected), then stopped: "
            "Row 5002: …",
        ),
    ],
)
def test_the_summary_says_what_happened_in_one_sentence(fields, sentence):
    report = ImportReport(kind="people", **fields)
    assert report.summary() == sentence
    assert report.as_dict()["summary"] == sentence
    assert ImportReport.from_dict(report.as_dict()) == report


def test_a_committed_import_leaves_one_audit_entry_with_its_counts(world, tmp_path, existing):
    path = write(tmp_path, people_csv(*GOOD[:2], "Z-1,zawadi@example.org,Zawadi Existing,,"))
    import_file(path, actor=world.admin, collective=world.alpha)
    entry = AuditEntry.objects.get(action="people.import")
    assert entry.actor == world.admin and entry.collective == world.alpha
    assert entry.changes == {
        "mode": "all",
        "rows": 3,
        "created": 2,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
    }
    assert "Zawadi" not in str(entry.changes) and "person1@" not in str(entry.changes)


@pytest.mark.parametrize("mode", ["all", "valid"])
def test_no_audit_entry_after_a_dry_run(world, tmp_path, existing, mode):
    import_file(
        write(tmp_path, people_csv(*GOOD)), actor=world.admin, collective=world.alpha, mode=mode, dry_run=True
    )
    assert not AuditEntry.objects.filter(action="people.import").exists()


def test_no_audit_entry_after_a_rejected_file(world, tmp_path, existing):
    import_file(write(tmp_path, people_csv("KE-1,bad@,A,,")), actor=world.admin, collective=world.alpha)
    assert not AuditEntry.objects.filter(action="people.import").exists()


def test_someone_who_may_not_import_is_told_so_before_anything_is_read(world, tmp_path, existing):
    before = PeopleState.now()
    report = import_file(write(tmp_path, people_csv(*GOOD)), actor=world.member, collective=world.alpha)
    assert file_codes(report) == {"forbidden"}
    assert report.summary() == "Nothing was imported: You may not import people here."
    assert PeopleState.now() == before


def test_file_warnings_reach_the_report(world, tmp_path, existing):
    content = people_csv("KE-1,jose@example.org,José Muñoz,,", header="external_id,email,full_name,notes,x")
    report = import_file(
        write(tmp_path, content.decode().encode("cp1252")), actor=world.admin, collective=world.alpha
    )
    assert report.committed
    assert Person.objects.get(external_id="KE-1").full_name == "José Muñoz"
    assert any("Windows-1252" in w for w in report.warnings)
    assert "Column 'notes' is not imported." in report.warnings


# --- bad rows, one at a time ----------------------------------------------------------------------

PEOPLE = "external_id,email,full_name,group,role"
LANGUAGE = "external_id,full_name,language"
CONSENT = "external_id,full_name,consent_given_on,consent_purpose"
SINCE = "external_id,full_name,group,member_since"
BAD_ROWS = [
    # header, the bad row, and where the problem is: (column, code)
    pytest.param(
        PEOPLE, "KE-9,amina@,Amina,ke-nai-kib,member", ("email", "invalid_email"), id="invalid-email"
    ),
    pytest.param(
        PEOPLE, "KE-9,ami na@example.org,Amina,,", ("email", "invalid_email"), id="email-with-space"
    ),
    pytest.param(PEOPLE, f"KE-9,{'a' * 250}@example.org,Amina,,", ("email", "too_long"), id="email-too-long"),
    pytest.param(
        PEOPLE, "KE-9,amina@example.org,,ke-nai-kib,member", ("full_name", "required"), id="no-name"
    ),
    pytest.param(
        PEOPLE, f"KE-9,amina@example.org,{'A' * 20_000},,", ("full_name", "too_long"), id="huge-name"
    ),
    pytest.param(PEOPLE, f"{'K' * 101},amina@example.org,A,,", ("external_id", "too_long"), id="huge-key"),
    pytest.param(PEOPLE, ",,Amina,ke-nai-kib,member", ("email", "key_required"), id="no-key"),
    pytest.param(
        PEOPLE,
        "KE-1,other@example.org,Other,ke-nai-kib,",
        ("external_id", "duplicate_in_file"),
        id="duplicate-external-id",
    ),
    pytest.param(
        PEOPLE,
        "KE-9,PERSON1@Example.org,Other,,",
        ("email", "duplicate_in_file"),
        id="duplicate-email-any-case",
    ),
    pytest.param(PEOPLE, "KE-9,a@example.org,Amina,ke-nowhere,", ("group", "no_group"), id="unknown-group"),
    pytest.param(
        PEOPLE, "KE-9,a@example.org,Amina,pe,member", ("group", "no_group"), id="another-collective"
    ),
    pytest.param(
        PEOPLE, "KE-9,a@example.org,Amina,ke-nai-kib,queen", ("role", "invalid_role"), id="unknown-role"
    ),
    pytest.param(
        PEOPLE, "KE-9,a@example.org,Amina,,lead", ("group", "group_required"), id="role-without-group"
    ),
    pytest.param(
        LANGUAGE, "KE-9,Amina,Klingon", ("preferred_language", "invalid_language"), id="unknown-language"
    ),
    pytest.param(
        CONSENT, "KE-9,A,01/03/2024,Records", ("consent_given_on", "invalid_date"), id="date-not-iso"
    ),
    pytest.param(
        CONSENT, "KE-9,A,2024-02-30,Records", ("consent_given_on", "invalid_date"), id="date-not-real"
    ),
    pytest.param(
        CONSENT, "KE-9,A,2999-01-01,Records", ("consent_given_on", "invalid_date"), id="consent-future"
    ),
    pytest.param(
        CONSENT, "KE-9,A,2024-03-01,", ("consent_purpose", "purpose_required"), id="consent-no-purpose"
    ),
    pytest.param(
        SINCE, "KE-9,A,ke-nai-kib,last year", ("member_since", "invalid_date"), id="since-not-a-date"
    ),
    pytest.param(
        SINCE, "KE-9,A,ke-nai-kib,2999-01-01", ("member_since", "invalid_date"), id="since-in-future"
    ),
    pytest.param(
        PEOPLE, "KE-9,a@example.org,A,ke-nai-kib,member,surprise", (None, "bad_row"), id="too-many-cells"
    ),
]


@pytest.mark.parametrize(("header", "bad", "where"), BAD_ROWS)
def test_a_bad_row_is_located_explained_and_nothing_is_saved(world, tmp_path, existing, header, bad, where):
    """Each row problem of the issue's list: the report points at the row and column with a reason,
    and the good row beside it is not saved either."""
    width = header.count(",") + 1
    good = ",".join(["KE-1", "person1@example.org", "Person 1", "ke-nai-kib", "member"][:width])
    if "email" not in header:
        good = ",".join(["KE-1", "Person 1", "", ""][:width])
    before = PeopleState.now()
    report = import_file(
        write(tmp_path, people_csv(good, bad, header=header)), actor=world.admin, collective=world.alpha
    )
    column, code = where
    assert located(report) == {(3, column, code)}, report.problems
    assert report.problems[0]["message"].endswith(".")
    assert not report.committed and report.rejected == 1
    assert PeopleState.now() == before


def test_a_dry_run_of_valid_rows_counts_like_the_real_run_across_chunks(world, tmp_path, small_chunks):
    """A person on several rows (one per membership) in different chunks: the preview must not count
    them as made twice, because each chunk sees what the earlier ones would have made."""
    rows = [
        "KE-1,one@example.org,Person 1,ke-nai-kib,member",
        "KE-2,two@example.org,Person 2,ke-nai-kib,member",
        "KE-1,one@example.org,Person 1,ke-cst-mom,member",
        "KE-3,three@example.org,Person 3,ke-cst-mom,member",
    ]
    path = write(tmp_path, people_csv(*rows))
    counts = []
    for dry_run in (True, False):
        report = import_file(path, actor=world.admin, collective=world.alpha, mode="valid", dry_run=dry_run)
        counts.append((report.rows, report.created, report.updated, report.unchanged, report.rejected))
    assert counts[0] == counts[1]
    assert imported() == ["KE-1", "KE-2", "KE-3"]
