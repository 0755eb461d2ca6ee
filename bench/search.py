"""Benchmark: learning search (full-text + wordllama, fused, scoped) over 100,000 passages vs a raw FTS query.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`):
1. the demo at size small (groups, people, logins and the learning library), plus `--documents`
   synthetic passages in library documents spread over the demo's groups with mixed visibility,
   inserted and indexed in bulk (embeddings included);
2. *search*: `minga.learning.search.search` for a mix of queries, as the demo coordinator (scoped to
   their region), as the admin, and as a visitor; the first query per user (which loads the semantic
   matrix) is reported separately as cold_ms;
3. *raw*: the same words as a bare full-text query (FTS5 MATCH … ORDER BY bm25 LIMIT 20, or tsvector
   @@ tsquery ORDER BY ts_rank_cd) with no scoping and no semantic part: the floor.
One JSON line per user: bench, database, documents, as, p50_ms, p95_ms, cold_ms, raw_p95_ms, ratio,
goal_p95_ms (100) and met.

    .venv/bin/python -m bench.search [--documents 100000] [--queries 200] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

from bench._scratch import emit, median_p95, scratch_database, use_in_process

GOAL_P95_MS = 100.0
PASSAGES_PER_DOCUMENT = 50
QUERIES = (
    "savings group loans",
    "how to run a share-out",
    "lockbox keys",
    "water point mapping",
    "budget hearing with the council",
    "peer mentoring for new leads",
    "consent when collecting data",
    "streetlights and safety walks",
    "seed bank germination",
    "community scorecard clinic",
    "promise tracking officials",
    "mobile money for the group",
    "listening circle decisions",
    "kitchen garden greywater",
    "conflict mediation neighbours",
    "school absences parent volunteers",
    "market prices text message",
    "radio call-in programme",
    "bulk buying fertiliser",
    "digital safety phones",
    "how do women influence the municipal budget?",
    "what makes a petition effective",
    "learning visit report back",
    "treasurer cash receipts",
    "safeguarding concern reporting",
)


def _sentences() -> list[str]:
    """Every sentence of the demo's practices, documents and session notes: the synthetic passages
    are recombined from them, so words are as common or rare as in real material."""
    from minga.learning.demo_library import COMMUNITIES, RESOURCES
    from minga.learning.demo_practices import PRACTICES
    from minga.learning.indexing import split_sentences

    texts = [
        str(v) for p in PRACTICES for k, v in p.items() if k in {"problem", "method", "context", "evidence"}
    ]
    texts += [r["text"] for r in RESOURCES]
    texts += [s["notes"] for c in COMMUNITIES for s in c["sessions"]]
    found = []
    for text in texts:
        for line in text.split("\n"):
            if line.strip() and not line.startswith("#"):
                found.extend(split_sentences(line.strip("- ")))
    return [s for s in found if len(s) > 30]


PLACES = ("Kisumu", "Arequipa", "Nampula", "Cusco", "Mwanza", "Beira", "Puno", "Eldoret", "Tete", "Huancayo")


def _text(rng: random.Random, sentences: list[str]) -> str:
    chosen = [rng.choice(sentences) for _ in range(rng.randint(2, 5))]
    return f"In {rng.choice(PLACES)} (site {rng.randint(1, 5000)}): " + " ".join(chosen)


def _build(collective: Any, documents: int, seed: int) -> float:
    """`documents` synthetic passages in library documents, bulk-inserted and indexed. Returns seconds."""
    from minga.architecture.models import Group, Layer
    from minga.core.choices import Visibility
    from minga.learning.indexing import _tags, embed, save_passages, to_bytes
    from minga.learning.models import Passage, PassageKind, Resource

    started = time.perf_counter()
    rng = random.Random(seed)
    sentences = _sentences()
    groups = list(
        Group.objects.filter(collective=collective, layer=Layer.ACTION).values_list("id", flat=True)
    )
    n_docs = max(1, documents // PASSAGES_PER_DOCUMENT)
    visibilities = [Visibility.PUBLIC] * 6 + [Visibility.COLLECTIVE] * 3 + [Visibility.PRIVATE]
    resources = Resource.objects.bulk_create(
        [
            Resource(
                collective=collective,
                group_id=rng.choice(groups),
                title=f"Field notes {i} from {rng.choice(PLACES)}",
                kind=Resource.Kind.TEXT,
                text="(synthetic)",
                tags=[rng.choice(("savings", "water", "advocacy", "data", "farming"))],
                visibility=rng.choice(visibilities),
            )
            for i in range(n_docs)
        ],
        batch_size=2_000,
    )
    made = 0
    batch: list[Passage] = []
    for resource in resources:
        for position in range(1, PASSAGES_PER_DOCUMENT + 1):
            if made >= documents:
                break
            batch.append(
                Passage(
                    collective=collective,
                    kind=PassageKind.RESOURCE,
                    resource=resource,
                    position=position,
                    anchor=f"passage-{position}",
                    title=resource.title,
                    heading=f"Part {position}",
                    text=_text(rng, sentences),
                    language="en",
                    tags=_tags(resource.tags),
                )
            )
            made += 1
        if len(batch) >= 10_000:
            _flush(batch, embed, to_bytes, save_passages)
            batch = []
    if batch:
        _flush(batch, embed, to_bytes, save_passages)
    return time.perf_counter() - started


def _flush(batch: list[Any], embed: Any, to_bytes: Any, save_passages: Any) -> None:
    vectors = embed([f"{p.title}. {p.heading}. {p.text}" for p in batch])
    for passage, vector in zip(batch, vectors, strict=True):
        passage.embedding = to_bytes(vector)
    save_passages(batch, batch_size=5_000)


def _login(collective: Any, email: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email=email).first()


def _raw(query: str) -> float:
    """The floor: the engine alone ranking the same words (those `search` selects with), unscoped."""
    from django.db import connection

    from minga.learning.indexing import FTS_TABLE
    from minga.learning.search import selective_terms, terms_of

    terms, every = selective_terms(terms_of(query))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id FROM learning_passage, to_tsquery('english', %s) q WHERE search_vector @@ q "
                f"ORDER BY {'id' if every else 'ts_rank_cd(search_vector, q) DESC'} LIMIT 20",
                [(" & " if every else " | ").join(terms)],
            )
        else:
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
                f"ORDER BY {'rowid' if every else f'bm25({FTS_TABLE})'} LIMIT 20",
                [(" AND " if every else " OR ").join(f'"{t}"' for t in terms)],
            )
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minga bench search", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--documents", type=int, default=100_000, help="synthetic passages to index")
    parser.add_argument("--queries", type=int, default=200, help="timed searches per user")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print where")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from minga.demo.generate import demo_collective, generate_demo
        from minga.learning.models import Passage
        from minga.learning.search import search, semantic_cache_clear

        generate_demo(size="small", with_people=True, with_metrics=False)
        collective = demo_collective()
        assert collective is not None
        build_seconds = _build(collective, args.documents, args.seed)
        total = Passage.objects.filter(collective=collective).count()
        if scratch.database == "postgres":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE learning_passage")
        rng = random.Random(args.seed)
        queries = [rng.choice(QUERIES) for _ in range(args.queries)]
        raw = [_raw(q) for q in queries]
        _, raw_p95 = median_p95(raw)
        failures = 0
        for label, email in (
            ("coordinator", "coordinator@demo.minga.local"),
            ("admin", "admin@demo.minga.local"),
            ("anonymous", None),
        ):
            user = _login(collective, email) if email else None
            semantic_cache_clear()
            started = time.perf_counter()
            search(user=user, query=queries[0], collective=collective)
            cold = (time.perf_counter() - started) * 1000
            samples = []
            hits = 0
            for query in queries:
                started = time.perf_counter()
                results = search(user=user, query=query, collective=collective)
                samples.append((time.perf_counter() - started) * 1000)
                hits += len(results.hits)
            median, p95 = median_p95(samples)
            met = p95 <= GOAL_P95_MS
            failures += 0 if met else 1
            emit(
                bench="search",
                database=scratch.database,
                documents=total,
                queries=len(queries),
                **{"as": label},
                mean_hits=round(hits / len(queries), 1),
                p50_ms=median,
                p95_ms=p95,
                cold_ms=round(cold, 1),
                raw_p95_ms=raw_p95,
                ratio=round(p95 / raw_p95, 1) if raw_p95 else None,
                goal_p95_ms=GOAL_P95_MS,
                met=met,
                build_seconds=round(build_seconds, 1),
            )
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
