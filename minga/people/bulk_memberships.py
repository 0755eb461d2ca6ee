"""Memberships as a bulk record type: who holds which role in which group, from when until when.

A row names an existing person of the collective (by external id or email), a group (by code), a role and
the dates. It is matched by person, group, role and start date: a blank start date means the person's
open membership with that role in that group (or, when there is none, a new one from today), so a sheet
of end dates closes memberships without knowing when they began. The rules are those of
`people.services.membership_create`, `_membership_insert` and `membership_end` (the person within
reach, nobody grants a role above their own, dates in order, one open membership per person, group and
role), applied to a chunk with a handful of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from minga.architecture.bulk import may_import_architecture
from minga.core.bulk import ChunkOutcome, Column, Importer, RecordType, Rejection, SourceRow, register
from minga.core.bulk.sql import insert_rows, update_rows
from minga.core.bulk.values import CellError, Choices, parse_date
from minga.core.choices import Role
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.people.bulk import GroupLookup, grant_problem
from minga.people.models import Membership, Person

MEMBERSHIP_TABLE = Membership._meta.db_table
LOOKUP_BATCH = 5_000

# (person id, group id, role)
_Holding = tuple[int, int, str]


@dataclass
class _Row:
    row: SourceRow
    person: int
    group: tuple[int, str]  # id, path
    role: str
    started_on: dt.date | None  # None: the open membership, else from today
    ended_on: dt.date | None
    sets_end: bool  # whether the file has an ended_on column

    @property
    def holding(self) -> _Holding:
        return (self.person, self.group[0], self.role)


@dataclass
class _Existing:
    pk: int
    started_on: dt.date
    ended_on: dt.date | None


def _problem(row: SourceRow, column: str, code: str, message: str) -> Problem:
    return Problem(code=code, message=message, field=column, row=row.number, column=column)


class MembershipImporter(Importer):
    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.scope = scope_for(actor)
        self.is_admin = self.scope.is_superuser or collective.pk in self.scope.admin_collectives
        self.groups = GroupLookup(collective, self.scope)
        self.roles = Choices(Role.choices, what="role")
        self.today = timezone.localdate()
        self.now = timezone.now()
        # Rows of the file so far: by membership (an existing one's id, or a new one's key), and the open
        # memberships they leave, so that two rows can't open the same role twice.
        self.seen: dict[Any, int] = {}
        self.open_rows: dict[_Holding, int] = {}

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        self.groups.load(r.values["group"] for r in rows)
        people = self._people({r.values["person"] for r in rows if r.values["person"]})
        parsed: list[_Row] = []
        for row in rows:
            problems: list[Problem] = []
            item = self._parse(row, people, problems)
            if item is None:
                outcome.rejected.append(Rejection(row, problems))
            else:
                parsed.append(item)
        held = self._existing(parsed)
        creates: list[_Row] = []
        updates: list[tuple[_Row, _Existing]] = []
        unchanged: list[tuple[_Row, _Existing]] = []
        for item in parsed:
            candidates = held.get(item.holding, [])
            current = self._match(item, candidates)
            key: Any = current.pk if current is not None else (*item.holding, item.started_on or self.today)
            first = self.seen.setdefault(key, item.row.number)
            if first != item.row.number:
                outcome.rejected.append(
                    Rejection(
                        item.row,
                        [
                            _problem(
                                item.row,
                                "person",
                                "duplicate_in_file",
                                f"The same membership is on row {first}.",
                            )
                        ],
                    )
                )
                continue
            if current is None:
                problems = self._create_problems(item, candidates)
                if problems:
                    outcome.rejected.append(Rejection(item.row, problems))
                else:
                    creates.append(item)
                continue
            ended_on = item.ended_on if item.sets_end else current.ended_on
            if ended_on == current.ended_on:
                unchanged.append((item, current))
                continue
            problems = self._end_problems(item, current, candidates)
            if problems:
                outcome.rejected.append(Rejection(item.row, problems))
            else:
                updates.append((item, current))
        if unchanged and not self.is_admin:
            visible = set(
                Membership.objects.visible_to(self.actor)
                .filter(pk__in=[current.pk for _, current in unchanged])
                .values_list("pk", flat=True)
            )
            for item, current in unchanged:
                if current.pk not in visible:
                    outcome.rejected.append(Rejection(item.row, [self._unreachable(item)]))
            unchanged = [(item, current) for item, current in unchanged if current.pk in visible]
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        insert_rows(
            MEMBERSHIP_TABLE,
            ("person_id", "group_id", "role", "started_on", "ended_on", "created_at"),
            [
                (
                    item.person,
                    item.group[0],
                    item.role,
                    ops.adapt_datefield_value(item.started_on or self.today),
                    ops.adapt_datefield_value(item.ended_on),
                    now,
                )
                for item in creates
            ],
        )
        update_rows(
            MEMBERSHIP_TABLE,
            ("ended_on",),
            [(ops.adapt_datefield_value(item.ended_on), current.pk) for item, current in updates],
        )
        outcome.created, outcome.updated, outcome.unchanged = len(creates), len(updates), len(unchanged)
        return outcome

    # -- lookups ----------------------------------------------------------------------------------------

    def _people(self, references: set[str]) -> dict[str, int]:
        """Person reference → id, among the people of the collective the actor may see (one query): an
        external id first, else an email (in any case)."""
        found: dict[str, int] = {}
        values = sorted(references)
        for start in range(0, len(values), LOOKUP_BATCH):
            batch = values[start : start + LOOKUP_BATCH]
            lowered = [v.lower() for v in batch if "@" in v]
            by_email: dict[str, int] = {}
            for pk, external_id, email in (
                Person.objects.visible_to(self.actor)
                .filter(collective=self.collective)
                .filter(Q(external_id__in=batch) | Q(email__in=lowered))
                .order_by()
                .values_list("pk", "external_id", "email")
            ):
                if external_id:
                    found[external_id] = pk
                if email:
                    by_email[email] = pk
            for value in batch:
                if value not in found and value.lower() in by_email:
                    found[value] = by_email[value.lower()]
        return found

    def _existing(self, parsed: list[_Row]) -> dict[_Holding, list[_Existing]]:
        """The memberships of the chunk's people in the chunk's groups (one query), by holding."""
        held: dict[_Holding, list[_Existing]] = {}
        if not parsed:
            return held
        people = sorted({item.person for item in parsed})
        groups = sorted({item.group[0] for item in parsed})
        for start in range(0, len(people), LOOKUP_BATCH):
            for pk, person, group, role, started_on, ended_on in (
                Membership.objects.filter(
                    person_id__in=people[start : start + LOOKUP_BATCH], group_id__in=groups
                )
                .order_by("id")
                .values_list("pk", "person_id", "group_id", "role", "started_on", "ended_on")
            ):
                held.setdefault((person, group, role), []).append(_Existing(pk, started_on, ended_on))
        return held

    def _match(self, item: _Row, candidates: list[_Existing]) -> _Existing | None:
        """The membership a row names: the one starting that day (the one ending as the row says, when
        two started the same day), or with no start date the open one."""
        if item.started_on is None:
            return next((c for c in candidates if c.ended_on is None), None)
        same_day = [c for c in candidates if c.started_on == item.started_on]
        if item.sets_end:
            for candidate in same_day:
                if candidate.ended_on == item.ended_on:
                    return candidate
        return same_day[0] if same_day else None

    # -- rules ------------------------------------------------------------------------------------------

    def _parse(self, row: SourceRow, people: dict[str, int], problems: list[Problem]) -> _Row | None:
        v = row.values

        def bad(column: str, code: str, message: str) -> None:
            problems.append(_problem(row, column, code, message))

        person = people.get(v["person"])
        if not v["person"]:
            bad("person", "required", "Give the person's email or external id.")
        elif person is None:
            bad(
                "person",
                "unknown_person",
                f"There is no person {v['person']!r} (by external id or email) that you can see in this "
                "collective. Add people with the people import first.",
            )
        group = self.groups.get(v["group"])
        if not v["group"]:
            bad("group", "required", "Give the group's code.")
        elif group is None:
            bad("group", "no_group", f"There is no group with the code {v['group']!r} in this collective.")
        role: str = Role.MEMBER.value
        if v["role"]:
            try:
                role = self.roles.parse(v["role"])
            except CellError as error:
                bad("role", "invalid_role", str(error))
        started_on = ended_on = None
        try:
            started_on = parse_date(v["started_on"])
        except CellError as error:
            bad("started_on", "invalid_date", str(error))
        sets_end = "ended_on" in self.present
        if sets_end:
            try:
                ended_on = parse_date(v["ended_on"])
            except CellError as error:
                bad("ended_on", "invalid_date", str(error))
        if ended_on is not None and started_on is not None and ended_on < started_on:
            bad("ended_on", "dates_out_of_order", "A membership cannot end before it starts.")
        if problems or person is None or group is None:
            return None
        return _Row(row, person, group, role, started_on, ended_on, sets_end)

    def _grant(self, item: _Row) -> Problem | None:
        """`services._require_can_grant`: nobody grants (or ends) a role above their own."""
        reason = grant_problem(self.groups.own_role(*item.group), item.role)
        if reason is None:
            return None
        if "reach" in reason:
            return self._unreachable(item)
        return _problem(item.row, "role", "role_too_high", reason)

    def _unreachable(self, item: _Row) -> Problem:
        return _problem(
            item.row,
            "group",
            "outside_reach",
            f"The group {item.row.values['group']!r} is outside your reach: you may not change who belongs "
            "to it.",
        )

    def _create_problems(self, item: _Row, candidates: list[_Existing]) -> list[Problem]:
        problems = []
        refusal = self._grant(item)
        if refusal is not None:
            problems.append(refusal)
        if item.started_on is None and item.ended_on is not None and item.ended_on < self.today:
            problems.append(
                _problem(
                    item.row,
                    "ended_on",
                    "dates_out_of_order",
                    "A membership cannot end before it starts (today, as no start date is given).",
                )
            )
        if item.ended_on is None:
            problems.extend(self._second_open(item, candidates, None))
        return problems

    def _end_problems(self, item: _Row, current: _Existing, candidates: list[_Existing]) -> list[Problem]:
        """`services.membership_end` for a changed end date, and no second open membership on reopening."""
        refusal = self._grant(item)
        if refusal is not None:
            return [refusal]
        problems = []
        if current.ended_on is not None and current.ended_on <= self.today:
            problems.append(
                _problem(item.row, "ended_on", "already_ended", "This membership has already ended.")
            )
        if item.ended_on is not None and item.ended_on < current.started_on:
            problems.append(
                _problem(
                    item.row, "ended_on", "dates_out_of_order", "A membership cannot end before it starts."
                )
            )
        if item.ended_on is None:
            problems.extend(self._second_open(item, candidates, current.pk))
        return problems

    def _second_open(self, item: _Row, candidates: list[_Existing], own: int | None) -> list[Problem]:
        """One open membership per person, group and role (the database's constraint), in the database
        and across the file."""
        if any(c.ended_on is None and c.pk != own for c in candidates):
            return [
                _problem(
                    item.row,
                    "role",
                    "duplicate_membership",
                    "This person already holds this role in this group.",
                )
            ]
        first = self.open_rows.setdefault(item.holding, item.row.number)
        if first != item.row.number:
            return [
                _problem(
                    item.row,
                    "role",
                    "duplicate_membership",
                    f"Row {first} already gives this person this role in this group, without an end date.",
                )
            ]
        return []


class MembershipRecordType(RecordType):
    name = "memberships"
    label = "Memberships"
    description = "Roles people hold in groups, with their dates. The people must exist already."
    natural_key = "person, group, role and start date"
    chunk_size = 5_000
    columns = (
        Column(
            "person",
            "The person's external id or email (someone already in the collective).",
            "amina@example.org",
            required=True,
            aliases=("email", "external_id"),
        ),
        Column("group", "Code of the group.", "ke-nai-kib", required=True, aliases=("group_code",)),
        Column(
            "role",
            "member (default), observer, lead, coordinator or admin.",
            "member",
        ),
        Column(
            "started_on",
            "When the role started (YYYY-MM-DD; blank: the open membership, or a new one from today).",
            "2023-06-15",
            aliases=("member_since",),
        ),
        Column("ended_on", "When it ended (blank: still on).", ""),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return MembershipImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return may_import_architecture(actor, collective)

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """Memberships `actor` may see in `collective` (current and past), with the people directory's
        filters (q on name or email, group code for its subtree, role); the person by external id, else
        email."""
        from minga.people.selectors import person_filters_from

        chosen = person_filters_from(user=actor, collective=collective, params=filters)
        qs = Membership.objects.visible_to(actor).filter(group__collective=collective)
        if chosen.q:
            qs = qs.filter(Q(person__full_name__icontains=chosen.q) | Q(person__email__icontains=chosen.q))
        if chosen.group is not None:
            qs = qs.filter(group__path__startswith=chosen.group.path)
        if chosen.role:
            qs = qs.filter(role=chosen.role)
        rows = (
            qs.order_by("id")
            .values_list(
                "person__external_id", "person__email", "group__code", "role", "started_on", "ended_on"
            )
            .iterator(chunk_size=5_000)
        )
        return ((external_id or email, *rest) for external_id, email, *rest in rows)


MEMBERSHIPS = register(MembershipRecordType())
