"""Cursor pagination: a walk returns every visible item exactly once, in order, at a bounded query cost."""

from __future__ import annotations

from typing import Any

import pytest

from minga.architecture.models import Group, GroupSet, Link
from minga.core.choices import Role, Visibility
from minga.people.models import Membership, Person
from tests.factories.api import ApiClient
from tests.factories.architecture import make_group, make_link
from tests.factories.people import make_person


def walk(
    api: ApiClient, path: str, params: dict[str, Any] | None = None, *, limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        page = api.get(path, {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.content
        data = page.json()
        assert len(data["items"]) <= limit
        items.extend(data["items"])
        cursor = data["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the walk did not end")


@pytest.fixture
def many_groups(world):
    """60 groups in each region, half private, with repeated names so the id breaks ties."""
    for region in (world.region_a, world.region_b):
        for i in range(60):
            make_group(
                world.alpha,
                parent=region,
                name=f"Group {i % 7}",
                visibility=Visibility.PRIVATE if i % 2 else Visibility.PUBLIC,
            )


@pytest.mark.parametrize("actor", ["anonymous", "coordinator_a", "admin"])
@pytest.mark.parametrize("limit", [1, 7, 500])
def test_group_walk_returns_every_visible_group_once_in_order(world, many_groups, actor, limit):
    user = None if actor == "anonymous" else getattr(world, actor)
    items = walk(ApiClient(user), "/groups", limit=limit)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(Group.objects.visible_to(user).values_list("id", flat=True))
    keys = [(item["name"], item["id"]) for item in items]
    assert keys == sorted(keys)


def test_rows_added_during_a_walk_do_not_shift_it(world, many_groups):
    api = ApiClient(world.admin)
    first = api.get("/groups", {"limit": 10}).json()
    make_group(world.alpha, parent=world.region_a, name="AAA first by name")
    rest = walk(api, "/groups", {"cursor": first["next_cursor"]}, limit=25)
    seen = [g["id"] for g in first["items"]] + [g["id"] for g in rest]
    assert len(seen) == len(set(seen))


def test_people_links_and_memberships_walk(world, many_groups):
    groups = list(Group.objects.filter(parent=world.region_a).order_by("id")[:30])
    for i, group in enumerate(groups):
        person = make_person(world.alpha, full_name=f"Person {i % 4}")
        Membership.objects.create(person=person, group=group, role=Role.MEMBER)
        make_link(group, world.region_a)
    api = ApiClient(world.coordinator_a)
    user = world.coordinator_a
    scoped: list[tuple[str, Any]] = [("/people", Person), ("/links", Link), ("/memberships", Membership)]
    for path, model in scoped:
        ids = [item["id"] for item in walk(api, path, limit=4)]
        assert len(ids) == len(set(ids))
        assert set(ids) == set(model.objects.visible_to(user).values_list("id", flat=True)), path


def test_tampered_cursor_is_422(world):
    for cursor in ["abc", "W10", "WyJhIl0"]:  # not base64 JSON; []; ["a"] (wrong arity)
        response = ApiClient().get("/groups", {"cursor": cursor})
        assert response.status_code == 422, cursor


@pytest.mark.parametrize(
    "path", ["/groups", "/people", "/links", "/memberships", "/group-sets", "/collectives"]
)
def test_a_list_page_costs_three_queries_whatever_its_size(
    world, many_groups, path, django_assert_num_queries
):
    for group in Group.objects.filter(parent=world.region_a)[:20]:
        Membership.objects.create(person=make_person(world.alpha), group=group)
        make_link(group, world.kenya)
    for code in ("youth", "women", "farmers"):
        GroupSet.objects.create(collective=world.alpha, code=code, name=code.title())
    api = ApiClient(world.coordinator_a)
    api.get(path)  # stamps the token's last use, so the counted request is a plain read
    # the token (with its user), the caller's scope, the page (related rows joined, never per item)
    with django_assert_num_queries(3):
        response = api.get(path, {"limit": 100})
    assert response.status_code == 200 and len(response.json()["items"]) > 1
