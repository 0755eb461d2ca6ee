"""An admin imports people from a spreadsheet in a real browser: template, a file with a bad row, the
dry-run report, the rejected rows as a file, the fixed file, the import, the people in the directory."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from minga.core.models import ImportJob
from minga.people.models import Person
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.e2e

ROWS = [
    ["KE-101", "amina@example.org", "Amina Wanjiru", "ke-nai-kib", "member"],
    ["KE-102", "baraka@example.org", "Baraka Otieno", "ke-nai-kib", "member"],
    ["KE-103", "chebet(at)example.org", "Chebet Kiprono", "ke-nai", "observer"],
]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: str | Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_admin_imports_people_fixing_a_rejected_row(
    page: Page,
    world: Any,
    log_in: Callable[[str, str], None],
    shot: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    slug = world.alpha.slug

    # 1. The admin finds the imports page in the navigation and downloads the people template.
    log_in(world.admin.email, PASSWORD)
    page.goto(reverse("architecture:collective_home", args=[slug]))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    people_card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="People", exact=True)
    )
    with page.expect_download() as download:
        people_card.get_by_role("link", name="CSV").click()
    template = read_csv(download.value.path())
    assert template[0][:3] == ["external_id", "email", "full_name"], "step 1: the template's header"
    assert len(template) == 2, "step 1: the template has one example row"
    shot("imports index")

    # 2. They fill it in with three people (one email mistyped) and upload it, all or nothing.
    header = ["external_id", "email", "full_name", "group", "role"]
    bad_file = write_csv(tmp_path / "members.csv", header, ROWS)
    people_card.get_by_role("link", name="Import people").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file to import")
    page.get_by_label(re.compile(r"^File\b")).set_input_files(str(bad_file))
    expect(page.get_by_label("All or nothing")).to_be_checked()
    page.get_by_role("button", name="Upload").click()

    # 3. The job page shows how the columns are read; a dry run lists the bad row and saves nothing.
    expect(page.get_by_role("heading", level=1)).to_have_text("members.csv")
    mapping = page.get_by_role("table").filter(has_text="Column in your file")
    expect(mapping.get_by_label("email")).to_have_value("email")
    expect(mapping.get_by_label("full_name")).to_have_value("full_name")
    shot("mapping")
    page.get_by_role("button", name="Check (dry run)").click()
    expect(page.locator(".report .summary")).to_have_text(
        "Dry run of 3 rows: 2 to create, 0 to update, 0 unchanged, 1 rejected. Nothing was saved."
    )
    rejected = page.get_by_role("table", name="Rejected rows")
    bad_row = rejected.get_by_role("row").filter(has_text="chebet(at)example.org")
    expect(bad_row.get_by_role("cell").nth(0)).to_have_text("4")
    expect(bad_row.get_by_role("cell").nth(1)).to_have_text("email")
    expect(bad_row.get_by_role("cell").nth(2)).to_contain_text("is not a valid email address")
    expect(page.get_by_role("heading", name="Fix the rejected rows first")).to_be_visible()
    expect(page.get_by_role("button", name="Import now")).to_have_count(0)
    assert not Person.objects.filter(external_id__startswith="KE-1").exists(), "step 3: a dry run saved rows"
    shot("dry run with a rejected row")

    # 4. They download the rejected rows: the row as sent, with the reason in an "errors" column.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    returned = read_csv(download.value.path())
    assert returned[0] == [*header, "errors"], "step 4: the rejected rows file's header"
    assert returned[1][:3] == ROWS[2][:3] and "not a valid email" in returned[1][5], "step 4: the bad row"

    # 5. They fix the email and upload the whole file again; the dry run is clean, so they import.
    fixed = [*ROWS[:2], ["KE-103", "chebet@example.org", *ROWS[2][2:]]]
    good_file = write_csv(tmp_path / "members-fixed.csv", header, fixed)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_role("link", name="Upload a file").click()
    page.get_by_label("What the file holds").select_option(label="People")
    page.get_by_label(re.compile(r"^File\b")).set_input_files(str(good_file))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Check (dry run)").click()
    expect(page.locator(".report .summary")).to_contain_text(
        "3 to create, 0 to update, 0 unchanged, 0 rejected"
    )
    expect(page.get_by_role("heading", name="Ready to import")).to_be_visible()
    shot("clean dry run")
    page.get_by_role("button", name="Import now").click()
    expect(page.locator(".report .summary")).to_have_text(
        "Imported 3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected."
    )
    expect(page.locator(".status.job-done")).to_be_visible()
    shot("imported")
    assert ImportJob.objects.filter(status=ImportJob.Status.DONE).count() == 1

    # 6. The people are in the directory, with their group.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    directory = page.get_by_role("main")
    for name in ("Amina Wanjiru", "Baraka Otieno", "Chebet Kiprono"):
        expect(directory.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(directory.get_by_role("link", name="CSV")).to_be_visible()
    shot("people directory")
    page.goto(reverse("import_index", args=[slug]))
    expect(page.get_by_role("table").get_by_role("link", name="members-fixed.csv")).to_be_visible()
    shot("imports index with jobs")
    assert re.search(r"Chebet", Person.objects.get(external_id="KE-103").full_name)
