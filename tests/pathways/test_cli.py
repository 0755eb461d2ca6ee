"""`minga pathways funnel`: the funnel on the command line, scoped like the page and the API."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from minga.cli import app
from tests.factories.pathways import make_pathway, place, stages_of

runner = CliRunner()


def test_funnel_for_an_admin_and_for_the_public(world: Any) -> None:
    pathway = make_pathway(world.alpha, name="Main")
    first, trained, _ = stages_of(pathway)
    place(world.kibera, trained)
    place(world.mombasa, first)
    args = ["pathways", "funnel", "--collective", "alpha"]
    result = runner.invoke(app, [*args, "--as", world.admin.email])
    assert result.exit_code == 0, result.output
    assert "1. Forming" in result.output and "(2 groups)" in result.output
    public = runner.invoke(app, args)  # both groups are private
    assert public.exit_code == 0 and "(0 groups)" in public.output
    within = runner.invoke(app, [*args, "--within", "ke-nai", "--as", world.admin.email, "--pathway", "Main"])
    assert within.exit_code == 0 and "Nairobi" in within.output and "(1 groups)" in within.output
    make_pathway(world.alpha, name="Second")
    assert runner.invoke(app, [*args, "--as", world.admin.email]).exit_code == 2  # which one?
    assert runner.invoke(app, ["pathways", "funnel", "--collective", "nope"]).exit_code == 2
