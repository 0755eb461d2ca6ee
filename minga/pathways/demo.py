"""The pathways part of the demo: one published pathway, two years of progress for the action-layer
groups, a few moves waiting for verification, and a strategy log that explains the changes.

The pathway, its stages and the strategy revisions go through the services (validated, audited); the
progress history — up to a few hundred thousand rows for the large demo — goes in with bulk inserts.
Random choices come from `random.Random(seed)`, so the same seed gives the same demo.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from django.utils import timezone

from minga.architecture.models import Group, GroupStatus, Layer
from minga.core.choices import Role
from minga.core.models import Collective
from minga.demo.writer import BulkWriter
from minga.measurement.models import Indicator
from minga.pathways import services
from minga.pathways.models import GroupProgress, Pathway, PathwayVersion, ProgressEntry, Stage
from minga.people.models import Membership

BATCH = 5_000
PROGRESS_COLUMNS = (
    "id",
    "pathway_id",
    "group_id",
    "stage_id",
    "started_on",
    "stage_entered_on",
    "updated_at",
)
ENTRY_COLUMNS = (
    "id", "pathway_id", "group_id", "progress_id", "stage_id", "kind", "status", "entered_on", "left_on",
    "evidence", "links", "evidence_file", "checklist", "reason", "submitted_by_id", "submitted_at",
    "verified_by_id", "verified_at",
)  # fmt: skip
HISTORY_DAYS = 730

VISION = """Every neighbourhood has a group of people who meet, learn and act together for the common good,
and who know they are part of something larger.

We grow **from the grassroots up**: groups start small, learn from each other and, once they are strong,
help the next groups on their way."""

PRINCIPLES = """- **Groups lead.** The backbone supports; it does not decide for the groups.
- **Learning travels sideways.** Groups learn most from other groups nearby.
- **Show, don't tell.** Progress is shown with evidence: photos, minutes, numbers.
- **Nobody walks alone.** Every new group has a mentor group within reach.
- **Open doors.** Anyone in the neighbourhood may join a group's activities."""

METHODS = """## Monthly circles
Each group meets at least monthly in an open circle: review, plan, share what was learnt.

## Facilitator training
Two people per group take the six-session facilitator course run by the regional team.

## Mentoring pairs
A group that has run activities for six months mentors a forming group nearby for a year."""

PRACTICES = """1. Keep an attendance list at every meeting.
2. Share one story of change each quarter with the regional network.
3. Rotate facilitation so that at least three members can lead a meeting.
4. Publish a short yearly report to the neighbourhood."""

# name, description, checklist, requires_verification, typical days spent (min, max) before moving on
STAGES: tuple[tuple[str, str, list[str], bool, tuple[int, int]], ...] = (
    (
        "Forming",
        "A few neighbours meet regularly and agree on why they want to act together.",
        ["We have met at least three times", "We agreed on a name and a purpose"],
        False,
        (30, 150),
    ),
    (
        "Trained",
        "Two facilitators of the group took the facilitator course; the group runs open monthly circles.",
        ["Two facilitators finished the course", "We hold an open circle every month"],
        True,
        (60, 240),
    ),
    (
        "Running activities",
        "The group runs its own activities in the neighbourhood and keeps simple records.",
        ["We ran at least three activities", "We keep attendance lists"],
        False,
        (120, 360),
    ),
    (
        "Mentoring others",
        "The group mentors a forming group nearby for a year.",
        ["We have a mentoring agreement with a forming group", "We met the group at least four times"],
        True,
        (180, 420),
    ),
    (
        "Self-sustaining",
        "The group renews its own leadership, funds its basic costs and keeps mentoring.",
        ["Leadership changed hands at least once", "We cover our basic costs ourselves"],
        True,
        (0, 0),
    ),
)

EVIDENCE = {
    "Forming": [
        "First three meetings held in the community hall.",
        "Met under the big tree; 11 neighbours came.",
    ],
    "Trained": [
        "Two facilitators completed the six sessions (certificates attached).",
        "Course finished in May.",
    ],
    "Running activities": [
        "Clean-up day, homework club and a savings circle so far.",
        "Three market-day stalls.",
    ],
    "Mentoring others": [
        "Mentoring agreement signed with the new group across the river.",
        "Monthly visits.",
    ],
    "Self-sustaining": [
        "New coordinator elected; dues cover the hall rent.",
        "Second leadership handover done.",
    ],
}
BACK_REASONS = [
    "Both facilitators moved away; new ones need training.",
    "The group paused during the rainy season and is re-forming.",
    "Activities stopped after the venue closed.",
]

