"""Reads about people for pages: the directory of people and one person's profile.

Everything starts from `Person.objects.visible_to(user)` and `Membership.objects.visible_to(user)`: a
filter or a column never reveals a role the viewer could not see on the person's own page. Each selector
issues a fixed number of queries, whatever the number of people.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Left
from django.db.models.sql.constants import MULTI

from minga.architecture.models import Group
from minga.core.bulk.export import JOIN_BYTE
from minga.core.bulk.formats import FORMULA_TRIGGERS, NEUTRALISE_FIRST, export_cell
from minga.core.bulk.sql import in_list, is_postgres
from minga.core.choices import ROLE_RANK, Role
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.people.models import Membership, Person, PersonQuerySet
from minga.people.services import can_manage_person

PAGE_SIZE = 50
EXPORT_CHUNK = 10_000
SKILLS_MEMO = 10_000
GROUP_CHOICES_LIMIT = 300


@dataclass(frozen=True)
class PersonFilters:
    q: str = ""
    group: Group | None = None
    role: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.group or self.role)


def person_search(*, user: Any, collective: Collective, filters: PersonFilters) -> PersonQuerySet:
    """People of `collective` that `user` may see, matching a name/email search, a group (its whole
    subtree) and a current role. Each person carries `current_memberships` (visible ones, groups
    loaded) for the list's columns."""
    return people_matching(user=user, collective=collective, filters=filters).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.visible_to(user)
            .active()
            .select_related("group")
            .order_by("group__name", "role"),
            to_attr="current_memberships",
        )
    )


def people_matching(*, user: Any, collective: Collective, filters: PersonFilters) -> PersonQuerySet:
    """People of `collective` that `user` may see, matching the directory's filters, by name."""
    qs = Person.objects.visible_to(user).filter(collective=collective)
    if filters.q:
        qs = qs.filter(Q(full_name__icontains=filters.q) | Q(email__icontains=filters.q))
    if filters.group is not None or filters.role:
        # Only memberships the viewer may see count, so a role filter cannot reveal hidden roles.
        matching = Membership.objects.visible_to(user).active().filter(person=OuterRef("pk"))
        if filters.group is not None:
            matching = matching.filter(group__path__startswith=filters.group.path)
        if filters.role:
            matching = matching.filter(role=filters.role)
        qs = qs.filter(Exists(matching))
    return qs.order_by("full_name", "id")


def person_filters_from(*, user: Any, collective: Collective, params: Mapping[str, str]) -> PersonFilters:
    """The directory's filters from query parameters (q, group code, role); unknown values match nothing
    rather than everything, so an export never holds more than the list showed."""
    group = None
    code = (params.get("group") or "").strip()
    if code:
        group = Group.objects.visible_to(user).filter(collective=collective, code=code).first()
        if group is None:
            group = Group(path="/-/")  # matches no subtree
    role = (params.get("role") or "").strip()
    return PersonFilters(q=(params.get("q") or "").strip()[:100], group=group, role=role)


