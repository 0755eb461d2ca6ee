"""What's working with indicator results: adopting groups after adoption against similar non-adopting
groups in the same periods, scoped, per subtree, on the page and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from minga.learning.comparison import practice_comparison
from minga.learning.models import Adoption
from minga.measurement.models import ValueType
from tests.factories.api import ApiClient
from tests.factories.architecture import make_group
from tests.factories.learning import make_practice
from tests.factories.measurement import make_indicator, make_period, make_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(world):
    kawangware = make_group(world.alpha, parent=world.region_a, name="Kawangware Traders")
    mathare = make_group(world.alpha, parent=world.region_a, name="Mathare Savers")
    practice = make_practice(world.alpha, actor=world.admin, title="Savings circles")
    Adoption.objects.create(practice=practice, group=world.kibera, adopted_on=dt.date(2025, 3, 1))
    indicator = make_indicator(world.alpha, name="Members saving", unit="people")
    months = {m: make_period(world.alpha, f"2025{m:02d}") for m in range(1, 5)}
    for group, values in (
        (world.kibera, {1: 1, 2: 1, 3: 10, 4: 20}),  # after adopting: March, April → 15
        (kawangware, {3: 4, 4: 6}),
        (mathare, {1: 100, 4: 2}),  # January is before the adoption: not compared
        (world.mombasa, {3: 30}),  # same kind, other parent
    ):
        for month, value in values.items():
            make_value(indicator, group, months[month], value)
    return practice, indicator


def test_same_parent_after_adoption_in_the_same_periods(world, setting):
    practice, indicator = setting
    result = practice_comparison(viewer=world.admin, practice=practice, indicator=indicator)
    assert (result.adopters.groups, result.adopters.values, result.adopters.mean) == (1, 2, 15.0)
    assert (result.others.groups, result.others.values, result.others.mean) == (2, 3, 4.0)
    assert result.difference == 11.0
    by_kind = practice_comparison(viewer=world.admin, practice=practice, indicator=indicator, similar="kind")
    assert (by_kind.others.groups, by_kind.others.values, by_kind.others.mean) == (3, 4, 10.5)


@pytest.mark.parametrize(
    ("actor", "sees"),
    [("anonymous", False), ("coordinator_b", False), ("beta_admin", False), ("coordinator_a", True)],
)
def test_only_what_the_viewer_may_see(world, setting, actor, sees):
    practice, indicator = setting
    user = None if actor == "anonymous" else getattr(world, actor)
    result = practice_comparison(viewer=user, practice=practice, indicator=indicator)
    assert (result.adopters.groups == 1) is sees
    if not sees:
        assert result.adopters.mean is None and result.difference is None


def test_per_subtree(world, setting):
    practice, indicator = setting
    coast = practice_comparison(
        viewer=world.admin, practice=practice, indicator=indicator, similar="kind", within=world.region_b
    )
    assert coast.adopters.groups == 0 and coast.difference is None
    nairobi = practice_comparison(
        viewer=world.admin, practice=practice, indicator=indicator, similar="kind", within=world.region_a
    )
    assert nairobi.others.groups == 2  # Mombasa is outside Nairobi


def test_page_is_labelled_and_scoped(client, world, setting):
    practice, indicator = setting
    url = reverse("learning:practice_compare", args=["alpha", practice.pk])
    client.force_login(world.admin)
    page = client.get(url, {"indicator": indicator.pk, "similar": "parent"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "not a causal claim" in html
    assert "15.0" in html and "4.0" in html and "11.0" in html
    detail = client.get(reverse("learning:practice_detail", args=["alpha", practice.pk])).content.decode()
    assert url in detail
    working = client.get(reverse("learning:whats_working", args=["alpha"])).content.decode()
    assert url in working
    client.force_login(world.coordinator_b)
    html = client.get(url, {"indicator": indicator.pk}).content.decode()
    assert "Not enough values you can see" in html
    client.force_login(world.beta_admin)  # the practice is public: the page, but no alpha values
    html = client.get(url, {"indicator": indicator.pk}).content.decode()
    assert "15.0" not in html
    missing = reverse("learning:practice_compare", args=["alpha", practice.pk + 999])
    assert client.get(missing).status_code == 404


def test_api(world, setting):
    practice, indicator = setting
    api = ApiClient(world.admin)
    path = f"/learning/practices/{practice.pk}/comparison"
    body = api.get(path, {"indicator_id": indicator.pk, "similar": "kind"}).json()
    assert body["adopters"] == {"groups": 1, "values": 2, "mean": 15.0}
    assert body["others"]["mean"] == 10.5 and body["difference"] == 4.5
    assert "not a causal" in body["note"]
    within = api.get(path, {"indicator_id": indicator.pk, "within": world.region_b.pk}).json()
    assert within["adopters"]["groups"] == 0
    text = make_indicator(world.alpha, name="Notes", value_type=ValueType.TEXT)
    assert api.get(path, {"indicator_id": text.pk}).status_code == 422
    other = make_indicator(world.beta, name="Beta members")
    assert api.get(path, {"indicator_id": other.pk}).status_code == 422
    missing = f"/learning/practices/{practice.pk + 999}/comparison"
    assert api.get(missing, {"indicator_id": indicator.pk}).status_code == 404
