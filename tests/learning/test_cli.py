"""`minga ask "question" --collective SLUG`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from minga.cli import app
from minga.core.choices import Visibility
from tests.factories.learning import make_practice

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture
def practices(world):
    make_practice(world.alpha, actor=world.admin, title="Open well", method="The well is cleaned on Fridays.")
    make_practice(
        world.alpha,
        actor=world.admin,
        origin_group=world.kibera,
        title="Kibera well",
        method="The Kibera well is cleaned at dawn.",
        visibility=Visibility.PRIVATE,
    )


def test_ask_prints_the_answer_and_numbered_citations(world, practices):
    result = runner.invoke(app, ["ask", "When is the well cleaned?", "--collective", "alpha"])
    assert result.exit_code == 0, result.output
    assert "[1]" in result.output and "Open well" in result.output
    assert "Kibera well" not in result.output  # public material only without --as
    assert "/c/alpha/learning/practices/" in result.output


def test_ask_as_a_member_sees_their_groups_material(world, practices):
    result = runner.invoke(
        app,
        [
            "ask",
            "When is the Kibera well cleaned?",
            "--collective",
            "alpha",
            "--as",
            world.member.email,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert "Kibera well" in {c["title"] for c in payload["citations"]}


def test_ask_refuses_unknown_collective_and_says_not_found(world, practices):
    assert runner.invoke(app, ["ask", "wells", "--collective", "nope"]).exit_code == 2
    result = runner.invoke(app, ["ask", "zzzqqq", "--collective", "alpha"])
    assert result.exit_code == 1 and "Not found in the material." in result.output
