import pytest

from minga.core.audit import audit_record
from minga.core.models import AuditEntry


def test_audit_log_is_append_only(world):
    entry = audit_record(
        actor=world.admin, action="group.update", target=world.kenya, changes={"name": ["a", "b"]}
    )
    assert entry.collective == world.alpha and entry.actor_label == world.admin.email
    entry.action = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(action="tampered")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().action == "group.update"


def test_anonymous_actor_is_recorded_as_system(world):
    entry = audit_record(actor=None, action="demo.generate", target=world.alpha)
    assert entry.actor is None and entry.actor_label == "system"
