"""The `minga` command: demo, createadmin, bench discovery, help texts."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from typer.testing import CliRunner

from minga.architecture.models import Group
from minga.cli import app
from minga.core.models import AuditEntry

runner = CliRunner()


def test_every_command_has_help_text() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "serve", "createadmin", "bench", "import", "export"):
        assert command in result.output
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, sub.output
        assert "Usage" in sub.output


def test_demo_generates_and_prints_the_logins_then_is_a_no_op_if_absent(db: Any) -> None:
    result = runner.invoke(app, ["demo", "--size", "tiny", "--seed", "3", "--no-metrics"])
    assert result.exit_code == 0, result.output
    assert "Demo collective generated" in result.output
    # What the other apps added is said too (the console may wrap the line anywhere).
    said = " ".join(result.output.split())
    assert "And in the other apps:" in said and " indicators" in said and " practices" in said
    for role in ("operator", "admin", "coordinator", "lead", "member", "observer"):
        assert f"{role}@demo.minga.local" in result.output
    groups = Group.objects.count()

    again = runner.invoke(app, ["demo", "--size", "tiny", "--if-absent"])
    assert again.exit_code == 0, again.output
    assert "already exists" in again.output
    assert "coordinator@demo.minga.local" in again.output
    assert Group.objects.count() == groups


def test_demo_refuses_to_overwrite_without_reset(db: Any) -> None:
    assert runner.invoke(app, ["demo", "--size", "tiny", "--no-metrics"]).exit_code == 0
    result = runner.invoke(app, ["demo", "--size", "tiny", "--no-metrics"])
    assert result.exit_code == 1
    assert runner.invoke(app, ["demo", "--size", "tiny", "--no-metrics", "--reset"]).exit_code == 0


def test_createadmin_creates_a_superuser(db: Any) -> None:
    result = runner.invoke(
        app, ["createadmin", "--email", "Ops@Example.org", "--password", "a-long-operator-phrase-42"]
    )
    assert result.exit_code == 0, result.output
    user = get_user_model().objects.get(email="ops@example.org")
    assert user.is_superuser and user.is_staff
    assert user.check_password("a-long-operator-phrase-42")
    assert AuditEntry.objects.filter(action="operator.create", target_id=str(user.pk)).exists()


def test_createadmin_prompts_for_a_missing_password(db: Any) -> None:
    result = runner.invoke(
        app, ["createadmin", "--email", "ops@example.org"], input="a-long-operator-phrase-42\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert get_user_model().objects.get(email="ops@example.org").check_password("a-long-operator-phrase-42")


@pytest.mark.parametrize(
    ("email", "password"),
    [("not-an-email", "a-long-operator-phrase-42"), ("ops@example.org", "short")],
)
def test_createadmin_rejects_bad_input(db: Any, email: str, password: str) -> None:
    result = runner.invoke(app, ["createadmin", "--email", email, "--password", password])
    assert result.exit_code == 1
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_createadmin_refuses_an_existing_login(db: Any) -> None:
    get_user_model().objects.create_user(username="ops@example.org", email="ops@example.org")
    result = runner.invoke(
        app, ["createadmin", "--email", "ops@example.org", "--password", "x-long-phrase-42"]
    )
    assert result.exit_code == 1
    assert not get_user_model().objects.get(email="ops@example.org").is_superuser


def test_bench_lists_the_registered_benchmarks() -> None:
    result = runner.invoke(app, ["bench", "--list"])
    assert result.exit_code == 0, result.output
    for name in ("demo-large", "group-directory"):
        assert name in result.output


def test_bench_discovery_maps_dashes_to_module_names() -> None:
    import bench

    names = bench.available()
    assert {"demo-large", "group-directory"} <= set(names)
    assert all(not name.startswith("-") and "_" not in name for name in names)
    assert bench.module_name("group-directory") == "group_directory"
    assert names["demo-large"].startswith("Benchmark:")


def test_bench_refuses_an_unknown_benchmark() -> None:
    result = runner.invoke(app, ["bench", "no-such-thing"])
    assert result.exit_code == 2
    assert "No benchmark" in result.output


# --- import and export ----------------------------------------------------------------------------

PEOPLE_HEADER = "external_id,email,full_name,group,role\n"


@pytest.fixture
def bulk_files(settings: Any, tmp_path: Any) -> Any:
    settings.CACHES = {
        **settings.CACHES,
        "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cli-tests"},
    }
    return tmp_path


def _people_file(folder: Any, *rows: str, name: str = "people.csv") -> Any:
    path = folder / name
    path.write_text(PEOPLE_HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def _imported() -> set[str]:
    from minga.people.models import Person

    return set(Person.objects.filter(external_id__startswith="KE-").values_list("external_id", flat=True))


def test_import_dry_run_then_import_then_reimport_changes_nothing(world: Any, bulk_files: Any) -> None:
    path = _people_file(
        bulk_files,
        "KE-1,wanjiku@example.org,Wanjiku Kamau,ke-nai-kib,member",
        "KE-2,otieno@example.org,Otieno Odhiambo,ke-cst-mom,lead",
    )
    dry = runner.invoke(app, ["import", "people", str(path), "--collective", "alpha", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run of 2 rows: 2 to create" in dry.output
    assert _imported() == set()

    done = runner.invoke(app, ["import", "people", str(path), "--collective", "alpha"])
    assert done.exit_code == 0, done.output
    assert "Imported 2 rows: 2 created" in done.output
    assert _imported() == {"KE-1", "KE-2"}
    assert not (bulk_files / "people.rejected.csv").exists()

    again = runner.invoke(app, ["import", "people", str(path), "--collective", "alpha"])
    assert again.exit_code == 0, again.output
    assert "all unchanged, nothing to do" in again.output
    assert AuditEntry.objects.filter(action="people.import", actor=world.admin).count() == 2


def test_import_rejects_the_file_lists_the_problems_and_writes_the_rejected_rows(
    world: Any, bulk_files: Any
) -> None:
    path = _people_file(
        bulk_files,
        "KE-1,wanjiku@example.org,Wanjiku Kamau,ke-nai-kib,member",
        "KE-2,not-an-email,Otieno Odhiambo,ke-nai-kib,member",
        "KE-3,amina@example.org,Amina Said,no-such-group,member",
    )
    result = runner.invoke(app, ["import", "people", str(path), "--collective", "alpha"])
    assert result.exit_code == 1, result.output
    assert "Nothing was imported: 2 of 3 rows were rejected" in result.output
    assert "not-an-email" in result.output and "no-such-group" in result.output
    assert _imported() == set()
    rejected = (bulk_files / "people.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0] == "external_id,email,full_name,group,role,errors"
    assert rejected[1].startswith("KE-2,not-an-email,Otieno Odhiambo,ke-nai-kib,member,Row 3: email:")
    assert rejected[2].startswith("KE-3,") and len(rejected) == 3

    valid = runner.invoke(app, ["import", "people", str(path), "--collective", "alpha", "--valid-rows-only"])
    assert valid.exit_code == 0, valid.output
    assert "1 created" in valid.output and "2 rejected" in valid.output
    assert _imported() == {"KE-1"}


def test_import_acts_as_the_named_login_with_its_scope(world: Any, bulk_files: Any) -> None:
    path = _people_file(bulk_files, "KE-1,amina@example.org,Amina Said,ke-cst-mom,member")
    result = runner.invoke(
        app, ["import", "people", str(path), "--collective", "alpha", "--as", world.coordinator_a.email]
    )
    assert result.exit_code == 1, result.output
    assert "that you can reach" in (path.parent / "people.rejected.csv").read_text()  # output wraps lines
    assert _imported() == set()


def test_import_with_a_mapping_and_a_delimiter(world: Any, bulk_files: Any) -> None:
    path = bulk_files / "foreign.csv"
    path.write_text("Ref;Nom;Groupe\nKE-5;Wanjiku;ke-nai-kib\n", encoding="utf-8")
    mapping = '{"Ref": "external_id", "Nom": "full_name", "Groupe": "group"}'
    result = runner.invoke(
        app,
        ["import", "people", str(path), "--collective", "alpha", "--mapping", mapping, "--delimiter", ";"],
    )
    assert result.exit_code == 0, result.output
    assert _imported() == {"KE-5"}


@pytest.mark.parametrize(
    ("args", "content", "code", "message"),
    [
        (["spaceships"], PEOPLE_HEADER, 2, "Nothing called 'spaceships'"),
        (["people", "--collective", "nowhere"], PEOPLE_HEADER, 2, "no collective 'nowhere'"),
        (["people", "--as", "nobody@example.org"], PEOPLE_HEADER, 1, "No login"),
        (["people"], "", 1, "The file is empty"),
        (["people"], "external_id,email\nKE-1,a@example.org\n", 1, "'full_name'"),
        (["people", "--mapping", "[1]"], PEOPLE_HEADER, 2, "--mapping is a JSON object"),
    ],
)
def test_import_refuses_what_it_cannot_do(
    world: Any, bulk_files: Any, args: list[str], content: str, code: int, message: str
) -> None:
    path = bulk_files / "people.csv"
    path.write_text(content, encoding="utf-8")
    kind, *options = args
    result = runner.invoke(app, ["import", kind, str(path), "--collective", "alpha", *options])
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert _imported() == set()


def test_export_as_csv_to_stdout_and_json_and_xlsx_to_files(world: Any, bulk_files: Any) -> None:
    import csv
    import io
    import json

    from openpyxl import load_workbook

    result = runner.invoke(app, ["export", "people", "--collective", "alpha"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["external_id", "email", "full_name"]
    assert len(rows) == 1 + 5  # the admin sees the five people of alpha
    assert "Exported 5 people rows to standard output." in result.stderr

    target = bulk_files / "people.jsonl"
    scoped = runner.invoke(
        app,
        [
            *("export", "people", "--collective", "alpha", "--as", world.coordinator_a.email),
            *("--format", "json", "--output", str(target), "--filter", "role=lead"),
        ],
    )
    assert scoped.exit_code == 0, scoped.output
    objects = [json.loads(line) for line in target.read_text().splitlines()]
    assert [(o["group"], o["role"]) for o in objects] == [("ke-nai-kib", "lead")]

    workbook = bulk_files / "people.xlsx"
    xlsx = runner.invoke(
        app, ["export", "people", "--collective", "alpha", "-o", str(workbook), "--format", "xlsx"]
    )
    assert xlsx.exit_code == 0, xlsx.output
    assert len(list(load_workbook(workbook, read_only=True).worksheets[0].iter_rows())) == 1 + 5

    bad = runner.invoke(app, ["export", "people", "--collective", "alpha", "--filter", "nonsense"])
    assert bad.exit_code == 2


def test_an_exported_file_imports_again_unchanged(world: Any, bulk_files: Any) -> None:
    path = bulk_files / "alpha-people.csv"
    exported = runner.invoke(app, ["export", "people", "--collective", "alpha", "--output", str(path)])
    assert exported.exit_code == 0, exported.output
    result = runner.invoke(app, ["import", "people", str(path), "--collective", "alpha"])
    assert result.exit_code == 0, result.output
    assert "Imported 5 rows: all unchanged, nothing to do." in result.output
