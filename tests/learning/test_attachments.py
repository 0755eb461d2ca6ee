"""Attachments on practices: uploaded, text-extracted, indexed with the practice, removable."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minga.core.choices import Visibility
from minga.learning import services
from minga.learning.models import Passage, PracticeAttachment
from minga.learning.search import search
from tests.factories.api import ApiClient
from tests.factories.learning import make_practice

pytestmark = pytest.mark.django_db

GUIDE = b"# Field checklist\n\nCount the jerrycans at every kiosk before the committee meets.\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def titles(user, query, world):
    return [
        (h.passage.title, h.passage.heading)
        for h in search(user=user, query=query, collective=world.alpha).hits
    ]


def test_attachment_is_indexed_with_the_practice_and_scoped(world):
    practice = make_practice(
        world.alpha,
        actor=world.admin,
        origin_group=world.kibera,
        title="Kiosk audits",
        visibility=Visibility.PRIVATE,
    )
    services.practice_attachment_add(
        actor=world.lead, practice=practice, title="", upload=("checklist.md", GUIDE)
    )
    attachment = PracticeAttachment.objects.get()
    assert attachment.title == "checklist.md" and "jerrycans" in attachment.text
    assert titles(world.member, "jerrycans", world) == [("Kiosk audits", "Field checklist")]
    assert titles(world.coordinator_b, "jerrycans", world) == []  # the practice is private to Kibera
    with pytest.raises(Exception):  # noqa: B017 - NotFound for someone who may not edit
        services.practice_attachment_add(
            actor=world.member, practice=practice, title="x", upload=("x.md", b"# x\n\ntext")
        )
    services.practice_attachment_delete(actor=world.admin, attachment=attachment)
    assert titles(world.admin, "jerrycans", world) == []
    assert Passage.objects.filter(practice=practice).exists()  # the practice itself stays indexed


def test_page_attaches_and_removes(client, world):
    practice = make_practice(world.alpha, actor=world.admin, title="Kiosk audits")
    url = reverse("learning:practice_detail", args=["alpha", practice.pk])
    client.force_login(world.admin)
    response = client.post(
        reverse("learning:practice_attachment_add", args=["alpha", practice.pk]),
        {"title": "Checklist", "file": SimpleUploadedFile("c.md", GUIDE)},
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Checklist" in html and "jerrycans" in html  # listed, and its passages shown
    bad = client.post(
        reverse("learning:practice_attachment_add", args=["alpha", practice.pk]),
        {"title": "Bad", "file": SimpleUploadedFile("c.exe", b"MZ")},
    )
    assert bad.status_code == 302 and PracticeAttachment.objects.count() == 1
    attachment = PracticeAttachment.objects.get()
    remove = reverse("learning:practice_attachment_delete", args=["alpha", practice.pk, attachment.pk])
    client.force_login(world.coordinator_b)
    assert client.post(remove).status_code == 404
    client.force_login(world.admin)
    assert client.post(remove).status_code == 302
    assert not PracticeAttachment.objects.exists()


def test_api_upload(world):
    practice = make_practice(world.alpha, actor=world.admin, title="Kiosk audits")
    api = ApiClient(world.admin)
    path = f"/api/v1/learning/practices/{practice.pk}/attachments"
    response = api.client.post(path, {"title": "Checklist", "file": SimpleUploadedFile("c.md", GUIDE)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Checklist" and body["characters"] > 40 and body["practice_id"] == practice.pk
    other = ApiClient(world.coordinator_b).client.post(path, {"file": SimpleUploadedFile("c.md", GUIDE)})
    assert other.status_code == 404


def test_api_lists_and_removes_attachments(world):
    practice = make_practice(world.alpha, actor=world.admin, origin_group=world.kibera, title="Kiosk audits")
    services.practice_attachment_add(
        actor=world.admin, practice=practice, title="Checklist", upload=("c.md", GUIDE)
    )
    attachment = PracticeAttachment.objects.get()
    base = f"/api/v1/learning/practices/{practice.pk}/attachments"
    listed = ApiClient(world.member).get(base)
    assert listed.status_code == 200, listed.content
    assert [a["title"] for a in listed.json()] == ["Checklist"]
    # Someone who may read but not edit the practice, and someone outside it, can't remove it.
    assert ApiClient(world.member).delete(f"{base}/{attachment.pk}").status_code == 404
    assert ApiClient(world.coordinator_b).delete(f"{base}/{attachment.pk}").status_code == 404
    assert ApiClient(world.lead).delete(f"{base}/{attachment.pk}").status_code == 204
    assert not PracticeAttachment.objects.exists()
    assert titles(world.admin, "jerrycans", world) == []
    assert ApiClient(world.lead).delete(f"{base}/{attachment.pk}").status_code == 404  # gone
