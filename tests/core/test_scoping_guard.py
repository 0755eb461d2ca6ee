"""Guards for the one scoping rule (STYLE.md, rule 1).

Everything that belongs to a group or a collective is read through `visible_to(user)`: a model that
holds such a foreign key must offer it, and views and API handlers must not bypass it with
`.objects.all()`, `.objects.get()` or `get_object_or_404(Model, …)`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import models

import minga

# Models that hold a group or collective key but are never listed or fetched for a user directly.
# Each entry says how it is reached instead; keep this list short and true.
ALLOWED_WITHOUT_VISIBLE_TO: dict[str, str] = {
    # Configuration vocabulary of a collective (country, region…), not data about anyone; forms list a
    # collective's kinds after the collective itself passed `access_collective`.
    "architecture.GroupKind": "read through an accessed collective",
    # A cache of computed metrics, read by the network selector for a collective or group that the
    # caller has already accessed.
    "architecture.NetworkSnapshot": "read for an accessed collective or group",
    # Found only by the hash of its one-time token (`invitation_find`); listing goes through the group.
    "people.Invitation": "reached by token hash",
    # Append-only log; read by the audit pages of an accessed object (`AuditEntry.objects.for_object`).
    "core.AuditEntry": "read for an accessed object",
    # Bookkeeping of the pre-aggregated rollups (one flag per collective), read only inside the rollup
    # selectors after they decided the viewer sees the whole area (`measurement.aggregates.answers`).
    "measurement.AggregateState": "internal flag read by the scoped rollup selectors",
}

SCOPE_ROOTS = ("architecture.Group", "core.Collective")
SOURCE_ROOT = Path(minga.__file__).resolve().parent


def minga_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("minga.")]


def belongs_to_group_or_collective(model: type[models.Model]) -> bool:
    """True when the model holds a direct foreign key (or one-to-one) to a Group or a Collective."""
    for field in model._meta.get_fields():
        if (
            field.concrete
            and (field.many_to_one or field.one_to_one)
            and field.related_model is not None
            and field.related_model._meta.label in SCOPE_ROOTS
        ):
            return True
    return False


def scoped_models() -> list[type[models.Model]]:
    """Models that must be read through `visible_to`: the roots themselves and what belongs to them."""
    return [m for m in minga_models() if m._meta.label in SCOPE_ROOTS or belongs_to_group_or_collective(m)]


def test_every_model_of_a_group_or_collective_has_visible_to() -> None:
    offenders = [
        m._meta.label
        for m in scoped_models()
        if m._meta.label not in ALLOWED_WITHOUT_VISIBLE_TO
        and not callable(getattr(m._default_manager, "visible_to", None))
    ]
    assert not offenders, (
        "These models belong to a group or collective but have no `visible_to(user)` on their "
        "QuerySet; add one (reusing Group.objects.visible_to) or, for an internal model, justify it in "
        f"ALLOWED_WITHOUT_VISIBLE_TO: {', '.join(sorted(offenders))}"
    )


def test_allow_list_names_only_real_models_that_need_it() -> None:
    labels = {m._meta.label: m for m in scoped_models()}
    stale = [
        label
        for label in ALLOWED_WITHOUT_VISIBLE_TO
        if label not in labels or callable(getattr(labels[label]._default_manager, "visible_to", None))
    ]
    assert not stale, f"Remove from ALLOWED_WITHOUT_VISIBLE_TO (gone, unscoped or now scoped): {stale}"


def test_the_guard_sees_the_models_it_is_about() -> None:
    labels = {m._meta.label for m in scoped_models()}
    assert {"architecture.Group", "architecture.Link", "people.Person", "people.Membership"} <= labels


# --- views and API handlers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bypass:
    path: str
    line: int
    code: str


def find_bypasses(source: str, model_names: set[str], path: str = "<string>") -> list[Bypass]:
    """Calls that read a scoped model without a user: `M.objects.all()`, `M.objects.get(…)`,
    `get_object_or_404(M, …)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in {"all", "get"}
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "objects"
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id in model_names
        ):
            found.append(Bypass(path, node.lineno, f"{func.value.value.id}.objects.{func.attr}()"))
        elif (
            isinstance(func, ast.Name)
            and func.id in {"get_object_or_404", "get_list_or_404"}
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in model_names
        ):
            found.append(Bypass(path, node.lineno, f"{func.id}({node.args[0].id}, …)"))
    return sorted(found, key=lambda b: b.line)


def handler_files() -> list[Path]:
    """views*.py and api*.py modules, and every module of a views/ or api/ package, under minga/."""
    files = []
    for path in SOURCE_ROOT.rglob("*.py"):
        relative = path.relative_to(SOURCE_ROOT)
        if "migrations" in relative.parts:
            continue
        if path.name.startswith(("views", "api")) or {"views", "api"} & set(relative.parts[:-1]):
            files.append(path)
    return sorted(files)


def test_views_and_api_handlers_never_bypass_visible_to() -> None:
    names = {m.__name__ for m in scoped_models()}
    bypasses = [
        b
        for path in handler_files()
        for b in find_bypasses(path.read_text(), names, str(path.relative_to(SOURCE_ROOT.parent)))
    ]
    assert not bypasses, (
        "Views and API handlers read scoped models through an access function or "
        "`Model.objects.visible_to(user)`, never directly:\n"
        + "\n".join(f"  {b.path}:{b.line}: {b.code}" for b in bypasses)
    )


def test_the_scan_covers_the_handlers() -> None:
    scanned = {p.relative_to(SOURCE_ROOT).as_posix() for p in handler_files()}
    assert "api.py" in scanned


def test_the_scan_recognises_each_bypass() -> None:
    source = """
group = Group.objects.get(pk=1)
everyone = Person.objects.all()
link = get_object_or_404(Link, pk=2)
fine = Group.objects.visible_to(user).get(pk=1)
kinds = GroupKind.objects.all()
"""
    found = find_bypasses(source, {"Group", "Person", "Link"})
    assert [(b.line, b.code) for b in found] == [
        (2, "Group.objects.get()"),
        (3, "Person.objects.all()"),
        (4, "get_object_or_404(Link, …)"),
    ]
