"""The people record type (minga.people.bulk): upserts matched by external id then email, the same
rules as the people services (consent, languages, roles), memberships, and the same scoping as the
forms — plus the export, which shows what the user may see and imports again unchanged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import export_cell, stream_csv
from minga.core.bulk.runner import ImportReport
from minga.core.choices import Role
from minga.people import services
from minga.people.models import Membership, Person
from minga.people.selectors import person_export_rows
from tests.core.bulk_support import PeopleState, import_file, located, people_csv, write
from tests.factories.people import make_person

PEOPLE = get_record_type("people")


@pytest.fixture
def run(world, tmp_path):
    """Import CSV rows (header first) as `actor` (the admin unless told), all-or-nothing unless told."""
    count = iter(range(1_000))

    def run(
        *rows: str, header: str = "external_id,email,full_name,group,role", actor: Any = None, **options: Any
    ):
        path = write(tmp_path, people_csv(*rows, header=header), f"people-{next(count)}.csv")
        return import_file(path, actor=actor or world.admin, collective=world.alpha, **options)

    return run


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return (report.created, report.updated, report.unchanged, report.rejected)


def person(key: str) -> Person:
    return Person.objects.get(external_id=key) if "@" not in key else Person.objects.get(email=key)


def member(group: Any, role: str = Role.MEMBER, **fields: Any) -> Person:
    """A person without a login holding `role` in `group`."""
    someone = make_person(group.collective, **fields)
    Membership.objects.create(person=someone, group=group, role=role)
    return someone


def roles_of(p: Person) -> set[tuple[str, str]]:
    return set(Membership.objects.filter(person=p).values_list("group__code", "role"))


# --- upserts --------------------------------------------------------------------------------------


def test_create_update_and_unchanged_are_counted(world, run):
    first = run(
        "KE-1,amina@example.org,Amina,ke-nai-kib,member", "KE-2,baraka@example.org,Baraka,ke-nai-kib,"
    )
    assert counts(first) == (2, 0, 0, 0)
    second = run(
        "KE-1,amina@example.org,Amina Wanjiru,ke-nai-kib,member",  # renamed
        "KE-2,baraka@example.org,Baraka,ke-nai-kib,",  # as it was
        "KE-3,chinedu@example.org,Chinedu,ke-nai-kib,",  # new
    )
    assert counts(second) == (1, 1, 1, 0)
    assert person("KE-1").full_name == "Amina Wanjiru"
    assert Person.objects.filter(external_id__startswith="KE-").count() == 3


def test_importing_the_same_file_again_changes_nothing_and_says_so(world, run):
    rows = [f"KE-{n},p{n}@example.org,Person {n},ke-nai-kib,member" for n in range(50)]
    header = (
        "external_id,email,full_name,group,role,language,skills,consent_given_on,consent_purpose,member_since"
    )
    rows = [r + ",fr,facilitation; bookkeeping,2024-03-01,Records,2023-06-15" for r in rows]
    assert run(*rows, header=header).created == 50
    updated_at = dict(Person.objects.values_list("id", "updated_at"))
    again = run(*rows, header=header)
    assert counts(again) == (0, 0, 50, 0)
    assert again.summary() == "Imported 50 rows: all unchanged, nothing to do."
    assert dict(Person.objects.values_list("id", "updated_at")) == updated_at
    assert Membership.objects.filter(person__external_id__startswith="KE-").count() == 50


def test_a_file_without_a_column_leaves_that_field_alone(world, run):
    run("KE-1,amina@example.org,Amina,fr", header="external_id,email,full_name,language")
    assert counts(run("KE-1,Amina", header="external_id,full_name")) == (0, 0, 1, 0)
    assert (person("KE-1").email, person("KE-1").preferred_language) == ("amina@example.org", "fr")


def test_an_empty_skills_cell_clears_the_skills(world, run):
    run("KE-1,Amina,a; b", header="external_id,full_name,skills")
    assert person("KE-1").skills == ["a", "b"]
    assert counts(run("KE-1,Amina,", header="external_id,full_name,skills")) == (0, 1, 0, 0)
    assert person("KE-1").skills == []


# --- re-imports: unchanged rows take a short way, edits made elsewhere are never masked ---------------

FULL = "external_id,email,full_name,group,role,language,skills,consent_given_on,consent_purpose,member_since"


def full_rows(count: int = 3) -> list[str]:
    return [
        f"KE-{n},p{n}@example.org,Person {n},ke-nai-kib,member,fr,facilitation; bookkeeping,2024-03-01,"
        "Records,2023-06-15"
        for n in range(count)
    ]


def edit_name(world: Any, someone: Person) -> None:
    services.person_update(actor=world.admin, person=someone, full_name="Edited In The Web")


def edit_email(world: Any, someone: Person) -> None:
    services.person_update(actor=world.admin, person=someone, email="edited@example.org")


def edit_language(world: Any, someone: Person) -> None:
    services.person_update(actor=world.admin, person=someone, preferred_language="pt")


def edit_skills(world: Any, someone: Person) -> None:
    services.person_update(actor=world.admin, person=someone, skills=["facilitation"])


def consent_again(world: Any, someone: Person) -> None:
    services.person_consent_record(actor=world.admin, person=someone, purpose="Newsletters", given=True)


def edit_behind_the_services(world: Any, someone: Person) -> None:
    # No save(), no updated_at: the import compares the stored values themselves.
    Person.objects.filter(pk=someone.pk).update(consent_purpose="Changed in the database")


@pytest.mark.parametrize(
    "edit", [edit_name, edit_email, edit_language, edit_skills, consent_again, edit_behind_the_services]
)
def test_a_reimport_after_an_edit_elsewhere_restores_the_file_and_counts_an_update(world, run, edit):
    rows = full_rows()
    assert run(*rows, header=FULL).created == 3
    edit(world, person("KE-1"))
    report = run(*rows, header=FULL)
    assert counts(report) == (0, 1, 2, 0)
    again = person("KE-1")
    assert (again.full_name, again.email, again.preferred_language, again.skills, again.consent_purpose) == (
        "Person 1",
        "p1@example.org",
        "fr",
        ["facilitation", "bookkeeping"],
        "Records",
    )
    assert again.consent_given_at == dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
    assert counts(run(*rows, header=FULL)) == (0, 0, 3, 0)


def test_a_reimport_after_consent_was_withdrawn_is_refused_for_that_person(world, run):
    rows = full_rows()
    run(*rows, header=FULL)
    services.person_consent_record(actor=world.admin, person=person("KE-1"), purpose="", given=False)
    before = PeopleState.now()
    report = run(*rows, header=FULL)
    assert located(report) == {(3, "consent_given_on", "consent_withdrawn")}
    assert (report.unchanged, report.committed) == (2, False)
    assert PeopleState.now() == before and not person("KE-1").has_consent


def test_a_reimport_after_a_membership_was_ended_opens_it_again(world, run):
    rows = full_rows()
    run(*rows, header=FULL)
    services.membership_end(
        actor=world.admin, membership=Membership.objects.get(person=person("KE-1")), ended_on=dt.date.today()
    )
    assert counts(run(*rows, header=FULL)) == (0, 1, 2, 0)
    assert Membership.objects.filter(person=person("KE-1"), ended_on__isnull=True).count() == 1


def test_a_reimport_after_an_erasure_creates_the_person_again(world, run):
    rows = full_rows()
    run(*rows, header=FULL)
    services.person_erase(actor=world.admin, person=person("KE-1"))
    assert counts(run(*rows, header=FULL)) == (1, 0, 2, 0)
    assert roles_of(person("KE-1")) == {("ke-nai-kib", "member")}


def test_a_reimport_after_another_import_changed_a_person_restores_the_file(world, run):
    rows = full_rows()
    run(*rows, header=FULL)
    run("KE-1,Someone Else", header="external_id,full_name")
    assert counts(run(*rows, header=FULL)) == (0, 1, 2, 0)
    assert person("KE-1").full_name == "Person 1"


def test_a_dry_run_of_a_reimport_after_an_edit_counts_the_update_and_saves_nothing(world, run):
    rows = full_rows()
    run(*rows, header=FULL)
    edit_name(world, person("KE-1"))
    report = run(*rows, header=FULL, dry_run=True)
    assert counts(report) == (0, 1, 2, 0) and not report.committed
    assert person("KE-1").full_name == "Edited In The Web"


def test_a_valid_rows_reimport_reports_rows_and_problems_as_the_full_path(world, run):
    rows = full_rows()
    run(*rows, header=FULL)
    edit_name(world, person("KE-2"))
    rows[0] = rows[0].replace("2024-03-01", "2024-13-01")  # now wrong, though the person is unchanged
    report = run(*rows, header=FULL, mode="valid")
    assert counts(report) == (0, 1, 1, 1)
    assert located(report) == {(2, "consent_given_on", "invalid_date")}
    assert person("KE-2").full_name == "Person 2"


def test_cells_written_otherwise_than_stored_are_still_unchanged(world, run):
    run(*full_rows(1), header=FULL)
    # Upper-case email, role and language, other separators, a date with a time: the same values.
    again = 'KE-0,P0@Example.org,Person 0,ke-nai-kib,Member,FR,"facilitation ,bookkeeping",2024-03-01T09:00,'
    report = run(again + "Records,2023-06-15", header=FULL)
    assert counts(report) == (0, 0, 1, 0), report.problems


def test_an_export_style_file_with_a_row_per_membership_reimports_unchanged(world, run):
    rows = [
        "KE-1,amina@example.org,Amina,ke-nai-kib,member",
        "KE-1,amina@example.org,Amina,ke-nai,observer",
        ",baraka@example.org,Baraka,ke-nai-kib,lead",
    ]
    run(*rows)
    assert counts(run(*rows)) == (0, 0, 3, 0)
    # An edit between the first and the second row of a person is not masked by the first being unchanged.
    assert counts(run(rows[0], rows[1].replace("Amina", "Amina W"), rows[2])) == (0, 0, 2, 1)


def test_a_reimport_costs_the_same_queries_however_many_rows(world, run):
    def queries(people: int) -> int:
        rows = [f"KE-{n},p{n}@example.org,Person {n},ke-nai-kib,member" for n in range(people)]
        run(*rows)
        with CaptureQueriesContext(connection) as captured:
            report = run(*rows)
        assert report.unchanged == people
        return len(captured)

    assert queries(10) == queries(60) < 15


def test_a_coordinator_reimporting_gets_the_same_scoping_as_on_the_first_import(world, run):
    rows = ["KE-1,amina@example.org,Amina,ke-nai-kib,member", "KE-2,baraka@example.org,Baraka,ke-cst,member"]
    run(*rows)
    report = run(*rows, actor=world.coordinator_a)
    assert located(report) == {(3, "group", "no_group")}


# --- matching -------------------------------------------------------------------------------------


def test_a_row_is_matched_by_external_id_first(world, run):
    make_person(world.alpha, full_name="Old", external_id="KE-1", email="amina@example.org")
    assert counts(run("KE-1,amina@example.org,Amina,,")) == (0, 1, 0, 0)
    assert Person.objects.get(external_id="KE-1").full_name == "Amina"


def test_a_row_without_external_id_is_matched_by_email_in_any_case(world, run):
    make_person(world.alpha, full_name="Old", email="amina@example.org")
    assert counts(run(",Amina@Example.ORG,Amina,,")) == (0, 1, 0, 0)
    assert Person.objects.get(email="amina@example.org").full_name == "Amina"


def test_a_person_found_by_email_gets_the_rows_external_id(world, run):
    make_person(world.alpha, full_name="Amina", email="amina@example.org")
    assert counts(run("KE-1,amina@example.org,Amina,,")) == (0, 1, 0, 0)
    assert person("amina@example.org").external_id == "KE-1"


def test_an_email_changes_through_the_external_id(world, run):
    make_person(world.alpha, full_name="Amina", external_id="KE-1", email="old@example.org")
    assert counts(run("KE-1,new@example.org,Amina,,")) == (0, 1, 0, 0)
    assert person("KE-1").email == "new@example.org"
    assert not Person.objects.filter(email="old@example.org").exists()


def test_an_email_belonging_to_someone_else_is_a_conflict(world, run):
    make_person(world.alpha, full_name="Amina", external_id="KE-1", email="amina@example.org")
    make_person(world.alpha, full_name="Baraka", external_id="KE-2", email="baraka@example.org")
    before = PeopleState.now()
    report = run("KE-1,baraka@example.org,Amina,,")
    assert located(report) == {(2, "email", "duplicate_email")}
    assert report.problems[0]["message"] == "Someone else in this collective already has this email."
    assert PeopleState.now() == before


def test_an_email_of_a_person_with_another_external_id_is_a_conflict(world, run):
    make_person(world.alpha, full_name="Amina", external_id="KE-1", email="amina@example.org")
    before = PeopleState.now()
    report = run("KE-9,amina@example.org,Amina,,")
    assert located(report) == {(2, "email", "duplicate_email")}
    assert "with another external id" in report.problems[0]["message"]
    assert PeopleState.now() == before


def test_the_same_email_in_another_collective_is_another_person(world, run):
    make_person(world.beta, full_name="Amina in Beta", email="amina@example.org", external_id="KE-1")
    assert counts(run("KE-1,amina@example.org,Amina,,")) == (1, 0, 0, 0)
    assert Person.objects.filter(email="amina@example.org").count() == 2


@pytest.mark.parametrize("chunk_size", [5_000, 1])
def test_a_person_may_have_a_row_per_membership(world, run, monkeypatch, chunk_size):
    monkeypatch.setattr(PEOPLE, "chunk_size", chunk_size)
    report = run(
        "KE-1,amina@example.org,Amina,ke-nai-kib,member",
        "KE-1,amina@example.org,Amina,ke-nai-kib,lead",
        "KE-1,amina@example.org,Amina,ke-nai,observer",
        "KE-2,baraka@example.org,Baraka,ke-nai-kib,member",
    )
    assert counts(report) == (2, 2, 0, 0)
    assert Person.objects.filter(external_id="KE-1").count() == 1
    assert roles_of(person("KE-1")) == {
        ("ke-nai-kib", "member"),
        ("ke-nai-kib", "lead"),
        ("ke-nai", "observer"),
    }


def test_rows_per_membership_cost_the_same_queries_however_many_people(world, run):
    def queries(people: int) -> int:
        rows = [
            f",p{people}-{n}@example.org,P {n},{code},member"
            for n in range(people)
            for code in ("ke-nai", "ke-nai-kib")
        ]
        with CaptureQueriesContext(connection) as captured:
            report = run(*rows)
        assert report.committed and report.created == people
        return len(captured)

    queries(1)  # the first import of the test reads a few things once
    assert queries(10) == queries(60) < 20


@pytest.mark.parametrize(
    ("second", "column", "first_key"),
    [
        ("KE-1,amina@example.org,Amina Other,ke-nai,member", "external_id", "External id 'KE-1'"),
        ("KE-1,other@example.org,Amina,ke-nai,member", "external_id", "External id 'KE-1'"),
        ("KE-9,amina@example.org,Amina,ke-nai,member", "email", "Email 'amina@example.org'"),
        (",amina@example.org,Amina Other,ke-nai,member", "email", "Email 'amina@example.org'"),
    ],
)
def test_a_key_repeated_with_other_details_is_a_duplicate(world, run, second, column, first_key):
    before = PeopleState.now()
    report = run("KE-1,amina@example.org,Amina,ke-nai-kib,member", second)
    assert located(report) == {(3, column, "duplicate_in_file")}
    assert report.problems[0]["message"].startswith(f"{first_key} is also on row 2, with other details")
    assert PeopleState.now() == before


def test_the_same_row_twice_changes_nothing_the_second_time(world, run):
    report = run("KE-1,,Amina,ke-nai-kib,member", "KE-1,,Amina,ke-nai-kib,member")
    assert counts(report) == (1, 0, 1, 0)
    assert Membership.objects.filter(person__external_id="KE-1").count() == 1


# --- values ---------------------------------------------------------------------------------------


def test_consent_is_recorded_at_noon_utc_on_the_day_given(world, run):
    header = "external_id,full_name,consent_given_on,consent_purpose"
    assert run("KE-1,Amina,2024-03-01,Membership records", header=header).created == 1
    amina = person("KE-1")
    assert amina.consent_given_at == dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
    assert amina.consent_purpose == "Membership records" and amina.has_consent


def test_consent_already_recorded_that_day_keeps_its_moment(world, run):
    given = dt.datetime(2024, 3, 1, 8, 15, tzinfo=dt.UTC)
    make_person(
        world.alpha, full_name="Amina", external_id="KE-1", consent_given_at=given, consent_purpose="Records"
    )
    header = "external_id,full_name,consent_given_on,consent_purpose"
    assert counts(run("KE-1,Amina,2024-03-01,Records", header=header)) == (0, 0, 1, 0)
    assert person("KE-1").consent_given_at == given


def test_consent_given_again_after_a_withdrawal_is_consent(world, run):
    make_person(
        world.alpha,
        full_name="Amina",
        external_id="KE-1",
        consent_purpose="Records",
        consent_given_at=dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC),
        consent_withdrawn_at=dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC),
    )
    header = "external_id,full_name,consent_given_on,consent_purpose"
    assert counts(run("KE-1,Amina,2024-09-01,Newsletters", header=header)) == (0, 1, 0, 0)
    amina = person("KE-1")
    assert amina.has_consent and amina.consent_purpose == "Newsletters"
    assert amina.consent_given_at == dt.datetime(2024, 9, 1, 12, tzinfo=dt.UTC)


def test_an_old_consent_date_does_not_undo_a_withdrawal(world, run):
    withdrawn = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
    make_person(
        world.alpha,
        full_name="Amina",
        external_id="KE-1",
        consent_purpose="Records",
        consent_given_at=dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC),
        consent_withdrawn_at=withdrawn,
    )
    header = "external_id,full_name,consent_given_on,consent_purpose"
    report = run("KE-1,Amina,2024-01-01,Records", header=header)
    assert located(report) == {(2, "consent_given_on", "consent_withdrawn")}
    assert "withdrawn on 2024-06-01" in report.problems[0]["message"]
    assert person("KE-1").consent_withdrawn_at == withdrawn and not person("KE-1").has_consent


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("2024-03-01", None),
        ("2024-03-01T09:30:00", None),  # as spreadsheets export a date with a time
        ("", "consent_date_required"),  # a purpose alone would be lost
        ("01/03/2024", "invalid_date"),
        ("2024-13-01", "invalid_date"),
        ("2999-01-01", "invalid_date"),
    ],
)
def test_consent_dates(world, run, cell, problem):
    report = run(
        f"KE-1,Amina,{cell},Records", header="external_id,full_name,consent_given_on,consent_purpose"
    )
    if problem is None:
        assert report.committed and report.created == 1
        assert person("KE-1").has_consent is bool(cell)
    else:
        assert located(report) == {(2, "consent_given_on", problem)}


def test_neither_consent_date_nor_purpose_means_no_consent(world, run):
    report = run("KE-1,Amina,,", header="external_id,full_name,consent_given_on,consent_purpose")
    assert report.committed and report.created == 1
    assert person("KE-1").has_consent is False


def test_a_consent_purpose_without_its_date_column_is_reported(world, run):
    report = run("KE-1,Amina,Records", header="external_id,full_name,consent_purpose")
    assert located(report) == {(2, "consent_purpose", "consent_date_required")}
    assert Person.objects.filter(external_id="KE-1").exists() is False


def test_a_consent_date_needs_a_purpose(world, run):
    report = run("KE-1,Amina,2024-03-01,", header="external_id,full_name,consent_given_on,consent_purpose")
    assert located(report) == {(2, "consent_purpose", "purpose_required")}
    assert report.problems[0]["message"] == "Say what the consent is for."


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("Français", "fr"),
        ("español", "es"),
        ("hi", "hi"),
        ("Hindi", "hi"),
        ("or", "or"),
        ("Odia", "or"),
        ("pt-br", "pt-BR"),
        ("Kiswahili", "sw"),
        ("zh-hant-tw", "zh-Hant-TW"),
    ],
)
def test_a_language_is_given_by_code_or_name(world, run, cell, code):
    assert run(f"KE-1,Amina,{cell}", header="external_id,full_name,language").created == 1
    assert person("KE-1").preferred_language == code


@pytest.mark.parametrize("cell", ["Klingon", "x", "en_", "en-", "pt-BRAZILIANPT"])
def test_a_cell_that_is_no_language_says_what_to_give(world, run, cell):
    report = run(f"KE-1,Amina,{cell}", header="external_id,full_name,language")
    assert located(report) == {(2, "preferred_language", "invalid_language")}
    assert "give a code such as en, sw, hi or pt-BR" in report.problems[0]["message"]
    assert not Person.objects.filter(external_id="KE-1").exists()


@pytest.mark.parametrize(
    ("cell", "role"),
    [
        ("", "member"),
        ("lead", "lead"),
        ("Group lead", "lead"),
        ("OBSERVER", "observer"),
        ("Network coordinator", "coordinator"),
    ],
)
def test_a_role_is_given_by_value_or_label(world, run, cell, role):
    assert run(f"KE-1,,Amina,ke-nai-kib,{cell}").created == 1
    assert roles_of(person("KE-1")) == {("ke-nai-kib", role)}


def test_a_membership_is_added_once(world, run):
    run("KE-1,,Amina,ke-nai-kib,member")
    report = run("KE-1,,Amina,ke-nai-kib,member")
    assert counts(report) == (0, 0, 1, 0)
    assert Membership.objects.filter(person__external_id="KE-1").count() == 1


def test_a_new_role_for_a_known_person_counts_as_an_update(world, run):
    run("KE-1,,Amina,ke-nai-kib,member")
    report = run("KE-1,,Amina,ke-nai-kib,lead", "KE-1B,,Baraka,ke-nai,member")
    assert counts(report) == (1, 1, 0, 0)
    assert roles_of(person("KE-1")) == {("ke-nai-kib", "member"), ("ke-nai-kib", "lead")}


def test_member_since_dates_the_membership(world, run):
    run("KE-1,Amina,ke-nai-kib,2023-06-15", header="external_id,full_name,group,member_since")
    assert Membership.objects.get(person__external_id="KE-1").started_on == dt.date(2023, 6, 15)


def test_an_ended_membership_is_opened_again(world, run):
    amina = make_person(world.alpha, full_name="Amina", external_id="KE-1")
    Membership.objects.create(
        person=amina, group=world.kibera, started_on=dt.date(2020, 1, 1), ended_on=dt.date(2021, 1, 1)
    )
    assert counts(run("KE-1,,Amina,ke-nai-kib,member")) == (0, 1, 0, 0)
    assert Membership.objects.filter(person=amina, ended_on__isnull=True).count() == 1


# --- scoping --------------------------------------------------------------------------------------


def test_a_coordinator_imports_into_their_subtree(world, run):
    report = run(
        "KE-1,,Amina,ke-nai,member",
        "KE-2,,Baraka,ke-nai-kib,lead",
        "KE-3,,Chinedu,ke-nai-kib,observer",
        actor=world.coordinator_a,
    )
    assert counts(report) == (3, 0, 0, 0)
    assert roles_of(person("KE-2")) == {("ke-nai-kib", "lead")}


def test_a_coordinator_cannot_import_into_another_region_and_nothing_of_it_is_saved(world, run):
    before = PeopleState.now()
    rows = ["KE-1,,Amina,ke-nai-kib,member", "KE-2,,Baraka,ke-cst-mom,member", "KE-3,,Chinedu,ke-cst,member"]
    report = run(*rows, actor=world.coordinator_a)
    assert located(report) == {(3, "group", "no_group"), (4, "group", "no_group")}
    assert [p["message"] for p in report.problems] == [
        "There is no group with the code 'ke-cst-mom' that you can reach.",
        "There is no group with the code 'ke-cst' that you can reach.",
    ]
    assert PeopleState.now() == before

    valid = run(*rows, actor=world.coordinator_a, mode="valid")
    assert counts(valid) == (1, 0, 0, 2)
    assert not Person.objects.filter(external_id__in=["KE-2", "KE-3"]).exists()
    assert not Membership.objects.filter(group=world.mombasa, person__external_id__startswith="KE-").exists()


def test_an_unreachable_group_looks_like_a_missing_one(world, run):
    unreachable = run("KE-1,,Amina,ke-cst-mom,member", actor=world.lead)
    missing = run("KE-1,,Amina,no-such-group,member", actor=world.lead)
    assert [(p["code"], p["column"]) for p in unreachable.problems] == [("no_group", "group")]
    assert [(p["code"], p["column"]) for p in missing.problems] == [("no_group", "group")]


@pytest.mark.parametrize(
    ("role", "problem"),
    [
        ("member", None),
        ("observer", None),
        ("lead", ("role", "cannot_grant")),
        ("coordinator", ("role", "cannot_grant")),
        ("admin", ("role", "cannot_grant")),
    ],
)
def test_a_lead_adds_members_and_observers_to_their_own_group_only(world, run, role, problem):
    before = PeopleState.now()
    report = run(f"KE-1,,Amina,ke-nai-kib,{role}", actor=world.lead)
    if problem is None:
        assert report.created == 1 and roles_of(person("KE-1")) == {("ke-nai-kib", role)}
        return
    assert located(report) == {(2, *problem)}
    assert report.problems[0]["message"].startswith("You cannot grant the role")
    assert PeopleState.now() == before


def test_a_lead_cannot_promote_a_member_of_their_group(world, run):
    amina = member(world.kibera, Role.MEMBER, full_name="Amina", external_id="KE-1")
    report = run("KE-1,,Amina,ke-nai-kib,lead", actor=world.lead)
    assert located(report) == {(2, "role", "cannot_grant")}
    assert roles_of(amina) == {("ke-nai-kib", "member")}


def test_a_role_the_importer_could_not_grant_but_the_person_holds_is_unchanged(world, run):
    lead = world.lead.persons.get()  # a lead can't grant "lead", but their own row is just as it is
    report = run(f",{lead.email},{lead.full_name},ke-nai-kib,lead", actor=world.lead)
    assert counts(report) == (0, 0, 1, 0), report.problems


def test_a_lead_cannot_add_people_to_the_region_above(world, run):
    report = run("KE-1,,Amina,ke-nai,member", actor=world.lead)
    assert located(report) == {(2, "group", "no_group")}


def test_a_coordinator_cannot_update_a_person_only_in_another_region(world, run):
    amina = member(world.mombasa, Role.MEMBER, full_name="Amina", external_id="KE-1")
    report = run("KE-1,,Amina Renamed,ke-nai-kib,member", actor=world.coordinator_a)
    assert located(report) == {(2, "external_id", "outside_reach")}
    assert "outside your reach" in report.problems[0]["message"]
    amina.refresh_from_db()
    assert amina.full_name == "Amina" and roles_of(amina) == {("ke-cst-mom", "member")}


def test_a_coordinator_cannot_add_a_person_of_another_region_to_their_group(world, run):
    member(world.mombasa, Role.MEMBER, full_name="Amina", external_id="KE-1")
    report = run("KE-1,,Amina,ke-nai-kib,member", actor=world.coordinator_a)
    assert located(report) == {(2, "external_id", "outside_reach")}
    assert roles_of(person("KE-1")) == {("ke-cst-mom", "member")}


def test_a_coordinator_cannot_update_someone_holding_a_coordinator_role(world, run):
    peer = member(world.kibera, Role.COORDINATOR, full_name="Peer", email="peer@example.org")
    report = run(",peer@example.org,Peer Renamed,ke-nai-kib,member", actor=world.coordinator_a)
    assert located(report) == {(2, "email", "outside_reach")}
    peer.refresh_from_db()
    assert peer.full_name == "Peer"


def test_a_coordinator_updates_people_of_their_region(world, run):
    amina = member(world.kibera, Role.MEMBER, full_name="Amina", external_id="KE-1")
    report = run("KE-1,,Amina Wanjiru,ke-nai-kib,member", actor=world.coordinator_a)
    assert counts(report) == (0, 1, 0, 0)
    amina.refresh_from_db()
    assert amina.full_name == "Amina Wanjiru"


def test_someone_without_a_group_column_must_be_an_admin(world, run):
    header = "external_id,full_name"
    before = PeopleState.now()
    report = run("KE-1,Amina", "KE-2,Baraka", header=header, actor=world.coordinator_a)
    assert located(report) == {(2, "group", "group_required"), (3, "group", "group_required")}
    assert PeopleState.now() == before
    assert run("KE-1,Amina", header=header).created == 1  # the admin may


def test_another_collectives_groups_are_unknown(world, run):
    report = run("KE-1,,Amina,pe,member")
    assert located(report) == {(2, "group", "no_group")}


@pytest.mark.parametrize("who", ["member", "beta_admin"])
def test_who_may_not_import_people_here_is_refused(world, run, who):
    report = run("KE-1,,Amina,ke-nai-kib,member", actor=getattr(world, who))
    assert [p["code"] for p in report.file_problems] == ["forbidden"]


# --- export ---------------------------------------------------------------------------------------


@pytest.fixture
def directory(world):
    """Amina in Kibera (region A), Baraka in Mombasa (region B), Chinedu without a group."""
    amina = member(
        world.kibera,
        Role.MEMBER,
        full_name="=Amina",
        external_id="KE-1",
        email="amina@example.org",
        skills=["a", "b"],
        consent_purpose="Records",
        consent_given_at=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC),
    )
    Membership.objects.create(
        person=amina, group=world.region_a, role=Role.OBSERVER, started_on=dt.date(2023, 1, 1)
    )
    member(world.mombasa, Role.MEMBER, full_name="Baraka", external_id="KE-2")
    make_person(world.alpha, full_name="Chinedu", external_id="KE-3")
    return amina


def exported(world: Any, user: Any, **params: str) -> list[tuple[Any, ...]]:
    return [
        row
        for row in person_export_rows(user=user, collective=world.alpha, params=params)
        if str(row[0]).startswith("KE-")
    ]


def test_export_rows_follow_the_import_columns(world, directory):
    rows = exported(world, world.admin)
    assert [c.name for c in PEOPLE.columns] == [
        "external_id",
        "email",
        "full_name",
        "preferred_language",
        "skills",
        "consent_purpose",
        "consent_given_on",
        "group",
        "role",
        "member_since",
    ]
    today = dt.date.today().isoformat()
    amina = ("KE-1", "amina@example.org", "=Amina", "en", "a; b", "Records", "2024-03-01")
    assert [tuple(str(export_cell(cell)) for cell in row) for row in rows] == [
        (*amina, "ke-nai", "observer", "2023-01-01"),
        (*amina, "ke-nai-kib", "member", today),
        ("KE-2", "", "Baraka", "en", "", "", "", "ke-cst-mom", "member", today),
        ("KE-3", "", "Chinedu", "en", "", "", "", "", "", ""),
    ]


@pytest.mark.parametrize(
    ("who", "keys"),
    [
        ("admin", ["KE-1", "KE-1", "KE-2", "KE-3"]),
        ("coordinator_a", ["KE-1", "KE-1"]),
        ("coordinator_b", ["KE-2"]),
        ("lead", ["KE-1"]),  # sees Kibera, not the region's observer role
        ("member", []),
        ("beta_admin", []),
    ],
)
def test_export_shows_what_the_user_may_see(world, directory, who, keys):
    assert [row[0] for row in exported(world, getattr(world, who))] == keys


def test_export_applies_the_list_filters(world, directory):
    assert [r[0] for r in exported(world, world.admin, group="ke-cst")] == ["KE-2"]
    assert [r[0] for r in exported(world, world.admin, q="chin")] == ["KE-3"]
    # A filter picks people; each comes with all the roles the user may see.
    assert [(r[0], r[8]) for r in exported(world, world.admin, role="observer")] == [
        ("KE-1", "observer"),
        ("KE-1", "member"),
    ]
    assert exported(world, world.admin, group="no-such-group") == []
    assert exported(world, world.coordinator_a, group="ke-cst") == []


def test_withdrawn_consent_is_not_exported(world, directory):
    Person.objects.filter(pk=directory.pk).update(consent_withdrawn_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    row = exported(world, world.admin)[0]
    assert (row[5], row[6]) == ("", None)


@pytest.mark.parametrize("who", ["admin", "coordinator_a", "lead"])
def test_an_exported_file_imports_again_unchanged(world, directory, tmp_path, who):
    user = getattr(world, who)
    rows = person_export_rows(user=user, collective=world.alpha, params={})
    content = b"".join(stream_csv(PEOPLE.headers, rows))
    assert b"'=Amina" in content  # neutralised for spreadsheets
    before = PeopleState.now()
    report = import_file(write(tmp_path, content, "export.csv"), actor=user, collective=world.alpha)
    assert report.committed, report.problems
    assert report.created == report.updated == report.rejected == 0
    assert report.summary().endswith("all unchanged, nothing to do.")
    assert PeopleState.now() == before
    assert Person.objects.get(external_id="KE-1").full_name == "=Amina"


LANGUAGES_SET_ELSEWHERE = ["hi", "or", "pt-BR", "zh-Hant-TW", "qu", "am", ""]


def test_every_language_the_services_store_makes_the_round_trip(world, tmp_path):
    """A language set through the API or the form (any tag, or none) exports and imports again
    unchanged: imports read languages by the same rule."""
    for n, language in enumerate(LANGUAGES_SET_ELSEWHERE):
        services.person_create(
            actor=world.admin,
            collective=world.alpha,
            full_name=f"Speaker {n}",
            external_id=f"LANG-{n}",
            preferred_language=language,
            group=world.kibera,
        )
    stored = dict(
        Person.objects.filter(external_id__startswith="LANG-").values_list(
            "external_id", "preferred_language"
        )
    )
    assert sorted(stored.values()) == sorted(LANGUAGES_SET_ELSEWHERE)
    content = b"".join(
        stream_csv(PEOPLE.headers, person_export_rows(user=world.admin, collective=world.alpha, params={}))
    )
    before = PeopleState.now()
    report = import_file(write(tmp_path, content, "export.csv"), actor=world.admin, collective=world.alpha)
    assert report.committed, report.problems
    assert (report.created, report.updated, report.rejected) == (0, 0, 0)
    assert report.unchanged == report.rows >= len(LANGUAGES_SET_ELSEWHERE)
    assert PeopleState.now() == before


def test_export_streams_with_a_fixed_number_of_queries(world, directory, django_assert_max_num_queries):
    for n in range(30):
        member(world.kibera, Role.MEMBER, external_id=f"KE-X{n}")
    with django_assert_max_num_queries(6):
        assert len(list(person_export_rows(user=world.admin, collective=world.alpha, params={}))) > 30


def test_a_first_register_with_a_person_on_rows_in_different_chunks_creates_them_once(tmp_path, db):
    """A collective's first import skips the database look-ups; a person repeated further down the file
    (another group, another chunk) must still be found, not inserted twice."""
    from minga.core.bulk import get_record_type
    from minga.core.bulk.formats import open_table
    from minga.core.bulk.runner import run_import
    from tests.factories.architecture import make_group
    from tests.factories.core import make_collective, make_user

    fresh = make_collective(slug="fresh")
    root = make_group(fresh)
    make_group(fresh, parent=root, code="one")
    make_group(fresh, parent=root, code="two")
    admin = make_user(superuser=True)
    rows = ["external_id,full_name,group"] + [f"X{n},Person {n},one" for n in range(6_000)]
    rows.append("X1,Person 1,two")  # the same person, in the second chunk, joining another group
    path = tmp_path / "register.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = run_import(
        record_type=get_record_type("people"), actor=admin, collective=fresh, table=open_table(path)
    )
    assert report.committed, report.summary()
    assert (report.created, report.updated, report.rejected) == (6_000, 1, 0)
    assert Person.objects.filter(collective=fresh, external_id="X1").count() == 1
    assert set(Person.objects.get(external_id="X1").memberships.values_list("group__code", flat=True)) == {
        "one",
        "two",
    }
