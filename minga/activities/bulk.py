"""Activities and named participants (attendance) as bulk record types.

An activities row is matched by its `code` and upserted; its owner group (by code) must be within the
importer's reach (lead of it, coordinator above it, admin), as in `services.activity_create`, and an
existing activity may only be changed by someone who reaches its current owner group. Participating
groups are a list of codes ("ke-nai; ke-cst") that replaces the activity's list when the column is given.
An attendance row names an activity (by code) and a person (external id or email) who gave consent and
whom the importer may read; it is matched by (activity, person). A chunk costs a handful of queries;
writes go through `insert_rows`/`update_rows` (COPY on PostgreSQL). Exports re-import unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from minga.activities.models import Activity, ActivityStatus, ActivityType, Area, Attendance
from minga.activities.services import _participation_problems
from minga.architecture.bulk import may_import_architecture
from minga.architecture.models import Group
from minga.core.bulk import ChunkOutcome, Column, Importer, RecordType, Rejection, SourceRow, register
from minga.core.bulk.sql import allocate_ids, in_list, insert_rows, update_rows
from minga.core.bulk.values import CellError, Choices, parse_date, parse_list
from minga.core.choices import Visibility
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.people.bulk import GroupLookup
from minga.people.models import Person

ACTIVITY_TABLE = Activity._meta.db_table
PARTICIPANTS_TABLE = Activity.participants.through._meta.db_table
ATTENDANCE_TABLE = Attendance._meta.db_table
# Columns written for an activity, in this order (after id); the file's column of the same name feeds each.
ACTIVITY_COLUMNS = (
    "collective_id", "group_id", "code", "area", "type_id", "title", "description", "starts_on", "ends_on",
    "place_name", "status", "outputs", "participants_total", "participation", "visibility", "created_at",
    "updated_at",
)  # fmt: skip
UPDATABLE = (
    "group_id", "area", "type_id", "title", "description", "starts_on", "ends_on", "place_name", "status",
    "outputs", "participants_total", "participation", "visibility", "updated_at",
)  # fmt: skip


def _problem(row: SourceRow, column: str, code: str, message: str) -> Problem:
    return Problem(code=code, message=message, field=column, row=row.number, column=column)


def format_participation(value: dict[str, int]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in value.items())


def parse_participation(text: str) -> dict[str, int]:
    """ "women: 30; youth: 12" → {"women": 30, "youth": 12}."""
    result: dict[str, int] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        name, sep, count = part.partition(":")
        if not sep or not count.strip().isdigit() or not name.strip():
            raise CellError(f"Write counts as “women: 30; youth: 12” (got {part.strip()!r}).")
        result[name.strip().lower()[:40]] = int(count.strip())
    return result


@dataclass
class _ActivityRow:
    row: SourceRow
    code: str
    group: tuple[int, str]
    fields: dict[str, Any]  # model column → value, only those the file gives
    participants: list[int] | None


class ActivityImporter(Importer):
    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.scope = scope_for(actor)
        self.groups = GroupLookup(collective, self.scope)
        self.areas = Choices(Area.choices, what="area")
        self.statuses = Choices(ActivityStatus.choices, what="status")
        self.visibilities = Choices(Visibility.choices, what="visibility")
        self.types: dict[str, int] = {}
        for pk, code, name in ActivityType.objects.filter(collective=collective).values_list(
            "pk", "code", "name"
        ):
            self.types[code.lower()] = pk
            self.types.setdefault(name.lower(), pk)
        self.seen: dict[str, int] = {}
        self.now = timezone.now()

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        codes: set[str] = set()
        for r in rows:
            codes.add(r.values.get("group", ""))
            codes.update(parse_list(r.values.get("participating_groups", "")))
        self.groups.load(codes)
        parsed: list[_ActivityRow] = []
        for row in rows:
            problems: list[Problem] = []
            item = self._parse(row, problems)
            if item is None:
                outcome.rejected.append(Rejection(row, problems))
            else:
                parsed.append(item)
        existing = self._existing([p.code for p in parsed])
        creates: list[_ActivityRow] = []
        updates: list[tuple[_ActivityRow, dict[str, Any]]] = []
        for item in parsed:
            current = existing.get(item.code)
            if current is not None and self.groups.own_role(current["group_id"], current["path"]) is None:
                outcome.rejected.append(
                    Rejection(
                        item.row,
                        [
                            _problem(
                                item.row,
                                "code",
                                "outside_reach",
                                f"The activity {item.code!r} belongs to a group outside your reach.",
                            )
                        ],
                    )
                )
                continue
            merged = {**(current or {}), **item.fields}
            problems = self._rules(item, merged)
            if problems:
                outcome.rejected.append(Rejection(item.row, problems))
            elif current is None:
                creates.append(item)
            elif self._same(item, current):
                outcome.unchanged += 1
            else:
                updates.append((item, current))
        self._write(creates, updates)
        outcome.created, outcome.updated = len(creates), len(updates)
        return outcome

    @staticmethod
    def _same(item: _ActivityRow, current: dict[str, Any]) -> bool:
        """Whether the row changes nothing (fields it gives, and the participating groups)."""
        if any(current.get(name) != value for name, value in item.fields.items()):
            return False
        return (
            item.participants is None or set(item.participants) - {item.group[0]} == current["participants"]
        )

    def _parse(self, row: SourceRow, problems: list[Problem]) -> _ActivityRow | None:
        v = row.values

        def bad(column: str, code: str, message: str) -> None:
            problems.append(_problem(row, column, code, message))

        code = v.get("code", "")
        if not code:
            bad("code", "required", "Give the activity's code.")
        elif len(code) > 60:
            bad("code", "too_long", "A code has at most 60 characters.")
        else:
            first = self.seen.setdefault(code, row.number)
            if first != row.number:
                bad("code", "duplicate_in_file", f"The same activity is on row {first}.")
        group = self.groups.get(v.get("group", ""))
        if not v.get("group"):
            bad("group", "required", "Give the owner group's code.")
        elif group is None:
            bad("group", "no_group", f"There is no group with the code {v['group']!r} in this collective.")
        elif self.groups.own_role(*group) is None:
            bad("group", "outside_reach", "You may only record activities for groups you lead or coordinate.")
        fields: dict[str, Any] = {}
        if group is not None:
            fields["group_id"] = group[0]
        for column, choices, name in (
            ("area", self.areas, "area"),
            ("status", self.statuses, "status"),
            ("visibility", self.visibilities, "visibility"),
        ):
            text = v.get(column)
            if text:
                try:
                    fields[name] = choices.parse(text)
                except CellError as error:
                    bad(column, f"invalid_{column}", str(error))
        if "type" in v:
            text = v["type"].strip().lower()
            if text and text not in self.types:
                bad("type", "unknown_type", f"There is no activity type {v['type']!r} in this collective.")
            fields["type_id"] = self.types.get(text) if text else None
        for column in ("title", "description", "place_name", "outputs"):
            if column in v:
                fields[column] = v[column]
        if "title" in v and len(v["title"]) > 200:
            bad("title", "too_long", "A title has at most 200 characters.")
        for column in ("starts_on", "ends_on"):
            if column in v:
                try:
                    fields[column] = parse_date(v[column])
                except CellError as error:
                    bad(column, "invalid_date", str(error))
        if v.get("participants_total"):
            text = v["participants_total"]
            if not text.isdigit():
                bad("participants_total", "invalid_number", f"{text!r} is not a whole number.")
            else:
                fields["participants_total"] = int(text)
        if "participation" in v:
            try:
                fields["participation"] = parse_participation(v["participation"])
            except CellError as error:
                bad("participation", "invalid_participation", str(error))
        participants: list[int] | None = None
        if "participating_groups" in self.present:
            participants = []
            for gcode in parse_list(v.get("participating_groups", "")):
                found = self.groups.get(gcode)
                if found is None:
                    bad("participating_groups", "no_group", f"There is no group with the code {gcode!r}.")
                else:
                    participants.append(found[0])
        if problems or group is None:
            return None
        return _ActivityRow(row, code, group, fields, participants)

    def _existing(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(codes), 5000):
            part = codes[start : start + 5000]
            for values in Activity.objects.filter(collective=self.collective, code__in=part).values(
                "pk", "code", "group__path", *UPDATABLE[:-1]
            ):
                values["path"] = values.pop("group__path")
                values["participants"] = set()
                found[values["code"]] = values
        by_pk = {v["pk"]: v for v in found.values()}
        for start in range(0, len(by_pk), 5000):
            part = list(by_pk)[start : start + 5000]
            for activity_id, group_id in Activity.participants.through.objects.filter(
                activity_id__in=part
            ).values_list("activity_id", "group_id"):
                by_pk[activity_id]["participants"].add(group_id)
        return found

    def _rules(self, item: _ActivityRow, merged: dict[str, Any]) -> list[Problem]:
        row = item.row
        problems = []
        for column, label in (("area", "area"), ("title", "title"), ("starts_on", "start date")):
            if not merged.get(column):
                problems.append(_problem(row, column, "required", f"Give the activity's {label}."))
        starts, ends = merged.get("starts_on"), merged.get("ends_on")
        if starts and ends and ends < starts:
            problems.append(
                _problem(row, "ends_on", "dates_out_of_order", "An activity cannot end before it starts.")
            )
        for p in _participation_problems(
            merged.get("participants_total") or 0, merged.get("participation") or {}
        ):
            problems.append(_problem(row, "participation", p.code, p.message))
        return problems

    def _write(self, creates: list[_ActivityRow], updates: list[tuple[_ActivityRow, dict[str, Any]]]) -> None:
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        ids = allocate_ids(ACTIVITY_TABLE, len(creates))
        defaults: dict[str, Any] = {
            "type_id": None, "description": "", "ends_on": None, "place_name": "",
            "status": ActivityStatus.PLANNED, "outputs": "", "participants_total": 0, "participation": {},
            "visibility": Visibility.PUBLIC,
        }  # fmt: skip
        rows = []
        for pk, item in zip(ids, creates, strict=True):
            f = {**defaults, **item.fields}
            rows.append(
                (
                    pk, self.collective.pk, f["group_id"], item.code, f["area"], f["type_id"], f["title"],
                    f["description"], ops.adapt_datefield_value(f["starts_on"]),
                    ops.adapt_datefield_value(f["ends_on"]), f["place_name"], f["status"], f["outputs"],
                    f["participants_total"], json.dumps(f["participation"]), f["visibility"], now, now,
                )
            )  # fmt: skip
        insert_rows(ACTIVITY_TABLE, ("id", *ACTIVITY_COLUMNS), rows)
        for pk, item in zip(ids, creates, strict=True):
            item.fields["pk"] = pk
        by_columns: dict[tuple[str, ...], list[Sequence[Any]]] = {}
        for item, current in updates:
            item.fields["pk"] = current["pk"]
            columns = (*(c for c in UPDATABLE if c in item.fields), "updated_at")
            values = []
            for c in columns:
                value = now if c == "updated_at" else item.fields[c]
                if c == "participation":
                    value = json.dumps(value)
                elif isinstance(value, dt.date):
                    value = ops.adapt_datefield_value(value)
                values.append(value)
            by_columns.setdefault(columns, []).append((*values, current["pk"]))
        for columns, values_list in by_columns.items():
            update_rows(ACTIVITY_TABLE, columns, values_list)
        # Participating groups: replaced for every row that gives the column.
        replaced = [
            (item.fields["pk"], item)
            for item in creates + [u for u, _ in updates]
            if item.participants is not None
        ]
        if replaced:
            where, params = in_list("activity_id", [pk for pk, _ in replaced])
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {PARTICIPANTS_TABLE} WHERE {where}", params)
            pairs = sorted(
                {(pk, g) for pk, item in replaced for g in (item.participants or []) if g != item.group[0]}
            )
            insert_rows(PARTICIPANTS_TABLE, ("activity_id", "group_id"), pairs)


class ActivityRecordType(RecordType):
    name = "activities"
    label = "Activities"
    description = "Collective activities in the five areas, each owned by a group, found again by code."
    natural_key = "code"
    chunk_size = 5_000
    columns = (
        Column(
            "code",
            "Unique code of the activity: how it is found again.",
            "ke-2025-water-survey",
            required=True,
        ),
        Column("title", "What the activity is called.", "Water kiosk price survey", required=True),
        Column("area", "movement, data, institutions, learning or systemic.", "data", required=True),
        Column("type", "Activity type: its code or name (optional).", "data-drive"),
        Column("group", "Code of the owner group.", "ke-nai-kib", required=True, aliases=("group_code",)),
        Column("participating_groups", "Codes of participating groups, separated by ';'.", "ke-nai; ke-cst"),
        Column("starts_on", "Start date (YYYY-MM-DD).", "2025-04-02", required=True),
        Column("ends_on", "End date (blank: one day).", ""),
        Column("place_name", "Where it happened.", "Kibera", aliases=("place",)),
        Column("status", "planned, under_way, done or cancelled.", "done"),
        Column("participants_total", "Participants in total.", "42"),
        Column("participation", "Counts by category, e.g. women: 30; youth: 12.", "women: 30; youth: 12"),
        Column("outputs", "What it produced.", "Price map of 60 kiosks"),
        Column("description", "What it was about.", ""),
        Column("visibility", "public, collective or private (new: public).", "public"),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return ActivityImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return may_import_architecture(actor, collective)

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """Activities `actor` may see in `collective` (with the list's `area` and `group` code filters)."""
        qs = Activity.objects.visible_to(actor).filter(collective=collective)
        area = (filters.get("area") or "").strip()
        if area:
            qs = qs.filter(area=area)
        group = (filters.get("group") or "").strip()
        if group:
            qs = qs.filter(Q(group__code=group) | Q(group__path__startswith=_path_of(collective, group)))
        participants: dict[int, list[str]] = {}
        for activity_id, code in Activity.participants.through.objects.filter(
            activity__in=qs.values("id")
        ).values_list("activity_id", "group__code"):
            participants.setdefault(activity_id, []).append(code)
        for row in qs.order_by("id").values_list(
            "id", "code", "title", "area", "type__code", "group__code", "starts_on", "ends_on", "place_name",
            "status", "participants_total", "participation", "outputs", "description", "visibility",
        ).iterator(chunk_size=5000):  # fmt: skip
            pk, code, title, area_, type_code, group_code, starts, ends, place, status, total, part, *rest = (
                row
            )
            yield (
                code, title, area_, type_code or "", group_code,
                "; ".join(sorted(participants.get(pk, []))), starts, ends, place, status, total,
                format_participation(part or {}), *rest,
            )  # fmt: skip


def _path_of(collective: Collective, code: str) -> str:
    group = Group.objects.filter(collective=collective, code=code).only("path").first()
    return group.path if group is not None else "/none/"


class AttendanceImporter(Importer):
    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.roles = Choices(Attendance.Role.choices, what="role")
        self.seen: dict[tuple[int, int], int] = {}
        self.now = timezone.now()

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        activity_codes = sorted({r.values.get("activity", "") for r in rows} - {""})
        editable = dict(
            Activity.objects.editable_by(self.actor)
            .filter(collective=self.collective, code__in=activity_codes)
            .values_list("code", "pk")
        )
        people = self._people({r.values.get("person", "") for r in rows} - {""})
        existing = {
            (a, p): (pk, role)
            for pk, a, p, role in Attendance.objects.filter(activity_id__in=editable.values()).values_list(
                "pk", "activity_id", "person_id", "role"
            )
        }
        creates, updates = [], []
        for row in rows:
            v = row.values
            problems: list[Problem] = []
            activity = editable.get(v.get("activity", ""))
            if activity is None:
                problems.append(
                    _problem(
                        row,
                        "activity",
                        "unknown_activity",
                        f"No activity {v.get('activity')!r} that you may edit.",
                    )
                )
            person = people.get(v.get("person", ""))
            if person is None:
                problems.append(
                    _problem(
                        row,
                        "person",
                        "unknown_person",
                        f"No person {v.get('person')!r} that you can see here.",
                    )
                )
            elif not person[1]:
                problems.append(
                    _problem(
                        row, "person", "consent_required", "This person has not given consent to be named."
                    )
                )
            role: str = Attendance.Role.PARTICIPANT.value
            if v.get("role"):
                try:
                    role = self.roles.parse(v["role"])
                except CellError as error:
                    problems.append(_problem(row, "role", "invalid_role", str(error)))
            if not problems and activity is not None and person is not None:
                key = (activity, person[0])
                first = self.seen.setdefault(key, row.number)
                if first != row.number:
                    problems.append(_problem(row, "person", "duplicate_in_file", f"Already on row {first}."))
            if problems or activity is None or person is None:
                outcome.rejected.append(Rejection(row, problems))
                continue
            current = existing.get((activity, person[0]))
            if current is None:
                creates.append(
                    (activity, person[0], role, connection.ops.adapt_datetimefield_value(self.now))
                )
            elif current[1] != role:
                updates.append((role, current[0]))
            else:
                outcome.unchanged += 1
        insert_rows(ATTENDANCE_TABLE, ("activity_id", "person_id", "role", "created_at"), creates)
        update_rows(ATTENDANCE_TABLE, ("role",), updates)
        outcome.created, outcome.updated = len(creates), len(updates)
        return outcome

    def _people(self, references: set[str]) -> dict[str, tuple[int, bool]]:
        """Reference (external id or email) → (person id, consented), among people the actor may read."""
        values = sorted(references)
        found: dict[str, tuple[int, bool]] = {}
        lowered = [v.lower() for v in values if "@" in v]
        for pk, external_id, email, given, withdrawn in (
            Person.objects.visible_to(self.actor)
            .filter(collective=self.collective)
            .filter(Q(external_id__in=values) | Q(email__in=lowered))
            .values_list("pk", "external_id", "email", "consent_given_at", "consent_withdrawn_at")
        ):
            consented = given is not None and withdrawn is None
            if external_id:
                found[external_id] = (pk, consented)
            if email:
                found.setdefault(email, (pk, consented))
        result: dict[str, tuple[int, bool]] = {}
        for value in values:
            hit = found.get(value) or found.get(value.lower())
            if hit is not None:
                result[value] = hit
        return result


class AttendanceRecordType(RecordType):
    name = "attendance"
    label = "Activity attendance"
    description = "Named participants of activities: only people who gave consent."
    natural_key = "activity and person"
    chunk_size = 5_000
    columns = (
        Column(
            "activity",
            "Code of the activity.",
            "ke-2025-water-survey",
            required=True,
            aliases=("activity_code",),
        ),
        Column(
            "person",
            "The person's external id or email.",
            "amina@example.org",
            required=True,
            aliases=("email", "external_id"),
        ),
        Column("role", "participant (default), facilitator or speaker.", "participant"),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return AttendanceImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return may_import_architecture(actor, collective)

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """Named participants `actor` may read (consented people of visible activities)."""
        qs = Attendance.objects.visible_to(actor).filter(activity__collective=collective)
        for code, external_id, email, role in (
            qs.order_by("id")
            .values_list("activity__code", "person__external_id", "person__email", "role")
            .iterator(chunk_size=5000)
        ):
            yield (code, external_id or email, role)


ACTIVITIES = register(ActivityRecordType())
ATTENDANCE = register(AttendanceRecordType())
