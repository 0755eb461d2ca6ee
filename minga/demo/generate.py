"""Generate (or remove) the demo collective: `generate_demo` is what `minga demo` calls.

The collective and its vocabulary go through the ordinary services (so they are validated and audited);
the bulk — tens of thousands of groups, millions of people — goes through `BulkWriter` in one
transaction, with ids and paths planned beforehand (`plan.py`, `population.py`). One audit entry,
"demo.generate", records what was made. Network metrics are computed afterwards, outside the
transaction, if the network module offers a compute function.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol, TypeVar

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from minga.architecture.boundaries import boundary_clean
from minga.architecture.models import Group, GroupKind, GroupSet, Layer, Link
from minga.architecture.services import collective_create, group_kind_create
from minga.core.audit import audit_record
from minga.core.choices import Role
from minga.core.errors import DomainError
from minga.core.models import Collective
from minga.demo.boundaries import demo_boundaries
from minga.demo.plan import SIZES, ArchitecturePlan, PlannedGroup, plan_architecture
from minga.demo.population import (
    MEMBERSHIP_COLUMNS,
    PERSON_COLUMNS,
    Clock,
    DemoPeople,
    generate_people,
)
from minga.demo.writer import BulkWriter
from minga.people.models import Invitation, Membership, Person

DEMO_SLUG = "demo"
DEMO_PASSWORD = "minga-demo-2024"
DEMO_NAME = "Raíces — a grassroots network (demo)"
DEMO_MISSION = (
    "Grassroots groups in many countries walking a shared pathway: acting together, learning from each "
    "other's promising practices and showing their impact together. (Generated demo data: every person "
    "and group here is invented; the places are real.)"
)
BATCH = 20_000
# The domain apps' parts of the demo, in dependency order (measurement's indicators before the pathway
# conditions and activities that use them). See `_demo_parts`.
DEMO_EXTENSIONS = (
    "minga.measurement.demo",
    "minga.pathways.demo",
    "minga.learning.demo",
    "minga.activities.demo",
)

GROUP_COLUMNS = (
    "id", "collective_id", "code", "name", "layer", "kind_id", "parent_id", "path", "depth", "place_name",
    "admin_area", "country_code", "latitude", "longitude", "status", "status_changed_on", "founded_on",
    "closed_on", "contact_email", "description", "visibility", "created_at", "updated_at",
)  # fmt: skip
LINK_COLUMNS = (
    "id", "collective_id", "source_id", "target_id", "kind", "weight", "started_on", "ended_on", "note",
    "created_at",
)  # fmt: skip
SET_COLUMNS = ("id", "collective_id", "code", "name", "kind", "description", "visibility", "created_at")


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    reach: str


# (email, role label, which planned person holds it) — the operator has no person: a superuser.
LOGINS: tuple[tuple[str, str, str], ...] = (
    ("operator@demo.minga.local", "Platform operator (superuser)", ""),
    ("admin@demo.minga.local", Role.ADMIN.label, "admin"),
    ("coordinator@demo.minga.local", Role.COORDINATOR.label, "coordinator"),
    ("lead@demo.minga.local", Role.LEAD.label, "lead"),
    ("member@demo.minga.local", Role.MEMBER.label, "member"),
    ("observer@demo.minga.local", Role.OBSERVER.label, "observer"),
)
OPERATOR_EMAIL = LOGINS[0][0]


class Progress(Protocol):
    """Where long work reports how far it got (the CLI draws a progress bar; tests pass nothing)."""

    def step(self, label: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class _Timed:
    """Passes progress on and notes how long each step took (reported in `DemoResult.steps`)."""

    def __init__(self, inner: Progress) -> None:
        self.inner = inner
        self.steps: dict[str, float] = {}
        self._label = ""
        self._started = 0.0

    def step(self, label: str, total: int | None = None) -> None:
        self.stop()
        self._label, self._started = label, time.perf_counter()
        self.inner.step(label, total)

    def advance(self, amount: int = 1) -> None:
        self.inner.advance(amount)

    def stop(self) -> None:
        if self._label:
            self.steps[self._label] = round(time.perf_counter() - self._started, 2)
            self._label = ""


class _Quiet:
    def step(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass
class DemoResult:
    created: bool
    size: str = ""
    seed: int = 0
    groups: int = 0
    links: int = 0
    sets: int = 0
    people: int = 0
    memberships: int = 0
    seconds: float = 0.0
    metrics: str = ""
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step
    logins: list[DemoLogin] = field(default_factory=list)
    extras: dict[str, int] = field(default_factory=dict)  # what the domain apps added, by name


def demo_collective() -> Collective | None:
    return Collective.objects.filter(slug=DEMO_SLUG).first()


def generate_demo(
    *,
    size: str = "small",
    seed: int = 42,
    reset: bool = False,
    if_absent: bool = False,
    with_people: bool = True,
    with_metrics: bool = True,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Generate the demo collective (slug "demo") of `size` from `seed`.

    `if_absent`: do nothing when it exists. `reset`: remove the existing one first. Otherwise an existing
    demo is an error. `with_people=False` builds only the architecture (for benchmarks of the tree).
    """
    if size not in SIZES:
        raise DomainError.single("unknown_size", f"Unknown size {size!r}: choose one of {', '.join(SIZES)}.")
    progress = _Timed(progress or _Quiet())
    existing = demo_collective()
    if existing is not None:
        if if_absent:
            return DemoResult(created=False, logins=demo_logins())
        if not reset:
            raise DomainError.single(
                "demo_exists", "The demo collective already exists: use --reset to rebuild it or --if-absent."
            )
        progress.step("Removing the old demo")
        demo_remove()
    started = time.perf_counter()
    today = today or timezone.localdate()
    with transaction.atomic():
        result = _generate(size=size, seed=seed, with_people=with_people, today=today, progress=progress)
        progress.step("Committing")
    progress.stop()
    result.seconds = round(time.perf_counter() - started, 2)
    if with_metrics:
        progress.step("Network metrics")
        result.metrics = compute_network_metrics(demo_collective())
        progress.stop()
    result.steps = progress.steps
    result.logins = demo_logins()
    return result


