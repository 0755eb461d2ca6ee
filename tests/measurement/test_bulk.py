"""Data values through the bulk framework: import (long layout), export, and a re-import that changes
nothing."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table, stream_csv
from minga.core.bulk.runner import ImportReport, run_import
from minga.measurement.models import DataValue
from tests.factories.measurement import make_indicator, make_sex_age

HEADER = ["indicator", "group", "period", "option", "value", "comment"]


def write(tmp_path: Path, rows: list[list[Any]], name: str = "v.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def run(user: Any, collective: Any, path: Path, **options: Any) -> ImportReport:
    return run_import(
        record_type=get_record_type("datavalues"),
        actor=user,
        collective=collective,
        table=open_table(path),
        **options,
    )


def export(user: Any, collective: Any, tmp_path: Path, **filters: str) -> Path:
    record_type = get_record_type("datavalues")
    rows = record_type.export_rows(actor=user, collective=collective, filters=filters)
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(stream_csv(record_type.headers, rows)))
    return path


@pytest.fixture
def indicators(world: Any) -> None:
    make_indicator(world.alpha, code="meetings")
    make_indicator(world.alpha, code="enrolled", disaggregation=make_sex_age(world.alpha))


def test_import_export_reimport(world: Any, indicators: None, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            ["meetings", "ke-nai-kib", "202604", "", "4", "good month"],
            ["enrolled", "ke-nai-kib", "202604", "f.0-14", "12", ""],
            ["enrolled", "ke-nai-kib", "202604", "m.0-14", "10", ""],
            ["meetings", "ke-cst-mom", "2026-04", "", "7", ""],
        ],
    )
    report = run(world.admin, world.alpha, path)
    assert (report.created, report.rejected) == (4, 0), report.problems
    assert DataValue.objects.filter(source="file").count() == 4
    exported = export(world.admin, world.alpha, tmp_path)
    again = run(world.admin, world.alpha, exported)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    # The coordinator of region A exports only what they see.
    mine = export(world.coordinator_a, world.alpha, tmp_path, period="202604")
    with mine.open(encoding="utf-8-sig") as handle:
        assert {row["group"] for row in csv.DictReader(handle)} == {"ke-nai-kib"}


def test_rejected_rows_are_located_and_nothing_saved(world: Any, indicators: None, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            ["meetings", "ke-nai-kib", "202604", "", "4", ""],
            ["meetings", "ke-cst-mom", "202604", "", "4", ""],
            ["enrolled", "ke-nai-kib", "202604", "x.1", "4", ""],
        ],
    )
    report = run(world.lead, world.alpha, path)
    assert report.rejected == 2 and not report.committed
    assert {(p["row"], p["column"], p["code"]) for p in report.problems} == {
        (3, "group", "no_group"),
        (4, "option", "unknown_option"),
    }
    assert not DataValue.objects.exists()


def test_blank_values_in_a_file_delete_nothing(world: Any, indicators: None, tmp_path: Path) -> None:
    run(world.admin, world.alpha, write(tmp_path, [["meetings", "ke-nai-kib", "202604", "", "4", ""]]))
    report = run(
        world.admin, world.alpha, write(tmp_path, [["meetings", "ke-nai-kib", "202604", "", "", ""]])
    )
    assert report.unchanged == 1 and DataValue.objects.count() == 1


def test_who_may_import(world: Any) -> None:
    record_type = get_record_type("datavalues")
    assert record_type.can_import(world.lead, world.alpha)
    assert record_type.can_import(world.coordinator_b, world.alpha)
    assert not record_type.can_import(world.member, world.alpha)
    assert not record_type.can_import(world.beta_admin, world.alpha)
