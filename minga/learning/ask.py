"""Ask: what does this collective's material say about a question, with citations to exact passages.

Retrieval is `search.search` (so it sees only what the asker may see). Then:

- *extractive* (always available, no external service): the best sentence of each of the top
  passages, scored by meaning and shared words, near-duplicates dropped, composed into a short answer
  whose sentences carry their citation numbers [n];
- *generative*, when `MINGA_LLM_URL` and `MINGA_LLM_MODEL` (and `MINGA_LLM_KEY` if the endpoint needs
  one) name an OpenAI-compatible chat endpoint: the numbered passages go to the model with the
  instruction to answer only from them, cite them as [n], and say "Not found in the material."
  otherwise. If the endpoint fails, the extractive answer is given instead, with a note.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minga.core.models import Collective
from minga.learning.indexing import embed, split_sentences
from minga.learning.models import Community, Practice, Resource, Session
from minga.learning.search import Hit, highlight, search

NOT_FOUND = "Not found in the material."
MAX_CITATIONS = 5
ANSWER_SENTENCES = 3
DUPLICATE_COSINE = 0.93
LLM_TIMEOUT = 30.0
MAX_QUESTION_CHARS = 500

SYSTEM_PROMPT = (
    "You answer questions about a collective's own material. Use ONLY the numbered passages given. "
    "Cite every statement with the passage number in square brackets, like [1] or [2][3]. "
    "If the passages do not contain the answer, reply exactly: " + NOT_FOUND
)


@dataclass
class Citation:
    number: int
    passage_id: int
    kind: str
    title: str
    heading: str
    url: str
    excerpt: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "passage_id": self.passage_id,
            "kind": self.kind,
            "title": self.title,
            "heading": self.heading,
            "url": self.url,
            "excerpt": self.excerpt,
        }


@dataclass
class Answer:
    question: str
    text: str
    found: bool
    mode: str  # "extractive" | "generative" | "none"
    citations: list[Citation] = field(default_factory=list)
    note: str = ""
    seconds: float = 0.0


def llm_settings() -> tuple[str, str, str] | None:
    """(url, model, key) of the configured OpenAI-compatible endpoint, or None."""
    url = os.environ.get("MINGA_LLM_URL", "").strip()
    model = os.environ.get("MINGA_LLM_MODEL", "").strip()
    if not url or not model:
        return None
    return url, model, os.environ.get("MINGA_LLM_KEY", "").strip()


def ask(
    *,
    user: Any,
    collective: Collective | None,
    question: str,
    within: Practice | Resource | Session | Community | None = None,
) -> Answer:
    """Answer `question` from the material `user` may see in `collective` (or only `within` one
    source), citing the passages used. Never cites what the asker cannot see."""
    started = time.perf_counter()
    question = (question or "").strip()[:MAX_QUESTION_CHARS]
    results = search(user=user, query=question, collective=collective, within=within, limit=12)
    hits = _distinct(results.hits)[:MAX_CITATIONS]
    if not hits:
        return Answer(question, NOT_FOUND, False, "none", seconds=time.perf_counter() - started)
    citations = [
        Citation(
            number=i + 1,
            passage_id=hit.passage.pk,
            kind=hit.passage.kind,
            title=hit.passage.title,
            heading=hit.passage.heading,
            url=hit.url,
            excerpt=str(highlight(hit.passage.text, results.terms, length=320)),
        )
        for i, hit in enumerate(hits)
    ]
    answer: Answer | None = None
    note = ""
    configured = llm_settings()
    if configured is not None:
        try:
            answer = _generative(question, hits, citations, configured)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
            note = f"The language model could not be reached ({error.__class__.__name__}); extractive answer."
    if answer is None:
        answer = _extractive(question, results.terms, hits, citations)
        answer.note = note
    answer.seconds = time.perf_counter() - started
    return answer


def _distinct(hits: list[Hit]) -> list[Hit]:
    """Hits whose passages are not near-copies of a better-ranked one (the same paragraph pasted
    into two documents is cited once)."""
    kept: list[Hit] = []
    vectors: list[np.ndarray] = []
    texts: set[str] = set()
    for hit in hits:
        key = " ".join(hit.passage.text.lower().split())[:400]
        if key in texts:
            continue
        vector = (
            np.frombuffer(bytes(hit.passage.embedding), dtype=np.float16).astype(np.float32)
            if (hit.passage.embedding)
            else None
        )
        if vector is not None and any(float(vector @ v) > DUPLICATE_COSINE for v in vectors):
            continue
        texts.add(key)
        if vector is not None:
            vectors.append(vector)
        kept.append(hit)
    return kept


def _extractive(question: str, terms: list[str], hits: list[Hit], citations: list[Citation]) -> Answer:
    """The best sentence of each top passage, in rank order, each followed by its citation."""
    query_vector = embed([question])[0]
    candidates: list[tuple[float, int, str]] = []
    for number, hit in enumerate(hits, start=1):
        sentences = [s for s in split_sentences(hit.passage.text) if len(s) > 20] or [hit.passage.text[:300]]
        vectors = embed(sentences)
        best = -1.0
        best_sentence = sentences[0]
        for sentence, vector in zip(sentences, vectors, strict=True):
            lowered = sentence.lower()
            overlap = sum(1 for t in terms if re.search(r"\b" + re.escape(t), lowered))
            score = float(vector @ query_vector) + 0.08 * overlap
            if score > best:
                best, best_sentence = score, sentence
        # earlier (better-ranked) passages win ties
        candidates.append((best - 0.02 * number, number, best_sentence))
    chosen = sorted(candidates, key=lambda c: -c[0])[:ANSWER_SENTENCES]
    chosen.sort(key=lambda c: c[1])
    text = " ".join(f"{_trim(sentence)} [{number}]" for _, number, sentence in chosen)
    return Answer(question, text, True, "extractive", citations)


def _trim(sentence: str, limit: int = 400) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def _generative(
    question: str, hits: list[Hit], citations: list[Citation], configured: tuple[str, str, str]
) -> Answer:
    url, model, key = configured
    context = "\n\n".join(
        f"[{i}] {hit.passage.title} — {hit.passage.heading}\n{hit.passage.text}"
        for i, hit in enumerate(hits, 1)
    )
    body = {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passages:\n\n{context}\n\nQuestion: {question}"},
        ],
    }
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    endpoint = url.rstrip("/")
    if not endpoint.endswith("/chat/completions"):
        endpoint += "/chat/completions"
    request = urllib.request.Request(endpoint, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=LLM_TIMEOUT) as response:
        payload = json.loads(response.read().decode())
    content = str(payload["choices"][0]["message"]["content"]).strip()
    if not content or NOT_FOUND.lower().rstrip(".") in content.lower():
        return Answer(question, NOT_FOUND, False, "generative")
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", content) if 1 <= int(n) <= len(citations)})
    used = [c for c in citations if c.number in cited] if cited else citations
    return Answer(question, content, True, "generative", used)