def _generate(*, size: str, seed: int, with_people: bool, today: dt.date, progress: Progress) -> DemoResult:
    spec = SIZES[size]
    operator = _ensure_login(OPERATOR_EMAIL, superuser=True)
    collective = collective_create(
        actor=operator,
        slug=DEMO_SLUG,
        name=DEMO_NAME,
        mission=DEMO_MISSION,
        languages=["en"],  # and the languages its people speak, once they are there
    )
    group_kind_create(
        actor=operator,
        collective=collective,
        code="cluster",
        name="Ward / cluster",
        layer=Layer.NETWORK,
        order=4,
    )
    kinds = dict(GroupKind.objects.filter(collective=collective).values_list("code", "id"))
    writer = BulkWriter()
    writer.tune_for_load(cache_kib=max(64_000, min(3_000_000, spec.people)))  # ≈ 1 KiB per person
    clock = Clock(today=today, utc_suffix=writer.utc_suffix)
    now = clock.moment(today.toordinal(), 0)

    progress.step("Planning the architecture")
    plan = plan_architecture(size=spec, seed=seed, first_id=writer.next_id(Group), today=today)
    groups = plan.groups
    progress.step("Groups", len(groups))
    _insert(writer, Group, GROUP_COLUMNS, _group_rows(groups, collective.pk, kinds, clock, now), progress)

    progress.step("Links", len(plan.links))
    first_link = writer.next_id(Link)
    link_rows = (
        (
            first_link + i, collective.pk, link.source, link.target, link.kind, link.weight,
            clock.day(link.started_on.toordinal()),
            clock.day(link.ended_on.toordinal()) if link.ended_on else None, "", now,
        )
        for i, link in enumerate(plan.links)
    )  # fmt: skip
    _insert(writer, Link, LINK_COLUMNS, link_rows, progress)

    progress.step("Group sets", sum(len(s.members) for s in plan.sets))
    first_set = writer.next_id(GroupSet)
    set_rows = [
        (first_set + i, collective.pk, s.code, s.name, s.kind, s.description, s.visibility, now)
        for i, s in enumerate(plan.sets)
    ]
    writer.insert(GroupSet, SET_COLUMNS, set_rows)
    through = GroupSet.groups.through
    first_member = writer.next_id(through)
    member_rows = (
        (first_member + n, set_id, group_id)
        for n, (set_id, group_id) in enumerate(
            (first_set + i, g) for i, s in enumerate(plan.sets) for g in sorted(s.members)
        )
    )
    _insert(writer, through, ("id", "groupset_id", "group_id"), member_rows, progress)

    demo = DemoPeople()
    if with_people:
        progress.step("People", spec.people)
        chunks = generate_people(
            plan,
            size=spec,
            seed=seed,
            collective_id=collective.pk,
            first_person=writer.next_id(Person),
            first_membership=writer.next_id(Membership),
            clock=clock,
            demo=demo,
        )
        with writer.bulk_load(Person, Membership):
            for people, memberships in chunks:
                writer.insert(Person, PERSON_COLUMNS, people)
                writer.insert(Membership, MEMBERSHIP_COLUMNS, memberships)
                progress.advance(len(people))
            progress.step("Indexing people")
    writer.finish()
    writer.restore()
    progress.step("Boundaries")
    _write_boundaries(plan, seed)

    progress.step("Logins")
    if with_people:
        for email, _label, holder in LOGINS[1:]:
            user = _ensure_login(email)
            Person.objects.filter(pk=getattr(demo, holder)).update(user=user, email=email)
        # The collective works in English and in its people's languages, most spoken first (the
        # person form suggests them).
        spoken = (
            Person.objects.filter(collective=collective)
            .values_list("preferred_language", flat=True)
            .annotate(n=models.Count("id"))
            .order_by("-n", "preferred_language")
        )
        collective.languages = list(dict.fromkeys(["en", *spoken]))
        collective.save(update_fields=["languages"])
    extras: dict[str, int] = {}
    parts = _demo_parts()
    for part in parts:
        extras.update(
            part.populate(
                collective=collective, actor=operator, size=size, seed=seed, today=today, progress=progress
            )
        )
    # Then what needed every app's data (learning indexes the groups and activities for search).
    for part in parts:
        if hasattr(part, "finish"):
            extras.update(part.finish(collective=collective, progress=progress))
    result = DemoResult(
        created=True,
        size=size,
        seed=seed,
        groups=len(groups),
        links=len(plan.links),
        sets=len(plan.sets),
        people=demo.people,
        memberships=demo.memberships,
    )
    audit_record(
        actor=operator,
        action="demo.generate",
        target=collective,
        changes={
            "size": size,
            "seed": seed,
            "groups": result.groups,
            "links": result.links,
            "sets": result.sets,
            "people": result.people,
            "memberships": result.memberships,
            **extras,
        },
    )
    result.extras = extras
    return result


