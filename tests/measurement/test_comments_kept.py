"""A value's comment is kept when a later sending of the value says nothing about comments (a wide file,
a long file without a comment column, an API item without `comment`, a grid without the comment field),
and cleared only when a sending gives it empty."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table
from minga.core.bulk.runner import run_import
from minga.measurement.models import DataValue
from tests.factories.api import ApiClient
from tests.factories.measurement import make_indicator, make_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def commented(world: Any) -> DataValue:
    make_indicator(world.alpha, code="meetings", name="Meetings held")
    make_period(world.alpha, "202603")
    sent = ApiClient(world.admin).post(
        "/api/v1/datavalues",
        {
            "collective": "alpha",
            "values": [
                {
                    "indicator": "meetings",
                    "group": world.kibera.code,
                    "period": "202603",
                    "value": 4,
                    "comment": "Two were online",
                }
            ],
        },
    )
    assert sent.status_code == 200, sent.content
    return DataValue.objects.get()


def send_file(world: Any, tmp_path: Path, kind: str, header: list[str], row: list[Any]) -> Any:
    path = tmp_path / "values.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, row])
    return run_import(
        record_type=get_record_type(kind), actor=world.admin, collective=world.alpha, table=open_table(path)
    )


def comment() -> str:
    return DataValue.objects.get().comment


def test_a_wide_file_keeps_the_comment(world, commented, tmp_path):
    report = send_file(
        world, tmp_path, "datavalues-wide", ["group", "period", "meetings"], [world.kibera.code, "202603", 4]
    )
    assert report.unchanged == 1 and report.updated == 0
    report = send_file(
        world, tmp_path, "datavalues-wide", ["group", "period", "meetings"], [world.kibera.code, "202603", 5]
    )
    assert report.updated == 1
    assert DataValue.objects.get().value == 5 and comment() == "Two were online"


def test_a_long_file_keeps_it_without_a_comment_column_and_clears_it_with_an_empty_cell(
    world, commented, tmp_path
):
    header = ["indicator", "group", "period", "value"]
    report = send_file(world, tmp_path, "datavalues", header, ["meetings", world.kibera.code, "202603", 4])
    assert report.unchanged == 1 and comment() == "Two were online"
    report = send_file(
        world, tmp_path, "datavalues", [*header, "comment"], ["meetings", world.kibera.code, "202603", 4, ""]
    )
    assert report.updated == 1 and comment() == ""


def test_the_api_keeps_it_unless_sent_empty(world, commented):
    api = ApiClient(world.admin)
    item = {"indicator": "meetings", "group": world.kibera.code, "period": "202603", "value": 4}
    body = api.post("/api/v1/datavalues", {"collective": "alpha", "values": [item]}).json()
    assert body["unchanged"] == 1 and comment() == "Two were online"
    body = api.post("/api/v1/datavalues", {"collective": "alpha", "values": [{**item, "comment": ""}]}).json()
    assert body["updated"] == 1 and comment() == ""
