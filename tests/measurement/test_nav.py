"""The measurement section's navigation offers only the pages its viewer may open."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.parametrize(
    ("actor", "reports"),
    [("admin", True), ("coordinator_a", True), ("lead", True), ("member", False), ("anonymous", False)],
)
def test_enter_data_and_dhis2_links_only_for_those_who_report(world: Any, actor: str, reports: bool) -> None:
    browser = Client()
    if actor != "anonymous":
        browser.force_login(getattr(world, actor))
    page = browser.get(reverse("measurement:dashboard", args=["alpha"])).content.decode()
    for name in ("entry_index", "dhis2"):
        link = f'href="{reverse(f"measurement:{name}", args=["alpha"])}"'
        assert (link in page) is reports
        if reports:  # and the link leads somewhere
            assert browser.get(reverse(f"measurement:{name}", args=["alpha"])).status_code == 200
