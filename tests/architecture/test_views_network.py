"""The map and the network view: what each viewer's browser receives, and at what cost."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from minga.architecture import selectors_geo
from minga.architecture.models import GroupStatus, NetworkSnapshot
from minga.core.choices import Visibility
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
