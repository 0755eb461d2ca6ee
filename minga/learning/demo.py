"""The learning part of the demo: a library of practices, documents and communities of practice, and
adoptions of the practices spreading along the demo network's links over the last two years.

The material (`demo_practices.py`, `demo_library.py`) is the same at every size and goes through the
services, so it is validated, audited and indexed like anything a user writes. Adoptions scale with
the size and are inserted in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from minga.architecture.models import Group, Layer, Link
from minga.core.models import Collective
from minga.learning import services
from minga.learning.demo_library import COMMUNITIES, RESOURCES
from minga.learning.demo_practices import PRACTICES
from minga.learning.models import Adoption, CommunityMember
from minga.people.models import Person

# Adoptions per practice at most, by demo size.
ADOPTION_CAP = {"tiny": 6, "small": 40, "medium": 300, "large": 1500}
SPREAD_DAYS = 730
ADAPTATIONS = (
    "Translated the forms into the local language.",
    "Met every two weeks instead of weekly.",
    "Started with a smaller group of ten members.",
    "Asked the neighbouring group to run the first session with us.",
    "Added a short prayer and a song to open the meeting.",
    "Combined it with our monthly savings meeting.",
    "Young members took the lead.",
)
RESULTS = (
    "Members say it is worth continuing.",
    "Attendance rose over the first three months.",
    "Too early to tell.",
    "Worked well in the dry season, less in the rainy season.",
    "Two neighbouring groups asked to learn it from us.",
    "We had to adapt it twice before it worked.",
)


def populate(
    *, collective: Collective, actor: Any, size: str, seed: int, today: dt.date, progress: Any
) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 17)
    leaves = list(
        Group.objects.filter(collective=collective, layer=Layer.ACTION, status="active")
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not leaves:
        return {}
    demo_group = _demo_group(collective) or leaves[0]
    groups = {
        g.pk: g for g in Group.objects.filter(pk__in={demo_group, *rng.sample(leaves, min(40, len(leaves)))})
    }

    progress.step("Learning: practices", len(PRACTICES))
    practices = []
    origin_choices = [pk for pk in groups if pk != demo_group]
    for i, spec in enumerate(PRACTICES):
        fields = dict(spec)
        visibility = fields.pop("visibility", "public")
        origin = (
            demo_group
            if visibility == "private" or i % 7 == 3
            else rng.choice(origin_choices or [demo_group])
        )
        practices.append(
            services.practice_create(
                actor=actor,
                collective=collective,
                origin_group=groups[origin],
                visibility=visibility,
                languages=["en"],
                **fields,
            )
        )
        progress.advance(1)

    progress.step("Learning: communities and the library", len(COMMUNITIES) + len(RESOURCES))
    communities = {}
    session_count = 0
    people = list(
        Person.objects.filter(collective=collective).order_by("id").values_list("id", flat=True)[:3000]
    )
    for spec in COMMUNITIES:
        community = services.community_create(
            actor=actor,
            collective=collective,
            name=spec["name"],
            topic=spec["topic"],
            description=spec["description"],
        )
        communities[spec["key"]] = community
        members = rng.sample(people, min(len(people), rng.randint(12, 30)))
        CommunityMember.objects.bulk_create(
            CommunityMember(
                community=community,
                person_id=pk,
                role=CommunityMember.Role.FACILITATOR if n < 2 else CommunityMember.Role.MEMBER,
            )
            for n, pk in enumerate(members)
        )
        for n, session in enumerate(spec["sessions"]):
            services.session_create(
                actor=actor,
                community=community,
                held_on=today - dt.timedelta(days=60 * (len(spec["sessions"]) - n) + rng.randint(0, 20)),
                recording_url="",
                **session,
            )
            session_count += 1
        progress.advance(1)
    for spec in RESOURCES:
        fields = dict(spec)
        community_key = fields.pop("community", None)
        services.resource_create(
            actor=actor,
            collective=collective,
            community=communities.get(community_key) if community_key else None,
            **fields,
        )
        progress.advance(1)

    progress.step("Learning: adoptions")
    adoptions = _spread(collective, practices, leaves, rng, today, ADOPTION_CAP.get(size, 40))
    Adoption.objects.bulk_create(adoptions, batch_size=5_000)
    return {
        "practices": len(practices),
        "resources": len(RESOURCES),
        "communities": len(communities),
        "sessions": session_count,
        "adoptions": len(adoptions),
    }


def _demo_group(collective: Collective) -> int | None:
    """The grassroots group of the demo's lead login, so the demo logins see a private practice."""
    person = (
        Person.objects.filter(collective=collective, email="lead@demo.minga.local")
        .prefetch_related("memberships")
        .first()
    )
    if person is None:
        return None
    membership = person.memberships.order_by("id").first()
    return int(membership.group_id) if membership is not None else None


def _spread(
    collective: Collective,
    practices: list[Any],
    leaves: list[int],
    rng: random.Random,
    today: dt.date,
    cap: int,
) -> list[Adoption]:
    """Adoptions spreading from each practice's origin group along the network links: a neighbour of
    an adopting group takes it up one to four months later with some probability, and names the group
    it learned from. A few groups pick it up at a learning visit further away."""
    action = set(leaves)
    neighbours: dict[int, list[int]] = defaultdict(list)
    for source, target in Link.objects.filter(collective=collective).values_list("source_id", "target_id"):
        if source in action and target in action:
            neighbours[source].append(target)
            neighbours[target].append(source)
    start = today - dt.timedelta(days=SPREAD_DAYS)
    result: list[Adoption] = []
    for practice in practices:
        if practice.origin_group_id is None:
            continue
        weight = {"proven": 1.0, "promising": 0.75, "emerging": 0.5}[practice.status]
        origin = practice.origin_group_id
        adopted: dict[int, dt.date] = {origin: start + dt.timedelta(days=rng.randint(0, 200))}
        frontier = [origin]
        teacher: dict[int, int | None] = {origin: None}
        while frontier and len(adopted) < cap:
            current = frontier.pop(0)
            candidates = list(neighbours.get(current, ()))
            if rng.random() < 0.15 * weight:
                candidates.append(rng.choice(leaves))  # a learning visit further away
            for other in candidates:
                if other in adopted or len(adopted) >= cap or rng.random() > 0.55 * weight:
                    continue
                when = adopted[current] + dt.timedelta(days=rng.randint(30, 120))
                if when > today:
                    continue
                adopted[other] = when
                teacher[other] = current
                frontier.append(other)
        for group_id, when in adopted.items():
            result.append(
                Adoption(
                    practice=practice,
                    group_id=group_id,
                    adopted_on=when,
                    learned_from_id=teacher[group_id],
                    adapted_how="" if group_id == origin else rng.choice(ADAPTATIONS),
                    result=rng.choice(RESULTS),
                )
            )
    return result


def finish(*, collective: Collective, progress: Any) -> dict[str, int]:
    """Index the demo's groups and activities for search once they all exist, so the first search of
    the demo answers at once instead of indexing the whole collective first."""
    from minga.learning.indexing import search_index_refresh

    progress.step("Learning: indexing groups and activities for search")
    return {"search_index_sources": search_index_refresh(collective, full=True)}
