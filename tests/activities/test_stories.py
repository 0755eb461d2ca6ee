"""Stories: the teller takes their consent back themselves; other groups, activities and outcomes are
linked from the form and the API; stories are edited on the web."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minga.activities.models import Story
from minga.core.models import AuditEntry
from tests.factories.activities import make_activity, make_consenting_person, make_story
from tests.factories.api import ApiClient
from tests.factories.core import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def teller(world):
    """A member of Kibera with a login, who consented to be named, and the story she told."""
    user = make_user()
    person = make_consenting_person(world.kibera, user=user, full_name="Njeri")
    story = make_story(world.kibera, teller=person, teller_name="Njeri", title="Our water kiosk")
    return user, story


def test_the_teller_withdraws_her_consent_from_the_story_page(client, world, teller):
    user, story = teller
    page = reverse("activities:story_detail", args=["alpha", story.pk])
    withdraw = reverse("activities:story_withdraw", args=["alpha", story.pk])
    client.force_login(world.member)  # a member of the same group, not the teller
    assert "Withdraw my consent" not in client.get(page).content.decode()
    assert client.post(withdraw).status_code == 404
    client.force_login(user)
    html = client.get(page).content.decode()
    assert "You told this story" in html and "Withdraw my consent" in html
    assert "/edit/" not in html  # the teller may withdraw, not rewrite
    assert client.post(withdraw).status_code == 302
    assert not Story.objects.filter(pk=story.pk).exists()
    entry = AuditEntry.objects.get(action="story.withdraw")
    assert entry.target_repr == f"story #{story.pk}" and "kiosk" not in str(entry.changes)


def test_the_story_list_points_a_teller_to_her_stories(client, world, teller):
    user, _story = teller
    make_story(world.kibera, title="Someone else's story")
    client.force_login(user)
    listing = reverse("activities:story_list", args=["alpha"])
    assert "You are the teller of 1 story" in client.get(listing).content.decode()
    mine = client.get(listing, {"teller": "me"}).content.decode()
    assert "Stories you told" in mine and "Our water kiosk" in mine and "Someone else" not in mine


def test_the_teller_withdraws_over_the_api_but_cannot_edit(world, teller):
    user, story = teller
    api = ApiClient(user)
    assert [s["title"] for s in api.get("/api/v1/stories", {"teller": "me"}).json()["items"]] == [
        "Our water kiosk"
    ]
    assert api.patch(f"/api/v1/stories/{story.pk}", {"title": "Rewritten"}).status_code == 404
    assert ApiClient(world.member).delete(f"/api/v1/stories/{story.pk}").status_code == 404
    assert api.delete(f"/api/v1/stories/{story.pk}").status_code == 204
    assert not Story.objects.filter(pk=story.pk).exists()


def test_api_links_other_groups_activities_and_outcomes(world):
    activity = make_activity(world.kibera, title="Kiosk opening")
    api = ApiClient(world.coordinator_a)
    body = {
        "collective": "alpha",
        "group_id": world.kibera.pk,
        "title": "Two groups, one kiosk",
        "text": "Kibera and the region built it together.",
        "consent_note": "Recorded at the meeting",
        "told_on": "2024-05-01",
        "group_ids": [world.region_a.pk],
        "activity_ids": [activity.pk],
    }
    created = api.post("/api/v1/stories", body)
    assert created.status_code == 201, created.content
    story_id = created.json()["id"]
    assert created.json()["group_ids"] == [world.region_a.pk]
    assert created.json()["activity_ids"] == [activity.pk]
    # A group the caller can't see is an unknown reference, reported on the field sent.
    hidden = api.post("/api/v1/stories", {**body, "group_ids": [world.mombasa.pk]})
    assert hidden.status_code == 422
    assert hidden.json()["errors"][0]["field"] == "group_ids"
    patched = api.patch(f"/api/v1/stories/{story_id}", {"group_ids": [], "title": "One kiosk"})
    assert patched.status_code == 200
    assert patched.json()["group_ids"] == [] and patched.json()["activity_ids"] == [activity.pk]
    assert patched.json()["title"] == "One kiosk"


def test_a_story_is_shared_with_links_and_edited_on_the_web(client, world):
    activity = make_activity(world.kibera, title="Kiosk opening")
    client.force_login(world.coordinator_a)
    created = client.post(
        reverse("activities:story_create", args=["alpha"]),
        {
            "title": "The kiosk",
            "text": "How we did it.",
            "group": world.kibera.pk,
            "consent_note": "Written consent, May 2024",
            "told_on": "2024-05-01",
            "visibility": "collective",
            "groups": [world.region_a.pk],
            "activities": [activity.pk],
        },
    )
    assert created.status_code == 302
    story = Story.objects.get(title="The kiosk")
    assert list(story.groups.all()) == [world.region_a]
    assert list(story.activities.all()) == [activity]
    page = client.get(reverse("activities:story_detail", args=["alpha", story.pk])).content.decode()
    assert "Also about" in page and world.region_a.name in page
    edit = reverse("activities:story_edit", args=["alpha", story.pk])
    form = client.get(edit).content.decode()
    assert "How we did it." in form
    saved = client.post(
        edit,
        {
            "title": "The kiosk, told again",
            "text": "How we did it.",
            "group": world.kibera.pk,
            "consent_note": "Written consent, May 2024",
            "told_on": "2024-05-01",
            "visibility": "collective",
            "themes": "water, kiosks",
        },
    )
    assert saved.status_code == 302
    story.refresh_from_db()
    assert story.title == "The kiosk, told again" and story.themes == ["water", "kiosks"]
    assert not story.groups.exists() and not story.activities.exists()  # unselected: unlinked
    client.force_login(world.coordinator_b)
    assert client.get(edit).status_code == 404