def _demo_parts() -> list[ModuleType]:
    """The domain apps' demo modules (`DEMO_EXTENSIONS`), in order; an app without one is skipped.

    Each `populate(*, collective, actor, size, seed, today, progress) -> {what: count}` adds its part
    once the architecture and the people exist; an optional `finish(*, collective, progress) -> counts`
    runs after every app's part.
    """
    parts = []
    for name in DEMO_EXTENSIONS:
        try:
            parts.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return parts


def _write_boundaries(plan: ArchitecturePlan, seed: int) -> None:
    """Made-up outlines of the countries, regions and districts (Voronoi cells, see `demo.boundaries`),
    stored as an upload would store them, so the dashboard draws a choropleth."""
    outlines = demo_boundaries(plan, seed=seed)
    rows = [Group(pk=pk, boundary=boundary_clean(geometry)) for pk, geometry in outlines.items()]
    Group.objects.bulk_update(rows, ["boundary"], batch_size=200)


def _group_rows(
    groups: list[PlannedGroup], collective_id: int, kinds: dict[str, int], clock: Clock, now: str
) -> Iterator[tuple[object, ...]]:
    def day(value: dt.date | None) -> str | None:
        return None if value is None else clock.day(value.toordinal())

    for g in groups:
        yield (
            g.id, collective_id, g.code, g.name, g.layer, kinds[g.kind], g.parent_id, g.path, g.depth,
            g.place_name, g.admin_area, g.country_code, g.latitude, g.longitude, g.status,
            day(g.status_changed_on), day(g.founded_on), day(g.closed_on), "", g.description, g.visibility,
            now, now,
        )  # fmt: skip


