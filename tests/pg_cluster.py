"""The suite's PostgreSQL run: a throwaway cluster started for one pytest session.

`MINGA_TEST_DATABASE=postgres pytest` makes this plugin (loaded from tests/conftest.py) initialise a
cluster in a temporary folder with Debian's `initdb`, start it on a free local port, point Django's
default database at it before pytest-django creates the test database, and stop and delete it when the
session ends, whether the tests passed or not. Without that variable it does nothing and the suite runs
on SQLite.

`initdb` and `pg_ctl` refuse to run as root, and CI runs as root: then the cluster belongs to the
`postgres` user and both commands run through `runuser -u postgres --`. The cluster trades durability
for speed (fsync, synchronous commit and full-page writes off): it lives for minutes and holds nothing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENV_SWITCH = "MINGA_TEST_DATABASE"
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=50 -c shared_buffers=64MB"
)


@dataclass
class Cluster:
    bin_dir: Path
    root: Path
    port: int
    as_user: str | None  # run the server commands as this user (None: as ourselves)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/minga"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / tool), *args]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        # cwd: the server user may not be allowed into the caller's working directory.
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=120)

    def check(self, tool: str, *args: str) -> None:
        result = self.run(tool, *args)
        if result.returncode != 0:
            log = self.root / "server.log"
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(
                f"{tool} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{server_log}"
            )


def find_bin_dir() -> Path:
    """Debian installs PostgreSQL under a versioned folder; take the newest that has initdb."""
    override = os.environ.get("MINGA_PG_BIN")
    if override:
        return Path(override)
    candidates = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `make system-deps`."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OWNER_FILE = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans() -> None:
    """Stop and delete clusters left by test sessions that were killed before their cleanup ran.

    Only clusters marked with the owning session's pid are touched (a benchmark's `--keep` cluster is
    not marked, so it stays)."""
    bin_dir = find_bin_dir()
    as_user = "postgres" if os.geteuid() == 0 else None
    for root in Path(tempfile.gettempdir()).glob("minga-pg-*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            stop_cluster(Cluster(bin_dir=bin_dir, root=root, port=0, as_user=as_user))


def start_cluster() -> Cluster:
    """Initialise and start a cluster; on any failure remove what was made and raise."""
    bin_dir = find_bin_dir()
    as_user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="minga-pg-"))
    cluster = Cluster(bin_dir=bin_dir, root=root, port=free_port(), as_user=as_user)
    try:
        if as_user:
            account = pwd.getpwnam(as_user)  # KeyError: Debian's postgresql package creates it
            os.chown(root, account.pw_uid, account.pw_gid)
        cluster.check(
            "initdb", "-D", str(cluster.data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip
        cluster.check(
            "pg_ctl", "-D", str(cluster.data_dir), "-l", str(root / "server.log"), "-w", "-t", "60",
            "-o", f"-p {cluster.port} -k {root} {SERVER_OPTIONS}", "start",
        )  # fmt: skip
        cluster.check("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "minga")
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    """Stop the server (immediately: nothing in it is worth a clean shutdown) and delete its folder."""
    try:
        if (cluster.data_dir / "postmaster.pid").exists():
            cluster.run("pg_ctl", "-D", str(cluster.data_dir), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


def use_database(url: str) -> None:
    """Point Django's default database at `url`.

    pytest-django imports the settings before any conftest runs, so the settings already hold the
    SQLite default; replace that entry in place and make Django's connection handler read it again.
    This happens before `django_db_setup` creates the test database.
    """
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    default: dict[str, Any] = settings.DATABASES["default"]  # type: ignore[assignment]
    default.clear()
    default.update(dj_database_url.parse(url, conn_max_age=0))
    connections.close_all()
    connections.__dict__.pop("settings", None)  # cached_property: re-applies Django's defaults
    with contextlib.suppress(AttributeError):  # raised when no connection was opened yet
        del connections["default"]
    os.environ["DATABASE_URL"] = url  # subprocesses started by tests reach the same server


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(ENV_SWITCH, "sqlite").lower() not in {"postgres", "postgresql"}:
        return
    if hasattr(config, "workerinput"):
        # pytest-xdist worker: the controller already started the cluster and exported its URL.
        use_database(os.environ["DATABASE_URL"])
        return
    remove_orphans()
    cluster = start_cluster()
    config.add_cleanup(lambda: stop_cluster(cluster))
    (cluster.root / OWNER_FILE).write_text(str(os.getpid()))
    config.stash[cluster_key] = cluster
    use_database(cluster.url)


def pytest_report_header(config: pytest.Config) -> str | None:
    cluster = config.stash.get(cluster_key, None)
    if cluster is None:
        return None
    return f"database: throwaway PostgreSQL ({cluster.bin_dir.parent.name}) on 127.0.0.1:{cluster.port}"


cluster_key = pytest.StashKey[Cluster]()
