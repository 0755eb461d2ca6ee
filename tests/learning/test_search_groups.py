"""Groups and activities in the one search box: indexed from learning's side, kept in step, scoped by
their own apps' rules, linked to their pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minga.architecture.models import Group
from minga.core.choices import Visibility
from minga.learning import search as search_module
from minga.learning.indexing import search_index_refresh, search_index_stale
from minga.learning.models import IndexCursor, Passage, PassageKind
from minga.learning.search import Filters, search
from tests.factories.activities import make_activity
from tests.factories.api import ApiClient
from tests.factories.architecture import make_group

pytestmark = pytest.mark.django_db


def kinds_and_titles(results) -> set[tuple[str, str]]:
    return {(hit.passage.kind, hit.passage.title) for hit in results.hits}


@pytest.fixture
def material(world):
    world.kibera.description = "We run a borehole committee and keep the pump working."
    world.kibera.save()
    world.mombasa.description = "Fish traders pooling cold storage."
    world.mombasa.save()
    open_drive = make_activity(
        world.region_a,
        title="Borehole census",
        description="Counting every borehole in the region.",
        outputs="A map of working pumps.",
    )
    hidden_drive = make_activity(
        world.kibera,
        title="Kibera borehole repair",
        description="Replacing the pump seals.",
        visibility=Visibility.PRIVATE,
    )
    search_index_refresh(world.alpha)
    return open_drive, hidden_drive


def test_groups_and_activities_are_found_and_link_to_their_pages(world, material):
    open_drive, _ = material
    results = search(user=world.admin, query="borehole pump", collective=world.alpha, semantic=False)
    assert kinds_and_titles(results) >= {
        ("group", "Kibera Youth"),
        ("activity", "Borehole census"),
        ("activity", "Kibera borehole repair"),
    }
    urls = {hit.passage.title: hit.url for hit in results.hits}
    assert urls["Kibera Youth"] == reverse("architecture:group_detail", args=["alpha", world.kibera.pk])
    assert urls["Borehole census"] == reverse("activities:activity_detail", args=["alpha", open_drive.pk])
    only_groups = search(
        user=world.admin,
        query="borehole",
        collective=world.alpha,
        filters=Filters(kind=PassageKind.GROUP),
        semantic=False,
    )
    assert kinds_and_titles(only_groups) == {("group", "Kibera Youth")}
    # the place and kind of a group are searchable too
    world.region_b.place_name = "Mombasa county"
    world.region_b.save()
    search_index_refresh(world.alpha)
    found = search(user=world.admin, query="county", collective=world.alpha, semantic=False)
    assert kinds_and_titles(found) == {("group", "Coast")}


@pytest.mark.parametrize(
    ("actor", "sees_kibera"),
    [
        ("anonymous", False),
        ("member", True),
        ("lead", True),
        ("coordinator_a", True),
        ("coordinator_b", False),
        ("beta_admin", False),
        ("admin", True),
    ],
)
def test_scoped_by_the_groups_and_activities_own_rules(world, material, actor, sees_kibera):
    user = None if actor == "anonymous" else getattr(world, actor)
    results = search(user=user, query="borehole pump", collective=world.alpha, semantic=True)
    found = kinds_and_titles(results)
    assert (("group", "Kibera Youth") in found) is sees_kibera
    assert (("activity", "Kibera borehole repair") in found) is sees_kibera
    for hit in results.hits:
        if hit.passage.group_id:
            assert Group.objects.visible_to(user).filter(pk=hit.passage.group_id).exists()
    # the other collective's search never reaches alpha's groups
    assert not search(user=user, query="borehole", collective=world.beta).hits


def test_changes_are_picked_up_incrementally(world, material):
    open_drive, _hidden = material
    cursor = IndexCursor.objects.get(collective=world.alpha, kind=PassageKind.GROUP)
    assert cursor.indexed_until is not None
    assert not search_index_stale(world.alpha.pk)
    assert search_index_refresh(world.alpha) == 0  # nothing changed: nothing re-indexed

    world.kibera.description = "We now run a tree nursery."
    world.kibera.save()
    assert search_index_stale(world.alpha.pk)
    assert search_index_refresh(world.alpha) == 1  # only the changed group
    group_passages = Passage.objects.filter(group=world.kibera)
    assert group_passages.count() == 1 and "nursery" in group_passages.get().text

    drive_id = open_drive.pk
    assert Passage.objects.filter(activity_id=drive_id).exists()
    open_drive.delete()  # a deleted activity takes its passages with it
    assert not Passage.objects.filter(activity_id=drive_id).exists()
    results = search(user=world.admin, query="borehole", collective=world.alpha, semantic=False)
    assert kinds_and_titles(results) == {("activity", "Kibera borehole repair")}

    count = Passage.objects.filter(kind__in=["group", "activity"]).count()
    sources = Group.objects.filter(collective=world.alpha).count() + 1
    assert search_index_refresh(world.alpha, full=True) == sources
    assert Passage.objects.filter(kind__in=["group", "activity"]).count() == count


def test_search_refreshes_by_itself_when_something_changed(world, django_assert_max_num_queries):
    search(user=world.admin, query="anything", collective=world.alpha, semantic=False)
    make_group(
        world.alpha, parent=world.region_a, name="Mathare Bakers", description="Sourdough for the market."
    )
    search_module._refresh_checked.clear()  # past the per-process check interval
    results = search(user=world.admin, query="sourdough", collective=world.alpha, semantic=False)
    assert kinds_and_titles(results) == {("group", "Mathare Bakers")}
    # when nothing changed the check is a handful of cheap queries, no indexing
    search_module._refresh_checked.clear()
    with django_assert_max_num_queries(4):
        search_module.refresh_if_stale([world.alpha.pk])


def test_api_and_page_include_groups_and_activities(world, material, client):
    api = ApiClient(world.admin)
    hits = api.get("/search", {"q": "borehole", "collective": "alpha", "kind": "activity"}).json()["hits"]
    assert {h["title"] for h in hits} == {"Borehole census", "Kibera borehole repair"}
    assert {h["kind"] for h in hits} == {"activity"}
    anonymous = ApiClient(None).get("/search", {"q": "borehole", "collective": "alpha"}).json()["hits"]
    assert "Kibera borehole repair" not in {h["title"] for h in anonymous}
    client.force_login(world.admin)
    page = client.get(reverse("learning:search", args=["alpha"]), {"q": "borehole", "kind": "group"})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("architecture:group_detail", args=["alpha", world.kibera.pk]) in html
    assert "Borehole census" not in html


def test_the_cli_refreshes_the_index_of_groups_and_activities(world) -> None:
    from typer.testing import CliRunner

    from minga.cli import app
    from minga.learning.models import Passage

    runner = CliRunner()
    result = runner.invoke(app, ["search", "refresh", "--collective", "alpha", "--full"])
    assert result.exit_code == 0, result.output
    assert Passage.objects.filter(group=world.kibera).exists()
    assert "indexed" in result.output
    assert runner.invoke(app, ["search", "refresh", "--collective", "nope"]).exit_code == 2