REVISIONS: tuple[tuple[int, str, str, str, str, str], ...] = (
    (
        -720,
        "A common pathway for all groups",
        "Groups now travel one shared pathway of four stages instead of each region's own checklist.",
        "Regions measured progress differently, so nobody could see the whole network.",
        "Regional reports of 2023; assembly survey (82% in favour).",
        "General assembly",
    ),
    (
        -610,
        "Facilitator training becomes a verified stage",
        "Entering “Trained” needs a coordinator's verification.",
        "Groups marked themselves trained before finishing the course.",
        "Course attendance lists compared with self-reports: 40% mismatch.",
        "Backbone team",
    ),
    (
        -480,
        "Mentoring others added as a stage",
        "A new stage “Mentoring others” between running activities and self-sustaining.",
        "Groups learn most from groups nearby; experienced groups wanted a recognised role.",
        "Learning review: peer visits doubled the share of new groups still active after a year.",
        "General assembly",
    ),
    (
        -400,
        "Regional teams verify, not the backbone",
        "Verification moved from the backbone to the regional coordinators.",
        "Requests waited six weeks on average for the backbone.",
        "Verification queue data: median wait 41 days.",
        "Backbone team with regional coordinators",
    ),
    (
        -300,
        "Two intakes a year",
        "New groups start in two cohorts a year (March and September).",
        "Coordinators could not support groups starting at any time.",
        "Coordinator workload survey.",
        "Coordinators' council",
    ),
    (
        -200,
        "Stalled groups get a visit",
        "A group with no progress for six months gets a visit from its mentor group.",
        "Many stalled groups had simply lost contact.",
        "Funnel: 23% of groups stalled in “Running activities”.",
        "Coordinators' council",
    ),
    (
        -120,
        "Self-sustaining needs a leadership handover",
        "The last stage now asks for a leadership change, not only for funding.",
        "Groups that depended on one leader collapsed when that person left.",
        "Case studies from three regions.",
        "General assembly",
    ),
    (
        -45,
        "Evidence can be photos and voice notes",
        "Groups may show evidence with photos and voice notes, not only written reports.",
        "Written reports excluded groups with less formal schooling.",
        "Feedback from group leads; accessibility review.",
        "Backbone team",
    ),
)


def populate(
    *, collective: Collective, actor: Any, size: str, seed: int, today: dt.date, progress: Any
) -> dict[str, int]:
    """Add the demo pathway, its history and the strategy log to `collective`."""
    rng = random.Random(seed * 7919 + 17)
    progress.step("Pathway and strategy log", None)
    pathway = _pathway(collective, actor, today)
    revisions = _revisions(collective, actor, pathway, today)
    stages = list(pathway.stages.order_by("order"))
    groups = list(
        Group.objects.filter(collective=collective, layer=Layer.ACTION)
        .exclude(status=GroupStatus.CLOSED)
        .order_by("id")
        .values_list("id", "path", "founded_on")
    )
    progress.step("Pathway progress", len(groups))
    rows, entries, pending = _journeys(rng, collective, actor, pathway, stages, groups, today, progress)
    return {"pathways": 1, "stages": len(stages), "strategy_revisions": revisions, "pathway_groups": rows,
            "pathway_entries": entries, "pending_verifications": pending}  # fmt: skip


