# ruff: noqa: E501 -- the evaluation table reads best one question per line
"""Benchmark: Ask over the demo library: recall@5 of cited passages on 56 question/source pairs, latency.

In a scratch database with the demo (size small: the learning library of practices, documents and
session notes), each question of `EVALUATION` is asked as the demo admin. A question counts as found
when a passage of its expected source is among the (at most five) citations. The same questions are
also run through full-text search alone (top five passages, no semantic part) as the baseline.
One JSON line per mode: bench, database, questions, recall_at_5, p50_ms, p95_ms, goal_recall (0.9), met;
with `--misses`, the questions whose source was not cited are printed on stderr.

    .venv/bin/python -m bench.ask [--database sqlite|postgres] [--misses]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bench._scratch import emit, median_p95, scratch_database, use_in_process

GOAL_RECALL = 0.9

# (question, the title (or the start of the title) of the source that answers it)
EVALUATION: tuple[tuple[str, str], ...] = (
    ("How many padlocks does the savings lockbox have and who holds the keys?", "Savings circles with a three-key lockbox"),
    ("How much can a member borrow from the savings circle?", "Savings circles with a three-key lockbox"),
    ("What does a group do when a member has a funeral or a hospital bill?", "Social fund for emergencies"),
    ("Is the social fund shared out at the end of the cycle?", "Social fund for emergencies"),
    ("Why collect household data on paper instead of a phone app?", "Paper-first community data collection"),
    ("What happens at the quarterly data evening?", "Paper-first community data collection"),
    ("How do patients and clinic staff score the health service?", "Community scorecard"),
    ("What is an interface meeting?", "Community scorecard step by step"),
    ("How should a group prepare for the municipal budget hearing?", "Preparing for the municipal budget hearing"),
    ("How many priorities should we bring to the council's budget hearing?", "Preparing for the municipal budget hearing"),
    ("How are new group leads supported by mentors?", "Peer mentoring pairs for new group leads"),
    ("What goes in the mentoring log?", "Peer mentoring toolkit"),
    ("How do young people map water points?", "Youth-led mapping of water points"),
    ("What should be recorded at each water point?", "Water point mapping protocol"),
    ("How do farmers learn market prices before traders arrive?", "Market price bulletin by text message"),
    ("How is seed stored in a community seed bank?", "Community seed bank and seed fair"),
    ("How do you test whether saved seed will germinate?", "Seed saving basics"),
    ("What do women note during a safety walk at dusk?", "Women's safety walks"),
    ("How many streetlights did the council install after the campaign?", "Case study: the streetlight campaign"),
    ("How do we make sure quiet members speak before a decision?", "Listening circles before big decisions"),
    ("What are the rules of a listening circle and who speaks first?", "Facilitating a listening circle"),
    ("Why rotate the chair and the minute-taker?", "Rotating chair and minute-taker"),
    ("What do parent volunteers do when a child misses school?", "Parent volunteers follow up school absences"),
    ("How can groups buy fertiliser and seed more cheaply?", "Buying farm inputs together"),
    ("How does the community radio call-in programme work?", "Community radio call-in on local issues"),
    ("How do we keep track of promises made by councillors?", "Tracking the promises of officials"),
    ("How should a learning visit to another group be organised?", "Organising a learning visit"),
    ("What share of visiting groups adopted the practice they saw?", "Learning visits between groups"),
    ("How can members who cannot read check their savings?", "Picture ledger for members who do not read"),
    ("Who mediates disputes between neighbours and which cases are never mediated?", "Trained peer mediators"),
    ("How are kitchen gardens watered in the dry season?", "Kitchen gardens watered with greywater"),
    ("What should be in a savings group constitution?", "Savings group constitution template"),
    ("How are the officers of a savings group elected?", "Savings group constitution template"),
    ("How is the value of one share calculated at share-out?", "How to run a share-out"),
    ("Must all loans be repaid before the share-out?", "How to run a share-out"),
    ("How should a data collector ask for consent?", "Field guide for community data collectors"),
    ("What should collectors do with completed paper forms?", "Field guide for community data collectors"),
    ("What should a one-page brief for councillors contain?", "Preparing a one-page brief for the council"),
    ("How do we report a safeguarding concern?", "Safeguarding policy in brief"),
    ("Can we take photographs of children at activities?", "Safeguarding policy in brief"),
    ("What should the treasurer do when handling group cash?", "Treasurer's checklist for handling cash"),
    ("How should a group manage its mobile money account?", "Treasurer's checklist for handling cash"),
    ("How do we write a petition that gets read?", "Writing a petition that gets read"),
    ("How did the women vegetable sellers get a market shelter?", "Case study: the market shelter negotiation"),
    ("Why do loans go late in savings groups?", "Savings and livelihoods circle: Why loans go late"),
    ("What mistakes should we avoid on share-out day?", "Savings and livelihoods circle: Share-out day"),
    ("Should a savings group keep its money in mobile money?", "Savings and livelihoods circle: Mobile money"),
    ("What businesses did members start with their loans?", "Savings and livelihoods circle: From savings"),
    ("What if a husband answers the survey for his wife?", "Community data collectors: Consent in practice"),
    ("How do groups make data evenings enjoyable?", "Community data collectors: Data evenings"),
    ("What do we do when a household answer looks wrong?", "Community data collectors: When the numbers"),
    ("When does the municipal budget cycle start?", "Advocacy with local government: Getting into"),
    ("How do we work with clinic committees?", "Advocacy with local government: Working with clinic"),
    ("How did groups involve the police in safety walks?", "Advocacy with local government: Safety walks"),
    ("What should organisers do to keep their phones and member lists safe?", "Digital safety"),
    ("What happens when an organiser's phone is lost?", "Digital safety checklist for organisers"),
)  # fmt: skip


def _found(titles: list[str], expected: str) -> bool:
    return any(title.startswith(expected) for title in titles)


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minga bench ask", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--misses", action="store_true", help="print the questions whose source was missed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print where")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.contrib.auth import get_user_model

        from minga.demo.generate import demo_collective, generate_demo
        from minga.learning.ask import ask
        from minga.learning.search import search

        generate_demo(size="small", with_people=True, with_metrics=False)
        collective = demo_collective()
        assert collective is not None
        admin: Any = get_user_model().objects.get(email="admin@demo.minga.local")
        ask(user=admin, collective=collective, question="warm up the model and caches")
        failures = 0
        for mode in ("ask", "fulltext-top5"):
            samples: list[float] = []
            hits = 0
            for question, expected in EVALUATION:
                started = time.perf_counter()
                if mode == "ask":
                    titles = [
                        c.title for c in ask(user=admin, collective=collective, question=question).citations
                    ]
                else:
                    results = search(
                        user=admin, query=question, collective=collective, limit=5, semantic=False
                    )
                    titles = [hit.title for hit in results.hits]
                samples.append((time.perf_counter() - started) * 1000)
                if _found(titles[:5], expected):
                    hits += 1
                elif args.misses:
                    print(f"[{mode}] missed {expected!r} for {question!r}: {titles[:5]}", file=sys.stderr)
            median, p95 = median_p95(samples)
            recall = round(hits / len(EVALUATION), 3)
            met = recall >= GOAL_RECALL
            if mode == "ask" and not met:
                failures += 1
            emit(
                bench="ask",
                mode=mode,
                database=scratch.database,
                questions=len(EVALUATION),
                recall_at_5=recall,
                p50_ms=median,
                p95_ms=p95,
                goal_recall=GOAL_RECALL,
                met=met,
            )
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