def person_export_rows(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> Iterator[tuple[Any, ...]]:
    """People `user` may see with the directory's filters, one row per current visible membership (or
    one row without a group), in the people import's column order: an export re-imports as it is.
    Skills are a tuple (a list in JSON lines, "a; b" in files)."""
    return _person_export(user=user, collective=collective, params=params)


def _export_querysets(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> tuple[PersonFilters, QuerySet[Any], QuerySet[Any]]:
    """The export's two scoped streams: people (id, then the person's columns, dates and consent as
    text computed by the database) and their visible current memberships (person id, group code, role,
    since). The consent shows only while it holds."""
    filters = person_filters_from(user=user, collective=collective, params=params)
    consented = Q(consent_given_at__isnull=False, consent_withdrawn_at__isnull=True)
    people = (
        people_matching(user=user, collective=collective, filters=filters)
        .annotate(
            x_skills=Cast("skills", TextField()),
            x_purpose=Case(When(consented, then="consent_purpose"), default=Value("")),
            # The day of a UTC timestamp: its first ten characters, as text, on SQLite and PostgreSQL.
            x_given=Case(When(consented, then=Left(_as_text("consent_given_at"), 10)), default=None),
        )
        .values_list(
            "id",
            "external_id",
            "email",
            "full_name",
            "preferred_language",
            "x_skills",
            "x_purpose",
            "x_given",
        )
    )
    memberships = (
        Membership.objects.visible_to(user)
        .active()
        .filter(group__collective=collective)
        .annotate(x_code=F("group__code"), x_since=_as_text("started_on"))
        .values_list("person_id", "x_code", "role", "x_since")
    )
    return filters, people, memberships


def _person_export(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> Iterator[tuple[Any, ...]]:
    """Two streams ordered by person id, merged here: flat memory for millions of rows. Built to run at
    a few hundred thousand rows a second: the database formats the values as text, and the rows are
    read raw, without the ORM's per-value conversions."""
    filters, people, memberships = _export_querysets(user=user, collective=collective, params=params)
    memberships = memberships.order_by()  # sorted here, person by person: cheaper than by the database
    blank: tuple[Any, ...] = ("", "", None)
    for chunk in _raw_chunks(people.order_by("id")):
        # The memberships of this chunk's people, by the range of their ids (an index range scan, ordered
        # by person), and by their ids when filters thin the people out: flat memory, a query a chunk.
        in_chunk = memberships.filter(person_id__gte=chunk[0][0], person_id__lte=chunk[-1][0])
        if filters.active:
            in_chunk = in_chunk.filter(person_id__in=[row[0] for row in chunk])
        held: dict[int, list[tuple[Any, ...]]] = {}
        for pk, code, role, since in _raw_rows(in_chunk):
            held.setdefault(pk, []).append((code, role, since))
        for pk, external_id, email, name, language, text, purpose, given in chunk:
            skills = _SKILLS.get(text if text is not None else "", _UNSEEN)
            if skills is _UNSEEN:
                skills = _skills_cell(text)
            person = (external_id, email, name, language, skills, purpose, given)
            mine = held.get(pk)
            if mine is None:
                yield (*person, *blank)
            else:
                if len(mine) > 1:
                    mine.sort()  # by group code, then role
                for membership in mine:
                    yield (*person, *membership)


def person_export_csv_joined(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> Iterator[list[bytes]] | None:
    """On SQLite, the rows of `person_export_rows` for `RecordType.export_csv_joined`: blocks of rows,
    each row its cells as UTF-8 joined by `JOIN_BYTE`, skills joined with "; ", neither neutralised nor
    quoted. None on PostgreSQL (COPY writes its CSV)."""
    if is_postgres():
        return None
    return _person_joined(user=user, collective=collective, params=params)


def _person_joined(*, user: Any, collective: Collective, params: Mapping[str, str]) -> Iterator[list[bytes]]:
    """The same two scoped streams as `_person_export`, but SQLite writes each person's cells, and each
    membership's, as one joined value, and a chunk's rows are put together by C loops (zip, map, join)
    when every person holds one membership: nothing in Python looks at a cell."""
    filters, people, memberships = _export_querysets(user=user, collective=collective, params=params)
    try:
        people_sql, people_params = people.order_by().query.sql_with_params()
    except EmptyResultSet:
        return  # a visitor's, a filter matching nothing: no rows
    sep = "x'ff'"  # JOIN_BYTE: || takes a blob's bytes as they are
    # The skills (JSON text) come apart, to be joined in Python through a memo (a small vocabulary).
    sql = (
        f"SELECT p.id, CAST(p.external_id || {sep} || p.email || {sep} || p.full_name || {sep} || "
        f"p.preferred_language || {sep} AS BLOB), CAST(p.x_skills AS BLOB), "
        f"CAST({sep} || p.x_purpose || {sep} || ifnull(p.x_given, '') AS BLOB) "
        f"FROM ({people_sql}) p ORDER BY p.id"
    )
    try:
        member_sql, member_params = memberships.order_by().query.sql_with_params()
    except EmptyResultSet:
        member_sql, member_params = "", ()  # no membership the user may see
    held_by = (
        f"SELECT m.person_id, CAST({sep} || m.x_code || {sep} || m.role || {sep} || ifnull(m.x_since, '') "
        f"AS BLOB) FROM ({member_sql}) m WHERE m.person_id BETWEEN %s AND %s"
    )
    skills = _JoinedSkills()
    with connection.cursor() as cursor, connection.cursor() as members:
        cursor.execute(sql, people_params)
        while chunk := cursor.fetchmany(EXPORT_CHUNK):
            ids, heads, texts, tails = zip(*chunk, strict=True)
            held: list[tuple[int, bytes]] = []
            if member_sql:
                # The memberships of this chunk's people, by the range of their ids (an index range scan,
                # ordered by person; the statement is prepared once), and by their ids when filters thin
                # the people out: flat memory, a query a chunk.
                query, values = held_by, [*member_params, ids[0], ids[-1]]
                if filters.active:
                    among, listed = in_list("m.person_id", ids)
                    query, values = f"{query} AND {among}", [*values, *listed]
                members.execute(f"{query} ORDER BY m.person_id", values)
                held = members.fetchall()
            holders, cells = zip(*held, strict=True) if held else ((), ())
            joined_skills = map(skills.__getitem__, texts)
            if holders == ids:
                # Each person holds one membership: the common case, put together without a Python loop.
                yield list(map(b"".join, zip(heads, joined_skills, tails, cells, strict=True)))
            else:
                yield _merged(ids, map(b"".join, zip(heads, joined_skills, tails, strict=True)), held)


def _merged(ids: tuple[int, ...], rows: Iterator[bytes], held: list[tuple[int, bytes]]) -> list[bytes]:
    """A chunk's lines when some people hold no membership or several (those sorted as `_person_export`
    sorts them: by group code as written, role, since)."""
    by_person: dict[int, list[bytes]] = {}
    for pk, cells in held:
        by_person.setdefault(pk, []).append(cells)
    lines: list[bytes] = []
    for pk, person in zip(ids, rows, strict=True):
        mine = by_person.get(pk)
        if mine is None:
            lines.append(person + _NO_MEMBERSHIP)
            continue
        if len(mine) > 1:
            mine.sort(key=_membership_order)
        lines.extend(person + cells for cells in mine)
    return lines


def _membership_order(cells: bytes) -> tuple[str, ...]:
    _, code, role, since = (cell.decode() for cell in cells.split(JOIN_BYTE))
    return (code, role, since)


class _JoinedSkills(dict[bytes, bytes]):
    """Skills as stored (JSON text) → "a; b" in UTF-8, each distinct text decoded once, up to a bound."""

    def __missing__(self, text: bytes) -> bytes:
        cell = _skills_cell(text.decode()) if text else ()
        joined = str(export_cell(cell)).encode()
        if len(self) < SKILLS_MEMO:
            self[text] = joined
        return joined


def person_export_copy_sql(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> tuple[str, list[Any]] | None:
    """On PostgreSQL, one SELECT of the cells of `person_export_rows` as CSV text, in the same order, for
    COPY to write as CSV (`RecordType.export_csv_copy`): the same two scoped querysets joined by the
    server, neutralising and the skills' joining done in SQL, empty text as NULL."""
    _, people, memberships = _export_querysets(user=user, collective=collective, params=params)
    try:
        people_sql, people_params = people.order_by().query.sql_with_params()
        member_sql, member_params = memberships.order_by().query.sql_with_params()
    except EmptyResultSet:
        return None  # a queryset known to be empty (a visitor's, a filter matching nothing): no query

    # The skills joined once per person: OFFSET 0 keeps the planner from folding the subquery into the
    # outer one, which would compute the joined text again for each reference to it.
    skills = (
        "CASE WHEN jsonb_typeof(pp.x_skills::jsonb) = 'array' "
        "THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(pp.x_skills::jsonb)), '; ') "
        "ELSE pp.x_skills::jsonb #>> '{}' END"
    )
    texts = ["external_id", "email", "full_name", "preferred_language", "x_skills_text", "x_purpose"]
    # `neutralise` in SQL: any apostrophes then a trigger at the start get one more apostrophe in front
    # ("-" last in the class, so it is not a range); the regular expression runs only for text whose
    # first character could start one.
    pattern = "^('*[" + "".join(t for t in FORMULA_TRIGGERS if t != "-") + "-])"
    first = sorted(NEUTRALISE_FIRST)

    def cell(column: str) -> str:
        return (
            f"NULLIF(CASE WHEN left({column}, 1) = ANY(%s) "
            f"THEN regexp_replace({column}, %s, '''\\1') ELSE {column} END, '')"
        )

    cells = [cell(f"p.{name}") for name in texts]
    sql = (
        f"SELECT {', '.join(cells)}, p.x_given, {cell('m.x_code')}, NULLIF(m.role, ''), m.x_since "
        f"FROM (SELECT pp.*, {skills} AS x_skills_text FROM ({people_sql}) pp OFFSET 0) p "
        f"LEFT JOIN ({member_sql}) m ON m.person_id = p.id "
        'ORDER BY p.id, m.x_code COLLATE "C", m.role COLLATE "C", m.x_since'
    )
    return sql, [*[first, pattern] * (len(texts) + 1), *people_params, *member_params]


def _as_text(expression: Any) -> Cast:
    """A date (or UTC timestamp) as ISO text computed by the database ("2024-03-01"), the same on SQLite
    and PostgreSQL."""
    return Cast(expression, CharField())


def _raw_chunks(queryset: QuerySet[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `queryset` as the database driver returns them, in chunks fetched from a server-side
    cursor where there is one: the ORM's per-value converters cost more than the query itself."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    yield from compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=EXPORT_CHUNK) or ()


def _raw_rows(queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    for chunk in _raw_chunks(queryset):
        yield from chunk


# Skills as stored (JSON text) → as exported: a tuple (files write it "a; b", JSON lines as a list).
# Lists repeat a lot, a collective's skills being a small vocabulary, so each distinct text is decoded
# once, up to a bound.
_SKILLS: dict[str, Any] = {"[]": (), "": ()}
_UNSEEN = object()
_NO_MEMBERSHIP = JOIN_BYTE * 3  # group, role and since left empty


def _skills_cell(text: str) -> tuple[Any, ...]:
    """The skills from their JSON text (files write them "a; b", JSON lines as a list)."""
    decoded = json.loads(text)
    cell = tuple(decoded) if isinstance(decoded, list) else (decoded,)
    if len(_SKILLS) < SKILLS_MEMO:
        _SKILLS[text] = cell
    return cell


def person_page(*, user: Any, collective: Collective, filters: PersonFilters, page: Any) -> Page[Person]:
    """One page of `person_search` (out-of-range page numbers give the last page)."""
    paginator = Paginator(person_search(user=user, collective=collective, filters=filters), PAGE_SIZE)
    return paginator.get_page(page)


@dataclass(frozen=True)
class PersonProfile:
    person: Person
    memberships: list[Membership]
    is_self: bool
    can_edit: bool
    can_record_consent: bool
    can_manage: bool
    can_add_membership: bool

    @property
    def can_invite(self) -> bool:
        return self.can_manage and self.person.user_id is None and bool(self.person.email)


def person_profile(*, user: Any, person: Person) -> PersonProfile:
    """What a person's page shows `user`: the memberships they may see (current first) and which
    actions to offer. The services check every action again; this only decides what to show."""
    memberships = list(
        Membership.objects.visible_to(user)
        .filter(person=person)
        .select_related("group")
        .order_by("ended_on", "-started_on", "id")
    )
    memberships.sort(key=lambda m: (m.ended_on is not None, m.group.name))
    scope = scope_for(user)
    is_self = person.user_id is not None and person.user_id == scope.user_id
    can_manage = can_manage_person(user, person)
    editable = Person.objects.editable_by(user).filter(pk=person.pk).exists()
    return PersonProfile(
        person=person,
        memberships=memberships,
        is_self=is_self,
        can_edit=is_self or can_manage,
        can_record_consent=editable,
        can_manage=can_manage,
        can_add_membership=bool(grantable_roles(user, person.collective)),
    )


def grantable_roles(user: Any, collective: Collective) -> list[tuple[str, str]]:
    """Roles `user` could grant somewhere in `collective` (below their own; admins grant any)."""
    scope = scope_for(user)
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return list(Role.choices)
    ranks = [ROLE_RANK[role] for cid, role in scope.roles if cid == collective.pk]
    if not ranks or max(ranks) < ROLE_RANK[Role.LEAD]:
        return []
    top = max(ranks)
    return [(value, label) for value, label in Role.choices if ROLE_RANK[value] < top]


def group_choices(user: Any, collective: Collective, *, editable: bool) -> list[Group]:
    """Groups to suggest in a group field (a datalist): those `user` may edit, or see. Capped: the
    field takes any code, the list is only a convenience."""
    qs = Group.objects.editable_by(user) if editable else Group.objects.visible_to(user)
    return list(
        qs.filter(collective=collective)
        .only("id", "code", "name", "depth")
        .order_by("depth", "name")[:GROUP_CHOICES_LIMIT]
    )
