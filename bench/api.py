"""Benchmark: the groups API (/api/v1/groups) of a 50,000-group collective.

Builds the demo architecture at size large (no people) in a scratch database, then times requests through
Django's test Client with a bearer token — as the backbone admin, as the coordinator of one region and
anonymously — for: the first page, a search (`q=`), filters (`status=`, `layer=`), a subtree
(`within=`), a deep page (a cursor half way through the alphabet) and a 500-item page. One JSON line per
figure (median and p95 in ms).

    .venv/bin/python -m bench.api [--database sqlite|postgres] [--requests 20] [--size large] [--keep]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from typing import Any

from bench._scratch import emit, median_p95, scratch_database, use_in_process


def _login(collective: Any, email: str, group: Any, role: str) -> Any:
    from django.contrib.auth import get_user_model

    from minga.people.models import Membership, Person

    User = get_user_model()
    user = User.objects.filter(email=email).first() or User.objects.create_user(username=email, email=email)
    person, _ = Person.objects.get_or_create(collective=collective, user=user, defaults={"full_name": email})
    Membership.objects.get_or_create(person=person, group=group, role=role)
    return user


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.api", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--size", default="large")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.test import Client
        from django.test.utils import setup_test_environment

        from minga.architecture.models import Group
        from minga.core.services import api_token_create
        from minga.demo.generate import demo_collective, generate_demo

        result = generate_demo(size=args.size, with_people=False, with_metrics=False)
        collective = demo_collective()
        assert collective is not None
        setup_test_environment()
        region = Group.objects.filter(collective=collective, depth=1).order_by("id").first()
        assert region is not None
        logins = {
            "admin": _login(
                collective,
                "admin@bench.local",
                Group.objects.get(collective=collective, code="backbone"),
                "admin",
            ),
            "coordinator": _login(collective, "coordinator@bench.local", region, "coordinator"),
        }
        clients = {"anonymous": Client()}
        for label, user in logins.items():
            _, raw = api_token_create(actor=None, user=user, name="bench")
            clients[label] = Client(headers={"Authorization": f"Bearer {raw}"})
        ordered = Group.objects.filter(collective=collective).order_by("name", "id")
        middle = ordered.values_list("name", "id")[ordered.count() // 2]
        scenarios: dict[str, dict[str, Any]] = {
            "first-page": {},
            "search": {"q": "water"},
            "filter": {"status": "dormant", "layer": "action"},
            "subtree": {"within": region.pk},
            "deep-page": {"cursor": _cursor(list(middle))},
            "page-500": {"limit": 500},
        }
        failures = 0
        for scenario, params in scenarios.items():
            for label, client in clients.items():
                for _ in range(2):
                    client.get("/api/v1/groups", params)
                samples, status, count = [], 0, 0
                for _ in range(args.requests):
                    started = time.perf_counter()
                    response = client.get("/api/v1/groups", params)
                    samples.append((time.perf_counter() - started) * 1000)
                    status, count = response.status_code, len(response.json().get("items", []))
                median, p95 = median_p95(samples)
                failures += status != 200
                emit(
                    bench="api-groups",
                    database=args.database,
                    groups=result.groups,
                    page=scenario,
                    as_=label,
                    status=status,
                    items=count,
                    median_ms=median,
                    p95_ms=p95,
                )
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
