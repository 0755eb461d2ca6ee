"""Helpers shared by benchmarks: a scratch database (SQLite file or throwaway PostgreSQL), timing stats."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def emit(**fields: Any) -> None:
    """One figure, one JSON line on stdout."""
    print(json.dumps(fields), flush=True)


def median_p95(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return round(statistics.median(ordered), 3), round(p95, 3)


@dataclass
class Scratch:
    folder: Path
    url: str
    database: str  # "sqlite" or "postgres"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a subprocess that should use this database (and keep its files here)."""
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "MINGA_DATA_DIR": str(self.folder),
            "DJANGO_SETTINGS_MODULE": "minga.settings",
        }


@contextmanager
def scratch_database(database: str, *, keep: bool = False) -> Iterator[Scratch]:
    """A fresh, empty database for one benchmark: a SQLite file in a temporary folder, or a throwaway
    PostgreSQL cluster (the same one the test suite starts, see tests/pg_cluster.py). Removed afterwards
    unless `keep`."""
    folder = Path(tempfile.mkdtemp(prefix="minga-bench-"))
    cluster = None
    try:
        if database == "postgres":
            if str(REPO) not in sys.path:
                sys.path.insert(0, str(REPO))
            from tests.pg_cluster import start_cluster

            cluster = start_cluster()
            yield Scratch(folder, cluster.url, database)
        elif database == "sqlite":
            yield Scratch(folder, f"sqlite:///{folder / 'bench.sqlite3'}", database)
        else:
            raise ValueError(f"Unknown database {database!r}: sqlite or postgres.")
    finally:
        if cluster is not None and not keep:
            from tests.pg_cluster import stop_cluster

            stop_cluster(cluster)
        if keep:
            print(f"kept: {folder} {cluster.url if cluster else ''}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def use_in_process(scratch: Scratch) -> None:
    """Point this process's Django at the scratch database, set Django up and migrate it."""
    for key in ("DATABASE_URL", "MINGA_DATA_DIR", "DJANGO_SETTINGS_MODULE"):
        os.environ[key] = scratch.env[key]
    (scratch.folder / "static").mkdir(exist_ok=True)  # STATIC_ROOT: whitenoise warns when it is missing
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
