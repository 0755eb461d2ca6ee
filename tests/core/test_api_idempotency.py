"""`Idempotency-Key`: a retried write returns the first answer and writes nothing more."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import RequestFactory
from django.utils import timezone

from minga.architecture.models import Group, Link
from minga.core.api_support import idempotency
from minga.core.api_support.idempotency import request_fingerprint
from minga.core.models import AuditEntry, IdempotencyKey
from minga.core.services import idempotency_key_purge
from minga.people.models import Person
from tests.factories.api import ApiClient, error_codes, error_fields

KEY = {"Idempotency-Key": "create-new-group-1"}


def body(world, **overrides):
    return {
        "parent_id": world.region_a.pk,
        "code": "ke-nai-new",
        "name": "New group",
        "kind": "group",
    } | overrides


def test_same_key_same_body_replays_the_stored_response(world):
    api = ApiClient(world.coordinator_a)
    first = api.post("/groups", body(world), **KEY)
    assert first.status_code == 201
    groups, audits = Group.objects.count(), AuditEntry.objects.count()
    again = api.post("/groups", body(world), **KEY)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (Group.objects.count(), AuditEntry.objects.count()) == (groups, audits)


def test_key_order_in_the_json_body_does_not_matter(world):
    api = ApiClient(world.admin)
    assert api.post("/groups", body(world), **KEY).status_code == 201
    reordered = dict(reversed(list(body(world).items())))
    assert api.post("/groups", reordered, **KEY)["Idempotent-Replayed"] == "true"


def test_same_key_different_body_is_422(world):
    api = ApiClient(world.admin)
    assert api.post("/groups", body(world), **KEY).status_code == 201
    before = Group.objects.count()
    response = api.post("/groups", body(world, code="other", name="Other"), **KEY)
    assert response.status_code == 422
    assert error_codes(response) == {"idempotency_key_reused"}
    assert error_fields(response) == {"Idempotency-Key"}
    assert Group.objects.count() == before


def test_same_key_on_another_endpoint_is_422(world):
    api = ApiClient(world.admin)
    assert api.post("/groups", body(world), **KEY).status_code == 201
    response = api.patch(f"/groups/{world.kibera.pk}", {"name": "X"}, **KEY)
    assert response.status_code == 422 and error_codes(response) == {"idempotency_key_reused"}
    assert Group.objects.get(pk=world.kibera.pk).name == "Kibera Youth"


def fingerprint(path: str, payload: dict[str, Any]) -> str:
    request = RequestFactory().post(path, data=json.dumps(payload), content_type="application/json")
    return request_fingerprint(request)


def test_a_request_still_in_flight_is_409(world):
    # What a concurrent first attempt leaves while it runs: a claim without a response.
    IdempotencyKey.objects.create(
        user=world.admin,
        key=KEY["Idempotency-Key"],
        method="POST",
        path="/api/v1/groups",
        body_hash=fingerprint("/api/v1/groups", body(world)),
    )
    before = Group.objects.count()
    response = ApiClient(world.admin).post("/groups", body(world), **KEY)
    assert response.status_code == 409 and error_codes(response) == {"request_in_progress"}
    assert Group.objects.count() == before


def test_an_abandoned_claim_is_taken_over(world):
    payload = {"source_id": world.region_a.pk, "target_id": world.kenya.pk, "kind": "partnership"}
    claim = IdempotencyKey.objects.create(
        user=world.admin,
        key="link-1",
        method="POST",
        path="/api/v1/links",
        body_hash=fingerprint("/api/v1/links", payload),
    )
    IdempotencyKey.objects.filter(pk=claim.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    response = ApiClient(world.admin).post("/links", payload, **{"Idempotency-Key": "link-1"})
    assert response.status_code == 201
    assert Link.objects.count() == 1
    assert IdempotencyKey.objects.get(pk=claim.pk).status_code == 201


def test_a_failed_write_releases_the_key(world):
    api = ApiClient(world.admin)
    bad = api.post("/groups", body(world, latitude=500, longitude=0), **KEY)
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.filter(key=KEY["Idempotency-Key"]).exists()
    fixed = api.post("/groups", body(world, latitude=5, longitude=0), **KEY)
    assert fixed.status_code == 201


def test_keys_belong_to_their_user(world):
    first = ApiClient(world.admin).post("/groups", body(world), **KEY)
    second = ApiClient(world.coordinator_a).post("/groups", body(world, code="ke-nai-2"), **KEY)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_delete_replay_answers_204_again(world):
    person = Person.objects.get(user=world.member)
    api = ApiClient(world.admin)
    key = {"Idempotency-Key": "erase-member"}
    assert api.delete(f"/people/{person.pk}", **key).status_code == 204
    replay = api.delete(f"/people/{person.pk}", **key)
    assert replay.status_code == 204 and replay["Idempotent-Replayed"] == "true"


def test_without_a_key_each_request_is_its_own(world):
    api = ApiClient(world.admin)
    assert api.post("/groups", body(world)).status_code == 201
    assert api.post("/groups", body(world)).status_code == 422  # duplicate code, not a replay
    assert not IdempotencyKey.objects.exists()


def test_overlong_key_is_refused(world):
    response = ApiClient(world.admin).post("/groups", body(world), **{"Idempotency-Key": "k" * 201})
    assert response.status_code == 422 and error_fields(response) == {"Idempotency-Key"}
    assert not Group.objects.filter(code="ke-nai-new").exists()


def test_anonymous_write_with_a_key_is_still_401(world):
    response = ApiClient().post("/groups", body(world), **KEY)
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


# --- forgetting old keys --------------------------------------------------------------------------


def _key_claimed(user, key: str, age: dt.timedelta) -> IdempotencyKey:
    claim = IdempotencyKey.objects.create(user=user, key=key, method="POST", path="/x", body_hash="h")
    IdempotencyKey.objects.filter(pk=claim.pk).update(created_at=timezone.now() - age)
    return claim


def test_purge_forgets_keys_older_than_a_day_only(world):
    old = _key_claimed(world.admin, "old", dt.timedelta(hours=25))
    recent = _key_claimed(world.admin, "recent", dt.timedelta(hours=23))
    other_user_old = _key_claimed(world.member, "old", dt.timedelta(days=3))
    assert idempotency_key_purge() == 2
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not IdempotencyKey.objects.filter(pk__in=[old.pk, other_user_old.pk]).exists()
    assert idempotency_key_purge() == 0  # safe to run again
    assert idempotency_key_purge(older_than=dt.timedelta(hours=1)) == 1


def test_after_the_purge_the_same_key_is_a_new_request(world):
    api = ApiClient(world.admin)
    assert api.post("/groups", body(world), **KEY).status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    idempotency_key_purge()
    response = api.post("/groups", body(world, code="ke-nai-new-2"), **KEY)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


def test_the_purge_task_runs_the_purge(world):
    _key_claimed(world.admin, "old", dt.timedelta(days=2))
    assert idempotency.purge_idempotency_keys.call() == {"deleted": 1}


def test_claiming_a_key_queues_the_purge_at_most_once_an_hour(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(idempotency, "_purge_queued_at", None)
    queued = DBTaskResult.objects.filter(task_path=idempotency.purge_idempotency_keys.module_path)
    api = ApiClient(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/groups", body(world), **KEY)
        api.post("/groups", body(world, code="second"), **{"Idempotency-Key": "second"})
        api.post("/groups", body(world, code="third"))  # no key: nothing to purge later
    assert queued.count() == 1
    # An hour later (as this process sees it):
    assert idempotency._purge_queued_at is not None
    idempotency._purge_queued_at -= idempotency.PURGE_EVERY.total_seconds() + 1
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/groups", body(world, code="fourth"), **{"Idempotency-Key": "fourth"})
    assert queued.count() == 2
