"""The demo's people and memberships, generated as database rows in chunks (millions never sit in memory).

Who is there: backbone admins, observers (funders, researchers) and working-group members; coordinators
for every country, region, district and cluster; and in every grassroots group a lead and its members,
some of whom left, some of whom also joined a neighbouring group. Most people have no login and no email;
nearly all gave consent, a few withdrew it.

Rows come out already formatted for the bulk writer (dates as ISO text), in the column order of
`PERSON_COLUMNS` and `MEMBERSHIP_COLUMNS`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from minga.demo.names import PEOPLE, SKILLS
from minga.demo.places import COUNTRIES
from minga.demo.plan import ArchitecturePlan, PlannedGroup, Size

PERSON_COLUMNS = (
    "id", "collective_id", "user_id", "full_name", "email", "external_id", "preferred_language", "skills",
    "consent_purpose", "consent_given_at", "consent_withdrawn_at", "created_at", "updated_at",
)  # fmt: skip
MEMBERSHIP_COLUMNS = ("id", "person_id", "group_id", "role", "started_on", "ended_on", "created_at")

CHUNK = 25_000  # people per chunk
LANGUAGES = {c.style: c.languages for c in COUNTRIES}
LANGUAGE_WEIGHTS = (75, 20, 5)


class Clock:
    """Days (as ordinals) written the way the database reads them as text, cached: there are only a
    few thousand days. SQLite stores naive UTC text; PostgreSQL reads an explicit offset."""

    def __init__(self, *, today: dt.date, utc_suffix: str) -> None:
        self.today = today.toordinal()
        self._first = self.today - 366 * 12
        self._days = [dt.date.fromordinal(o).isoformat() for o in range(self._first, self.today + 2)]
        self._times = [f" {h:02d}:{m:02d}:00{utc_suffix}" for h in range(7, 19) for m in (0, 15, 30, 45)]

    def day(self, day: int) -> str:
        return self._days[day - self._first]

    def moment(self, day: int, salt: int) -> str:
        return self._days[day - self._first] + self._times[salt % 48]


@dataclass
class DemoPeople:
    """Person ids of the demo logins, filled in while the rows are generated, and the totals."""

    admin: int = 0
    coordinator: int = 0
    lead: int = 0
    member: int = 0
    observer: int = 0
    people: int = 0
    memberships: int = 0


@lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in flat.lower() if ch.isalnum())


@dataclass(frozen=True)
class _Style:
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    two_surnames: bool
    languages: tuple[str, ...]


STYLES = {
    style: _Style(pool.female, pool.male, pool.surnames, pool.surname_count == 2, LANGUAGES[style])
    for style, pool in PEOPLE.items()
}


class _Rows:
    """Accumulates person and membership rows and hands them out in chunks.

    This is the hot loop of the large demo (two million people): plain locals, `random()` instead of
    `choice()`, days as ordinals.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        collective_id: int,
        first_person: int,
        first_membership: int,
        clock: Clock,
    ) -> None:
        self.rand = rng.random
        self.collective_id = collective_id
        self.next_person = first_person
        self.next_membership = first_membership
        self.clock = clock
        self.people: list[tuple[object, ...]] = []
        self.memberships: list[tuple[object, ...]] = []
        self.purpose = "Membership records and anonymised reporting to the collective"

    def person(self, style: _Style, joined: int, skills: str = "[]") -> int:
        rand = self.rand
        pid = self.next_person
        self.next_person = pid + 1
        if rand() < 0.6:
            first = style.female[int(rand() * len(style.female))]
        else:
            first = style.male[int(rand() * len(style.male))]
        surnames = style.surnames
        last = surnames[int(rand() * len(surnames))]
        if style.two_surnames:
            full = f"{first} {last} {surnames[int(rand() * len(surnames))]}"
        else:
            full = f"{first} {last}"
        email = f"{_ascii(first)}.{_ascii(last)}.{pid}@example.org" if rand() < 0.2 else ""
        # Everyone has a member-register number (the "external id"): it is how a register kept in a
        # spreadsheet finds the same person again on the next import.
        roll = rand()
        languages = style.languages
        language = languages[0] if roll < 0.75 or len(languages) == 1 else languages[1 if roll < 0.95 else -1]
        clock = self.clock
        joined_at = clock.moment(joined, pid)
        given = withdrawn = None
        roll = rand()
        if roll < 0.93:
            given = joined_at
            if roll < 0.02:
                withdrawn = clock.moment(joined + int((clock.today - joined) * rand()), pid + 7)
        self.people.append(
            (
                pid, self.collective_id, None, full, email, f"MR{pid:07d}", language, skills,
                self.purpose if given else "", given, withdrawn, joined_at, joined_at,
            )
        )  # fmt: skip
        return pid

    def membership(self, person: int, group: int, role: str, started: int, ended: int | None = None) -> None:
        mid = self.next_membership
        self.next_membership = mid + 1
        clock = self.clock
        self.memberships.append(
            (
                mid, person, group, role, clock.day(started), None if ended is None else clock.day(ended),
                clock.moment(started, mid),
            )
        )  # fmt: skip

    def take(self) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        people, memberships = self.people, self.memberships
        self.people, self.memberships = [], []
        return people, memberships


def _later(rng: random.Random, start: int, end: int, bias: float = 1.0) -> int:
    """A day (ordinal) in [start, end]; bias > 1 leans early."""
    return start if end <= start else start + int((end - start) * rng.random() ** bias)


