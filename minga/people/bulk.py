"""People (with an optional membership per row) and memberships as bulk record types.

A people row is matched to an existing person by external id, else by email (so each row needs one of
them), and upserted; when it names a group, the person gets that role in it unless they already hold it.
The rules are those of `people.services` (who may add whom where, duplicates, consent), applied to a
whole chunk with a handful of queries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from minga.architecture.models import Group
from minga.core import languages
from minga.core.bulk import ChunkOutcome, Column, Importer, RecordType, Rejection, SourceRow, register
from minga.core.bulk.sql import allocate_ids, in_list, insert_rows, json_text, select, update_rows, utc_day
from minga.core.bulk.values import CellError, Choices, is_plain_email, parse_date, parse_email, parse_list
from minga.core.choices import ROLE_RANK, Role
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.core.scoping import Scope, scope_for
from minga.people.models import LANGUAGE_LENGTH, Membership, Person

PERSON_TABLE = Person._meta.db_table
MEMBERSHIP_TABLE = Membership._meta.db_table
_PERSON_FIELDS = (
    "full_name",
    "email",
    "external_id",
    "preferred_language",
    "skills",
    "consent_purpose",
    "consent_given_at",
)

# Where each field sits in a person tuple from `_select_people` (id and user_id come first, and the
# withdrawal of consent, which no file column sets directly, last).
_POSITION = {name: 2 + index for index, name in enumerate(_PERSON_FIELDS)}
_WITHDRAWN = _POSITION["consent_withdrawn_at"] = 2 + len(_PERSON_FIELDS)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a chunk is imported. A chunk makes some 50,000 objects that
    live until its end, without cycles; the collector would walk them (and everything older) again and
    again, a tenth of a large import's time. Freed by reference counting as usual; collections resume
    after the chunk."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class GroupLookup:
    """Group code → (id, path) for one collective, loaded as codes come up and kept for the run, with
    the highest role the actor holds over each group (the rule of `people.services.highest_role_over`)."""

    def __init__(self, collective: Collective, scope: Scope) -> None:
        self.collective = collective
        self.scope = scope
        self.groups: dict[str, tuple[int, str] | None] = {}

    def load(self, codes: Iterable[str]) -> None:
        missing = sorted({c for c in codes if c and c not in self.groups})
        for start in range(0, len(missing), 5_000):
            part = missing[start : start + 5_000]
            where, params = in_list("code", part)
            found = select(
                f"SELECT code, id, path FROM {Group._meta.db_table} WHERE collective_id = %s AND {where}",
                [self.collective.pk, *params],
            )
            for code in part:
                self.groups[code] = None
            for code, pk, path in found:
                self.groups[code] = (pk, path)

    def get(self, code: str) -> tuple[int, str] | None:
        return self.groups.get(code)

    def own_role(self, group_id: int, path: str) -> str | None:
        scope = self.scope
        if scope.is_superuser or self.collective.pk in scope.admin_collectives:
            return Role.ADMIN
        if scope.covers_path(path, for_edit=True):
            return Role.COORDINATOR
        if group_id in scope.lead_groups:
            return Role.LEAD
        return None


def grant_problem(own: str | None, role: str) -> str | None:
    """Why `role` can't be granted by someone whose highest role over the group is `own` (None: it can)."""
    if own is None:
        return "There is no group with this code that you can reach."
    if ROLE_RANK[role] > ROLE_RANK[own] or (role == own and own != Role.ADMIN):
        return f"You cannot grant the role “{Role(role).label}” in this group."
    return None


@dataclass(slots=True)
class _PersonRow:
    row: SourceRow
    fields: dict[str, Any]  # only the fields the file gives
    group: tuple[int, str] | None
    role: str
    started_on: dt.date
    # An earlier row of the file with the same external id or email (exports write a row per membership):
    # (its row number, the column that matched). The person's details must then be the same.
    repeat_of: tuple[int, str] | None = None
    # Why the row's role can't be granted in its group: a problem only if the membership is new.
    grant: str | None = None


@dataclass(frozen=True)
class _ShortPath:
    """Where `PeopleImporter.skip_unchanged` finds each cell in a file's rows (None: not in the file)."""

    compared_fields: tuple[str, ...]  # compared with the stored value as they are: keys and name
    compared: Callable[[list[str]], tuple[str, ...]]  # those cells of a row, as a tuple
    external_id: int | None
    email: int | None
    language: int | None
    skills: int | None
    purpose: int | None
    day: int | None
    group: int | None
    role: int | None
    since: int | None

    @classmethod
    def for_sources(cls, sources: Mapping[str, int]) -> _ShortPath | None:
        fields = tuple(f for f in ("external_id", "email", "full_name") if f in sources)
        if "full_name" not in sources or len(fields) < 2:
            return None  # no key to find the person by
        return cls(
            compared_fields=fields,
            compared=operator.itemgetter(*(sources[f] for f in fields)),
            external_id=sources.get("external_id"),
            email=sources.get("email"),
            language=sources.get("preferred_language"),
            skills=sources.get("skills"),
            purpose=sources.get("consent_purpose"),
            day=sources.get("consent_given_on"),
            group=sources.get("group"),
            role=sources.get("role"),
            since=sources.get("member_since"),
        )


