"""`Idempotency-Key` for every write: a retried request gets the first answer instead of a second write.

Flow for a request carrying the header (and a signed-in caller):
1. *claim* the key: insert an `IdempotencyKey` row with no response yet, committed at once, so a
   concurrent duplicate sees it;
2. if the key was already there: same method, path and body → replay the stored response (no write);
   a different request → 422 `idempotency_key_reused`; no response stored yet → 409 `request_in_progress`;
3. run the operation; a 2xx response is stored on the row. Any other outcome releases the claim: nothing
   was written, so the client may fix the request and retry with the same key.

A claim left behind by a crashed worker is taken over after `STALE_CLAIM`.

Keys are kept for a day (`core.services.IDEMPOTENCY_KEY_LIFETIME`). Nobody needs to schedule their
cleanup: when a request claims a new key, the task `purge_idempotency_keys` is queued for the task worker
(`manage.py db_worker`), at most once an hour per web process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django_tasks import task
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from minga.core.api_support.auth import api_user
from minga.core.api_support.errors import error_body
from minga.core.models import IdempotencyKey
from minga.core.services import idempotency_key_purge

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
STALE_CLAIM = dt.timedelta(minutes=5)
REPLAY_HEADER = "Idempotent-Replayed"
_MARK = "_minga_idempotent"
PURGE_EVERY = dt.timedelta(hours=1)
# When this process last queued the purge (time.monotonic()); None: not yet.
_purge_queued_at: float | None = None


@task()
def purge_idempotency_keys() -> dict[str, int]:
    """Delete the idempotency keys older than a day (background task)."""
    return {"deleted": idempotency_key_purge()}


def _queue_purge_now_and_then() -> None:
    """Queue `purge_idempotency_keys` once the current transaction commits, at most once per
    PURGE_EVERY in this process. A failure to queue is logged and never fails the request."""
    global _purge_queued_at
    now = time.monotonic()
    if _purge_queued_at is not None and now - _purge_queued_at < PURGE_EVERY.total_seconds():
        return
    _purge_queued_at = now
    transaction.on_commit(purge_idempotency_keys.enqueue, robust=True)


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of method, path and body; JSON bodies are canonicalised so key order doesn't matter."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.path):
        digest.update(part.encode())
        digest.update(b"\0")
    if request.content_type == "multipart/form-data":
        _digest_form(request, digest)
        return digest.hexdigest()
    body = request.body
    with contextlib.suppress(ValueError, UnicodeDecodeError):  # not JSON: hash the bytes as they are
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest.update(body)
    return digest.hexdigest()


def _digest_form(request: HttpRequest, digest: Any) -> None:
    """A multipart body by its fields and files, not its bytes: clients draw a new boundary for every
    attempt, and an upload may be larger than Django lets `request.body` hold in memory."""
    for name, values in sorted(request.POST.lists()):
        digest.update(json.dumps([name, values]).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(json.dumps([name, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)


def _json_response(status: int, body: Any, *, replayed: bool = False) -> HttpResponse:
    content = b"" if body is None else json.dumps(body).encode()
    response = HttpResponse(content, status=status, content_type="application/json; charset=utf-8")
    if replayed:
        response[REPLAY_HEADER] = "true"
    return response


def _claim(user: Any, key: str, request: HttpRequest, fingerprint: str) -> IdempotencyKey | HttpResponse:
    """Insert the claim, or answer from the existing row."""
    fields = {"method": request.method or "", "path": request.path[:300], "body_hash": fingerprint}
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, **fields)
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.filter(user=user, key=key).first()
    if existing is None:  # released between our insert and our read: try once more
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, **fields)
        except IntegrityError:
            return _json_response(
                409, error_body("request_in_progress", "A request with this Idempotency-Key is in progress.")
            )
    if (
        existing.method != fields["method"]
        or existing.path != fields["path"]
        or (existing.body_hash != fingerprint)
    ):
        return _json_response(
            422,
            error_body(
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request.",
                field=HEADER,
            ),
        )
    if existing.status_code is not None:
        return _json_response(existing.status_code, existing.response, replayed=True)
    if timezone.now() - existing.created_at > STALE_CLAIM:
        # The first attempt died without answering; nothing of it was committed but the claim.
        taken = IdempotencyKey.objects.filter(
            pk=existing.pk, status_code__isnull=True, created_at=existing.created_at
        ).update(created_at=timezone.now())
        if taken:
            existing.refresh_from_db()
            return existing
    return _json_response(
        409, error_body("request_in_progress", "A request with this Idempotency-Key is in progress.")
    )


def _release(claim: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=claim.pk, status_code__isnull=True).delete()


def _store(claim: IdempotencyKey, response: HttpResponseBase) -> None:
    content = getattr(response, "content", b"")
    body = json.loads(content) if content else None
    IdempotencyKey.objects.filter(pk=claim.pk).update(status_code=response.status_code, response=body)


def _idempotent_run(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return run(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return _json_response(
                422, error_body("invalid", f"Use at most {MAX_KEY_LENGTH} characters.", field=HEADER)
            )
        try:
            user = api_user(request)
        except HttpError:
            return run(request, *args, **kwargs)  # the operation answers 401/403 itself
        if not user.is_authenticated:
            return run(request, *args, **kwargs)
        outcome = _claim(user, key, request, request_fingerprint(request))
        if isinstance(outcome, HttpResponse):
            return outcome
        _queue_purge_now_and_then()
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            _release(outcome)
            raise
        if 200 <= response.status_code < 300:
            _store(outcome, response)
        else:
            _release(outcome)
        return response

    return wrapper


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an API write as honouring `Idempotency-Key`. Put it under the `@router.post/patch/delete`."""
    setattr(func, _MARK, True)
    return decorate_view(_idempotent_run)(func)


def is_idempotent(func: Callable[..., Any]) -> bool:
    return bool(getattr(func, _MARK, False))
