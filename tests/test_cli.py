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
    for command in ("demo", "serve", "createadmin", "bench"):
        assert command in result.output
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, sub.output
        assert "Usage" in sub.output


def test_demo_generates_and_prints_the_logins_then_is_a_no_op_if_absent(db: Any) -> None:
    result = runner.invoke(app, ["demo", "--size", "tiny", "--seed", "3", "--no-metrics"])
    assert result.exit_code == 0, result.output
    assert "Demo collective generated" in result.output
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