class PeopleImporter(Importer):
    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.scope = scope_for(actor)
        self.is_admin = self.scope.is_superuser or collective.pk in self.scope.admin_collectives
        self.groups = GroupLookup(collective, self.scope)
        self.seen_external: dict[str, int] = {}
        self._first_people: bool | None = None  # whether the collective had nobody findable at the start
        self.seen_email: dict[str, int] = {}
        self.today = timezone.localdate()
        self.now = timezone.now()
        self._languages: dict[str, str | CellError] = {}  # cell → tag (or why it isn't one)
        self._kept_languages: dict[str, bool] = {}  # stored language → is it its own canonical tag?
        self.roles = Choices(Role.choices, what="role")
        self._dates: dict[str, dt.date | None] = {}
        self._moments: dict[dt.date, dt.datetime] = {}
        self._db_moments: dict[dt.datetime, Any] = {}
        self._skills: dict[tuple[str, ...], str] = {}
        self._skill_lists: dict[str, list[str]] = {}
        self._skill_texts: dict[str, list[str]] = {}
        self._placements: dict[
            tuple[str, str], tuple[tuple[int, str] | None, str, str | None, list[tuple[str, str, str]]]
        ] = {}
        self._db_days: dict[dt.date, Any] = {}
        self._stored_moments: dict[str, dt.datetime] = {}
        self._plain_days: dict[str, bool] = {}  # day cells of plain rows: valid and not in the future?

    # Memoised conversions: a million rows repeat a few thousand dates and skill lists.

    def _language(self, text: str) -> str:
        """The tag a cell gives, by the rule forms and the API use (`core.languages`)."""
        found = self._languages.get(text)
        if found is None:
            try:
                found = languages.parse(text, max_length=LANGUAGE_LENGTH)
            except languages.LanguageError as error:
                found = CellError(str(error))
            self._languages[text] = found
        if isinstance(found, CellError):
            raise found
        return found

    def _is_kept_language(self, stored: str) -> bool:
        """Whether a cell equal to this stored language leaves it unchanged (it is a canonical tag)."""
        kept = self._kept_languages.get(stored)
        if kept is None:
            try:
                kept = self._language(stored) == stored
            except CellError:
                kept = False
            self._kept_languages[stored] = kept
        return kept

    def _date(self, text: str) -> dt.date | None:
        if text not in self._dates:
            self._dates[text] = parse_date(text, allow_future=False, today=self.today)
        return self._dates[text]

    def _moment(self, day: dt.date) -> dt.datetime:
        """Files carry the day of consent; it is stored at noon UTC, which is that day everywhere."""
        if day not in self._moments:
            self._moments[day] = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        return self._moments[day]

    def _db_moment(self, moment: dt.datetime) -> Any:
        if moment not in self._db_moments:
            self._db_moments[moment] = connection.ops.adapt_datetimefield_value(moment)
        return self._db_moments[moment]

    def _skill_list(self, text: str) -> list[str]:
        """The skills a cell lists (shared: copy before changing it)."""
        if text not in self._skill_texts:
            self._skill_texts[text] = parse_list(text)
        return self._skill_texts[text]

    def _stored_skills(self, stored: Any) -> list[str]:
        """Skills as read: JSON text (SQLite, or cast to text) or a list (shared: copy before changing)."""
        if not isinstance(stored, str):
            return list(stored or [])
        if stored not in self._skill_lists:
            self._skill_lists[stored] = json.loads(stored)
        return self._skill_lists[stored]

    def _db_day(self, day: dt.date) -> Any:
        if day not in self._db_days:
            self._db_days[day] = connection.ops.adapt_datefield_value(day)
        return self._db_days[day]

    def _json(self, skills: list[str]) -> str:
        key = tuple(skills)
        if key not in self._skills:
            self._skills[key] = json.dumps(skills)
        return self._skills[key]

    # -- validation of single rows ------------------------------------------------------------------

    def _parse(self, row: SourceRow, problems: list[Problem]) -> _PersonRow | None:
        v = row.values
        present = self.present
        fields: dict[str, Any] = {}

        def bad(column: str, code: str, message: str) -> None:
            problems.append(Problem(code=code, message=message, row=row.number, column=column))

        name = v["full_name"]
        if not name:
            bad("full_name", "required", "A full name is required.")
        elif len(name) > 200:
            bad("full_name", "too_long", "The name is longer than 200 characters.")
        fields["full_name"] = name
        try:
            email = parse_email(v["email"])
        except CellError as error:
            bad("email", "invalid_email", str(error))
            email = ""
        external_id = v["external_id"]
        if len(external_id) > 100:
            bad("external_id", "too_long", "The external id is longer than 100 characters.")
        if not email and not external_id and not problems:
            bad("email", "key_required", "Give an email or an external id, so the person can be found again.")
        if email:
            fields["email"] = email
        if external_id:
            fields["external_id"] = external_id
        repeat_of = None
        if external_id:
            first = self.seen_external.setdefault(external_id, row.number)
            if first != row.number:
                repeat_of = (first, "external_id")
        if email:
            first = self.seen_email.setdefault(email, row.number)
            if first != row.number and repeat_of is None:
                repeat_of = (first, "email")
        if "preferred_language" in present and v["preferred_language"]:
            try:
                fields["preferred_language"] = self._language(v["preferred_language"])
            except CellError as error:
                bad("preferred_language", "invalid_language", str(error))
        if "skills" in present:
            fields["skills"] = list(self._skill_list(v["skills"]))
        if "consent_given_on" in present and v["consent_given_on"]:
            try:
                given = self._date(v["consent_given_on"])
            except CellError as error:
                bad("consent_given_on", "invalid_date", str(error))
                given = None
            purpose = v["consent_purpose"]
            if given is not None and not purpose:
                bad("consent_purpose", "purpose_required", "Say what the consent is for.")
            if given is not None:
                fields["consent_given_at"] = self._moment(given)
                fields["consent_purpose"] = purpose[:300]
        elif "consent_purpose" in present and v["consent_purpose"]:
            # A purpose with no date would be dropped without a word: consent needs both.
            bad(
                "consent_given_on" if "consent_given_on" in present else "consent_purpose",
                "consent_date_required",
                "Give the date consent was given (YYYY-MM-DD), or leave the purpose empty.",
            )
        placement_key = (v["group"], v["role"])
        placement = self._placements.get(placement_key)
        if placement is None:
            placement = self._placements[placement_key] = self._placement(*placement_key)
        group, role, grant, issues = placement
        for column, code, message in issues:
            bad(column, code, message)
        started_on = self.today
        if v["member_since"]:
            try:
                started_on = self._date(v["member_since"]) or self.today
            except CellError as error:
                bad("member_since", "invalid_date", str(error))
        if problems:
            return None
        return _PersonRow(
            row=row,
            fields=fields,
            group=group,
            role=role,
            started_on=started_on,
            repeat_of=repeat_of,
            grant=grant,
        )

    def _placement(
        self, code: str, role_text: str
    ) -> tuple[tuple[int, str] | None, str, str | None, list[tuple[str, str, str]]]:
        """What a row's group and role cells give: (group, role, why it can't be granted, problems as
        (column, code, message)). The same pair of cells recurs on many rows, so `_parse` keeps these."""
        issues: list[tuple[str, str, str]] = []
        group = None
        grant = own = None
        role: str = Role.MEMBER.value
        if code:
            group = self.groups.get(code)
            if role_text:
                try:
                    role = self.roles.parse(role_text)
                except CellError as error:
                    issues.append(("role", "invalid_role", str(error)))
            if group is not None:
                own = self.groups.own_role(*group)
                grant = grant_problem(own, role)
            if group is None or own is None:
                # Out of reach looks like missing: the code of a private group is not confirmed.
                issues.append(
                    ("group", "no_group", f"There is no group with the code {code!r} that you can reach.")
                )
        elif not self.is_admin:
            issues.append(
                (
                    "group",
                    "group_required",
                    "Give the group this person joins (only admins add people without one).",
                )
            )
        elif role_text:
            issues.append(("group", "group_required", "A role needs a group."))
        return group, role, grant, issues

    # -- the chunk ------------------------------------------------------------------------------------

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        with collector_paused():
            return self._import_chunk(rows)

    def _import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        self.groups.load(r.values["group"] for r in rows)
        start = rows[0].number if rows else 0  # rows repeating an earlier chunk's go in the first round
        # A person may come back on later rows (one row per membership, as exports write them): each
        # round takes at most one row per person, so that a later row sees what an earlier one wrote.
        rounds: list[list[_PersonRow]] = [[]]
        levels: dict[str, int] = {}
        for row in rows:
            problems: list[Problem] = []
            item = self._parse(row, problems)
            if item is None:
                outcome.rejected.append(Rejection(row, problems))
            elif item.repeat_of is None or item.repeat_of[0] < start:
                rounds[0].append(item)
            else:
                fields = item.fields
                keys = [f"x{fields['external_id']}"] if "external_id" in fields else []
                keys += [f"e{fields['email']}"] if "email" in fields else []
                level = 1 + max(levels.get(k, 0) for k in keys)
                levels.update(dict.fromkeys(keys, level))
                if level == len(rounds):
                    rounds.append([])
                rounds[level].append(item)
        for parsed in rounds:
            self._import_round(parsed, outcome)
        return outcome

    # -- unchanged rows, the short way ----------------------------------------------------------------

    def skip_unchanged(
        self, rows: list[tuple[int, list[str]]], plain: Callable[[list[tuple[int, list[str]]]], list[bool]]
    ) -> tuple[list[tuple[int, list[str]]], int]:
        """Count as unchanged the rows whose cells are exactly what is stored now; return the others.

        Re-importing a file mostly finds people as the file left them. Comparing a row's cells, as read,
        with the stored values read as text the way files write them is much cheaper than mapping and
        parsing each row and comparing the parsed values (`_parse`, `_normalised`, `_changes`), and it needs
        no record of earlier imports: the comparison is with what is stored now, so an edit made since by
        any other path (the web, the API, another import, an erasure) makes the row differ and take the
        full path. Only plain rows are looked at (cells the full path reads as they are: not padded, not
        quoted), and one is taken only when the full path would find it valid and unchanged with nothing
        to write; anything else (a cell written differently from how it is stored, a key repeated within
        the chunk, a membership to add) goes the full way. Only for admins: others' rows need the
        per-person scoping of `_outside_reach`."""
        if not rows or not self.is_admin or self._is_first_register():
            return rows, 0
        short = self._short_path
        if short is None:
            return rows, 0
        with collector_paused():
            taken = self._unchanged(short, rows, plain(rows))
        if not taken:
            return rows, 0
        return [row for index, row in enumerate(rows) if index not in taken], len(taken)

    def _unchanged(self, short: _ShortPath, rows: list[tuple[int, list[str]]], plain: list[bool]) -> set[int]:
        """The indexes of the rows `skip_unchanged` takes, with their keys marked as seen in the file."""
        ix_ext, ix_email, ix_group = short.external_id, short.email, short.group
        looked_at = [(index, row) for index, (row, ok) in enumerate(zip(rows, plain, strict=True)) if ok]
        # A person on several rows of the chunk (a row per membership) goes the full way, which orders
        # their rows; keys are read as the full path reads them, from every row.
        keys: list[str] = []
        if ix_ext is not None:
            keys += [cells[ix_ext].strip() if ix_ext < len(cells) else "" for _, cells in rows]
        if ix_email is not None:
            keys += [cells[ix_email].strip().lower() if ix_email < len(cells) else "" for _, cells in rows]
        repeated = {key for key, times in Counter(keys).items() if times > 1 and key}
        ext_keys: list[str] = []  # the rows with an external id are found by it, the others by email
        email_keys: list[str] = []
        for _, (_, cells) in looked_at:
            if ix_ext is not None and cells[ix_ext]:
                ext_keys.append(cells[ix_ext])
            elif ix_email is not None and cells[ix_email]:
                email_keys.append(cells[ix_email])
        if ix_group is not None:
            self.groups.load({cells[ix_group] for _, (_, cells) in looked_at})
        by_ext = self._stored_cells(short, "external_id", ext_keys)
        by_email = self._stored_cells(short, "email", email_keys)
        held = self._held([current[0] for current in (*by_ext.values(), *by_email.values())])
        compared, ix_lang, ix_skills = short.compared, short.language, short.skills
        ix_purpose, ix_day, ix_role, ix_since = short.purpose, short.day, short.role, short.since
        placements, skills_memo, days = self._placements, self._skill_texts, self._plain_days
        plain_email, stored_skills, kept = is_plain_email, self._stored_skills, self._kept_languages
        taken: set[int] = set()
        seen_external, seen_email = self.seen_external, self.seen_email
        for index, (number, cells) in looked_at:
            ext = cells[ix_ext] if ix_ext is not None else ""
            email = cells[ix_email] if ix_email is not None else ""
            if repeated and (ext in repeated or email.lower() in repeated):
                continue
            current = by_ext.get(ext) if ext else by_email.get(email)
            if current is None or compared(cells) != current[1]:
                continue
            pk, _, language, skills, purpose, day = current
            if email and not plain_email(email):
                continue  # not as the full path would store it, or a rare form: let it decide
            if (
                ix_lang is not None
                and cells[ix_lang]
                and (
                    cells[ix_lang] != language or not (kept.get(language) or self._is_kept_language(language))
                )
            ):
                continue
            if ix_skills is not None:
                cell = cells[ix_skills]
                listed = skills_memo.get(cell)
                if (listed if listed is not None else self._skill_list(cell)) != stored_skills(skills):
                    continue
            given = cells[ix_day] if ix_day is not None else ""
            stated = cells[ix_purpose] if ix_purpose is not None else ""
            if (given or stated) and (
                given != day or stated != purpose or not (days.get(given) or self._plain_day(given))
            ):
                continue  # consent to record, refused or not as stored: the full path decides
            since = cells[ix_since] if ix_since is not None else ""
            if since and not (days.get(since) or self._plain_day(since)):
                continue
            key = (
                cells[ix_group] if ix_group is not None else "",
                cells[ix_role] if ix_role is not None else "",
            )
            placement = placements.get(key)
            if placement is None:
                placement = placements[key] = self._placement(*key)
            group, role, _, issues = placement
            if issues or (group is not None and (pk, group[0], role) not in held):
                continue  # a membership to add (or a problem to report): the full path does that
            taken.add(index)
            if ext:
                seen_external.setdefault(ext, number)
            if email:
                seen_email.setdefault(email, number)
        return taken

    def _plain_day(self, text: str) -> bool:
        """Whether a plain cell is a day the full path accepts (a valid date, not in the future)."""
        if text not in self._plain_days:
            try:
                self._plain_days[text] = self._date(text) is not None
            except CellError:
                self._plain_days[text] = False
        return self._plain_days[text]

    @functools.cached_property
    def _short_path(self) -> _ShortPath | None:
        """Where the compared cells sit in this file's rows (the runner has set `sources` by the first
        chunk), or None when there is no short path."""
        return _ShortPath.for_sources(self.sources)

    def _is_first_register(self) -> bool:
        if self._first_people is None:
            # A collective's first register: nobody to find but the people this run adds, who are
            # found through the file's repeated keys. Saves two index probes a row on first imports.
            self._first_people = not select(
                f"SELECT 1 FROM {PERSON_TABLE} WHERE collective_id = %s "
                "AND (NOT (email = '') OR NOT (external_id = '')) LIMIT 1",
                [self.collective.pk],
            )
        return self._first_people

    def _stored_cells(self, short: _ShortPath, column: str, values: list[str]) -> dict[str, tuple[Any, ...]]:
        """People of the collective by `column`, as the short path compares them: (id, the compared cells
        as a tuple, language, skills as JSON, consent purpose, consent day). A consent that is absent,
        withdrawn or too long comes back as None, which no cell equals; the language comes as stored,
        and the comparison checks that the full path would keep it. (Plain rows hold no cell too long
        for its column, so a stored value equal to one is short enough.)"""
        if not values:
            return {}
        where, params = in_list(column, values)
        fields = short.compared_fields
        consent = (
            "CASE WHEN consent_withdrawn_at IS NULL AND consent_given_at IS NOT NULL "
            "AND consent_purpose <> '' AND length(consent_purpose) <= 300 THEN {} END"
        )
        sql = (
            f"SELECT id, {', '.join(fields)}, preferred_language, "
            f"{json_text('skills')}, {consent.format('consent_purpose')}, "
            f"{consent.format(utc_day('consent_given_at'))} FROM {PERSON_TABLE} "
            # Written like the index condition, so the partial unique index (collective, column) is used.
            f"WHERE collective_id = %s AND NOT ({column} = '') AND {where} AND full_name <> ''"
        )
        key = 1 + fields.index(column)
        width = len(fields)
        return {
            record[key]: (record[0], record[1 : 1 + width], *record[1 + width :])
            for record in select(sql, [self.collective.pk, *params])
        }

    def _import_round(self, parsed: list[_PersonRow], outcome: ChunkOutcome) -> None:
        existing = self._existing(parsed)
        creates: list[_PersonRow] = []
        updates: list[tuple[_PersonRow, tuple[Any, ...]]] = []
        keep: list[tuple[_PersonRow, tuple[Any, ...]]] = []
        for item in parsed:
            current = (
                existing.get(("x", item.fields.get("external_id", "")))
                or existing.get(("e", item.fields.get("email", "")))
                if existing
                else None
            )
            if current is None:
                if item.grant:
                    outcome.rejected.append(Rejection(item.row, [self._cannot_grant(item)]))
                else:
                    creates.append(item)
                continue
            problem = self._conflict(item, current, existing) or self._withdrawn(item, current)
            changed = problem is None and self._changes(item, current)
            if item.repeat_of is not None and (problem or changed):
                problem = self._repeat_differs(item)
            if problem:
                outcome.rejected.append(Rejection(item.row, [problem]))
            elif changed:
                updates.append((item, current))
            else:
                keep.append((item, current))
        if not self.is_admin:
            rejected = self._outside_reach(updates, keep) + self._not_grantable([*updates, *keep])
            if rejected:
                outcome.rejected.extend(rejected)
                rejected_rows = {r.row.number for r in rejected}
                updates = [u for u in updates if u[0].row.number not in rejected_rows]
                keep = [k for k in keep if k[0].row.number not in rejected_rows]
        person_ids = self._insert_people(creates)
        self._update_people(updates)
        person_ids.update({id(item): current[0] for item, current in (*updates, *keep)})
        everyone = [*creates, *(u[0] for u in updates), *(k[0] for k in keep)]
        added = self._add_memberships(everyone, person_ids, created={id(c) for c in creates})
        outcome.created += len(creates)
        outcome.updated += len(updates) + sum(1 for item, _ in keep if id(item) in added)
        outcome.unchanged += len(keep) - sum(1 for item, _ in keep if id(item) in added)

    def _repeat_differs(self, item: _PersonRow) -> Problem:
        assert item.repeat_of is not None
        first, column = item.repeat_of
        label = "External id" if column == "external_id" else "Email"
        return Problem(
            code="duplicate_in_file",
            message=f"{label} {item.fields[column]!r} is also on row {first}, with other details: a person "
            "may have a row per group or role, but their details must be the same on each.",
            row=item.row.number,
            column=column,
        )

    def _cannot_grant(self, item: _PersonRow) -> Problem:
        return Problem(code="cannot_grant", message=item.grant or "", row=item.row.number, column="role")

    def _withdrawn(self, item: _PersonRow, current: tuple[Any, ...]) -> Problem | None:
        """Consent given after it was withdrawn is consent again (as `person_consent_record`); a file
        dated before the withdrawal (an old export) must not bring it back."""
        given = item.fields.get("consent_given_at")
        withdrawn = current[_WITHDRAWN]
        if given is None or withdrawn is None:
            return None
        if given.date() <= withdrawn.date():
            return Problem(
                code="consent_withdrawn",
                message=f"Consent was withdrawn on {withdrawn.date().isoformat()}, after this date: give the "
                "date of the new consent, or leave the cell empty.",
                row=item.row.number,
                column="consent_given_on",
            )
        item.fields["consent_withdrawn_at"] = None
        return None

    def _not_grantable(self, items: Sequence[tuple[_PersonRow, tuple[Any, ...]]]) -> list[Rejection]:
        """Rows asking for a role the actor can't grant are fine when the person already holds it (a
        coordinator re-importing their own export), and rejected when it would be added."""
        asking = [(item, current[0]) for item, current in items if item.grant and item.group is not None]
        if not asking:
            return []
        held = self._held([pk for _, pk in asking])
        return [
            Rejection(item.row, [self._cannot_grant(item)])
            for item, pk in asking
            if item.group is not None and (pk, item.group[0], str(item.role)) not in held
        ]

    def _held(self, person_ids: list[int]) -> set[tuple[int, int, str]]:
        """(person, group, role) of the open memberships of these people."""
        if not person_ids:
            return set()
        where, params = in_list("person_id", person_ids)
        return {
            (p, g, r)
            for p, g, r in select(
                f"SELECT person_id, group_id, role FROM {MEMBERSHIP_TABLE} "
                f"WHERE ended_on IS NULL AND {where}",
                params,
            )
        }

    def _existing(self, parsed: list[_PersonRow]) -> dict[tuple[str, str], tuple[Any, ...]]:
        """Existing people of the collective matching the chunk's external ids or emails.

        Emails are looked up only where the external id did not already find that very email: a
        re-import of an unchanged file reads each person once."""
        found: dict[tuple[str, str], tuple[Any, ...]] = {}
        if self._is_first_register():
            # Only a key seen earlier in the file can already be in the database.
            parsed = [p for p in parsed if p.repeat_of is not None]
            if not parsed:
                return found
        external_ids = [p.fields["external_id"] for p in parsed if "external_id" in p.fields]
        self._select_people("x", "external_id", external_ids, found)
        emails = []
        for p in parsed:
            email = p.fields.get("email")
            if email is None:
                continue
            matched = found.get(("x", p.fields.get("external_id", "")))
            if matched is None or matched[3] != email:
                emails.append(email)
        self._select_people("e", "email", emails, found)
        for key, current in list(found.items()):
            if key[0] == "x" and current[3]:
                found.setdefault(("e", current[3]), current)
        return found

    def _select_people(
        self, key: str, column: str, values: list[str], found: dict[tuple[str, str], tuple[Any, ...]]
    ) -> None:
        if not values:
            return
        where, params = in_list(column, values)
        position = 2 + _PERSON_FIELDS.index(column)
        for record in select(
            # Written like the index condition, so the partial unique index (collective, column) is used.
            f"SELECT id, user_id, {', '.join(_PERSON_FIELDS)}, consent_withdrawn_at FROM {PERSON_TABLE} "
            f"WHERE collective_id = %s AND NOT ({column} = '') AND {where}",
            [self.collective.pk, *params],
        ):
            current = self._normalised(record)
            found[(key, current[position])] = current

    def _normalised(self, record: tuple[Any, ...]) -> tuple[Any, ...]:
        """A person row from the database in the form `_parse` produces, so equal means unchanged."""
        pk, user_id, name, email, external_id, language, skills, purpose, given, withdrawn = record
        skills = list(self._stored_skills(skills))
        given = self._stored_moment(given)
        withdrawn = self._stored_moment(withdrawn)
        return (pk, user_id, name, email, external_id, language, skills, purpose, given, withdrawn)

    def _stored_moment(self, value: Any) -> dt.datetime | None:
        """A datetime column as read (text on SQLite), aware."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            text = str(value)
            if text not in self._stored_moments:
                moment = dt.datetime.fromisoformat(text)
                if timezone.is_naive(moment):
                    moment = moment.replace(tzinfo=dt.UTC)
                self._stored_moments[text] = moment
            return self._stored_moments[text]
        return value.replace(tzinfo=dt.UTC) if timezone.is_naive(value) else value

    def _conflict(
        self, item: _PersonRow, current: tuple[Any, ...], existing: dict[tuple[str, str], tuple[Any, ...]]
    ) -> Problem | None:
        """A row matched by external id whose email belongs to someone else (or the reverse), or matched by
        email to a person known by another external id."""
        row_external = item.fields.get("external_id")
        if row_external and current[4] and current[4] != row_external:
            return Problem(
                code="duplicate_email",
                message="Someone else in this collective, with another external id, already has this email.",
                row=item.row.number,
                column="email",
            )
        for key, column in (("e", "email"), ("x", "external_id")):
            value = item.fields.get(column)
            other = existing.get((key, value)) if value else None
            if other is not None and other[0] != current[0]:
                label = "email" if column == "email" else "external id"
                return Problem(
                    code=f"duplicate_{column}",
                    message=f"Someone else in this collective already has this {label}.",
                    row=item.row.number,
                    column=column,
                )
        return None

    def _changes(self, item: _PersonRow, current: tuple[Any, ...]) -> bool:
        changed = False
        for name, value in item.fields.items():
            old = current[_POSITION[name]]
            if old == value:
                continue
            if name == "consent_given_at" and old is not None and old.date() == value.date():
                item.fields[name] = old  # files carry the day; keep the recorded moment
            else:
                changed = True
        return changed

    def _outside_reach(
        self,
        updates: list[tuple[_PersonRow, tuple[Any, ...]]],
        keep: list[tuple[_PersonRow, tuple[Any, ...]]],
    ) -> list[Rejection]:
        """Non-admins change only people they may manage and add roles only to people they may see
        (`people.services.can_manage_person` and `membership_create`), with one query for the chunk."""
        ids = [current[0] for _, current in (*updates, *keep)]
        if not ids:
            return []
        where, params = in_list("m.person_id", ids)
        roles: dict[int, list[tuple[str, int, str, bool]]] = {}
        for person_id, role, group_id, path, ended_on, started_on in select(
            f"SELECT m.person_id, m.role, g.id, g.path, m.ended_on, m.started_on FROM {MEMBERSHIP_TABLE} m "
            f"JOIN {Group._meta.db_table} g ON g.id = m.group_id WHERE {where}",
            params,
        ):
            active = _as_date(started_on) <= self.today and (
                ended_on is None or _as_date(ended_on) >= self.today
            )
            roles.setdefault(person_id, []).append((role, group_id, path, active))
        rejections = []
        for item, current in updates:
            held = [r for r in roles.get(current[0], []) if r[3]]
            manageable = bool(held) and all(
                (own := self.groups.own_role(gid, path)) is not None and ROLE_RANK[own] > ROLE_RANK[role]
                for role, gid, path, _ in held
            )
            if not manageable:
                rejections.append(Rejection(item.row, [self._not_yours(item)]))
        for item, current in keep:
            if item.group is None:
                continue
            visible = current[1] == self.scope.user_id or any(
                self.scope.covers_path(path) for _, _, path, _ in roles.get(current[0], [])
            )
            if not visible:
                rejections.append(Rejection(item.row, [self._not_yours(item)]))
        return rejections

    def _not_yours(self, item: _PersonRow) -> Problem:
        column = "external_id" if "external_id" in item.fields else "email"
        return Problem(
            code="outside_reach",
            message="Someone in this collective already has this "
            f"{'external id' if column == 'external_id' else 'email'}, outside your reach: "
            "ask their coordinator or an admin.",
            row=item.row.number,
            column=column,
        )

    def _insert_people(self, creates: list[_PersonRow]) -> dict[int, int]:
        """Insert the new people with ids reserved beforehand; returns row (by id()) → person id."""
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        ids = allocate_ids(PERSON_TABLE, len(creates))
        collective_id, as_json, db_moment = self.collective.pk, self._json, self._db_moment
        rows = []
        for pk, item in zip(ids, creates, strict=True):
            f = item.fields
            given = f.get("consent_given_at")
            rows.append(
                (
                    pk,
                    collective_id,
                    f["full_name"],
                    f.get("email", ""),
                    f.get("external_id", ""),
                    f.get("preferred_language", "en"),
                    as_json(f.get("skills", [])),
                    f.get("consent_purpose", ""),
                    db_moment(given) if given else None,
                    now,
                    now,
                )
            )
        insert_rows(
            PERSON_TABLE,
            (
                "id",
                "collective_id",
                "full_name",
                "email",
                "external_id",
                "preferred_language",
                "skills",
                "consent_purpose",
                "consent_given_at",
                "created_at",
                "updated_at",
            ),
            rows,
        )
        return {id(item): pk for pk, item in zip(ids, creates, strict=True)}

    def _update_people(self, updates: list[tuple[_PersonRow, tuple[Any, ...]]]) -> None:
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
        for item, current in updates:
            names = tuple(sorted(item.fields))
            values: list[Any] = []
            for name in names:
                value = item.fields[name]
                if name == "skills":
                    value = ops.adapt_json_value(value, None)
                elif name == "consent_given_at":
                    value = ops.adapt_datetimefield_value(value)
                values.append(value)
            by_columns.setdefault(names, []).append([*values, now, current[0]])
        for names, rows in by_columns.items():
            update_rows(PERSON_TABLE, [*names, "updated_at"], rows)

    def _add_memberships(
        self, items: list[_PersonRow], person_ids: dict[int, int], *, created: set[int]
    ) -> set[int]:
        """Open the memberships rows ask for that are missing; returns the rows (by id()) that added one."""
        wanted = [(item, person_ids[id(item)]) for item in items if item.group is not None]
        if not wanted:
            return set()
        # People created in this chunk hold nothing yet: ask only about the others.
        held = self._held([pk for item, pk in wanted if id(item) not in created])
        now = connection.ops.adapt_datetimefield_value(self.now)
        rows = []
        added: set[int] = set()
        for item, person_id in wanted:
            assert item.group is not None
            if id(item) not in created:  # a person created in this round holds one row's role at most
                key = (person_id, item.group[0], item.role)
                if key in held:
                    continue
                held.add(key)
                added.add(id(item))
            rows.append((person_id, item.group[0], item.role, self._db_day(item.started_on), now))
        insert_rows(MEMBERSHIP_TABLE, ("person_id", "group_id", "role", "started_on", "created_at"), rows)
        return added


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


class PeopleRecordType(RecordType):
    name = "people"
    label = "People"
    description = "People of the collective, each optionally joining a group with a role."
    natural_key = "external id, else email"
    chunk_size = 5_000
    columns = (
        Column(
            "external_id",
            "An identifier from another system (the key when given).",
            "KE-00042",
            max_length=100,
        ),
        Column(
            "email",
            "Email address (the key when there is no external id).",
            "amina@example.org",
            max_length=254,
        ),
        Column(
            "full_name",
            "The person's name.",
            "Amina Wanjiru",
            required=True,
            aliases=("name",),
            max_length=200,
        ),
        Column(
            "preferred_language",
            "Language code such as en, sw, hi or pt-BR (or the language's name). Empty keeps it as it is.",
            "en",
            aliases=("language",),
        ),
        Column("skills", "Skills, separated by semicolons.", "facilitation; bookkeeping"),
        Column(
            "consent_purpose",
            "What the person consented to (needed with a consent date).",
            "Membership records",
        ),
        Column("consent_given_on", "When consent was given (YYYY-MM-DD).", "2024-03-01"),
        Column(
            "group", "Code of the group they join (required unless you are an admin).", "ke-nairobi-kibera"
        ),
        Column(
            "role",
            "Their role in that group: member (default), observer, lead, coordinator, admin.",
            "member",
        ),
        Column("member_since", "When the role started (YYYY-MM-DD; default today).", "2023-06-15"),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return PeopleImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        scope = scope_for(actor)
        if scope.is_superuser or collective.pk in scope.admin_collectives:
            return True
        return Group.objects.editable_by(actor).filter(collective=collective).exists()

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        from minga.people.selectors import person_export_rows

        return person_export_rows(user=actor, collective=collective, params=filters)

    def export_csv_joined(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[bytes]] | None:
        from minga.people.selectors import person_export_csv_joined

        return person_export_csv_joined(user=actor, collective=collective, params=filters)

    def export_csv_copy(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> tuple[str, Sequence[Any]] | None:
        from minga.people.selectors import person_export_copy_sql

        return person_export_copy_sql(user=actor, collective=collective, params=filters)


PEOPLE = register(PeopleRecordType())
