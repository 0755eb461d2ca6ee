"""Data values in the wide layout ("datavalues-wide"): one row per group and period, one column per
indicator (CODE:option for a broken-down one), through the same writer as the long layout."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table, stream_csv
from minga.core.bulk.runner import ImportReport, run_import
from minga.measurement import services
from minga.measurement.models import DataValue, DataValueHistory, IndicatorSet, IndicatorSetItem
from tests.factories.measurement import make_indicator, make_period, make_sex_age

KIND = "datavalues-wide"


def write(tmp_path: Path, header: list[str], rows: list[list[Any]], name: str = "w.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(user: Any, collective: Any, path: Path, **options: Any) -> ImportReport:
    return run_import(
        record_type=get_record_type(KIND),
        actor=user,
        collective=collective,
        table=open_table(path),
        **options,
    )


def stored() -> dict[tuple[str, str, str, int], float | None]:
    return {
        (v.indicator.code, v.group.code, v.period.code, v.option): v.value
        for v in DataValue.objects.select_related("indicator", "group", "period")
    }


@pytest.fixture
def form(world: Any) -> IndicatorSet:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings held")
    members = make_indicator(world.alpha, code="members", name="Members active", unit="people")
    enrolled = make_indicator(world.alpha, code="enrolled", disaggregation=make_sex_age(world.alpha))
    monthly = IndicatorSet.objects.create(collective=world.alpha, code="monthly", name="Monthly report")
    for order, indicator in enumerate((meetings, members, enrolled)):
        IndicatorSetItem.objects.create(indicator_set=monthly, indicator=indicator, order=order)
    return monthly


HEADER = ["group", "period", "meetings", "members", "enrolled:f.0-14", "enrolled:m.0-14"]


def test_each_cell_is_a_value_and_a_resend_changes_nothing(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER,
        [
            ["ke-nai-kib", "202604", "4", "25", "12", ""],
            ["ke-cst-mom", "2026-04", "7", "", "3", "5"],
        ],
    )
    report = run(world.admin, world.alpha, path)
    assert report.committed and report.rows == 2, report.problems
    assert (report.created, report.updated, report.unchanged, report.rejected) == (6, 0, 0, 0)
    values = stored()
    assert values[("meetings", "ke-cst-mom", "202604", 0)] == 7
    assert ("members", "ke-cst-mom", "202604", 0) not in values  # a blank cell is no value
    assert set(DataValue.objects.values_list("source", flat=True)) == {"file"}
    again = run(world.admin, world.alpha, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert not DataValueHistory.objects.exists()


def test_a_changed_cell_updates_its_value_with_history(world: Any, form: Any, tmp_path: Path) -> None:
    run(world.admin, world.alpha, write(tmp_path, HEADER, [["ke-nai-kib", "202604", "4", "25", "", ""]]))
    report = run(
        world.admin, world.alpha, write(tmp_path, HEADER, [["ke-nai-kib", "202604", "5", "", "", ""]])
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert stored()[("members", "ke-nai-kib", "202604", 0)] == 25  # blank leaves it alone
    history = DataValueHistory.objects.get()
    assert (history.old_value, history.new_value, history.source) == (4, 5, "file")


def test_bad_value_is_reported_with_its_row_and_column(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER,
        [
            ["ke-nai-kib", "202604", "4", "many", "12", ""],
            ["ke-cst-mom", "202604", "7", "", "", "x"],
        ],
    )
    report = run(world.admin, world.alpha, path)
    assert not report.committed and report.rejected == 2
    assert {(p["row"], p["column"], p["code"]) for p in report.problems} == {
        (2, "members", "invalid_value"),
        (3, "enrolled:m.0-14", "invalid_value"),
    }
    assert not DataValue.objects.exists()


def test_valid_rows_mode_keeps_whole_rows_only(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER,
        [["ke-nai-kib", "202604", "4", "many", "12", ""], ["ke-cst-mom", "202604", "7", "", "", ""]],
    )
    report = run(world.admin, world.alpha, path, mode="valid")
    assert report.committed and report.rejected == 1 and report.created == 1
    # Row 2 had a bad cell: none of its values is written, not even the good ones.
    assert set(stored()) == {("meetings", "ke-cst-mom", "202604", 0)}


def test_unknown_indicator_column(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ["group", "period", "meetings", "attendance", "enrolled"],
        [["ke-nai-kib", "202604", "4", "30", "12"], ["ke-cst-mom", "202604", "2", "", ""]],
    )
    report = run(world.admin, world.alpha, path)
    assert not report.warnings  # indicator columns are not "left out"
    assert {(p["row"], p["column"], p["code"]) for p in report.problems} == {
        (2, "attendance", "unknown_indicator"),
        (2, "enrolled", "required"),  # broken down: the header must name the option
    }
    assert report.rejected == 1 and not DataValue.objects.exists()


def test_group_out_of_scope_is_reported_once_per_row(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER,
        [["ke-nai-kib", "202604", "4", "25", "", ""], ["ke-cst-mom", "202604", "7", "9", "", ""]],
    )
    report = run(world.lead, world.alpha, path)  # the lead of Kibera
    assert [(p["row"], p["column"], p["code"]) for p in report.problems] == [(3, "group", "no_group")]
    assert "ke-cst-mom" in report.problems[0]["message"]
    assert not DataValue.objects.exists()
    assert not get_record_type(KIND).can_import(world.member, world.alpha)
    assert not get_record_type(KIND).can_import(world.beta_admin, world.alpha)


def test_approved_period_is_locked(world: Any, form: Any, tmp_path: Path) -> None:
    period = make_period(world.alpha, "202604")
    services.approval_approve(actor=world.coordinator_a, group=world.region_a, period=period)
    path = write(tmp_path, HEADER, [["ke-nai-kib", "202604", "4", "", "", ""]])
    report = run(world.lead, world.alpha, path)
    assert [(p["row"], p["column"], p["code"]) for p in report.problems] == [(2, "period", "approved_locked")]
    assert not DataValue.objects.exists()
    assert run(world.admin, world.alpha, path).created == 1  # admins sit above every approval


def test_the_same_group_and_period_twice(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER,
        [["ke-nai-kib", "202604", "4", "", "", ""], ["ke-nai-kib", "2026-04", "", "25", "", ""]],
    )
    report = run(world.admin, world.alpha, path)
    assert [(p["row"], p["code"]) for p in report.problems] == [(3, "duplicate_row")]


def test_export_round_trip(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER,
        [["ke-nai-kib", "202604", "4", "25", "12", "1,250"], ["ke-cst-mom", "202605", "7", "", "", "5"]],
    )
    assert run(world.admin, world.alpha, path).created == 6
    record_type = get_record_type(KIND)
    filters = {"set": "monthly"}
    headers = record_type.export_headers(actor=world.admin, collective=world.alpha, filters=filters)
    assert headers[:4] == ["group", "period", "meetings", "members"]
    assert len(headers) == 4 + 6  # sex x age: six options
    rows = record_type.export_rows(actor=world.admin, collective=world.alpha, filters=filters)
    exported = tmp_path / "export.csv"
    exported.write_bytes(b"".join(stream_csv(headers, rows)))
    with exported.open(encoding="utf-8-sig") as handle:
        read = list(csv.DictReader(handle))
    assert [(r["group"], r["period"], r["enrolled:m.0-14"]) for r in read] == [
        ("ke-cst-mom", "202605", "5"),
        ("ke-nai-kib", "202604", "1250"),
    ]
    again = run(world.admin, world.alpha, exported)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 6, 0)
    # A coordinator exports only the rows of their subtree.
    mine = record_type.export_rows(actor=world.coordinator_a, collective=world.alpha, filters=filters)
    assert [row[0] for row in mine] == ["ke-nai-kib"]


def test_set_template_has_the_forms_columns(world: Any, form: Any, client: Client) -> None:
    client.force_login(world.lead)
    url = reverse("measurement:set_template", args=["alpha", form.pk, "csv"])
    response = client.get(url)
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:4] == ["group", "period", "meetings", "members"]
    assert header[4:] == [f"enrolled:{s}.{a}" for s in "fm" for a in ("0-14", "15-24", "25+")]
    xlsx = client.get(reverse("measurement:set_template", args=["alpha", form.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[1]
    described = {row[0]: str(row[2]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert described["members"].startswith("Members active (people)")
    client.force_login(world.member)  # members don't report
    assert client.get(url).status_code == 404
    client.force_login(world.beta_admin)
    assert client.get(url).status_code == 404


def test_files_page_and_imports_page_offer_the_templates(
    world: Any, form: Any, client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.lead)
    template_url = reverse("measurement:set_template", args=["alpha", form.pk, "csv"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("measurement:files", args=["alpha"]))
    assert page.status_code == 200 and template_url in page.content.decode()
    imports = client.get(reverse("import_index", args=["alpha"]))
    assert reverse("measurement:files", args=["alpha"]) in imports.content.decode()
    client.force_login(world.member)
    assert client.get(reverse("measurement:files", args=["alpha"])).status_code == 404


def test_web_upload_maps_indicator_columns_and_imports(world: Any, form: Any, client: Client) -> None:
    client.force_login(world.lead)
    body = "group,period,meetings,members,notes\r\nke-nai-kib,202604,4,25,\r\n"
    upload = io.BytesIO(body.encode())
    upload.name = "april.csv"
    response = client.post(
        reverse("import_upload", args=["alpha"]), {"kind": KIND, "file": upload, "mode": "all"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job_page = client.get(response["Location"])
    text = job_page.content.decode()
    assert "indicator value: <code>meetings</code>" in text
    # Leave "notes" out, import the rest.
    fields = {"col_0": "group", "col_1": "period", "col_2": "indicator value", "col_3": "indicator value"}
    done = client.post(response["Location"], {**fields, "col_4": "", "mode": "all", "action": "import"})
    assert done.status_code == 302
    assert stored() == {
        ("meetings", "ke-nai-kib", "202604", 0): 4,
        ("members", "ke-nai-kib", "202604", 0): 25,
    }


def test_api_import_and_wide_export(world: Any, form: Any, client: Client) -> None:
    client.force_login(world.admin)
    body = "group,period,meetings,enrolled:f.0-14\r\nke-nai-kib,202604,4,12\r\n"
    upload = io.BytesIO(body.encode())
    upload.name = "april.csv"
    response = client.post("/api/v1/imports", {"collective": "alpha", "kind": KIND, "file": upload})
    assert response.status_code in (200, 201, 202), response.content
    report = json.loads(response.content)["report"]
    assert (report["created"], report["rejected"]) == (2, 0)
    export = client.get(reverse("export", args=["alpha", KIND, "csv"]) + "?indicator=meetings")
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()  # type: ignore[attr-defined]
    assert lines == ["group,period,meetings", "ke-nai-kib,202604,4"]


def test_cli_import(world: Any, form: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from minga.cli import app

    path = write(tmp_path, HEADER, [["ke-nai-kib", "202604", "4", "25", "", "x"]])
    runner = CliRunner()
    failed = runner.invoke(app, ["import", KIND, str(path), "--collective", "alpha"])
    assert failed.exit_code == 1 and "enrolled:m.0-14" in failed.output
    rejected = (tmp_path / "w.rejected.csv").read_text(encoding="utf-8-sig")
    assert "Row 2: enrolled:m.0-14: 'x' is not a number." in rejected
    fixed = write(tmp_path, HEADER, [["ke-nai-kib", "202604", "4", "25", "", "3"]], name="fixed.csv")
    done = runner.invoke(app, ["import", KIND, str(fixed), "--collective", "alpha"])
    assert done.exit_code == 0, done.output
    assert "3 created" in done.output and len(stored()) == 3


def test_api_and_cli_export_the_wide_layout(world: Any, form: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from minga.cli import app
    from tests.factories.api import ApiClient

    run(world.admin, world.alpha, write(tmp_path, HEADER, [["ke-nai-kib", "202604", "4", "25", "", ""]]))
    response = ApiClient(world.coordinator_a).get(
        f"/exports/{KIND}", {"collective": "alpha", "format": "csv", "indicator": "members"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines() == ["group,period,members", "ke-nai-kib,202604,25"]
    result = CliRunner().invoke(app, ["export", KIND, "--collective", "alpha", "--filter", "set=monthly"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert rows[0][:4] == ["group", "period", "meetings", "members"] and rows[1][:4] == [
        "ke-nai-kib",
        "202604",
        "4",
        "25",
    ]


def test_two_columns_naming_the_same_value(world: Any, form: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path, ["group", "period", "meetings", "meetings:total"], [["ke-nai-kib", "202604", "4", "5"]]
    )
    report = run(world.admin, world.alpha, path)
    assert [(p["column"], p["code"]) for p in report.problems] == [("meetings:total", "duplicate_in_batch")]
    assert "same indicator and option" in report.problems[0]["message"]


def test_rejected_rows_leave_the_pre_aggregates_right(world: Any, form: Any, tmp_path: Path) -> None:
    from minga.measurement import aggregates
    from minga.measurement.models import ValueAggregate

    aggregates.reaggregate(collective=world.alpha)  # aggregates current: the writer keeps them
    path = write(
        tmp_path,
        HEADER,
        [["ke-nai-kib", "202604", "4", "many", "12", ""], ["ke-cst-mom", "202604", "7", "3", "", ""]],
    )
    assert run(world.admin, world.alpha, path, mode="valid").created == 2

    def rows() -> set[tuple[Any, ...]]:
        return set(
            ValueAggregate.objects.filter(collective=world.alpha).values_list(
                "indicator_id", "period_id", "node_id", "option", "total", "numbers", "reported"
            )
        )

    kept = rows()
    assert kept  # the good row was added up
    aggregates.reaggregate(collective=world.alpha)
    assert kept == rows()
