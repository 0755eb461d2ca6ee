"""The groups importer: rows upserted by code, with the rules and scoping of `architecture.services`.

A chunk costs a handful of queries whatever its size: the groups it names (rows and parents) in one
query, the new groups inserted in one statement (COPY on PostgreSQL), their ids read back by code, their
parents and paths written with one executemany, changed fields with another. Each move is one UPDATE of
the moved subtree, as in `services.group_move`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import connection, models
from django.db.models import Case, F, Max, Value, When
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from minga.architecture.bulk.tree import TreeOrder
from minga.architecture.models import Group, GroupKind, GroupStatus, Layer, country_code_validator
from minga.architecture.services import MAX_DEPTH, _status_problems
from minga.core.bulk import ChunkOutcome, Importer, Rejection, SourceRow
from minga.core.bulk.sql import insert_rows, is_postgres, update_rows
from minga.core.bulk.values import CellError, Choices, parse_date, parse_email, parse_float
from minga.core.choices import Visibility
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.core.scoping import Scope, scope_for

GROUP_TABLE = Group._meta.db_table
LOOKUP_BATCH = 5_000  # codes per IN list
PENDING_PATH = "/pending/"  # a new row's path until its id is known (as `group_create` does)

# The group's fields a file sets, in the order of the table's columns below `parent`.
GROUP_FIELDS = (
    "name",
    "kind_id",
    "layer",
    "place_name",
    "admin_area",
    "country_code",
    "latitude",
    "longitude",
    "status",
    "status_changed_on",
    "founded_on",
    "closed_on",
    "contact_email",
    "description",
    "visibility",
)
_DATE_FIELDS = ("status_changed_on", "founded_on", "closed_on")
# What a new group gets for a column the file leaves out (the model's defaults; layer: the kind's).
_NEW_GROUP = {
    "place_name": "",
    "admin_area": "",
    "country_code": "",
    "latitude": None,
    "longitude": None,
    "status": GroupStatus.ACTIVE.value,
    "status_changed_on": None,
    "founded_on": None,
    "closed_on": None,
    "contact_email": "",
    "description": "",
    "visibility": Visibility.PUBLIC.value,
}


def max_length(model: type[models.Model], name: str) -> int:
    """A text field's limit, as the model declares it."""
    length = model._meta.get_field(name).max_length  # type: ignore[union-attr]
    assert length is not None
    return int(length)


def is_admin(scope: Scope, collective: Collective) -> bool:
    """Whether the scope runs the whole collective (its admins, platform operators)."""
    return scope.is_superuser or collective.pk in scope.admin_collectives


T = TypeVar("T")


