"""Background work of the architecture app (django-tasks; the worker is `manage.py db_worker`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

from minga.architecture.models import Group
from minga.core.audit import audit_record
from minga.core.errors import NotFound
from minga.core.models import Collective


@task()
def compute_network_metrics(collective_id: int, scope_group_id: int | None = None) -> dict[str, Any]:
    """Compute and store a `NetworkSnapshot` for the collective (or the subtree under the scope group)."""
    from minga.architecture.network import network_snapshot_create

    collective = Collective.objects.get(pk=collective_id)
    scope_group = (
        Group.objects.get(pk=scope_group_id, collective=collective) if scope_group_id is not None else None
    )
    snapshot = network_snapshot_create(collective=collective, scope_group=scope_group)
    return {"snapshot_id": snapshot.pk, "seconds": snapshot.seconds}


def network_refresh_pending(collective_id: int, scope_group_id: int | None) -> bool:
    """Whether the same computation is already queued and not started (database backend only: with
    another backend this cannot be known, and the answer is False)."""
    backend = compute_network_metrics.get_backend()
    if type(backend).__module__.split(".")[0] != "django_tasks_db":
        return False
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().filter(task_path=compute_network_metrics.module_path)
    for args_kwargs in queued.values_list("args_kwargs", flat=True)[:100]:
        args = list(args_kwargs.get("args") or [])
        kwargs = args_kwargs.get("kwargs") or {}
        queued_collective = args[0] if args else kwargs.get("collective_id")
        queued_scope = args[1] if len(args) > 1 else kwargs.get("scope_group_id")
        if (queued_collective, queued_scope) == (collective_id, scope_group_id):
            return True
    return False


@transaction.atomic
def network_refresh_request(*, actor: Any, collective: Collective, scope_group: Group | None = None) -> None:
    """Queue a recomputation of the network metrics, once the current transaction commits.

    Admins of the collective may refresh it; coordinators may refresh the subtrees they edit. A request
    made while the same computation is still queued adds nothing.
    """
    if scope_group is None:
        allowed = Collective.objects.editable_by(actor).filter(pk=collective.pk).exists()
    else:
        allowed = (
            scope_group.collective_id == collective.pk
            and Group.objects.editable_by(actor).filter(pk=scope_group.pk).exists()
        )
    if not allowed:
        raise NotFound("group" if scope_group is not None else "collective")
    scope_id = scope_group.pk if scope_group is not None else None
    audit_record(
        actor=actor,
        action="network.refresh_requested",
        target=scope_group or collective,
        collective=collective,
    )

    def enqueue() -> None:
        if not network_refresh_pending(collective.pk, scope_id):
            compute_network_metrics.enqueue(collective.pk, scope_id)

    transaction.on_commit(enqueue)
