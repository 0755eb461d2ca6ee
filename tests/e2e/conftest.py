"""Playwright walk-throughs in Debian's chromium against pytest-django's live server.

Playwright's own browser downloads are not available on our machines, so the tests launch the browser
Debian installs (`make system-deps`). A missing browser fails the run with that advice rather than
skipping: a green run must mean the pages were really walked. Screenshots of every step land in a
temporary folder printed at the end of the session (never committed).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machines have no open internet: without these chromium keeps trying to phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


def chromium_path() -> str:
    path = os.environ.get("MINGA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "Browser tests need Debian's chromium: run `make system-deps` "
            "(or leave them out with -m 'not e2e').",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    # Sync Playwright runs an asyncio loop in the test thread; the ORM calls the tests make in that
    # same thread (factories, assertions) are still synchronous, so Django's async guard stands aside
    # while the browser tests run, and only then.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies carried over), pointed at the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any JavaScript error or failed request to our own server."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} for {response.url}")
            if response.status >= 500 or (response.status == 404 and "/static/" in response.url)
            else None
        ),
    )
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    page.close()
    assert not problems, "The browser saw problems:\n" + "\n".join(problems)


_screenshot_dirs: list[Path] = []


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pytest's temporary folder (it keeps the last three runs), or MINGA_SCREENSHOT_DIR when set."""
    chosen = os.environ.get("MINGA_SCREENSHOT_DIR")
    if chosen:
        folder = Path(chosen)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("screenshots", numbered=True)
    _screenshot_dirs.append(folder)
    return folder


@pytest.fixture
def shot(page: Page, screenshot_dir: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """`shot("group page")` saves a numbered full-page screenshot of the current step."""
    counter = iter(range(1, 1000))
    test_name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")

    def take(step: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = screenshot_dir / f"{test_name}-{next(counter):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for folder in _screenshot_dirs:
        terminalreporter.write_line(f"e2e screenshots: {folder}")


@pytest.fixture
def log_in(page: Page) -> Callable[[str, str], None]:
    """`log_in(email, password)` through the real form, as a person would."""

    def submit(email: str, password: str) -> None:
        from django.urls import reverse

        page.goto(reverse("login"))
        page.get_by_label(re.compile(r"^Email\b")).fill(email)
        page.get_by_label(re.compile(r"^Password\b")).fill(password)
        page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
        expect(page).not_to_have_url(re.compile(re.escape(reverse("login"))))

    return submit
