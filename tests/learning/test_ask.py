"""Ask: extractive answers with citations, scoping of what is cited, and the generative mode against a
real (tiny, local) OpenAI-compatible HTTP server started by the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from minga.core.choices import Visibility
from minga.learning.ask import NOT_FOUND, ask
from minga.learning.models import Passage
from tests.factories.learning import make_practice, make_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(world):
    savings = make_practice(
        world.alpha,
        actor=world.admin,
        title="Savings circles",
        method=(
            "Members buy shares every week. The lockbox has three padlocks and three different members "
            "hold the keys. Loans are decided in the meeting."
        ),
    )
    secret = make_practice(
        world.alpha,
        actor=world.admin,
        origin_group=world.kibera,
        title="Kibera lockbox variant",
        method="In Kibera the lockbox is kept by the youngest member and the keys rotate monthly.",
        visibility=Visibility.PRIVATE,
    )
    water = make_resource(
        world.alpha,
        actor=world.admin,
        title="Water point mapping",
        text="# Mapping\n\nPairs of volunteers mark every tap and borehole on a printed map.",
    )
    return savings, secret, water


def cited_titles(answer) -> set[str]:
    return {c.title for c in answer.citations}


def test_extractive_answer_cites_the_passage_it_quotes(world, library):
    answer = ask(user=world.admin, collective=world.alpha, question="Who holds the keys of the lockbox?")
    assert answer.found and answer.mode == "extractive"
    assert answer.citations[0].title in {"Savings circles", "Kibera lockbox variant"}
    assert "[1]" in answer.text and "keys" in answer.text.lower()
    first = answer.citations[0]
    passage = Passage.objects.get(pk=first.passage_id)
    assert first.url.endswith(f"#{passage.anchor}")


@pytest.mark.parametrize("actor", ["anonymous", "coordinator_b", "beta_admin"])
def test_nobody_is_cited_what_they_cannot_see(world, library, actor):
    user = None if actor == "anonymous" else getattr(world, actor)
    answer = ask(user=user, collective=world.alpha, question="Who keeps the lockbox in Kibera and the keys?")
    assert "Kibera lockbox variant" not in cited_titles(answer)
    assert "youngest" not in answer.text


def test_member_of_the_group_is_cited_the_private_practice(world, library):
    answer = ask(user=world.member, collective=world.alpha, question="Who keeps the lockbox in Kibera?")
    assert "Kibera lockbox variant" in cited_titles(answer)


def test_within_one_document_cites_only_it(world, library):
    _, _, water = library
    answer = ask(user=world.admin, collective=world.alpha, question="keys and taps", within=water)
    assert cited_titles(answer) == {"Water point mapping"}


def test_nothing_relevant_says_not_found(world, library):
    answer = ask(user=world.admin, collective=world.alpha, question="")
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []
    answer = ask(user=world.admin, collective=world.beta, question="lockbox keys")
    assert not answer.found and answer.text == NOT_FOUND


def test_duplicate_passages_are_cited_once(world):
    text = "Groups hold a seed fair every year to exchange local varieties of sorghum."
    make_resource(world.alpha, actor=world.admin, title="Copy one", text=text)
    make_resource(world.alpha, actor=world.admin, title="Copy two", text=text)
    answer = ask(user=world.admin, collective=world.alpha, question="seed fair sorghum varieties")
    assert len(answer.citations) == 1


# --- generative mode against a real local server --------------------------------------------------


class _Model(BaseHTTPRequestHandler):
    """A stand-in language model: answers from the numbered passages it receives, citing [1], or says
    the material has nothing when the question is about something absent."""

    requests: list[dict[str, object]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        user = body["messages"][-1]["content"]
        if "volcano" in user:
            content = "Not found in the material."
        else:
            content = "Three members hold the three keys of the lockbox [1]."
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def model_server(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Model)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Model.requests = []
    monkeypatch.setenv("MINGA_LLM_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("MINGA_LLM_MODEL", "tiny-test-model")
    monkeypatch.setenv("MINGA_LLM_KEY", "secret-key")
    yield _Model
    server.shutdown()
    server.server_close()


def test_generative_answer_is_grounded_in_the_retrieved_passages(world, library, model_server):
    answer = ask(user=world.coordinator_b, collective=world.alpha, question="Who holds the lockbox keys?")
    assert answer.mode == "generative" and answer.found
    assert answer.text == "Three members hold the three keys of the lockbox [1]."
    assert [c.number for c in answer.citations] == [1]
    request = model_server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer secret-key"
    assert request["body"]["model"] == "tiny-test-model"
    prompt = request["body"]["messages"][-1]["content"]
    assert "[1] Savings circles" in prompt
    # the passage the asker may not see never reaches the model
    assert "youngest" not in prompt


def test_generative_not_found_is_said_plainly(world, library, model_server):
    answer = ask(user=world.admin, collective=world.alpha, question="How do we climb the lockbox volcano?")
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []


def test_unreachable_model_falls_back_to_extractive(world, library, monkeypatch):
    monkeypatch.setenv("MINGA_LLM_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("MINGA_LLM_MODEL", "nobody")
    answer = ask(user=world.admin, collective=world.alpha, question="Who holds the lockbox keys?")
    assert answer.mode == "extractive" and answer.found and "could not be reached" in answer.note