T = TypeVar("T")


def _batches(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(
    writer: BulkWriter,
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    progress: Progress,
) -> None:
    for batch in _batches(rows, BATCH):
        writer.insert(model, columns, batch)
        progress.advance(len(batch))


def _ensure_login(email: str, *, superuser: bool = False) -> Any:
    """The demo login for `email`, created or reset to the demo password (Django's normal hasher)."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first() or User(username=email, email=email)
    user.is_superuser = user.is_staff = superuser
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist, each with the role and the place it reaches in the demo collective."""
    collective = demo_collective()
    User = get_user_model()
    users = {u.email: u for u in User.objects.filter(email__in=[email for email, _, _ in LOGINS])}
    logins: list[DemoLogin] = []
    for email, label, holder in LOGINS:
        user = users.get(email)
        if user is None:
            continue
        if not holder:
            logins.append(DemoLogin(email, label, "every collective"))
            continue
        membership = (
            Membership.objects.filter(person__user=user, group__collective=collective)
            .select_related("group", "group__kind")
            .first()
            if collective
            else None
        )
        reach = f"{membership.group.name} ({membership.group.kind.name.lower()})" if membership else "—"
        logins.append(DemoLogin(email, label, reach))
    return logins


def demo_remove() -> None:
    """Delete the demo collective and everything in it (logins stay: they are reset on the next run).

    People and memberships, the millions of rows, go with set-based deletes; the rest through the ORM
    so that whatever other apps hang on the groups is cascaded by their own rules.
    """
    collective = demo_collective()
    if collective is None:
        return
    with transaction.atomic():
        people = Person.objects.filter(collective=collective)
        others = [
            rel
            for rel in Person._meta.related_objects
            if rel.related_model not in (Membership, Invitation)
            and rel.related_model._base_manager.filter(
                **{f"{rel.field.name}__collective": collective}
            ).exists()
        ]
        if others:
            people.delete()  # other apps refer to these people: let the ORM apply their rules
        else:
            Invitation.objects.filter(person__collective=collective)._raw_delete(Invitation.objects.db)
            Membership.objects.filter(person__collective=collective)._raw_delete(Membership.objects.db)
            people._raw_delete(people.db)
        # A group's parent is protected: remove the tree from the leaves up, one level at a time.
        groups = Group.objects.filter(collective=collective)
        for depth in sorted(set(groups.values_list("depth", flat=True)), reverse=True):
            groups.filter(depth=depth).delete()
        collective.delete()


NETWORK_FUNCTIONS = (
    "network_snapshot_create",
    "compute_snapshot",
    "network_snapshot_compute",
    "snapshot_compute",
    "compute_network_snapshot",
)


def compute_network_metrics(collective: Collective | None) -> str:
    """Compute the network metrics snapshot now, if `minga.architecture.network` offers a function for it.

    Best effort: the demo is usable without metrics, so a missing module or a failure is reported, not
    raised.
    """
    if collective is None:
        return "skipped: no demo collective"
    try:
        network = importlib.import_module("minga.architecture.network")
    except ImportError:
        return "skipped: minga.architecture.network is not available"
    compute = next(
        (getattr(network, n) for n in NETWORK_FUNCTIONS if callable(getattr(network, n, None))), None
    )
    if compute is None:
        return "skipped: minga.architecture.network has no compute function"
    parameters = inspect.signature(compute).parameters
    kwargs: dict[str, Any] = {}
    if "actor" in parameters:
        kwargs["actor"] = get_user_model().objects.filter(email=OPERATOR_EMAIL).first()
    started = time.perf_counter()
    try:
        if "collective" in parameters:
            compute(collective=collective, **kwargs)
        else:
            compute(collective, **kwargs)
    except Exception as error:  # the demo stands without metrics; say why they are missing
        return f"failed: {type(error).__name__}: {error}"
    return f"computed in {time.perf_counter() - started:.1f} s"