def _day(value: dt.date | None) -> int | None:
    return None if value is None else value.toordinal()


def generate_people(
    plan: ArchitecturePlan,
    *,
    size: Size,
    seed: int,
    collective_id: int,
    first_person: int,
    first_membership: int,
    clock: Clock,
    demo: DemoPeople,
) -> Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """Yield (person rows, membership rows) chunks for about `size.people` people."""
    rng = random.Random(f"{seed}-people")
    rand = rng.random
    rows = _Rows(
        rng,
        collective_id=collective_id,
        first_person=first_person,
        first_membership=first_membership,
        clock=clock,
    )
    today = clock.today
    skill_sets = [json.dumps(sorted(rng.sample(SKILLS, k))) for k in (1, 2, 2, 3) for _ in range(12)]
    backbone = plan.backbone
    staff_styles = [STYLES[s] for s in sorted({g.style for g in plan.countries})]

    # --- the backbone: admins, observers, working groups ------------------------------------------
    start = backbone.founded_on.toordinal()
    for n in range(4):
        joined = _later(rng, start, today, 2.0)
        pid = rows.person(staff_styles[n % len(staff_styles)], joined, rng.choice(skill_sets))
        rows.membership(pid, backbone.id, "admin", joined)
        demo.admin = demo.admin or pid
    for _ in range(3):
        joined = _later(rng, start, today)
        rows.membership(rows.person(rng.choice(staff_styles), joined), backbone.id, "observer", joined)
    for wg in plan.working_groups:
        for n in range(rng.randint(4, 8)):
            joined = _later(rng, wg.founded_on.toordinal(), today, 1.5)
            pid = rows.person(rng.choice(staff_styles), joined, rng.choice(skill_sets))
            rows.membership(pid, wg.id, "lead" if n == 0 else "member", joined)

    # --- the network layer: coordinators (and a few observers) ------------------------------------
    # District and cluster coordinators often also belong to a grassroots group of their own area.
    leaves_under: dict[int, list[PlannedGroup]] = {}
    district_of_cluster = {c.id: c.parent_id or 0 for c in plan.clusters}
    for leaf in plan.leaves:
        cluster_id = leaf.parent_id or 0
        leaves_under.setdefault(cluster_id, []).append(leaf)
        leaves_under.setdefault(district_of_cluster[cluster_id], []).append(leaf)
    per_level = ((plan.countries, 2), (plan.regions, 2), (plan.districts, 1), (plan.clusters, 1))
    for level, count in per_level:
        for group in level:
            style = STYLES[group.style]
            for n in range(count):
                joined = _later(rng, group.founded_on.toordinal(), today, 2.0)
                pid = rows.person(style, joined, rng.choice(skill_sets))
                rows.membership(pid, group.id, "coordinator", joined)
                if group is plan.demo_region and n == 0:
                    demo.coordinator = pid
                local = leaves_under.get(group.id)
                if local and rand() < 0.5:
                    home = rng.choice(local)
                    if home.status != "closed":
                        rows.membership(pid, home.id, "member", max(joined, home.founded_on.toordinal()))
    for group in plan.countries:  # a funder's or a ministry's liaison, following the country's work
        joined = _later(rng, group.founded_on.toordinal(), today)
        rows.membership(rows.person(STYLES[group.style], joined), group.id, "observer", joined)
    region = plan.demo_region
    joined = _later(rng, region.founded_on.toordinal(), today)
    demo.observer = rows.person(STYLES[region.style], joined)
    rows.membership(demo.observer, region.id, "observer", joined)
    yield rows.take()

    # --- the action layer: a lead and members in every grassroots group ---------------------------
    staff = rows.next_person - first_person
    target = max(len(plan.leaves) * 3, size.people - staff)
    weights = [rng.gammavariate(2.2, 1.0) * (0.5 if g.status == "forming" else 1.0) for g in plan.leaves]
    scale = target / sum(weights)
    demo_group = plan.demo_group
    person, membership = rows.person, rows.membership
    for index, group in enumerate(plan.leaves):
        style = STYLES[group.style]
        group_id = group.id
        founded = group.founded_on.toordinal()
        closed = _day(group.closed_on)
        span = (closed or today) - founded
        neighbours = plan.cluster_leaves[group.cluster]
        lead = person(style, founded, skill_sets[int(rand() * len(skill_sets))])
        membership(lead, group_id, "lead", founded, closed)
        for _ in range(max(3, round(weights[index] * scale)) - 1):
            joined = founded + int(span * rand() ** 1.5)
            pid = person(style, joined)
            ended = closed
            if ended is None and rand() < 0.06:
                ended = joined + int((today - joined) * rand())
            membership(pid, group_id, "observer" if rand() < 0.015 else "member", joined, ended)
            if rand() < 0.03 and len(neighbours) > 1:
                other = neighbours[int(rand() * len(neighbours))]
                if other is not group and other.status != "closed" and group is not demo_group:
                    membership(
                        pid, other.id, "member", _later(rng, max(joined, other.founded_on.toordinal()), today)
                    )
        if group is demo_group:
            # The demo lead and member hold exactly one role each: fresh people, not the random ones.
            demo.lead = person(style, founded)
            membership(demo.lead, group_id, "lead", founded)
            demo.member = person(style, founded + span // 3)
            membership(demo.member, group_id, "member", founded + span // 3)
        if len(rows.people) >= CHUNK:
            yield rows.take()
    demo.people = rows.next_person - first_person
    demo.memberships = rows.next_membership - first_membership
    yield rows.take()
