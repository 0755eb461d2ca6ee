"""Logging in through the browser: the form explains a mismatch and lets the right password in."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.factories.core import PASSWORD

pytestmark = pytest.mark.e2e


def test_wrong_password_is_explained_and_right_one_logs_in(
    page: Page, world: Any, shot: Callable[[str], Path]
) -> None:
    page.goto(reverse("login"))
    page.get_by_label(re.compile(r"^Email\b")).fill(world.lead.email)
    page.get_by_label(re.compile(r"^Password\b")).fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("This email and password do not match an account.")).to_be_visible()
    shot("wrong password")

    page.get_by_label(re.compile(r"^Password\b")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shot("logged in")