def _pathway(collective: Collective, actor: Any, today: dt.date) -> Pathway:
    owner = Group.objects.filter(collective=collective, layer=Layer.SUPPORT).order_by("depth", "id").first()
    pathway = services.pathway_create(
        actor=actor,
        collective=collective,
        name="Neighbourhood groups pathway",
        summary="From a few neighbours meeting to a group that sustains itself and helps others start.",
        vision=VISION,
        principles=PRINCIPLES,
        methods=METHODS.replace("## Mentoring pairs", "## Peer visits"),
        practices=PRACTICES,
        owner=owner,
    )
    first_four = [s for s in STAGES if s[0] != "Mentoring others"]
    for name, description, checklist, verify, _ in first_four:
        services.stage_create(
            actor=actor,
            pathway=pathway,
            name=name,
            description=description,
            checklist=checklist if name != "Self-sustaining" else checklist[1:],
            requires_verification=verify and name != "Trained",
        )
    # A measured criterion, when measurement's part of the demo defined the indicator.
    members = Indicator.objects.filter(collective=collective, code="members_active").first()
    if members is not None:
        services.stage_condition_add(
            actor=actor,
            stage=pathway.stages.get(name="Self-sustaining"),
            indicator=members,
            threshold=15,
            periods=3,
        )
    services.pathway_publish(actor=actor, pathway=pathway, note="First version agreed by the assembly")
    # The pathway's later versions follow the strategy revisions (see REVISIONS).
    trained = pathway.stages.get(name="Trained")
    services.stage_update(actor=actor, stage=trained, requires_verification=True)
    name, description, checklist, verify, _ = STAGES[3]
    mentoring = services.stage_create(
        actor=actor, pathway=pathway, name=name, description=description, checklist=checklist,
        requires_verification=verify,
    )  # fmt: skip
    ids = list(pathway.stages.order_by("order").values_list("pk", flat=True))
    ids.remove(mentoring.pk)
    ids.insert(3, mentoring.pk)
    services.stage_reorder(actor=actor, pathway=pathway, stage_ids=ids)
    services.pathway_update(
        actor=actor, pathway=pathway, methods=METHODS, note="Mentoring pairs replace peer visits"
    )
    services.stage_update(
        actor=actor, stage=pathway.stages.get(name="Self-sustaining"), checklist=STAGES[4][2]
    )
    # Date the versions as they happened (the services stamp them with the time of generation).
    days_ago = {1: 720, 2: 610, 3: 480, 4: 480, 5: 470, 6: 120}
    for version in PathwayVersion.objects.filter(pathway=pathway):
        ago = days_ago.get(version.number, 100)
        stamp = dt.datetime.combine(today - dt.timedelta(days=ago), dt.time(10), tzinfo=dt.UTC)
        PathwayVersion.objects.filter(pk=version.pk).update(created_at=stamp)
    stamp = dt.datetime.combine(today - dt.timedelta(days=720), dt.time(10), tzinfo=dt.UTC)
    Pathway.objects.filter(pk=pathway.pk).update(published_at=stamp)
    pathway.refresh_from_db()
    return pathway


def _revisions(collective: Collective, actor: Any, pathway: Pathway, today: dt.date) -> int:
    for offset, title, what, why, evidence, who in REVISIONS:
        services.strategy_revision_create(
            actor=actor,
            collective=collective,
            decided_on=today + dt.timedelta(days=offset),
            title=title,
            what_changed=what,
            why=why,
            evidence=evidence,
            decided_by=who,
            pathway=pathway,
            visibility="public",
        )
    return len(REVISIONS)


def _holders(collective: Collective, role: str) -> list[tuple[int, str]]:
    """(group id, path) of the demo logins holding `role` (the lead's group, the coordinator's region)."""
    return list(
        Membership.objects.filter(
            group__collective=collective, role=role, person__user__email__endswith="@demo.minga.local"
        ).values_list("group_id", "group__path")
    )


