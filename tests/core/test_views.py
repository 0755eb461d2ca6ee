"""Core pages: the start page, logging in and out, passwords and the error pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from minga.core.errors import NotFound
from tests.factories.core import PASSWORD, make_collective

pytestmark = pytest.mark.django_db


def test_start_page_lists_collectives_when_several_are_visible(client, world):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Alpha Collective" in response.content and b"Beta Collective" in response.content


def test_start_page_redirects_to_the_only_visible_collective(client, world):
    world.beta.visibility = "private"
    world.beta.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("architecture:collective_home", args=["alpha"])


def test_private_collective_is_listed_for_its_members_only(client, world):
    hidden = make_collective(slug="hidden", name="Hidden Collective", visibility="private")
    assert b"Hidden Collective" not in client.get("/").content
    client.force_login(world.superuser)
    assert b"Hidden Collective" in client.get("/").content
    assert hidden.pk


def test_login_with_email_and_password(client, world):
    response = client.post(reverse("login"), {"username": world.admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == world.admin


def test_login_with_wrong_password_explains_and_stays_logged_out(client, world):
    response = client.post(reverse("login"), {"username": world.admin.email, "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an account" in response.content
    assert not response.wsgi_request.user.is_authenticated


def test_login_page_uses_the_layout_and_labels_the_email_field(client, world):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Email' in html
    assert 'href="#main"' in html  # skip link of the layout


def test_logout_is_a_post(client, world):
    client.force_login(world.member)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_password_reset_flow(client, world):
    response = client.post(reverse("password_reset"), {"email": world.member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/\S+/)", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    response = client.get(link.group(1), follow=True)
    assert b"Choose a new password" in response.content
    form_url = response.redirect_chain[-1][0]
    new = "another-long-password-77"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.login(username=world.member.email, password=new)


def test_password_change_needs_login(client, world):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(world.member)
    new = "changed-long-password-91"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302


def test_not_found_from_an_access_function_becomes_404(rf, world):
    from minga.core.middleware import NotFoundMiddleware

    middleware = NotFoundMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    from django.http import Http404

    with pytest.raises(Http404):
        middleware.process_exception(rf.get("/"), NotFound("group"))
    assert middleware.process_exception(rf.get("/"), ValueError()) is None


def test_error_templates_render(client, world, settings):
    from django.template.loader import render_to_string

    assert "Something went wrong" in render_to_string("500.html")
    assert "Not allowed" in render_to_string("403.html")
