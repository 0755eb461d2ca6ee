"""Who the API thinks is calling: bearer tokens, the browser session (with CSRF on writes), or nobody."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from typer.testing import CliRunner

from minga.architecture.models import Group
from minga.cli import app
from minga.core.errors import DomainError, NotFound
from minga.core.models import ApiToken, AuditEntry, hash_token
from minga.core.services import (
    api_token_authenticate,
    api_token_create,
    api_token_find,
    api_token_list,
    api_token_revoke,
)
from tests.factories.api import ApiClient, error_codes
from tests.factories.core import PASSWORD, make_user

RENAME = {"name": "Renamed"}


class TestTokenService:
    def test_only_the_hash_is_stored_and_the_raw_token_authenticates(self, world):
        token, raw = api_token_create(actor=world.admin, user=world.admin, name="laptop")
        assert raw.startswith("mg_") and raw not in token.key_hash
        assert token.key_hash == hash_token(raw) and raw.startswith(token.prefix)
        assert api_token_authenticate(raw) == world.admin
        assert api_token_authenticate(raw + "x") is None
        assert AuditEntry.objects.filter(action="api_token.create").exists()

    def test_people_manage_only_their_own_tokens(self, world):
        with pytest.raises(NotFound):
            api_token_create(actor=world.member, user=world.admin, name="steal")
        token, _ = api_token_create(actor=world.admin, user=world.admin)
        with pytest.raises(NotFound):
            api_token_revoke(actor=world.member, token=token)
        with pytest.raises(NotFound):
            api_token_find(actor=world.member, prefix=token.prefix)
        assert api_token_list(actor=world.superuser, user=world.admin) == [token]

    def test_name_is_required(self, world):
        with pytest.raises(DomainError):
            api_token_create(actor=world.admin, user=world.admin, name=" ")

    def test_revoked_token_and_inactive_user_no_longer_authenticate(self, world):
        token, raw = api_token_create(actor=world.admin, user=world.admin)
        api_token_revoke(actor=world.admin, token=token)
        assert api_token_authenticate(raw) is None
        _, raw2 = api_token_create(actor=world.member, user=world.member)
        type(world.member).objects.filter(pk=world.member.pk).update(is_active=False)
        assert api_token_authenticate(raw2) is None

    def test_last_used_is_stamped_at_most_once_a_minute(self, world, django_assert_num_queries):
        token, raw = api_token_create(actor=world.admin, user=world.admin)
        api_token_authenticate(raw)
        token.refresh_from_db()
        first = token.last_used_at
        assert first is not None
        with django_assert_num_queries(1):  # no write within the minute
            api_token_authenticate(raw)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=5))
        api_token_authenticate(raw)
        token.refresh_from_db()
        assert token.last_used_at is not None
        assert token.last_used_at > first - dt.timedelta(minutes=5)


class TestBearer:
    def test_valid_token_acts_as_its_user(self, world):
        response = ApiClient(world.admin).get(f"/groups/{world.mombasa.pk}")
        assert response.status_code == 200

    @pytest.mark.parametrize("header", ["Bearer mg_nope", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz"])
    def test_bad_credentials_are_401_even_for_reads(self, world, header):
        response = Client().get("/api/v1/groups", headers={"Authorization": header})
        assert response.status_code == 401
        assert error_codes(response) == {"unauthenticated"}
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_revoked_token_is_401(self, world):
        token, raw = api_token_create(actor=world.admin, user=world.admin)
        api_token_revoke(actor=world.admin, token=token)
        response = Client().get("/api/v1/groups", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401

    def test_bearer_writes_need_no_csrf(self, world):
        _, raw = api_token_create(actor=world.admin, user=world.admin)
        api = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
        response = api.patch(f"/api/v1/groups/{world.kibera.pk}", RENAME, content_type="application/json")
        assert response.status_code == 200


class TestSessionAndAnonymous:
    def test_anonymous_reads_public_data_and_cannot_write(self, world):
        anonymous = ApiClient()
        assert anonymous.get(f"/groups/{world.kenya.pk}").status_code == 200
        assert anonymous.get(f"/groups/{world.kibera.pk}").status_code == 404
        response = anonymous.patch(f"/groups/{world.kenya.pk}", RENAME)
        assert response.status_code == 401
        assert Group.objects.get(pk=world.kenya.pk).name == "Kenya"

    def test_session_reads_with_the_users_scope(self, world):
        browser = Client()
        browser.force_login(world.admin)
        assert browser.get(f"/api/v1/groups/{world.mombasa.pk}").status_code == 200

    def test_session_writes_need_the_csrf_token(self, world):
        browser = Client(enforce_csrf_checks=True)
        assert browser.login(username=world.admin.email, password=PASSWORD)
        url = f"/api/v1/groups/{world.kibera.pk}"
        response = browser.patch(url, RENAME, content_type="application/json")
        assert response.status_code == 403 and error_codes(response) == {"csrf_failed"}
        assert Group.objects.get(pk=world.kibera.pk).name == "Kibera Youth"
        browser.get("/api/v1/docs")  # any page that renders the token sets the cookie
        csrf = browser.cookies["csrftoken"].value
        response = browser.patch(url, RENAME, content_type="application/json", headers={"X-CSRFToken": csrf})
        assert response.status_code == 200
        assert Group.objects.get(pk=world.kibera.pk).name == "Renamed"


class TestTokenCommands:
    def test_create_list_revoke(self, world):
        runner = CliRunner()
        created = runner.invoke(app, ["token", "create", "--user", world.admin.email, "--name", "ci"])
        assert created.exit_code == 0, created.output
        raw = created.stdout.strip().splitlines()[0]
        assert api_token_authenticate(raw) == world.admin
        listed = runner.invoke(app, ["token", "list", "--user", world.admin.email])
        prefix = raw[:10]
        assert prefix in listed.stdout and "active" in listed.stdout
        revoked = runner.invoke(app, ["token", "revoke", prefix])
        assert revoked.exit_code == 0
        assert api_token_authenticate(raw) is None
        assert "revoked" in runner.invoke(app, ["token", "list", "--user", world.admin.email]).stdout

    def test_unknown_user_or_prefix_fails_cleanly(self, world):
        runner = CliRunner()
        assert runner.invoke(app, ["token", "create", "--user", "nobody@example.org"]).exit_code == 1
        assert runner.invoke(app, ["token", "revoke", "mg_nothing"]).exit_code == 1

    def test_token_of_a_user_without_memberships_sees_public_data_only(self, world):
        outsider = make_user()
        response = ApiClient(outsider).get("/groups", {"collective": "alpha"})
        assert {g["code"] for g in response.json()["items"]} == {"backbone", "ke", "ke-nai", "ke-cst"}