def _journeys(
    rng: random.Random,
    collective: Collective,
    actor: Any,
    pathway: Pathway,
    stages: list[Stage],
    groups: list[tuple[int, str, dt.date | None]],
    today: dt.date,
    progress: Any,
) -> tuple[int, int, int]:
    """Walk each group along the stages from a start date in the last two years; bulk insert."""
    durations = {s[0]: s[4] for s in STAGES}
    lead_groups = {g for g, _ in _holders(collective, Role.LEAD)}
    coordinator_paths = [p for _, p in _holders(collective, Role.COORDINATOR)]
    earliest = today - dt.timedelta(days=HISTORY_DAYS)
    now = timezone.now()
    plans: list[tuple[int, dt.date, list[tuple[int, dt.date, dt.date | None, str]]]] = []
    pending_wanted = max(6, len(groups) // 40)
    pending: list[tuple[int, int, dt.date]] = []  # (group, stage index, day)
    for group_id, path, founded in groups:
        if rng.random() < 0.12 and group_id not in lead_groups:
            continue  # not on the pathway yet
        start = max(earliest, founded or earliest) + dt.timedelta(days=rng.randint(0, 200))
        if start > today - dt.timedelta(days=7):
            start = today - dt.timedelta(days=rng.randint(7, 60))
        walk: list[tuple[int, dt.date, dt.date | None, str]] = []
        day, index, kind, moved_back = start, 0, "forward", False
        while True:
            low, high = durations[stages[index].name]
            stay = rng.randint(low, high) if high else HISTORY_DAYS * 2
            if rng.random() < 0.25:
                stay = int(stay * 2.5)  # some groups stall
            leave = day + dt.timedelta(days=stay)
            if leave >= today or index == len(stages) - 1:
                walk.append((index, day, None, kind))
                break
            walk.append((index, day, leave, kind))
            if index >= 2 and not moved_back and rng.random() < 0.08:
                index, kind, moved_back = index - 1, "back", True
            else:
                index, kind = index + 1, "forward"
            day = leave
        plans.append((group_id, start, walk))
        current = walk[-1][0]
        in_region = any(path.startswith(p) for p in coordinator_paths)
        wants_pending = len(pending) < pending_wanted and (in_region or rng.random() < 0.3)
        if (
            wants_pending
            and group_id not in lead_groups
            and current + 1 < len(stages)
            and stages[current + 1].requires_verification
            and walk[-1][1] < today - dt.timedelta(days=30)
        ):
            pending.append((group_id, current + 1, today - dt.timedelta(days=rng.randint(1, 20))))
    # Plain tuples through the demo's BulkWriter (executemany / COPY) with ids chosen up front: the
    # ORM's bulk_create costs a third of a millisecond per row, which the large demo would feel.
    writer = BulkWriter()
    first_progress = writer.next_id(GroupProgress)
    ids = {g: first_progress + i for i, (g, _, _) in enumerate(plans)}
    stamp = _stamp(writer, now)
    for start_at in range(0, len(plans), BATCH):
        chunk = plans[start_at : start_at + BATCH]
        rows = [
            (ids[g], pathway.pk, g, stages[walk[-1][0]].pk, start.isoformat(), walk[-1][1].isoformat(), stamp)
            for g, start, walk in chunk
        ]
        writer.insert(GroupProgress, PROGRESS_COLUMNS, rows)
        progress.advance(len(chunk))
    checklists = {s.pk: json.dumps(s.checklist) for s in stages}
    actor_id = actor.pk if actor is not None else None
    next_entry = writer.next_id(ProgressEntry)
    batch: list[tuple[object, ...]] = []
    entry_count = 0

    def add(
        g: int, stage: Stage, kind: str, status: str, day: dt.date, left: dt.date | None, **extra: Any
    ) -> None:
        nonlocal next_entry
        submitted = _stamp(writer, _at(day, now))
        verified = status == "accepted" and stage.requires_verification
        batch.append(
            (
                next_entry, pathway.pk, g, ids[g], stage.pk, kind, status, day.isoformat(),
                left.isoformat() if left else None, extra.get("evidence", ""),
                json.dumps(extra.get("links", [])), "", checklists[stage.pk], extra.get("reason", ""),
                actor_id, submitted,
                actor_id if verified else None, submitted if verified else None,
            )
        )  # fmt: skip
        next_entry += 1

    def flush() -> None:
        nonlocal entry_count, batch
        entry_count += writer.insert(ProgressEntry, ENTRY_COLUMNS, batch)
        batch = []

    for g, _, walk in plans:
        for position, (index, day, left, kind) in enumerate(walk):
            stage = stages[index]
            add(
                g,
                stage,
                ProgressEntry.Kind.START if position == 0 else kind,
                ProgressEntry.Status.ACCEPTED,
                day,
                left,
                evidence="" if kind == "back" else rng.choice(EVIDENCE[stage.name]),
                reason=rng.choice(BACK_REASONS) if kind == "back" else "",
            )
        if len(batch) >= BATCH:
            flush()
    for g, index, day in pending:
        stage = stages[index]
        add(
            g,
            stage,
            ProgressEntry.Kind.FORWARD,
            ProgressEntry.Status.PENDING,
            day,
            None,
            evidence=rng.choice(EVIDENCE[stage.name]),
            links=["https://example.org/demo/evidence"],
        )
    flush()
    writer.finish()
    return len(plans), entry_count, len(pending)


def _stamp(writer: BulkWriter, moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + writer.utc_suffix


def _at(day: dt.date, now: dt.datetime) -> dt.datetime:
    stamp = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    return min(stamp, now)
