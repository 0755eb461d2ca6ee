"""Test databases as production runs them."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from django.db import connection, connections


@contextlib.contextmanager
def on_sqlite_file(path: Path) -> Iterator[None]:
    """Every connection of the test (this thread's and any other's) on a file copy of the SQLite test
    database, with the production settings. The suite's in-memory shared-cache database can't be opened
    by a second connection the way a file is, and fails a second writer at once instead of waiting."""
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with sqlite3.connect(path) as target:
        raw.backup(target)
    target.close()
    original, before = connections["default"], connections.settings["default"]
    file_settings = {**before, "NAME": str(path)}
    connections.settings["default"] = file_settings  # threads open their connections from this
    connections["default"] = type(original)(file_settings, "default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = original
        connections.settings["default"] = before