def batches(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices short enough for one `IN (…)` list."""
    for start in range(0, len(values), LOOKUP_BATCH):
        yield values[start : start + LOOKUP_BATCH]


def problem_at(row: SourceRow, column: str, code: str, message: str) -> Problem:
    """A problem with one cell: located by row and column (and field, which is the column's name)."""
    return Problem(code=code, message=message, field=column, row=row.number, column=column)


@dataclass
class _Current:
    """A group as it is in the database, its fields keyed as `_GroupRow.given` keys them."""

    pk: int
    parent: str | None  # the parent's code
    path: str
    depth: int
    fields: dict[str, Any]


@dataclass
class _GroupRow:
    row: SourceRow
    code: str
    given: dict[str, Any]  # the fields the file sets (blank status/visibility: not given)
    kind_layer: str  # a new group's layer when the file has no layer column
    sets_parent: bool  # whether the file has a parent column
    parent: str | None  # the parent's code, None for the top level


@dataclass
class _Node:
    pk: int | None  # None while the group is still to be inserted in this chunk
    path: str
    depth: int


class GroupImporter(Importer):
    """Upserts groups by code; see the module's docstring. One instance serves one import run."""

    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.scope = scope_for(actor)
        self.is_admin = is_admin(self.scope, collective)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.layers = Choices(Layer.choices, what="layer")
        self.statuses = Choices(GroupStatus.choices, what="status")
        self.visibilities = Choices(Visibility.choices, what="visibility")
        self.kinds: dict[str, GroupKind] | None = None
        self.kind_names = ""
        # Set by `arrange`: each row's parent code, and the problems of the rows it refused.
        self.parents: dict[int, str | None] = {}
        self.arranged: dict[int, list[Problem]] = {}
        # Codes of rows that would have created a group and were rejected: their children can't be placed.
        self.failed: dict[str, int] = {}
        # Groups this run inserted or moved: a fallback for a dry run of valid rows, where each chunk is
        # rolled back before the next one reads the database.
        self.placed: dict[str, _Node] = {}

    # -- order: parents first ----------------------------------------------------------------------------

    def arrange(self, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
        """Rows ordered parents first (otherwise as in the file); see `tree.TreeOrder`. The rows it
        refuses come first, and are rejected with their chunk."""
        order = TreeOrder(actor=self.actor, collective=self.collective, with_parents="parent" in self.present)
        arranged = order.arrange(list(rows))
        self.parents, self.arranged = order.parents, order.refused
        yield from arranged

    # -- one chunk --------------------------------------------------------------------------------------

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        self._load_kinds()
        parsed: list[_GroupRow | SourceRow] = []
        for row in rows:
            early = self.arranged.pop(row.number, None)
            if early:
                outcome.rejected.append(Rejection(row, early))
                continue
            problems: list[Problem] = []
            item = self._parse(row, problems)
            if item is None:
                outcome.rejected.append(Rejection(row, problems))
                parsed.append(row)
            else:
                parsed.append(item)
        items = [p for p in parsed if isinstance(p, _GroupRow)]
        codes = {i.code for i in items} | {i.parent for i in items if i.parent is not None}
        codes |= {r.values["code"] for r in parsed if isinstance(r, SourceRow) and r.values["code"]}
        existing = self._current(codes)

        creates: list[tuple[_GroupRow, dict[str, Any]]] = []
        updates: list[tuple[_GroupRow, _Current, dict[str, Any]]] = []
        moves: list[tuple[_GroupRow, _Current]] = []
        unchanged: list[tuple[_GroupRow, _Current]] = []
        new_nodes: dict[str, _Node] = {}

        def reject(item: _GroupRow, problems: list[Problem], *, creating: bool) -> None:
            outcome.rejected.append(Rejection(item.row, problems))
            if creating:
                self.failed.setdefault(item.code, item.row.number)

        for entry in parsed:
            if isinstance(entry, SourceRow):  # rejected while parsing
                code = entry.values["code"]
                if code and code not in existing:
                    self.failed.setdefault(code, entry.number)
                continue
            item = entry
            current = existing.get(item.code)
            parent = item.parent if item.sets_parent else None
            if parent is not None and parent in self.failed:
                message = (
                    f"The parent {parent!r} (row {self.failed[parent]}) was rejected, "
                    "so this group can't be placed."
                )
                problem = problem_at(item.row, "parent", "parent_rejected", message)
                reject(item, [problem], creating=current is None)
                continue
            if current is None:
                node = self._node(parent, new_nodes, existing) if parent is not None else None
                final = self._final(item, None)
                problems = self._create_problems(item, parent, node) + self._field_problems(item, final)
                if problems:
                    reject(item, problems, creating=True)
                    continue
                if node is None:
                    new_nodes[item.code] = _Node(None, "/+/", 0)
                else:  # a path under the parent's, so that scope checks of its children hold
                    new_nodes[item.code] = _Node(None, f"{node.path}+/", node.depth + 1)
                creates.append((item, final))
                continue
            final = self._final(item, current)
            changed = final != current.fields
            moving = item.sets_parent and parent != current.parent
            if not changed and not moving:
                unchanged.append((item, current))
                continue
            if not self._may_edit(current):
                reject(item, [self._outside_reach(item)], creating=False)
                continue
            problems = self._field_problems(item, final)
            if problems:
                reject(item, problems, creating=False)
                continue
            if moving:
                moves.append((item, current))
            if changed:
                updates.append((item, current, final))

        if unchanged and not self.is_admin:
            visible = set(
                Group.objects.visible_to(self.actor)
                .filter(pk__in=[current.pk for _, current in unchanged])
                .values_list("pk", flat=True)
            )
            for item, current in unchanged:
                if current.pk not in visible:
                    reject(item, [self._outside_reach(item)], creating=False)
            unchanged = [(item, current) for item, current in unchanged if current.pk in visible]

        self._insert(creates, existing)
        moved: set[int] = set()
        for item, current in moves:
            refusal = self._move(item, current, existing)
            if refusal is None:
                moved.add(item.row.number)
            else:
                reject(item, [refusal], creating=False)
        refused = {r.row.number for r in outcome.rejected}
        updates = [u for u in updates if u[0].row.number not in refused]
        self._update(updates)
        outcome.created = len(creates)
        outcome.updated = len({u[0].row.number for u in updates} | moved)
        outcome.unchanged = len(unchanged)
        return outcome

    def _load_kinds(self) -> None:
        if self.kinds is not None:
            return
        kinds = list(GroupKind.objects.filter(collective=self.collective).order_by("order", "name"))
        self.kinds = {}
        for kind in kinds:
            self.kinds.setdefault(kind.name.casefold(), kind)
        for kind in kinds:
            self.kinds[kind.code.casefold()] = kind
        for kind in kinds:
            self.kinds[kind.code] = kind
        self.kind_names = ", ".join(k.code for k in kinds)

    def _parse(self, row: SourceRow, problems: list[Problem]) -> _GroupRow | None:
        """The fields a row sets, checked one by one as the group form checks them."""
        v = row.values
        present = self.present
        given: dict[str, Any] = {}

        def bad(column: str, code: str, message: str) -> None:
            problems.append(problem_at(row, column, code, message))

        code = v["code"]
        if not code:
            bad("code", "required", "A code is required: it is how the group is found again.")
        elif len(code) > max_length(Group, "code"):
            bad("code", "too_long", f"The code is longer than {max_length(Group, 'code')} characters.")
        else:
            try:
                validate_slug(code)
            except ValidationError:
                bad(
                    "code",
                    "invalid_code",
                    f"{code!r} is not a valid code: use letters, digits, hyphens and underscores.",
                )
        name = v["name"]
        if not name:
            bad("name", "required", "A name is required.")
        elif len(name) > max_length(Group, "name"):
            bad("name", "too_long", f"The name is longer than {max_length(Group, 'name')} characters.")
        given["name"] = name
        assert self.kinds is not None
        kind = self.kinds.get(v["kind"]) or self.kinds.get(v["kind"].casefold())
        if not v["kind"]:
            bad("kind", "required", f"A kind of group is required: one of {self.kind_names}.")
        elif kind is None:
            bad(
                "kind",
                "invalid_kind",
                f"{v['kind']!r} is not a kind of group of this collective: use one of {self.kind_names}.",
            )
        else:
            given["kind_id"] = kind.pk
            if "layer" in present and not v["layer"]:
                given["layer"] = kind.layer
        if "layer" in present and v["layer"]:
            try:
                given["layer"] = self.layers.parse(v["layer"])
            except CellError as error:
                bad("layer", "invalid_layer", str(error))
        for name in ("place_name", "admin_area"):
            if name in present:
                if len(v[name]) > max_length(Group, name):
                    bad(name, "too_long", f"This is longer than {max_length(Group, name)} characters.")
                given[name] = v[name]
        if "description" in present:
            given["description"] = v["description"]
        if "country_code" in present:
            country = v["country_code"].upper()
            if country:
                try:
                    country_code_validator(country)
                except ValidationError as error:
                    bad("country_code", "invalid_country_code", " ".join(error.messages))
            given["country_code"] = country
        for name, low, high in (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0)):
            if name in present:
                try:
                    given[name] = parse_float(v[name], low=low, high=high, what=name.capitalize())
                except CellError as error:
                    bad(name, f"invalid_{name}", str(error))
        for name, choices in (("status", self.statuses), ("visibility", self.visibilities)):
            if name in present and v[name]:  # blank: as it is (a new group: the default)
                try:
                    given[name] = choices.parse(v[name])
                except CellError as error:
                    bad(name, f"invalid_{name}", str(error))
        for name in _DATE_FIELDS:
            if name in present and (v[name] or name != "status_changed_on"):
                try:
                    given[name] = parse_date(v[name])
                except CellError as error:
                    bad(name, "invalid_date", str(error))
        if "contact_email" in present:
            try:
                parse_email(v["contact_email"])
            except CellError as error:
                bad("contact_email", "invalid_email", str(error))
            given["contact_email"] = v["contact_email"]  # as typed: the form keeps its case
        if problems:
            return None
        sets_parent = "parent" in present
        return _GroupRow(
            row=row,
            code=code,
            given=given,
            kind_layer=kind.layer if kind is not None else "",
            sets_parent=sets_parent,
            parent=self.parents.get(row.number) if sets_parent else None,
        )

    def _final(self, item: _GroupRow, current: _Current | None) -> dict[str, Any]:
        """The group's fields after the row, with the status rules of `group_create`/`group_update`: a
        closed group gets a closing date (today unless given), a reopened one loses it, and the date of
        the status change is today when the status changes (unless the file gives it). A row that
        changes nothing leaves the group as it is."""
        if current is None:
            final = {**_NEW_GROUP, "layer": item.kind_layer, **item.given}
        else:
            final = {**current.fields, **item.given}
            if final == current.fields:
                return final
        if final["status"] == GroupStatus.CLOSED and not final["closed_on"]:
            final["closed_on"] = self.today
        was_closed = current is not None and current.fields["status"] == GroupStatus.CLOSED
        if final["status"] != GroupStatus.CLOSED and was_closed and "closed_on" not in item.given:
            final["closed_on"] = None
        status_changed = current is None or final["status"] != current.fields["status"]
        if "status_changed_on" not in item.given and status_changed:
            final["status_changed_on"] = self.today
        return final

    def _field_problems(self, item: _GroupRow, final: dict[str, Any]) -> list[Problem]:
        """`services._status_problems` on the group as the row leaves it, located at the row. It reads a
        few attributes: a namespace holding them all costs a fraction of a model instance (whose
        __init__ is most of a chunk's time), and a rule reading anything else fails loudly."""
        group = cast(Group, SimpleNamespace(**final))
        return [
            Problem(p.code, p.message, field=p.field, row=item.row.number, column=p.field)
            for p in _status_problems(group)
        ]

    def _create_problems(self, item: _GroupRow, parent: str | None, node: _Node | None) -> list[Problem]:
        """Where a new group may go: `services._require_can_create_under` and the depth limit."""
        if parent is not None and node is None:  # arrange saw it; a safety net
            return [self._unknown_parent(item, parent)]
        if node is None:
            if self.is_admin:
                return []
            return [
                problem_at(
                    item.row, "parent", "forbidden", "Only a backbone admin can create a top-level group."
                )
            ]
        problems = []
        if not self.is_admin and not self.scope.covers_path(node.path, for_edit=True):
            problems.append(self._out_of_reach_parent(item, parent))
        if node.depth + 1 > MAX_DEPTH:
            problems.append(
                problem_at(
                    item.row, "parent", "too_deep", f"The tree may be at most {MAX_DEPTH + 1} levels deep."
                )
            )
        return problems

    def _may_edit(self, current: _Current) -> bool:
        """`Group.objects.editable_by`, for a group already loaded: admins, coordinators above, its lead."""
        return (
            self.is_admin
            or self.scope.covers_path(current.path, for_edit=True)
            or current.pk in self.scope.lead_groups
        )

    def _outside_reach(self, item: _GroupRow) -> Problem:
        return problem_at(
            item.row,
            "code",
            "outside_reach",
            f"The group {item.code!r} already exists outside your reach: you may not change it "
            "(ask its coordinator or an admin).",
        )

    def _unknown_parent(self, item: _GroupRow, parent: str) -> Problem:
        return problem_at(
            item.row, "parent", "unknown_parent", f"No group has the code {parent!r} in this collective."
        )

    def _out_of_reach_parent(self, item: _GroupRow, parent: str | None) -> Problem:
        return problem_at(
            item.row,
            "parent",
            "parent_out_of_reach",
            f"You may not add groups under {parent!r}: it is outside your part of the tree.",
        )

    def _node(self, code: str, new_nodes: dict[str, _Node], existing: dict[str, _Current]) -> _Node | None:
        if code in new_nodes:
            return new_nodes[code]
        current = existing.get(code)
        if current is not None:
            return _Node(current.pk, current.path, current.depth)
        return self.placed.get(code)

    def _current(self, codes: Iterable[str]) -> dict[str, _Current]:
        """The chunk's groups (its rows and their parents) as they are in the database: one query."""
        found: dict[str, _Current] = {}
        for batch in batches(sorted(codes)):
            for pk, code, parent, path, depth, *values in (
                Group.objects.filter(collective=self.collective, code__in=batch)
                .order_by()
                .values_list("pk", "code", "parent__code", "path", "depth", *GROUP_FIELDS)
            ):
                found[code] = _Current(pk, parent, path, depth, dict(zip(GROUP_FIELDS, values, strict=True)))
        return found

    def _insert(self, creates: list[tuple[_GroupRow, dict[str, Any]]], existing: dict[str, _Current]) -> None:
        """Insert the new groups, read their ids back by code, then write parents and paths (parents come
        first, so each path extends one already known) with one executemany."""
        if not creates:
            return
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        insert_rows(
            GROUP_TABLE,
            (
                "collective_id",
                "code",
                "parent_id",
                "path",
                "depth",
                *GROUP_FIELDS,
                "created_at",
                "updated_at",
            ),
            [
                (
                    self.collective.pk,
                    item.code,
                    None,
                    PENDING_PATH,
                    0,
                    *_db_values(final),
                    now,
                    now,
                )
                for item, final in creates
            ],
        )
        ids: dict[str, int] = {}
        for batch in batches([item.code for item, _ in creates]):
            ids.update(
                Group.objects.filter(collective=self.collective, code__in=batch)
                .order_by()
                .values_list("code", "pk")
            )
        placed: list[tuple[Any, ...]] = []
        for item, _ in creates:
            pk = ids[item.code]
            if item.parent is None or not item.sets_parent:
                node = _Node(pk, f"/{pk}/", 0)
                parent_id = None
            else:
                parent = self.placed.get(item.parent) if item.parent not in existing else None
                if parent is None:
                    current = existing[item.parent]
                    parent = _Node(current.pk, current.path, current.depth)
                node = _Node(pk, f"{parent.path}{pk}/", parent.depth + 1)
                parent_id = parent.pk
            self.placed[item.code] = node
            placed.append((parent_id, node.path, node.depth, pk))
        _write_places(placed)

    def _move(self, item: _GroupRow, current: _Current, existing: dict[str, _Current]) -> Problem | None:
        """`services.group_move` for one row: checks on fresh paths, then one UPDATE of the subtree."""
        parent = self._node(item.parent, {}, existing) if item.parent is not None else None
        ids = [current.pk] if parent is None or parent.pk is None else [current.pk, parent.pk]
        fresh = {
            pk: _Node(pk, path, depth)
            for pk, path, depth in Group.objects.filter(pk__in=ids)
            .order_by()
            .values_list("pk", "path", "depth")
        }
        old = fresh[current.pk]
        if parent is None:
            if not self.is_admin:
                return problem_at(
                    item.row,
                    "parent",
                    "forbidden",
                    "Only a backbone admin can move a group to the top level.",
                )
            new = _Node(current.pk, f"/{current.pk}/", 0)
        else:
            # Fresh from the database, unless a dry run of valid rows rolled back the chunk that made it.
            parent = fresh.get(parent.pk or 0, parent)
            if parent.path.startswith(old.path):
                return problem_at(
                    item.row,
                    "parent",
                    "cycle",
                    "A group cannot move under itself or one of its own sub-groups.",
                )
            if not self.is_admin and not self.scope.covers_path(parent.path, for_edit=True):
                return self._out_of_reach_parent(item, item.parent)
            new = _Node(current.pk, f"{parent.path}{current.pk}/", parent.depth + 1)
        subtree = Group.objects.filter(path__startswith=old.path)
        deepest = subtree.aggregate(deepest=Max("depth"))["deepest"] or old.depth
        delta = new.depth - old.depth
        if deepest + delta > MAX_DEPTH:
            return problem_at(
                item.row, "parent", "too_deep", f"The tree may be at most {MAX_DEPTH + 1} levels deep."
            )
        subtree.update(
            path=Concat(Value(new.path), Substr("path", len(old.path) + 1)),
            depth=F("depth") + delta,
            parent_id=Case(
                When(pk=current.pk, then=Value(parent.pk if parent else None)),
                default=F("parent_id"),
                output_field=models.BigIntegerField(),
            ),
            updated_at=self.now,
        )
        self.placed[item.code] = new
        return None

    def _update(self, updates: list[tuple[_GroupRow, _Current, dict[str, Any]]]) -> None:
        now = connection.ops.adapt_datetimefield_value(self.now)
        update_rows(
            GROUP_TABLE,
            (*GROUP_FIELDS, "updated_at"),
            [(*_db_values(final), now, current.pk) for _, current, final in updates],
        )


def _write_places(rows: list[tuple[int | None, str, int, int]]) -> None:
    """(parent id, path, depth, id) of new groups: one executemany, or on PostgreSQL one UPDATE joined to
    the values as arrays (a statement per row costs there what the rest of the chunk costs)."""
    if not is_postgres():
        update_rows(GROUP_TABLE, ("parent_id", "path", "depth"), rows)
        return
    parent_ids, paths, depths, ids = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {GROUP_TABLE} AS g SET parent_id = v.parent_id, path = v.path, depth = v.depth "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::integer[], %s::bigint[]) "
            "AS v(parent_id, path, depth, id) WHERE g.id = v.id",
            [parent_ids, paths, depths, ids],
        )


def _db_values(final: dict[str, Any]) -> list[Any]:
    """A group's fields in `GROUP_FIELDS` order, dates as the database driver takes them."""
    adapt = connection.ops.adapt_datefield_value
    return [adapt(final[name]) if name in _DATE_FIELDS else final[name] for name in GROUP_FIELDS]
