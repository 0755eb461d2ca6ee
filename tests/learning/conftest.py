from __future__ import annotations

from collections.abc import Iterator

import pytest

from minga.learning import search


@pytest.fixture(autouse=True)
def _fresh_refresh_clock() -> Iterator[None]:
    """Every test starts past the per-process interval of the group/activity staleness check (ids
    are reused between tests, so a check remembered from the previous test would skip this one's)."""
    search._refresh_checked.clear()
    yield
    search._refresh_checked.clear()
