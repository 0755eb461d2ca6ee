"""`minga dhis2 import` and `minga dhis2 export`: the summary, dry run, conflicts, scoping by --as."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from minga.cli import app
from minga.measurement.models import DataValue
from minga.measurement.models_dhis2 import Dhis2Mapping
from tests.factories.measurement import make_indicator

runner = CliRunner()


def _setup(world: Any) -> None:
    make_indicator(world.alpha, code="meetings")
    Dhis2Mapping.objects.create(
        collective=world.alpha, kind="indicator", code="meetings", dhis2_id="deMeeting01"
    )
    for group in (world.kibera, world.mombasa):
        Dhis2Mapping.objects.create(
            collective=world.alpha, kind="group", code=group.code, dhis2_id=f"ou-{group.code}"
        )


def _file(tmp_path: Path, *values: dict[str, Any]) -> str:
    path = tmp_path / "april.json"
    path.write_text(json.dumps({"dataValues": list(values)}))
    return str(path)


def dv(unit: str = "ou-ke-nai-kib", value: str = "4", **over: Any) -> dict[str, Any]:
    return {"dataElement": "deMeeting01", "period": "202604", "orgUnit": unit, "value": value} | over


def test_import_dry_run_then_for_real(world: Any, tmp_path: Path) -> None:
    _setup(world)
    file = _file(tmp_path, dv(), dv("ou-ke-cst-mom", "6"))
    dry = runner.invoke(app, ["dhis2", "import", file, "--collective", "alpha", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "SUCCESS" in dry.output and "2 imported" in dry.output and not DataValue.objects.exists()
    real = runner.invoke(app, ["dhis2", "import", file, "--collective", "alpha"])
    assert real.exit_code == 0 and DataValue.objects.count() == 2
    again = runner.invoke(app, ["dhis2", "import", file, "--collective", "alpha"])
    assert "2 ignored" in again.output


def test_import_conflicts_exit_1_and_scoping(world: Any, tmp_path: Path) -> None:
    _setup(world)
    file = _file(tmp_path, dv(), dv("ou-ke-cst-mom", "6"), dv(value="lots"))
    result = runner.invoke(app, ["dhis2", "import", file, "--collective", "alpha", "--as", world.lead.email])
    assert result.exit_code == 1, result.output
    assert "1 imported" in result.output and "Conflicts" in result.output and "ou-ke-cst-mom" in result.output


def test_import_bad_input(world: Any, tmp_path: Path) -> None:
    _setup(world)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert runner.invoke(app, ["dhis2", "import", str(broken), "--collective", "alpha"]).exit_code == 2
    file = _file(tmp_path, dv())
    assert runner.invoke(app, ["dhis2", "import", file, "--collective", "nope"]).exit_code == 2
    assert (
        runner.invoke(app, ["dhis2", "import", file, "--collective", "alpha", "--strategy", "X"]).exit_code
        == 2
    )
    member = runner.invoke(
        app, ["dhis2", "import", file, "--collective", "alpha", "--as", world.member.email]
    )
    assert member.exit_code == 2


def test_export_to_a_file_scoped_by_login(world: Any, tmp_path: Path) -> None:
    _setup(world)
    runner.invoke(
        app, ["dhis2", "import", _file(tmp_path, dv(), dv("ou-ke-cst-mom", "6")), "--collective", "alpha"]
    )
    out = tmp_path / "out.json"
    result = runner.invoke(
        app,
        [
            "dhis2",
            "export",
            "--collective",
            "alpha",
            "--period",
            "202604",
            "-o",
            str(out),
            "--as",
            world.lead.email,
        ],
    )
    assert result.exit_code == 0, result.output
    assert [v["orgUnit"] for v in json.loads(out.read_text())["dataValues"]] == ["ou-ke-nai-kib"]
    everything = runner.invoke(app, ["dhis2", "export", "--collective", "alpha", "--id-scheme", "UID"])
    assert everything.exit_code == 0 and everything.stdout.count('"dataElement"') == 2
    bad = runner.invoke(app, ["dhis2", "export", "--collective", "alpha", "--period", "2026Z"])
    assert bad.exit_code == 2
