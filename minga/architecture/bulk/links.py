"""The links importer: rows upserted by (source, target, kind), with the rules of `link_create` and
`link_update`: both ends in the collective and visible to the actor, one of them editable by the actor,
not a group with itself, dates in order. A chunk costs a handful of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from minga.architecture.bulk.groups import batches, max_length, problem_at
from minga.architecture.models import Group, Link
from minga.core.audit import audit_record
from minga.core.bulk import ChunkOutcome, Importer, Rejection, SourceRow
from minga.core.bulk.sql import insert_rows, update_rows
from minga.core.bulk.values import CellError, Choices, parse_date, parse_float
from minga.core.errors import Problem
from minga.core.models import Collective

LINK_TABLE = Link._meta.db_table


@dataclass
class _LinkRow:
    row: SourceRow
    source: str
    target: str
    kind: str
    given: dict[str, Any]


LINK_FIELDS = ("weight", "started_on", "ended_on", "note")
_NEW_LINK: dict[str, Any] = {"weight": 1.0, "started_on": None, "ended_on": None, "note": ""}


class LinkImporter(Importer):
    """Upserts links by (source, target, kind); see the module's docstring. One instance per run."""

    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.now = timezone.now()
        self.kinds = Choices(Link.Kind.choices, what="kind of link")
        # Group code → (id, whether the actor edits it); None: not a group the actor can see.
        self.groups: dict[str, tuple[int, bool] | None] = {}
        self.seen: dict[tuple[str, str, str], int] = {}

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        self._load_groups({r.values[c] for r in rows for c in ("source", "target") if r.values[c]})
        parsed: list[_LinkRow] = []
        for row in rows:
            problems: list[Problem] = []
            item = self._parse(row, problems)
            if item is None:
                outcome.rejected.append(Rejection(row, problems))
            else:
                parsed.append(item)
        existing = self._existing(parsed)
        creates: list[tuple[_LinkRow, dict[str, Any]]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        for item in parsed:
            source, target = self.groups[item.source], self.groups[item.target]
            assert source is not None and target is not None
            current = existing.get((source[0], target[0], item.kind))
            final = {**(current[1] if current else _NEW_LINK), **item.given}
            problems = []
            if final["started_on"] and final["ended_on"] and final["ended_on"] < final["started_on"]:
                problems.append(
                    problem_at(
                        item.row, "ended_on", "dates_out_of_order", "The link cannot end before it starts."
                    )
                )
            if current is not None and final == current[1] and not problems:
                outcome.unchanged += 1
                continue
            if not source[1] and not target[1]:
                problems.append(
                    problem_at(
                        item.row,
                        "source",
                        "outside_reach",
                        "You may change neither of these groups: a link needs at least one group you edit.",
                    )
                )
            if problems:
                outcome.rejected.append(Rejection(item.row, problems))
            elif current is None:
                creates.append((item, final))
            else:
                updates.append((current[0], final))
        ops = connection.ops
        insert_rows(
            LINK_TABLE,
            ("collective_id", "source_id", "target_id", "kind", *LINK_FIELDS, "created_at"),
            [
                (
                    self.collective.pk,
                    self._id(item.source),
                    self._id(item.target),
                    item.kind,
                    final["weight"],
                    ops.adapt_datefield_value(final["started_on"]),
                    ops.adapt_datefield_value(final["ended_on"]),
                    final["note"],
                    ops.adapt_datetimefield_value(self.now),
                )
                for item, final in creates
            ],
        )
        update_rows(
            LINK_TABLE,
            LINK_FIELDS,
            [
                (
                    final["weight"],
                    ops.adapt_datefield_value(final["started_on"]),
                    ops.adapt_datefield_value(final["ended_on"]),
                    final["note"],
                    pk,
                )
                for pk, final in updates
            ],
        )
        outcome.created, outcome.updated = len(creates), len(updates)
        if creates or updates:
            # Links have no `updated_at`: this entry is what tells the network snapshot it is stale.
            audit_record(
                actor=self.actor,
                action="link.import",
                target=self.collective,
                changes={"created": len(creates), "updated": len(updates)},
            )
        return outcome

    def _id(self, code: str) -> int:
        group = self.groups[code]
        assert group is not None
        return group[0]

    def _load_groups(self, codes: set[str]) -> None:
        """Codes not seen yet → the groups the actor sees (`visible_to`) and edits (`editable_by`)."""
        missing = sorted(c for c in codes if c not in self.groups)
        for batch in batches(missing):
            visible = dict(
                Group.objects.visible_to(self.actor)
                .filter(collective=self.collective, code__in=batch)
                .order_by()
                .values_list("code", "pk")
            )
            editable = set(
                Group.objects.editable_by(self.actor)
                .filter(collective=self.collective, code__in=batch)
                .order_by()
                .values_list("code", flat=True)
            )
            for code in batch:
                pk = visible.get(code)
                self.groups[code] = (pk, code in editable) if pk is not None else None

    def _parse(self, row: SourceRow, problems: list[Problem]) -> _LinkRow | None:
        v = row.values
        given: dict[str, Any] = {}

        def bad(column: str, code: str, message: str) -> None:
            problems.append(problem_at(row, column, code, message))

        for end in ("source", "target"):
            if not v[end]:
                bad(end, "required", f"The {end} group's code is required.")
            elif self.groups.get(v[end]) is None:
                bad(end, "unknown_group", f"There is no group with the code {v[end]!r} that you can see.")
        if v["source"] and v["source"] == v["target"]:
            bad("target", "self_link", "A group cannot be linked to itself.")
        kind = ""
        if not v["kind"]:
            bad("kind", "required", f"A kind of link is required: one of {self.kinds.allowed}.")
        else:
            try:
                kind = self.kinds.parse(v["kind"])
            except CellError as error:
                bad("kind", "invalid_kind", str(error))
        if "weight" in self.present:
            try:
                weight = parse_float(v["weight"], low=0.0, high=1000.0, what="The weight")
                given["weight"] = 1.0 if weight is None else weight
            except CellError as error:
                bad("weight", "invalid_weight", str(error))
        for name in ("started_on", "ended_on"):
            if name in self.present:
                try:
                    given[name] = parse_date(v[name])
                except CellError as error:
                    bad(name, "invalid_date", str(error))
        if "note" in self.present:
            if len(v["note"]) > max_length(Link, "note"):
                bad("note", "too_long", f"The note is longer than {max_length(Link, 'note')} characters.")
            given["note"] = v["note"]
        if not problems:
            key = (v["source"], v["target"], kind)
            first = self.seen.setdefault(key, row.number)
            if first != row.number:
                bad(
                    "target",
                    "duplicate_in_file",
                    f"The same link ({' → '.join(key)}) is also on row {first}.",
                )
        if problems:
            return None
        return _LinkRow(row=row, source=v["source"], target=v["target"], kind=kind, given=given)

    def _existing(self, parsed: list[_LinkRow]) -> dict[tuple[int, int, str], tuple[int, dict[str, Any]]]:
        if not parsed:
            return {}
        sources = sorted({self._id(item.source) for item in parsed})
        targets = sorted({self._id(item.target) for item in parsed})
        found: dict[tuple[int, int, str], tuple[int, dict[str, Any]]] = {}
        for batch in batches(sources):
            for pk, source, target, kind, *values in (
                Link.objects.filter(collective=self.collective, source_id__in=batch, target_id__in=targets)
                .order_by()
                .values_list("pk", "source_id", "target_id", "kind", *LINK_FIELDS)
            ):
                found[(source, target, kind)] = (pk, dict(zip(LINK_FIELDS, values, strict=True)))
        return found
