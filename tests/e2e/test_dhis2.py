"""DHIS2 exchange in a real browser on the tiny demo: the backbone admin downloads last month as a
dataValueSets file, uploads it back (dry run: all ignored), then uploads a changed file, reads the
summary with its conflict, and confirms. Screenshots in /tmp/dhis2-*.png."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from minga.demo.generate import DEMO_PASSWORD, OPERATOR_EMAIL, demo_collective, generate_demo
from minga.measurement import demo_dhis2, periods
from minga.measurement.models import DataValue

pytestmark = pytest.mark.e2e


def test_admin_exports_and_reimports_a_month(
    page: Page,
    transactional_db: Any,
    log_in: Callable[[str, str], None],
    shot: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    from django.contrib.auth import get_user_model

    generate_demo(size="tiny", seed=7, today=timezone.localdate(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    operator = get_user_model().objects.get(email=OPERATOR_EMAIL)
    demo_dhis2.populate(collective=collective, actor=operator, progress=None)
    month = periods.period_for(periods.MONTH, timezone.localdate()).previous().code

    log_in(OPERATOR_EMAIL, DEMO_PASSWORD)
    page.goto(reverse("measurement:dhis2", args=[collective.slug]))
    expect(page.get_by_role("heading", level=1)).to_have_text("DHIS2 exchange")
    page.screenshot(path="/tmp/dhis2-page.png", full_page=True)
    shot("page")

    page.get_by_label("Periods").fill(month)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download JSON").click()
    exported = tmp_path / "export.json"
    download_info.value.save_as(exported)
    document = json.loads(exported.read_text())
    assert document["dataValues"] and document["period"] == month

    # Back unchanged: a dry run says every value would be ignored.
    page.get_by_label("File (JSON)").set_input_files(str(exported))
    page.get_by_role("button", name="Check the file (dry run)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dry run")
    expect(page.get_by_role("table", name="Import count")).to_contain_text("SUCCESS")

    # A changed file: one new figure, one unknown data element.
    changed = dict(document["dataValues"][0])
    old = DataValue.objects.filter(collective=collective).count()
    document["dataValues"][0]["value"] = str(int(float(changed["value"] or 0)) + 1)
    document["dataValues"].append(dict(changed, dataElement="deUnknown99"))
    upload = tmp_path / "changed.json"
    upload.write_text(json.dumps(document))
    page.goto(reverse("measurement:dhis2", args=[collective.slug]))
    page.get_by_label("File (JSON)").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file (dry run)").click()
    expect(page.get_by_role("table", name="Import count")).to_contain_text("WARNING")
    expect(page.get_by_text("deUnknown99")).to_be_visible()
    page.screenshot(path="/tmp/dhis2-dry-run.png", full_page=True)
    shot("dry-run")
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imported")
    page.screenshot(path="/tmp/dhis2-imported.png", full_page=True)
    assert DataValue.objects.filter(collective=collective).count() == old
    assert DataValue.objects.filter(collective=collective, source="dhis2").count() == 1
