"""Benchmark: the group directory page (/c/demo/groups/) of a 50,000-group collective, against raw SQL.

Builds the demo architecture at size large (50,000 groups; no people) in a scratch database, then times
N requests through Django's test Client — as the backbone admin and as an anonymous visitor — for four
pages: the first page, a search (`q=`), a filter (`status=` and `layer=`), and a deep page (the keyset
cursor half way through the alphabet). The baseline, measured in the same process, is the raw SQL of the
same page: `SELECT … WHERE … ORDER BY name, id LIMIT 50`. ratio = page ms / raw ms.

    minga bench group-directory [--database sqlite|postgres] [--requests 30] [--size large] [--keep]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bench._scratch import emit, median_p95, scratch_database, use_in_process

PAGE = 50
COLUMNS = "id, code, name, layer, kind_id, parent_id, place_name, country_code, status, visibility"


def _admin(collective: Any) -> Any:
    """The backbone admin login (the demo without people has no people: add just this one)."""
    from django.contrib.auth import get_user_model

    from minga.architecture.models import Group
    from minga.people.models import Membership, Person

    email = "admin@demo.minga.local"
    User = get_user_model()
    user = User.objects.filter(email=email).first() or User.objects.create_user(username=email, email=email)
    person, _ = Person.objects.get_or_create(
        collective=collective, user=user, defaults={"full_name": "Admin"}
    )
    backbone = Group.objects.get(collective=collective, code="backbone")
    Membership.objects.get_or_create(person=person, group=backbone, role="admin")
    return user


def _scenarios(collective: Any) -> list[tuple[str, str, str, list[Any]]]:
    """(name, query string, raw WHERE clause, raw params) for each page measured."""
    from minga.architecture.models import Group

    ordered = Group.objects.filter(collective=collective).order_by("name", "id")
    middle = ordered.values_list("id", "name")[ordered.count() // 2]
    return [
        ("first-page", "", "", []),
        ("search", "q=water", "AND name LIKE %s", ["%water%"]),
        ("filter", "status=dormant&layer=action", "AND status = %s AND layer = %s", ["dormant", "action"]),
        (
            "deep-page",
            f"after={middle[0]}",
            "AND (name > %s OR (name = %s AND id > %s))",
            [middle[1], middle[1], middle[0]],
        ),
    ]


def _time_requests(client: Any, url: str, count: int) -> tuple[list[float], int]:
    status = 0
    for _ in range(3):  # warm-up: templates, connections, caches
        status = client.get(url).status_code
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return samples, status


def _time_raw(sql: str, params: list[Any], count: int) -> list[float]:
    from django.db import connection

    samples = []
    with connection.cursor() as cursor:
        for n in range(count + 3):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            if n >= 3:
                samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minga bench group-directory", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page and user")
    parser.add_argument("--size", default="large", help="demo size: large = 50,000 groups")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print where")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import NoReverseMatch, reverse

        from minga.demo.generate import generate_demo

        started = time.perf_counter()
        result = generate_demo(size=args.size, with_people=False, with_metrics=False)
        build_seconds = time.perf_counter() - started
        from minga.demo.generate import demo_collective

        collective = demo_collective()
        assert collective is not None
        setup_test_environment()  # the test Client needs 'testserver' allowed and the test email backend
        admin = _admin(collective)
        try:
            base = reverse("architecture:group_list", kwargs={"slug": collective.slug})
        except NoReverseMatch:
            base = f"/c/{collective.slug}/groups/"
        users = {"admin": Client(), "anonymous": Client()}
        users["admin"].force_login(admin)
        failures = 0
        for scenario, query, where, params in _scenarios(collective):
            url = f"{base}?{query}" if query else base
            for label, client in users.items():
                visible = "" if label == "admin" else "AND visibility = 'public' "
                sql = (
                    f"SELECT {COLUMNS} FROM architecture_group WHERE collective_id = %s {visible}{where} "
                    f"ORDER BY name, id LIMIT {PAGE + 1}"
                )
                samples, status = _time_requests(client, url, args.requests)
                raw = _time_raw(sql, [collective.pk, *params], args.requests)
                page_median, page_p95 = median_p95(samples)
                raw_median, raw_p95 = median_p95(raw)
                figure: dict[str, Any] = {
                    "bench": "group-directory",
                    "database": args.database,
                    "groups": result.groups,
                    "page": scenario,
                    "url": url,
                    "as": label,
                    "status": status,
                    "requests": args.requests,
                    "median_ms": page_median,
                    "p95_ms": page_p95,
                    "raw_median_ms": raw_median,
                    "raw_p95_ms": raw_p95,
                    "ratio": round(page_median / raw_median, 1) if raw_median else None,
                    "build_seconds": round(build_seconds, 1),
                }
                if status != 200:
                    figure["error"] = f"HTTP {status}: is the directory page at {base} built yet?"
                    failures += 1
                emit(**figure)
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
