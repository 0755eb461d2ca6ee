"""A kill mid-import, for real: an import job runs in another process on a SQLite file database and is
killed with SIGKILL half way. All-or-nothing leaves no imported person; "valid rows" leaves whole chunks
only, and resuming the job imports the rest with nothing twice.

The child process is tests/core/bulk_kill_child.py; the database is migrated once for the module and
copied for each test. Nothing here touches the test database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache.backends.filebased import FileBasedCache

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
CHUNK = 1_000


def child_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINGA_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'minga.sqlite3'}",
        MINGA_DATA_DIR=str(folder),
        MEDIA_ROOT=str(folder / "media"),
        MINGA_IMPORT_INLINE_BYTES=str(10**9),  # run in the process, as a worker would
        DJANGO_SETTINGS_MODULE="minga.settings",
        PYTHONPATH=str(ROOT),
        KILL_TEST_CHUNK_SIZE=str(CHUNK),
        KILL_TEST_CHUNK_PAUSE="0.03",
    )
    return env


def child(folder: Path, *args: str, wait: bool = True) -> Any:
    command = [sys.executable, "-m", "tests.core.bulk_kill_child", args[0], str(folder), *args[1:]]
    process = subprocess.Popen(
        command, cwd=ROOT, env=child_env(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.splitlines()[-1]) if out.strip() else None


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: Any) -> Path:
    folder = tmp_path_factory.mktemp("kill-template")
    child(folder, "setup")
    return folder


@pytest.fixture
def folder(migrated: Path, tmp_path: Path) -> Path:
    shutil.copy(migrated / "minga.sqlite3", tmp_path / "minga.sqlite3")
    lines = ["external_id,email,full_name,group,role"]
    lines += [f"K-{n},k{n}@example.org,Person {n},kk,member" for n in range(ROWS)]
    (tmp_path / "people.csv").write_text("\r\n".join(lines) + "\r\n")
    return tmp_path


def kill_half_way(folder: Path, mode: str) -> int:
    """Start the import, watch its progress in the "progress" file cache, SIGKILL it past half way;
    returns the rows it had reported."""
    process = child(folder, "run", mode, str(folder / "people.csv"), wait=False)
    progress = FileBasedCache(str(folder / "cache" / "progress"), {})
    deadline = time.monotonic() + 60
    seen = 0
    try:
        while time.monotonic() < deadline and process.poll() is None:
            job_id = folder / "job-id"
            if job_id.exists() and job_id.read_text():
                seen = (progress.get(f"import-job-{job_id.read_text()}") or {}).get("rows", 0)
                if seen >= ROWS // 2:
                    break
            time.sleep(0.005)
        assert process.poll() is None, f"the import ended before the kill: {process.communicate()}"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert ROWS // 2 <= seen < ROWS
    return seen


def query(folder: Path, sql: str) -> Any:
    with sqlite3.connect(folder / "minga.sqlite3") as db:
        return db.execute(sql).fetchone()


def imported(folder: Path) -> tuple[int, int, int]:
    """(people, distinct external ids, memberships) written by the import."""
    people, distinct = query(
        folder, "SELECT count(*), count(DISTINCT external_id) FROM people_person WHERE external_id LIKE 'K-%'"
    )
    (memberships,) = query(
        folder,
        "SELECT count(*) FROM people_membership m JOIN people_person p ON p.id = m.person_id "
        "WHERE p.external_id LIKE 'K-%'",
    )
    return people, distinct, memberships


def job(folder: Path) -> tuple[str, int]:
    return query(folder, "SELECT status, rows_done FROM core_importjob")


def test_a_killed_all_or_nothing_import_leaves_no_imported_person(folder):
    kill_half_way(folder, "all")
    assert imported(folder) == (0, 0, 0)
    status, rows_done = job(folder)
    assert (status, rows_done) == ("running", 0)  # never finished; it is shown as interrupted later
    assert query(folder, "SELECT count(*) FROM core_auditentry WHERE action = 'people.import'") == (0,)


def test_a_killed_valid_rows_import_keeps_whole_chunks_and_resumes(folder):
    kill_half_way(folder, "valid")
    people, distinct, memberships = imported(folder)
    status, rows_done = job(folder)
    assert status == "running"
    assert people == distinct == memberships == rows_done  # the checkpoint committed with each chunk
    assert people % CHUNK == 0 and ROWS // 2 <= people < ROWS

    resumed = child(folder, "resume")
    assert resumed["status"] == "done"
    report = resumed["report"]
    assert (report["rows"], report["created"], report["rejected"], report["committed"]) == (
        ROWS,
        ROWS,
        0,
        True,
    )
    assert imported(folder) == (ROWS, ROWS, ROWS)
    assert job(folder) == ("done", ROWS)
