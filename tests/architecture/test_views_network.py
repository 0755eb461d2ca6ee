"""The map and the network view: what each viewer's browser receives, and at what cost."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from minga.architecture import selectors_geo
from minga.architecture.models import Group, GroupStatus, NetworkSnapshot
from minga.architecture.services import group_update
from minga.architecture.tasks import compute_network_metrics
from minga.core.choices import Visibility
from minga.core.models import AuditEntry
from tests.factories.architecture import make_group, make_link


def geojson(client, **params):
    response = client.get(reverse("architecture:map", args=["alpha"]), {"format": "geojson", **params})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/geo+json")
    return response.json()


def graph(client, **params):
    response = client.get(reverse("architecture:network", args=["alpha"]), {"format": "json", **params})
    assert response.status_code == 200, response.status_code
    return response.json()


def names(collection):
    return {f["properties"]["name"] for f in collection["features"]}


def node_names(data):
    return {n["data"]["label"] for n in data["nodes"]}


@pytest.fixture
def mapped(world):
    """Public groups with points in both regions, next to the private ones of the fixture, and links."""
    world.nairobi_public = make_group(
        world.alpha, parent=world.region_a, name="Nairobi Open", latitude=-1.28, longitude=36.82
    )
    world.coast_public = make_group(
        world.alpha, parent=world.region_b, name="Coast Open", latitude=-3.2, longitude=40.1
    )
    make_link(world.kibera, world.mombasa)
    make_link(world.kibera, world.nairobi_public)
    make_link(world.coast_public, world.mombasa)
    return world


class TestMapData:
    def test_anonymous_sees_only_published_groups(self, client, mapped):
        assert names(geojson(client)) == {"Nairobi Open", "Coast Open"}

    def test_coordinator_never_receives_private_groups_of_the_other_region(self, client, mapped):
        client.force_login(mapped.coordinator_a)
        assert names(geojson(client)) == {"Kibera Youth", "Nairobi Open", "Coast Open"}

    def test_member_sees_their_own_private_group(self, client, mapped):
        client.force_login(mapped.member)
        assert "Kibera Youth" in names(geojson(client)) and "Mombasa Women" not in names(geojson(client))

    def test_admin_sees_everything_with_a_point_as_lon_lat(self, client, mapped):
        client.force_login(mapped.admin)
        data = geojson(client)
        assert names(data) == {"Kibera Youth", "Mombasa Women", "Nairobi Open", "Coast Open"}
        kibera = next(f for f in data["features"] if f["properties"]["name"] == "Kibera Youth")
        assert kibera["geometry"] == {"type": "Point", "coordinates": [36.78, -1.31]}
        assert kibera["id"] == mapped.kibera.pk and data["truncated"] is False

    def test_another_collectives_admin_sees_only_published(self, client, mapped):
        client.force_login(mapped.beta_admin)
        assert names(geojson(client)) == {"Nairobi Open", "Coast Open"}

    def test_filters_layer_kind_status_within(self, client, mapped):
        client.force_login(mapped.admin)
        make_group(
            mapped.alpha,
            parent=mapped.kenya,
            kind_code="district",
            name="District Hub",
            latitude=0.5,
            longitude=35.0,
            status=GroupStatus.DORMANT,
        )
        assert names(geojson(client, layer="network")) == {"District Hub"}
        assert names(geojson(client, kind="district")) == {"District Hub"}
        assert names(geojson(client, status="dormant")) == {"District Hub"}
        assert names(geojson(client, within=mapped.region_b.pk)) == {"Mombasa Women", "Coast Open"}
        # unknown values filter nothing
        assert len(geojson(client, layer="bogus")["features"]) == 5

    def test_within_a_group_out_of_reach_is_404(self, client, mapped):
        client.force_login(mapped.coordinator_a)
        url = reverse("architecture:map", args=["alpha"])
        assert client.get(url, {"format": "geojson", "within": mapped.mombasa.pk}).status_code == 404
        assert client.get(url, {"within": mapped.mombasa.pk}).status_code == 404

    def test_private_collective_is_404_for_anonymous(self, client, mapped):
        mapped.alpha.visibility = Visibility.PRIVATE
        mapped.alpha.save()
        response = client.get(reverse("architecture:map", args=["alpha"]), {"format": "geojson"})
        assert response.status_code == 404

    def test_query_count_does_not_grow_with_groups(self, client, mapped, django_assert_max_num_queries):
        for n in range(200):
            make_group(mapped.alpha, parent=mapped.region_a, latitude=-1 - n / 1000, longitude=36 + n / 1000)
        client.force_login(mapped.coordinator_a)
        client.get(reverse("architecture:map", args=["alpha"]), {"format": "geojson"})
        with django_assert_max_num_queries(6):
            data = geojson(client)
        assert len(data["features"]) == 203

    def test_cap_cuts_and_says_so(self, mapped):
        data = selectors_geo.groups_geojson(
            user=mapped.admin, collective=mapped.alpha, filters=selectors_geo.MapFilters(), cap=2
        )
        assert len(data["features"]) == 2 and data["truncated"] is True


class TestMapPage:
    def test_page_loads_vendored_leaflet_and_no_cdn(self, client, mapped, settings):
        settings.MINGA_TILE_URL = ""
        response = client.get(reverse("architecture:map", args=["alpha"]))
        body = response.content.decode()
        assert response.status_code == 200
        assert "/static/vendor/leaflet/leaflet.js" in body and "/static/minga/map.js" in body
        assert not re.search(r'(src|href)="(https?:)?//', body)
        match = re.search(r'id="map-config"[^>]*>(.*?)</script>', body, re.S)
        assert match is not None
        config = json.loads(match.group(1))
        assert config["tileUrl"] == "" and config["groupUrl"].endswith("/groups/{id}/")

    def test_tile_url_comes_from_settings(self, client, mapped, settings):
        settings.MINGA_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
        body = client.get(reverse("architecture:map", args=["alpha"])).content.decode()
        assert "tiles.example.org" in body

    def test_subtree_choices_leave_out_what_the_viewer_cannot_see(self, client, mapped):
        hidden = make_group(
            mapped.alpha,
            parent=mapped.region_b,
            kind_code="district",
            name="Hidden District",
            visibility=Visibility.PRIVATE,
        )
        client.force_login(mapped.coordinator_a)
        body = client.get(reverse("architecture:map", args=["alpha"])).content.decode()
        assert "Nairobi" in body and hidden.name not in body


class TestNetworkData:
    def test_coordinator_graph_has_no_private_group_or_link_of_the_other_region(self, client, mapped):
        client.force_login(mapped.coordinator_a)
        data = graph(client)
        assert "Mombasa Women" not in node_names(data)
        ids = {n["data"]["id"] for n in data["nodes"]}
        assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in data["edges"])
        assert data["links"] == 1  # kibera—nairobi open; both links to Mombasa stay hidden

    def test_anonymous_graph_has_only_published_groups(self, client, mapped):
        data = graph(client)
        assert not {"Kibera Youth", "Mombasa Women"} & node_names(data)
        assert data["links"] == 0

    def test_degree_counts_links_and_tree_edges_are_optional(self, client, mapped):
        client.force_login(mapped.admin)
        data = graph(client)
        degree = {n["data"]["label"]: n["data"]["degree"] for n in data["nodes"]}
        assert degree["Kibera Youth"] == 2 and degree["Mombasa Women"] == 2 and degree["Kenya"] == 0
        assert any(e["data"]["kind"] == "tree" for e in data["edges"])
        assert not any(e["data"]["kind"] == "tree" for e in graph(client, tree="0")["edges"])

    def test_within_limits_to_the_subtree(self, client, mapped):
        client.force_login(mapped.admin)
        assert node_names(graph(client, within=mapped.region_b.pk)) == {
            "Coast",
            "Mombasa Women",
            "Coast Open",
        }

    def test_within_out_of_reach_is_404(self, client, mapped):
        client.force_login(mapped.coordinator_a)
        url = reverse("architecture:network", args=["alpha"])
        assert client.get(url, {"format": "json", "within": mapped.region_b.pk}).status_code == 200  # public
        assert client.get(url, {"format": "json", "within": mapped.mombasa.pk}).status_code == 404

    def test_bridging_groups_from_the_snapshot_only_when_visible(self, client, mapped):
        NetworkSnapshot.objects.create(
            collective=mapped.alpha,
            computed_at=timezone.now(),
            metrics={
                "bridging": {
                    "top_betweenness": [{"id": mapped.kibera.pk, "name": "Kibera Youth", "score": 0.5}],
                    "top_articulation_points": [{"id": mapped.mombasa.pk, "name": "Mombasa Women"}],
                }
            },
        )
        client.force_login(mapped.coordinator_a)
        data = graph(client)
        flagged = {n["data"]["label"] for n in data["nodes"] if n["data"]["bridging"]}
        assert flagged == {"Kibera Youth"} and data["snapshot_at"]
        assert "Mombasa" not in json.dumps(data)

    def test_cap_keeps_the_top_of_the_tree(self, mapped):
        data = selectors_geo.network_graph(user=mapped.admin, collective=mapped.alpha, cap=3)
        assert data["truncated"] is True and len(data["nodes"]) == 3
        assert {n["data"]["label"] for n in data["nodes"]} <= {"Backbone team", "Kenya", "Coast", "Nairobi"}

    def test_closed_groups_are_left_out_unless_asked(self, client, mapped):
        make_group(
            mapped.alpha,
            parent=mapped.region_a,
            name="Closed One",
            status=GroupStatus.CLOSED,
            closed_on=timezone.localdate(),
        )
        client.force_login(mapped.admin)
        assert "Closed One" not in node_names(graph(client))
        assert "Closed One" in node_names(graph(client, closed="1"))

    def test_query_count_does_not_grow_with_the_network(self, client, mapped, django_assert_max_num_queries):
        groups = [make_group(mapped.alpha, parent=mapped.region_a) for _ in range(100)]
        for a, b in itertools.pairwise(groups):
            make_link(a, b)
        client.force_login(mapped.coordinator_a)
        graph(client)
        with django_assert_max_num_queries(8):
            data = graph(client)
        assert data["links"] == 100


class TestNetworkPage:
    def test_page_loads_vendored_cytoscape(self, client, mapped):
        body = client.get(reverse("architecture:network", args=["alpha"])).content.decode()
        assert "/static/vendor/cytoscape/cytoscape.min.js" in body and "/static/minga/network.js" in body
        assert not re.search(r'(src|href)="(https?:)?//', body)


class TestNetworkFreshness:
    """The network page says how old its metrics are; the collective's admins can ask for new ones."""

    @staticmethod
    def page(client, **params):
        response = client.get(reverse("architecture:network", args=["alpha"]), params)
        assert response.status_code == 200
        return response

    @staticmethod
    def snapshot(world, age, scope_group=None):
        """A snapshot computed `age` ago, after the groups of the fixture were last changed."""
        computed_at = timezone.now() - age
        Group.objects.filter(collective=world.alpha).update(updated_at=computed_at - dt.timedelta(minutes=1))
        return NetworkSnapshot.objects.create(
            collective=world.alpha, scope_group=scope_group, computed_at=computed_at, metrics={}
        )

    def test_without_a_snapshot_the_page_says_stale_and_not_computed(self, client, world):
        html = self.page(client).content.decode()
        assert "Stale" in html and "have not been computed yet" in html

    def test_a_recent_snapshot_shows_its_date_and_age_and_is_not_stale(self, client, world):
        self.snapshot(world, dt.timedelta(hours=3))
        response = self.page(client)
        html = response.content.decode()
        assert "computed" in html and "3\xa0hours ago" in html
        assert "Stale" not in html and response.context["status"].stale_reason == ""

    def test_a_snapshot_older_than_a_day_is_stale(self, client, world):
        self.snapshot(world, dt.timedelta(days=2))
        html = self.page(client).content.decode()
        assert "Stale" in html and "more than a day old" in html and "2\xa0days ago" in html

    def test_a_change_since_the_snapshot_makes_it_stale(self, client, world):
        self.snapshot(world, dt.timedelta(hours=1))
        group_update(actor=world.admin, group=world.kibera, name="Kibera Youth Network")
        html = self.page(client).content.decode()
        assert "Stale" in html and "Groups or links changed since" in html

    def test_a_subtree_without_its_own_snapshot_shows_the_collectives(self, client, world):
        self.snapshot(world, dt.timedelta(hours=2))
        client.force_login(world.admin)
        status = self.page(client, within=world.region_a.pk).context["status"]
        assert status.of_whole_collective and status.snapshot is not None
        own = self.snapshot(world, dt.timedelta(minutes=5), scope_group=world.region_a)
        status = self.page(client, within=world.region_a.pk).context["status"]
        assert status.snapshot == own and not status.of_whole_collective

    def test_only_admins_see_the_refresh_button(self, client, world):
        refresh_url = reverse("architecture:network_refresh", args=["alpha"])
        assert refresh_url not in self.page(client).content.decode()
        for user in [world.member, world.coordinator_a, world.beta_admin]:
            client.force_login(user)
            assert refresh_url not in self.page(client).content.decode()
        client.force_login(world.admin)
        assert refresh_url in self.page(client).content.decode()

    @pytest.mark.parametrize("who", ["anonymous", "member", "lead", "coordinator_a", "beta_admin"])
    def test_refresh_is_404_for_everybody_but_admins(
        self, client, world, who, django_capture_on_commit_callbacks
    ):
        from django_tasks_db.models import DBTaskResult

        if who != "anonymous":
            client.force_login(getattr(world, who))
        refresh_url = reverse("architecture:network_refresh", args=["alpha"])
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(refresh_url).status_code == 404
            assert client.post(refresh_url, {"within": world.region_a.pk}).status_code == 404
        assert not DBTaskResult.objects.exists()
        assert not AuditEntry.objects.filter(action="network.refresh_requested").exists()

    def test_refresh_is_a_post(self, client, world):
        client.force_login(world.admin)
        assert client.get(reverse("architecture:network_refresh", args=["alpha"])).status_code == 405

    def test_admin_refresh_queues_the_task_once_and_the_page_says_so(
        self, client, world, django_capture_on_commit_callbacks
    ):
        from django_tasks_db.models import DBTaskResult

        client.force_login(world.admin)
        refresh_url = reverse("architecture:network_refresh", args=["alpha"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(refresh_url)
        assert response.status_code == 302
        assert response["Location"] == reverse("architecture:network", args=["alpha"])
        queued = DBTaskResult.objects.filter(task_path=compute_network_metrics.module_path)
        assert queued.count() == 1 and queued.get().args_kwargs["args"] == [world.alpha.pk, None]
        page = client.get(response["Location"])
        html = page.content.decode()
        assert "will be recomputed in the background" in html  # the message
        assert "A recomputation is queued" in html and refresh_url not in html
        with django_capture_on_commit_callbacks(execute=True):
            client.post(refresh_url)
        assert queued.count() == 1  # still queued: nothing added

    def test_admin_refreshes_the_subtree_on_show(self, client, world, django_capture_on_commit_callbacks):
        from django_tasks_db.models import DBTaskResult

        client.force_login(world.admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("architecture:network_refresh", args=["alpha"]), {"within": world.region_b.pk}
            )
        assert response["Location"].endswith(f"?within={world.region_b.pk}")
        assert DBTaskResult.objects.get().args_kwargs["args"] == [world.alpha.pk, world.region_b.pk]

    def test_with_an_immediate_backend_the_snapshot_is_there_after_the_redirect(
        self, client, mapped, settings, django_capture_on_commit_callbacks
    ):
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        client.force_login(mapped.admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("architecture:network_refresh", args=["alpha"]))
        snapshot = NetworkSnapshot.objects.get(collective=mapped.alpha, scope_group=None)
        assert snapshot.metrics["links"] == 3
        status = client.get(response["Location"]).context["status"]
        assert status.snapshot == snapshot and not status.stale

    def test_query_count_is_bounded(self, client, mapped, django_assert_max_num_queries):
        self.snapshot(mapped, dt.timedelta(hours=1))
        for _ in range(30):
            make_group(mapped.alpha, parent=mapped.region_a, kind_code="district")
        client.force_login(mapped.admin)
        # session, user, scope, collective, switcher, subtree choices, snapshot, two "changed since"
        # checks, the queued task
        with django_assert_max_num_queries(10):
            self.page(client)
        with django_assert_max_num_queries(11):
            self.page(client, within=mapped.region_a.pk)
