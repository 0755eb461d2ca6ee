"""`minga measurement rollup`: the dashboard's rollup on the command line, scoped like the API."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from minga.cli import app
from tests.factories.measurement import make_indicator, make_period, make_value

runner = CliRunner()


def test_rollup_by_child_for_an_admin_and_nothing_for_the_public(world: Any) -> None:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings held")
    april = make_period(world.alpha, "202604")
    make_value(meetings, world.kibera, april, 4)
    make_value(meetings, world.mombasa, april, 6)
    args = ["measurement", "rollup", "meetings", "--collective", "alpha", "--period", "202604"]
    result = runner.invoke(app, [*args, "--within", "ke", "--as", world.admin.email])
    assert result.exit_code == 0, result.output
    assert "Coast" in result.output and "Nairobi" in result.output and "10" in result.output
    public = runner.invoke(app, args)
    assert public.exit_code == 0 and "Nairobi" not in public.output
    bad = runner.invoke(app, [*args, "--by", "colour"])
    assert bad.exit_code == 2
