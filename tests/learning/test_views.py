"""The learning pages for visitors, members, another region's coordinator, another collective's admin
and the admin: what each sees, the forms, and query-count pins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minga.core.choices import Visibility
from minga.learning.models import Adoption, Community, Practice, Resource, Session
from tests.factories.learning import make_community, make_practice, make_resource, make_session

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"learning:{name}", args=args)


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def material(world):
    public = make_practice(
        world.alpha,
        actor=world.admin,
        title="Open savings",
        method="Weekly shares in a lockbox.",
        origin_group=world.region_a,
        summary="Save together.",
    )
    private = make_practice(
        world.alpha,
        actor=world.admin,
        title="Kibera secret",
        method="Night meetings.",
        origin_group=world.kibera,
        visibility=Visibility.PRIVATE,
    )
    doc = make_resource(world.alpha, actor=world.admin, title="Lockbox guide", text="# Keys\n\nThree keys.")
    community = make_community(world.alpha, actor=world.admin, name="Savers")
    session = make_session(community, actor=world.admin, title="First", notes="We counted shares.")
    return public, private, doc, community, session


@pytest.mark.parametrize(
    ("actor", "sees_private"),
    [
        ("anonymous", False),
        ("member", True),
        ("coordinator_b", False),
        ("beta_admin", False),
        ("admin", True),
    ],
)
def test_learning_home_shows_what_each_may_see(client, world, material, actor, sees_private):
    login(client, None if actor == "anonymous" else getattr(world, actor))
    response = client.get(url("index", "alpha"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Open savings" in page and "Lockbox guide" in page and "Savers" in page
    assert ("Kibera secret" in page) == sees_private
    assert 'class="site-search"' in page
    private = material[1]
    status = 200 if sees_private else 404
    assert client.get(url("practice_detail", "alpha", private.pk)).status_code == status


def test_home_query_count_does_not_grow_with_rows(client, world, material, django_assert_max_num_queries):
    client.force_login(world.admin)
    client.get(url("index", "alpha"))
    for n in range(15):
        make_practice(world.alpha, actor=world.admin, title=f"More {n}")
        make_resource(world.alpha, actor=world.admin, title=f"Doc {n}")
    with django_assert_max_num_queries(14):
        assert client.get(url("index", "alpha")).status_code == 200


def test_practice_page_shows_passages_spread_and_who_learned_from_whom(client, world, material):
    public = material[0]
    Adoption.objects.create(practice=public, group=world.region_a, adopted_on=dt.date(2025, 1, 5))
    Adoption.objects.create(
        practice=public, group=world.kibera, adopted_on=dt.date(2025, 4, 5), learned_from=world.region_a
    )
    Adoption.objects.create(
        practice=public, group=world.mombasa, adopted_on=dt.date(2025, 6, 5), learned_from=world.kibera
    )
    client.force_login(world.coordinator_a)
    page = client.get(url("practice_detail", "alpha", public.pk)).content.decode()
    assert 'id="passage-1"' in page and "<svg" in page
    assert "Nairobi</a> → <a" in page  # region A taught Kibera
    assert "Mombasa Women" not in page  # another region's private group is not shown
    client.force_login(world.coordinator_b)
    page = client.get(url("practice_detail", "alpha", public.pk)).content.decode()
    assert "another group" in page  # Kibera taught Mombasa, but B cannot see Kibera
    assert "Kibera Youth" not in page


def test_search_page_ranks_highlights_and_filters(client, world, material):
    response = client.get(url("search", "alpha"), {"q": "lockbox keys"})
    page = response.content.decode()
    assert response.status_code == 200 and "<mark>" in page and "Lockbox guide" in page
    assert "#passage-1" in page
    page = client.get(url("search", "alpha"), {"q": "lockbox", "kind": "resource"}).content.decode()
    assert "Lockbox guide" in page and "Open savings" not in page
    assert client.get(url("search", "alpha"), {"q": '"NEAR( *'}).status_code == 200


def test_ask_page_and_fragment(client, world, material):
    response = client.get(url("ask", "alpha"), {"q": "How many keys does the lockbox have?"})
    assert response.status_code == 200 and "[1]" in response.content.decode()
    fragment = client.get(
        url("ask", "alpha"), {"q": "lockbox keys", "resource": material[2].pk}, headers={"HX-Request": "true"}
    )
    body = fragment.content.decode()
    assert "<html" not in body and "Lockbox guide" in body and "Open savings" not in body
    assert client.get(url("ask", "alpha"), {"q": "x", "practice": material[1].pk}).status_code == 404


def test_whats_working_ranks_by_adoption_and_evidence(client, world, material):
    public, *_ = material
    Practice.objects.filter(pk=public.pk).update(status="proven")
    Adoption.objects.create(practice=public, group=world.region_a, adopted_on=dt.date(2025, 1, 5))
    client.force_login(world.admin)
    page = client.get(url("whats_working", "alpha")).content.decode()
    assert page.index("Open savings") < page.index("Kibera secret")
    assert "not a claim" in page
    assert client.get(url("whats_working", "alpha"), {"within": world.region_b.pk}).status_code == 200


def test_lead_shares_a_practice_and_records_an_adoption(client, world, material):
    client.force_login(world.lead)
    response = client.post(
        url("practice_create", "alpha"),
        {
            "title": "Night classes",
            "method": "Read together.",
            "status": "emerging",
            "visibility": "public",
            "origin_group": world.kibera.pk,
            "tags": "literacy, adults",
            "languages": "en, sw",
        },
    )
    practice = Practice.objects.get(title="Night classes")
    assert response.status_code == 302 and practice.tags == ["literacy", "adults"]
    response = client.post(
        url("adoption_create", "alpha", material[0].pk),
        {"group": world.kibera.pk, "adopted_on": "2026-01-02", "learned_from": "ke-nai"},
    )
    assert response.status_code == 302
    assert Adoption.objects.get(group=world.kibera).learned_from == world.region_a
    response = client.post(
        url("adoption_create", "alpha", practice.pk),
        {"group": world.kibera.pk, "adopted_on": "2026-01-02", "learned_from": "ke-cst-mom"},
    )
    assert response.status_code == 422  # Mombasa is not visible to the lead: unknown code


def test_member_cannot_publish(client, world, material):
    client.force_login(world.member)
    assert client.get(url("practice_create", "alpha")).status_code == 404
    assert client.get(url("practice_edit", "alpha", material[0].pk)).status_code == 404
    assert client.post(url("practice_delete", "alpha", material[0].pk)).status_code == 404


def test_admin_edits_and_deletes_a_practice(client, world, material):
    public = material[0]
    client.force_login(world.admin)
    form = client.get(url("practice_edit", "alpha", public.pk))
    assert form.status_code == 200
    response = client.post(
        url("practice_edit", "alpha", public.pk),
        {
            "title": "Open savings",
            "method": "Monthly shares.",
            "status": "promising",
            "visibility": "public",
            "origin_group": world.region_a.pk,
        },
    )
    assert response.status_code == 302
    assert Practice.objects.get(pk=public.pk).method == "Monthly shares."
    assert client.post(url("practice_delete", "alpha", public.pk)).status_code == 302
    assert not Practice.objects.filter(pk=public.pk).exists()


def test_upload_a_markdown_document_and_find_it(client, world):
    client.force_login(world.admin)
    upload = SimpleUploadedFile(
        "notes.md", b"# Compost\n\nTurn the compost heap every week.", "text/markdown"
    )
    response = client.post(
        url("resource_create", "alpha"),
        {"title": "Compost notes", "file": upload, "language": "en", "visibility": "public", "tags": "soil"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    resource = Resource.objects.get(title="Compost notes")
    assert resource.kind == "file" and "compost heap" in resource.text
    page = client.get(url("resource_detail", "alpha", resource.pk)).content.decode()
    assert 'id="passage-1"' in page and "Ask this document" in page
    bad = SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream")
    response = client.post(
        url("resource_create", "alpha"), {"title": "X", "file": bad, "language": "en", "visibility": "public"}
    )
    assert response.status_code == 422
    assert client.post(url("resource_delete", "alpha", resource.pk)).status_code == 302
    assert not Resource.objects.filter(pk=resource.pk).exists()


def test_community_and_session_pages(client, world, material):
    community, session = material[3], material[4]
    page = client.get(url("community_detail", "alpha", community.pk)).content.decode()
    assert "First" in page and "Record a session" not in page
    assert "We counted shares." in client.get(url("session_detail", "alpha", session.pk)).content.decode()
    client.force_login(world.admin)
    response = client.post(
        url("community_create", "alpha"), {"name": "Data", "topic": "data", "visibility": "public"}
    )
    assert response.status_code == 302
    data = Community.objects.get(name="Data")
    response = client.post(
        url("session_create", "alpha", data.pk),
        {"title": "Kickoff", "held_on": "2026-02-02", "attendance": 12, "notes": "Consent first."},
    )
    assert response.status_code == 302 and Session.objects.get(title="Kickoff").passages.exists()
