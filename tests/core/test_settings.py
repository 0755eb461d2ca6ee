"""Settings come from the environment: production's passes Django's deployment checks, and the
database is whatever DATABASE_URL says (SQLite in the data folder when it says nothing)."""

from __future__ import annotations

import os
import runpy
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@%^&*(-_=+)"
    # Only what a server's environment would hold: nothing of the test session (DATABASE_URL,
    # DJANGO_ALLOW_ASYNC_UNSAFE set for the browser tests…) may leak into the check.
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    env.update(
        DJANGO_SETTINGS_MODULE="minga.settings",
        DEBUG="0",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        ALLOWED_HOSTS="minga.example.org",
        MINGA_SECURE="1",
        # Checks never connect: the host need not exist.
        DATABASE_URL="postgres://minga:secret@db.invalid:5432/minga",
        MINGA_DATA_DIR=str(tmp_path),
    )
    env.update(overrides)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output, output


def test_deployment_checks_refuse_the_demo_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr  # SECRET_KEY weak or the default


def load_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict[str, Any]:
    """Evaluate minga/settings.py afresh under `env` (the process's own settings stay untouched)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MINGA_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "minga" / "settings.py"))


def test_database_url_selects_postgresql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings(
        monkeypatch, tmp_path, DATABASE_URL="postgres://minga:secret@db.example.org:5433/minga_prod"
    )
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.example.org", 5433, "minga_prod")
    assert (database["USER"], database["PASSWORD"]) == ("minga", "secret")
    assert "init_command" not in database.get("OPTIONS", {})  # SQLite's pragmas stay with SQLite


def test_without_database_url_sqlite_lives_in_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(monkeypatch, tmp_path)
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == tmp_path / "minga.sqlite3"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_a_fresh_checkout_gets_its_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`make demo` on a new clone: there is no ./var yet, and SQLite would refuse to open its file."""
    data = tmp_path / "var" / "nested"
    monkeypatch.setenv("MINGA_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runpy.run_path(str(ROOT / "minga" / "settings.py"))
    assert data.is_dir()


def test_debug_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DEBUG", raising=False)
    assert load_settings(monkeypatch, tmp_path)["DEBUG"] is False
    assert load_settings(monkeypatch, tmp_path, DEBUG="1")["DEBUG"] is True
