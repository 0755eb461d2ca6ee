"""The activities part of the demo: two years of collective activities in the five areas, campaigns with
sign-ups, institutions with engagements and policy outcomes, harvested outcomes at each review step, and
stories told with consent. Written with bulk inserts, so the large demo stays quick.

Called by `minga.demo.generate` inside the demo transaction, after the groups and people exist.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.utils import timezone

from minga.activities.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Area,
    Attendance,
    Campaign,
    CampaignSignup,
    Engagement,
    Institution,
    Outcome,
    OutcomeStatus,
    PolicyOutcome,
    Story,
)
from minga.architecture.models import Group
from minga.core.choices import Visibility
from minga.core.models import Collective
from minga.learning.models import Practice, Resource
from minga.measurement.models import Indicator
from minga.people.models import Membership

ACTIVITIES = {"tiny": 80, "small": 420, "medium": 3_000, "large": 20_000}
BATCH = 2_000

TYPES: tuple[tuple[str, str, str], ...] = (
    ("campaign", "Campaign", Area.MOVEMENT),
    ("mobilisation", "Mobilisation", Area.MOVEMENT),
    ("assembly", "Community assembly", Area.MOVEMENT),
    ("data-drive", "Data drive", Area.DATA),
    ("survey", "Community survey", Area.DATA),
    ("policy-dialogue", "Policy dialogue", Area.INSTITUTIONS),
    ("hearing", "Public hearing", Area.INSTITUTIONS),
    ("training", "Training", Area.LEARNING),
    ("peer-exchange", "Peer exchange", Area.LEARNING),
    ("convening", "Convening", Area.LEARNING),
    ("fund-round", "Solidarity fund round", Area.SYSTEMIC),
    ("enterprise", "Shared enterprise", Area.SYSTEMIC),
)

# Title patterns per area; {place} is the owner group's name.
TITLES: dict[str, tuple[str, ...]] = {
    Area.MOVEMENT: (
        "Door-to-door sign-up week in {place}",
        "Women's march for safe water, {place}",
        "Neighbourhood assembly: what we want from the county, {place}",
        "Youth football and voter registration day, {place}",
        "Open meeting to welcome new savings groups, {place}",
    ),
    Area.DATA: (
        "Mapping water points and their prices, {place}",
        "Household survey on school fees, {place}",
        "Community scorecard of the health post, {place}",
        "Counting street lights that work, {place}",
        "Updating the members' register, {place}",
    ),
    Area.INSTITUTIONS: (
        "Budget hearing preparation, {place}",
        "Meeting the ward administrator on drainage, {place}",
        "Submission on the draft water tariff, {place}",
        "Follow-up with the district health office, {place}",
        "Joint site visit with municipal engineers, {place}",
    ),
    Area.LEARNING: (
        "Peer exchange on running a revolving fund, {place}",
        "Training: facilitating meetings where everyone speaks, {place}",
        "Learning circle on bookkeeping, {place}",
        "Visit from a sister network, {place}",
        "Reflection day: what worked this year, {place}",
    ),
    Area.SYSTEMIC: (
        "Solidarity fund round for group enterprises, {place}",
        "Setting up a shared grain store, {place}",
        "Bulk purchase of seeds and tools, {place}",
        "Launching a community-owned water kiosk, {place}",
        "Micro-insurance pilot for market traders, {place}",
    ),
}
OUTPUTS = (
    "Minutes shared with all groups; three follow-up actions agreed.",
    "A price map and a one-page summary for the next hearing.",
    "List of demands signed by the participants.",
    "Photos, a short report and a new contact list.",
    "Facilitation guide adapted to the local language.",
    "",
)
WEIGHTS = {Area.MOVEMENT: 26, Area.DATA: 18, Area.INSTITUTIONS: 20, Area.LEARNING: 24, Area.SYSTEMIC: 12}

INSTITUTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "KE": (
        ("National Ministry of Water and Sanitation", Institution.Kind.MINISTRY, Institution.Level.NATIONAL),
        ("Nairobi City County Government", Institution.Kind.MUNICIPALITY, Institution.Level.REGIONAL),
        ("National Statistics Bureau", Institution.Kind.AGENCY, Institution.Level.NATIONAL),
        ("Water Services Regulator", Institution.Kind.AGENCY, Institution.Level.NATIONAL),
        ("County Assembly Health Committee", Institution.Kind.PARLIAMENT, Institution.Level.REGIONAL),
        ("A mobile money provider", Institution.Kind.COMPANY, Institution.Level.NATIONAL),
    ),
    "PE": (
        (
            "Ministerio de Desarrollo e Inclusión Social",
            Institution.Kind.MINISTRY,
            Institution.Level.NATIONAL,
        ),
        ("Municipalidad de Villa El Salvador", Institution.Kind.MUNICIPALITY, Institution.Level.LOCAL),
        ("Gobierno Regional de Cusco", Institution.Kind.MUNICIPALITY, Institution.Level.REGIONAL),
        ("Superintendencia de servicios de agua", Institution.Kind.AGENCY, Institution.Level.NATIONAL),
        ("Una empresa minera de la región", Institution.Kind.COMPANY, Institution.Level.REGIONAL),
    ),
    "IN": (
        ("State Rural Livelihoods Mission", Institution.Kind.AGENCY, Institution.Level.REGIONAL),
        ("District Collectorate", Institution.Kind.MUNICIPALITY, Institution.Level.LOCAL),
        ("Ministry of Rural Development", Institution.Kind.MINISTRY, Institution.Level.NATIONAL),
        ("A regional rural bank", Institution.Kind.FUNDER, Institution.Level.REGIONAL),
    ),
    "": (
        ("Regional Development Bank", Institution.Kind.FUNDER, Institution.Level.INTERNATIONAL),
        ("UN agency country office", Institution.Kind.AGENCY, Institution.Level.INTERNATIONAL),
    ),
}
ENGAGEMENT_SUMMARIES = (
    (
        "Presented the findings of our survey and asked for a written response.",
        "Publish the figures by ward.",
    ),
    (
        "Met the director with six group leaders; discussed delays in repairs.",
        "A repair schedule within a month.",
    ),
    ("Sent a written submission on the draft budget.", "A line for community water points."),
    ("Worked together on the registration drive for the health scheme.", "Mobile registration desks."),
    ("Attended the public hearing and read our joint statement.", "Hearings held in the evening."),
    ("Follow-up call after the last meeting; commitments reviewed.", "Share the minutes with all groups."),
)
POLICIES = (
    ("Budget line for community water points", PolicyOutcome.Kind.BUDGET),
    ("Tariff relief for households below the poverty line", PolicyOutcome.Kind.POLICY),
    ("Health post opening hours extended to evenings", PolicyOutcome.Kind.PRACTICE),
    ("Ward-level data published every quarter", PolicyOutcome.Kind.PRACTICE),
    ("Women's seats on local water committees", PolicyOutcome.Kind.POLICY),
    ("Credit line for group enterprises", PolicyOutcome.Kind.BUDGET),
    ("Community monitors invited to site inspections", PolicyOutcome.Kind.PRACTICE),
)
OUTCOMES = (
    (
        "County publishes kiosk water prices",
        "County water department",
        "Prices are now posted at every public kiosk, after our price map showed differences of up to 300%.",
    ),
    (
        "Chief opens the water committee to women",
        "Location chief",
        "Three women now sit on the committee that decides where new taps go.",
    ),
    (
        "Health post opens two evenings a week",
        "District health office",
        "Market traders can now visit after work; queues in the morning are shorter.",
    ),
    (
        "Municipality adopts our drainage map",
        "Municipal engineers",
        "The engineers used the community drainage map to plan this year's works.",
    ),
    (
        "Bank accepts group guarantees",
        "A regional rural bank",
        "Groups with two years of savings records can borrow without land titles.",
    ),
    (
        "School fees waived for orphans",
        "Ward education office",
        "Head teachers were instructed to stop sending orphaned children home for fees.",
    ),
    (
        "Youth groups registered as suppliers",
        "County procurement unit",
        "Twelve youth groups can now bid for small cleaning and maintenance contracts.",
    ),
    (
        "Statistics bureau adds an informal settlement code",
        "National Statistics Bureau",
        "Household surveys now report figures for informal settlements separately.",
    ),
    (
        "Regional government funds seed banks",
        "Regional government",
        "A small grant programme for community seed banks, modelled on two of our groups.",
    ),
    (
        "Company repairs the road it damaged",
        "A mining company",
        "After the joint site visit the company resurfaced the access road.",
    ),
    (
        "Members speak at the budget hearing",
        "Our own members",
        "For the first time, members who had never spoken in public presented the group's demands.",
    ),
    (
        "Groups share one grain store",
        "Farmer groups of the district",
        "Five groups now store and sell grain together and get a better price.",
    ),
    (
        "Police agree to joint night patrols",
        "Local police post",
        "After the safety walk, officers patrol with community volunteers on market days.",
    ),
    (
        "Regulator consults communities on tariffs",
        "Water Services Regulator",
        "The regulator held its first tariff consultation in a settlement, using our venue.",
    ),
    (
        "Mobile money fees cut for group accounts",
        "A mobile money provider",
        "Group accounts pay a flat monthly fee instead of a fee per transfer.",
    ),
    (
        "District adopts our scorecard",
        "District health office",
        "The community scorecard is now part of the district's quarterly review.",
    ),
    (
        "Landlords stop evictions during the rains",
        "Landlords' association",
        "The association agreed to a moratorium on evictions in the long rains.",
    ),
    (
        "Young women lead the savings federation",
        "The savings federation",
        "Two of the five federation officers elected this year are women under 30.",
    ),
)
STORIES = (
    (
        "The day the tap ran",
        ("water", "women's leadership"),
        "For years we walked to the river before dawn. When we mapped the kiosks and showed the prices at "
        "the hearing, the officials could not argue with our numbers. Now the tap near the school runs, and "
        "my daughter arrives on time.",
    ),
    (
        "Saving ten shillings at a time",
        ("savings", "dignity"),
        "We started with ten shillings each week. Nobody believed in us, not even our husbands. Three years "
        "later the group lent me enough to buy a sewing machine, and I repaid it in eight months.",
    ),
    (
        "I spoke at the hearing",
        ("voice", "local government"),
        "My hands were shaking. I read the statement we had written together, and when I finished the women "
        "at the back clapped. The councillor asked for a copy.",
    ),
    (
        "Counting what counts",
        ("data", "water"),
        "We counted every street light and every broken pipe. The engineers had old maps; ours were from "
        "last week. They asked us to do it again next year.",
    ),
    (
        "A seed bank of our own",
        ("food", "climate", "savings"),
        "When the rains failed we had no seed. Now each family brings back twice what it borrowed, and the "
        "store is full even in a bad year.",
    ),
    (
        "Learning from the sisters in Puno",
        ("learning", "women's leadership"),
        "They showed us how they keep the books so that anyone can check them. We came home and changed "
        "our meetings the same week.",
    ),
    (
        "The youth league",
        ("youth", "voice"),
        "Football brought us together, but the registration desk at half-time is what changed things. Forty "
        "of us voted for the first time.",
    ),
    (
        "Our road",
        ("local government", "dignity"),
        "The trucks broke the road and nobody answered our letters. When we walked the road together with "
        "the engineers, they finally saw it.",
    ),
    (
        "Evening clinic",
        ("health", "women's leadership"),
        "I sell vegetables until six. The evening clinic means I no longer lose a day's income to see a "
        "nurse.",
    ),
    (
        "A loan without a land title",
        ("savings", "dignity"),
        "The bank manager looked at our records and said: two years without a missed meeting is a "
        "guarantee. I had never been inside a bank before.",
    ),
    (
        "Night patrols",
        ("safety", "solidarity"),
        "The market was dangerous after dark. Now we walk with the officers on market days and the women "
        "stay until the last bus.",
    ),
    (
        "When the rains came",
        ("climate", "solidarity", "housing"),
        "The landlords agreed not to evict anyone during the rains. For the first time, we negotiated as "
        "tenants together, not one by one.",
    ),
)
TELLERS = ("Amina", "Rosa", "Wanjiru", "Lucía", "Priya", "Otieno", "Quispe family", "Meena", "Juma", "Carmen")
CONSENT_NOTES = (
    "Verbal consent at the group meeting, noted by the group secretary.",
    "Signed consent form kept by the group lead.",
    "Recorded consent in the teller's language before the interview.",
)


def _on(today: dt.date, rng: random.Random) -> dt.date:
    """A day in the last two years, more of them recent (the collective grows)."""
    back = int(730 * (1 - rng.random() ** 0.8))
    return today - dt.timedelta(days=back)


def _link_indicators_and_practices(
    collective: Collective, activities: list[Activity], outcomes: list[Outcome], rng: random.Random
) -> None:
    """Data drives relate to indicators, learning activities spread practices and use library resources,
    and half of the outcomes name a contributing practice."""
    indicators = list(Indicator.objects.filter(collective=collective).values_list("id", flat=True))
    practices = list(Practice.objects.filter(collective=collective).values_list("id", flat=True))
    resources = list(Resource.objects.filter(collective=collective).values_list("id", flat=True))
    rows: dict[Any, list[Any]] = defaultdict(list)
    for a in activities:
        if indicators and a.area in (Area.DATA, Area.INSTITUTIONS) and rng.random() < 0.7:
            for iid in rng.sample(indicators, min(2, len(indicators))):
                rows[Activity.indicators.through].append(
                    Activity.indicators.through(activity_id=a.pk, indicator_id=iid)
                )
        if practices and a.area in (Area.LEARNING, Area.SYSTEMIC, Area.MOVEMENT) and rng.random() < 0.5:
            rows[Activity.practices.through].append(
                Activity.practices.through(activity_id=a.pk, practice_id=rng.choice(practices))
            )
        if resources and a.area == Area.LEARNING and rng.random() < 0.4:
            rows[Activity.resources.through].append(
                Activity.resources.through(activity_id=a.pk, resource_id=rng.choice(resources))
            )
    for n, o in enumerate(outcomes):
        mine = set(o.contributing_activities.values_list("id", flat=True))
        applied = sorted({r.practice_id for r in rows[Activity.practices.through] if r.activity_id in mine})
        chosen = applied[:1] or ([rng.choice(practices)] if practices and n % 2 == 0 else [])
        for pid in chosen:
            rows[Outcome.practices.through].append(
                Outcome.practices.through(outcome_id=o.pk, practice_id=pid)
            )
        if indicators and n % 3 == 0:
            rows[Outcome.indicators.through].append(
                Outcome.indicators.through(outcome_id=o.pk, indicator_id=rng.choice(indicators))
            )
    for model, objs in rows.items():
        model.objects.bulk_create(objs, batch_size=BATCH)


def populate(
    *, collective: Collective, actor: Any, size: str, seed: int, today: dt.date, progress: Any
) -> dict[str, int]:
    """Write the activities part of the demo; returns counts by kind."""
    rng = random.Random(seed * 7919 + 8)
    now = timezone.now()
    groups: list[dict[str, Any]] = [
        dict(row)
        for row in Group.objects.filter(collective=collective).values(
            "id", "name", "path", "depth", "layer", "country_code", "kind__code", "parent_id"
        )
    ]
    if not groups:
        return {}
    by_id = {g["id"]: g for g in groups}
    max_depth = max(g["depth"] for g in groups if g["layer"] != "support")
    tree = [g for g in groups if g["layer"] != "support"]
    levels = defaultdict(list)
    for g in tree:
        levels[g["depth"]].append(g)
    backbone = [g for g in groups if g["layer"] == "support"]

    def country_of(g: Any) -> str:
        root = by_id.get(int(g["path"].strip("/").split("/")[0]))
        return (root or g)["country_code"] or ""

    progress.step("Activities", ACTIVITIES.get(size, 80))
    types = ActivityType.objects.bulk_create(
        [
            ActivityType(collective=collective, code=code, name=name, area=area, order=i)
            for i, (code, name, area) in enumerate(TYPES)
        ]
    )
    types_by_area: dict[str, list[ActivityType]] = defaultdict(list)
    for t in types:
        types_by_area[t.area].append(t)
    areas = list(WEIGHTS)
    weights = [WEIGHTS[a] for a in areas]
    level_for = {
        Area.MOVEMENT: (0, 1, max_depth),
        Area.DATA: (2, max_depth - 1, max_depth),
        Area.INSTITUTIONS: (0, 1, 2),
        Area.LEARNING: (1, max_depth - 1, max_depth),
        Area.SYSTEMIC: (1, 2, max_depth - 1),
    }
    total = ACTIVITIES.get(size, 80)
    activities: list[Activity] = []
    for i in range(total):
        area = rng.choices(areas, weights)[0]
        if area == Area.SYSTEMIC and backbone and rng.random() < 0.2:
            owner = rng.choice(backbone)
        else:
            depth = rng.choice(level_for[area])
            owner = rng.choice(levels.get(depth) or tree)
        future = rng.random() < 0.04
        starts = today + dt.timedelta(days=rng.randint(1, 45)) if future else _on(today, rng)
        ends = starts + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2, 6)))
        reach = {0: 400, 1: 150}.get(owner["depth"], 35)
        people = 0 if future else rng.randint(reach // 4, reach)
        women = int(people * rng.uniform(0.45, 0.75))
        youth = int(people * rng.uniform(0.15, 0.45))
        status = (
            ActivityStatus.PLANNED
            if future
            else ActivityStatus.CANCELLED
            if rng.random() < 0.03
            else ActivityStatus.UNDER_WAY
            if ends >= today
            else ActivityStatus.DONE
        )
        activities.append(
            Activity(
                collective=collective,
                group_id=owner["id"],
                code=f"demo-{i + 1:05d}",
                area=area,
                type=rng.choice(types_by_area[area]),
                title=rng.choice(TITLES[area]).format(place=owner["name"]),
                description="",
                starts_on=starts,
                ends_on=ends if ends != starts else None,
                place_name=owner["name"],
                status=status,
                outputs="" if future else rng.choice(OUTPUTS),
                participants_total=people,
                participation={"women": women, "men": people - women, "youth": youth} if people else {},
                visibility=Visibility.COLLECTIVE if rng.random() < 0.1 else Visibility.PUBLIC,
                created_at=now,
                updated_at=now,
            )
        )
    for start in range(0, len(activities), BATCH):
        Activity.objects.bulk_create(activities[start : start + BATCH])
        progress.advance(min(BATCH, len(activities) - start))
    # Participating groups: activities of higher levels draw in groups below them.
    children: dict[int, list[int]] = defaultdict(list)
    for g in tree:
        if g["parent_id"]:
            children[g["parent_id"]].append(g["id"])
    through = Activity.participants.through
    links = []
    for a in activities:
        below = children.get(a.group_id, [])
        if below:
            for gid in rng.sample(below, min(len(below), rng.randint(1, 4))):
                links.append(through(activity_id=a.pk, group_id=gid))
    through.objects.bulk_create(links, batch_size=BATCH)

    # Campaigns with weekly sign-ups from the groups below the owner.
    progress.step("Campaigns")
    movement = [a for a in activities if a.area == Area.MOVEMENT and by_id[a.group_id]["depth"] <= 1]
    movement.sort(key=lambda a: a.starts_on)
    chosen = movement[:: max(1, len(movement) // 6)][:6]
    campaigns = Campaign.objects.bulk_create(
        [
            Campaign(
                activity=a,
                goal=rng.choice((500, 1000, 2500, 5000)) if by_id[a.group_id]["depth"] == 0 else 400,
                unit=rng.choice(("sign-ups", "pledges", "signatures")),
                ask=rng.choice(
                    (
                        "Sign up to join the water committee campaign.",
                        "Pledge to attend the budget hearing.",
                        "Sign the petition for evening clinic hours.",
                    )
                ),
                closes_on=a.starts_on + dt.timedelta(days=120),
            )
            for a in chosen
        ]
    )
    Activity.objects.filter(pk__in=[a.pk for a in chosen]).update(
        type=next(t for t in types if t.code == "campaign")
    )
    signups = []
    for campaign in campaigns:
        owner = by_id[campaign.activity.group_id]
        pool = [g["id"] for g in tree if g["path"].startswith(owner["path"]) and g["id"] != owner["id"]] or [
            owner["id"]
        ]
        pace = campaign.goal / 14
        day = campaign.activity.starts_on
        week = 0
        while day <= min(today, campaign.closes_on or today):
            for gid in rng.sample(pool, min(len(pool), rng.randint(1, 4))):
                count = max(1, int(rng.gauss(pace / 2.5, pace / 6) * (1.3 if week < 4 else 0.9)))
                signups.append(CampaignSignup(campaign=campaign, group_id=gid, count=count, signed_on=day))
            day += dt.timedelta(days=7)
            week += 1
    CampaignSignup.objects.bulk_create(signups, batch_size=BATCH)

    # Institutions, engagements, policy outcomes.
    progress.step("Institutions")
    countries = sorted({country_of(g) for g in tree} - {""})
    institutions: list[tuple[Institution, str]] = []
    for code in [*countries, ""]:
        for name, kind, level in INSTITUTIONS.get(code, ()):
            institutions.append(
                (
                    Institution(
                        collective=collective,
                        name=name,
                        kind=kind,
                        level=level,
                        country_code=code,
                        notes="" if code else "Works across the countries of the collective.",
                    ),
                    code,
                )
            )
    Institution.objects.bulk_create([i for i, _ in institutions])
    engagers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in tree:
        if g["depth"] <= 2:
            engagers[country_of(g)].append(g)
    institution_activities: dict[str, list[Activity]] = defaultdict(list)
    for a in activities:
        if a.area == Area.INSTITUTIONS and a.status == ActivityStatus.DONE:
            institution_activities[country_of(by_id[a.group_id])].append(a)
    engagements: list[Engagement] = []
    for institution, code in institutions:
        pool = engagers.get(code) or [g for g in tree if g["depth"] == 0]
        for _ in range(rng.randint(3, 8)):
            g = rng.choice(pool)
            summary, asks = rng.choice(ENGAGEMENT_SUMMARIES)
            linked = institution_activities.get(code) or []
            activity = rng.choice(linked) if linked and rng.random() < 0.6 else None
            engagements.append(
                Engagement(
                    collective=collective,
                    institution=institution,
                    group_id=g["id"],
                    activity=activity,
                    kind=rng.choice(Engagement.Kind.values),
                    occurred_on=activity.starts_on if activity else _on(today, rng),
                    summary=summary,
                    asks=asks,
                    response=rng.choice(("", "Promised a reply within a month.", "Agreed to meet again.")),
                )
            )
    Engagement.objects.bulk_create(engagements, batch_size=BATCH)
    policies: list[PolicyOutcome] = []
    by_institution: dict[int, list[Engagement]] = defaultdict(list)
    for e in engagements:
        by_institution[e.institution.pk].append(e)
    for n, (institution, _code) in enumerate(institutions):
        if n % 4 == 3:
            continue
        title, kind = POLICIES[n % len(POLICIES)]
        mine = by_institution[institution.pk]
        last = max(e.occurred_on for e in mine)
        policies.append(
            PolicyOutcome(
                collective=collective,
                institution=institution,
                group_id=mine[0].group_id,
                title=title,
                kind=kind,
                status=rng.choice(("adopted", "implemented", "in_progress", "proposed", "blocked")),
                decided_on=min(today, last + dt.timedelta(days=rng.randint(20, 120))),
                contribution="Our survey data and the joint statement read at the hearing; members "
                "followed up every month.",
                contribution_level=rng.choice(PolicyOutcome.Contribution.values),
                evidence="Minutes of the meeting; the published notice.",
            )
        )
    PolicyOutcome.objects.bulk_create(policies)
    for p in policies:
        p.engagements.set([e for e in by_institution[p.institution.pk] if e.group_id == p.group_id][:3])

    # Harvested outcomes at every review step.
    progress.step("Outcomes and stories")
    statuses = [OutcomeStatus.PUBLISHED] * 7 + [OutcomeStatus.SUBSTANTIATED] * 6 + [OutcomeStatus.DRAFT] * 5
    owners = [g for g in tree if g["depth"] in (0, 1)]
    outcomes: list[Outcome] = []
    for n, (title, who, what) in enumerate(OUTCOMES):
        owner = owners[n % len(owners)]
        state = statuses[n % len(statuses)]
        happened = _on(today, rng) if n % 3 else today - dt.timedelta(days=rng.randint(20, 200))
        reviewed = state != OutcomeStatus.DRAFT
        outcomes.append(
            Outcome(
                collective=collective,
                group_id=owner["id"],
                title=title,
                description=what,
                actor=who,
                happened_on=min(happened, today),
                place_name=owner["name"],
                significance="It changes how decisions are made, not just one decision.",
                contribution="Groups gathered the evidence, spoke at the meetings and kept following up.",
                sources="Meeting minutes, photos and interviews with members." if reviewed or n % 2 else "",
                substantiated_by=rng.choice(
                    ("Ward administrator", "A local journalist", "The district officer")
                )
                if reviewed
                else "",
                status=state,
                substantiated_at=now if reviewed else None,
                published_at=now if state == OutcomeStatus.PUBLISHED else None,
                reviewed_by=actor if reviewed else None,
            )
        )
    Outcome.objects.bulk_create(outcomes)
    done = [a for a in activities if a.status == ActivityStatus.DONE]
    for n, outcome in enumerate(outcomes):
        owner = by_id[outcome.group_id]
        near = [
            a
            for a in done
            if by_id[a.group_id]["path"].startswith(owner["path"]) and a.starts_on <= outcome.happened_on
        ]
        picked = rng.sample(near, min(len(near), rng.randint(2, 4)))
        outcome.contributing_activities.set(picked)
        outcome.contributing_groups.set({owner["id"], *(a.group_id for a in picked[:2])})
        same = [p for p in policies if p.institution.country_code == country_of(owner)]
        if same and n % 2 == 0:
            outcome.policy_outcomes.set([rng.choice(same)])

    # Stories across regions, told with consent.
    regions = [g for g in tree if g["depth"] == min(1, max_depth)]
    leaves = [g for g in tree if g["depth"] >= 2] or tree
    stories: list[Story] = []
    count = 24 if size == "tiny" else 40
    order = list(range(len(STORIES))) * (count // len(STORIES) + 1)
    rng.shuffle(order)
    for n in range(count):
        title, themes, text = STORIES[order[n]]
        region = regions[n % len(regions)] if regions else tree[0]
        home = [g for g in leaves if g["path"].startswith(region["path"])] or [region]
        g = rng.choice(home)
        stories.append(
            Story(
                collective=collective,
                group_id=g["id"],
                title=title,
                text=text,
                teller_name=rng.choice(TELLERS),  # the list and the page show the group beside it
                consent_note=rng.choice(CONSENT_NOTES),
                consent_recorded_at=now,
                told_on=_on(today, rng),
                themes=list(themes),
                visibility=Visibility.PUBLIC if n % 3 else Visibility.COLLECTIVE,
            )
        )
    Story.objects.bulk_create(stories)
    for n, story in enumerate(stories):
        if n % 2 == 0 and outcomes:
            story.outcomes.set([outcomes[n % len(outcomes)]])
        here = [a for a in done[:400] if a.group_id == story.group_id]
        if here:
            story.activities.set(here[:1])

    # Links to the measurement and learning parts of the demo (written before this one).
    _link_indicators_and_practices(collective, activities, outcomes, rng)

    # Named participants: consented members of the leaf groups that ran an activity.
    leaf_activities = [a for a in done if by_id[a.group_id]["depth"] == max_depth][:60]
    members: dict[int, list[int]] = defaultdict(list)
    for gid, pid in Membership.objects.filter(
        group_id__in={a.group_id for a in leaf_activities},
        person__consent_given_at__isnull=False,
        person__consent_withdrawn_at__isnull=True,
    ).values_list("group_id", "person_id"):
        members[gid].append(pid)
    attendance = []
    for a in leaf_activities:
        for pid in sorted(set(members.get(a.group_id, [])))[:6]:
            attendance.append(
                Attendance(
                    activity=a, person_id=pid, role=rng.choice(("participant",) * 4 + ("facilitator",))
                )
            )
    Attendance.objects.bulk_create(attendance, batch_size=BATCH)
    return {
        "activities": len(activities),
        "campaigns": len(campaigns),
        "signups": len(signups),
        "institutions": len(institutions),
        "engagements": len(engagements),
        "policy_outcomes": len(policies),
        "outcomes": len(outcomes),
        "stories": len(stories),
        "attendance": len(attendance),
    }
