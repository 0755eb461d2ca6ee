"""The demo's architecture, planned in memory before anything is written: the tree, links, group sets.

Pure Python and deterministic: the same size and seed give the same codes, names, places, statuses,
links and sets (dates are relative to `today`). Ids are precomputed from `first_id`, so paths are known
before the insert and the whole tree goes in with one bulk statement.

The tree: backbone team (support) with its working groups, then country → region → district (network)
→ ward/cluster (network) → grassroots group (action). Leaves are spread unevenly over the clusters, the
way real movements grow: some places busy, some sparse.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from minga.demo.names import (
    CLUSTER_TEMPLATES,
    DISTRICT_SUFFIXES,
    GROUP_TEMPLATES,
    WARD_PARTS,
    place_name,
)
from minga.demo.places import COUNTRIES, Country, Region

YEARS = 10  # how far back the collective's history goes


@dataclass(frozen=True)
class Size:
    name: str
    groups: int
    people: int
    countries: int
    regions_per_country: tuple[int, int]
    districts_per_region: tuple[int, int]
    clusters_per_district: tuple[int, int]
    working_groups: int


SIZES: dict[str, Size] = {
    # `tiny` is for the test suite: the same shape, small enough to build in well under a second.
    "tiny": Size("tiny", 60, 400, 2, (2, 2), (1, 2), (1, 2), 3),
    "small": Size("small", 300, 5_000, 3, (3, 3), (2, 2), (2, 3), 5),
    "medium": Size("medium", 5_000, 100_000, 6, (4, 6), (4, 5), (4, 6), 6),
    "large": Size("large", 50_000, 2_000_000, 10, (5, 7), (7, 9), (9, 11), 7),
}

WORKING_GROUPS: tuple[tuple[str, str], ...] = (
    ("wg-pathway", "Pathway & Learning"),
    ("wg-data", "Data & Measurement"),
    ("wg-funding", "Funding & Partnerships"),
    ("wg-campaigns", "Campaigns & Influencing"),
    ("wg-governance", "Governance & Assembly"),
    ("wg-comms", "Communications"),
    ("wg-safeguarding", "Safeguarding & Care"),
)

THEMES: tuple[tuple[str, str, str], ...] = (
    ("climate-resilience", "Climate resilience", "Groups adapting to drought, floods and heat together."),
    ("womens-savings", "Women's savings & credit", "Savings groups and table banking led by women."),
    ("youth-livelihoods", "Youth livelihoods", "Young people starting enterprises and learning trades."),
    ("water-sanitation", "Water & sanitation", "Community water committees and sanitation drives."),
    ("agroecology", "Agroecology & seed saving", "Farmers sharing seeds, compost and know-how."),
    ("land-housing", "Land & housing rights", "Tenure security, eviction defence and decent housing."),
    ("digital-inclusion", "Digital inclusion", "Phones, data and skills for groups that were left offline."),
    ("health-nutrition", "Health & nutrition", "Community health workers, kitchens and school meals."),
)

# Which themes a country's groups lean towards (weights in THEMES order).
THEME_WEIGHTS: dict[str, tuple[int, ...]] = {
    "ke": (4, 5, 3, 3, 2, 2, 2, 2), "ug": (3, 5, 4, 2, 3, 1, 2, 2), "pe": (3, 2, 2, 4, 4, 2, 1, 4),
    "in": (3, 6, 2, 3, 2, 1, 2, 3), "ph": (6, 2, 3, 2, 2, 3, 2, 1), "br": (2, 2, 3, 2, 3, 5, 2, 2),
    "co": (2, 2, 3, 2, 3, 5, 1, 2), "mx": (3, 2, 2, 3, 5, 2, 1, 2), "gh": (3, 4, 4, 3, 2, 1, 2, 2),
    "gt": (3, 3, 2, 3, 4, 3, 1, 3),
}  # fmt: skip

CAMPAIGNS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("clean-rivers", "Clean Rivers Campaign", "Communities mapping and cleaning their rivers.",
     ("KE", "UG", "CO", "BR", "PH")),
    ("right-to-the-city", "Right to the City", "Informal settlements organising for services and tenure.",
     ("KE", "BR", "IN", "PH", "PE")),
    ("seeds-of-change", "Seeds of Change", "A seed fair in every district, on the same weekend.",
     ("PE", "MX", "GT", "IN", "GH")),
)  # fmt: skip

DESCRIPTIONS: tuple[str, ...] = (
    "Started by neighbours who met at a water point and decided to keep meeting.",
    "Meets every week after market day; runs a savings box and a tree nursery.",
    "A youth group that repairs phones and teaches older members to use them.",
    "Women farmers sharing seed, compost and a borrowed tractor.",
    "Grew out of a community kitchen during the pandemic.",
    "Organises clean-up days and keeps the drainage channels open.",
    "Runs a small revolving fund and a child-care rota.",
    "Keeps records of rainfall and harvests for the whole ward.",
)

LEAF_STATUS_RECENT_DAYS = 365


@dataclass(slots=True)
class PlannedGroup:
    id: int
    code: str
    name: str
    kind: str
    layer: str
    parent_id: int | None
    path: str
    depth: int
    founded_on: dt.date
    place_name: str = ""
    admin_area: str = ""
    country_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    status: str = "active"
    status_changed_on: dt.date | None = None
    closed_on: dt.date | None = None
    visibility: str = "public"
    description: str = ""
    style: str = ""  # naming style of its country; "" for the backbone
    cluster: int = -1  # index into ArchitecturePlan.clusters, for leaves


@dataclass(slots=True)
class PlannedLink:
    source: int
    target: int
    kind: str
    weight: float
    started_on: dt.date
    ended_on: dt.date | None


@dataclass(slots=True)
class PlannedSet:
    code: str
    name: str
    kind: str
    description: str
    visibility: str
    members: list[int]


@dataclass
class ArchitecturePlan:
    today: dt.date
    backbone: PlannedGroup
    working_groups: list[PlannedGroup]
    countries: list[PlannedGroup]
    regions: list[PlannedGroup]
    districts: list[PlannedGroup]
    clusters: list[PlannedGroup]
    leaves: list[PlannedGroup]
    cluster_leaves: list[list[PlannedGroup]]
    links: list[PlannedLink] = field(default_factory=list)
    sets: list[PlannedSet] = field(default_factory=list)

    @property
    def groups(self) -> list[PlannedGroup]:
        return [
            self.backbone,
            *self.working_groups,
            *self.countries,
            *self.regions,
            *self.districts,
            *self.clusters,
            *self.leaves,
        ]

    @property
    def demo_region(self) -> PlannedGroup:
        """The region the demo coordinator, lead, member and observer belong to."""
        return self.regions[0]

    @property
    def demo_group(self) -> PlannedGroup:
        """The grassroots group of the demo lead and member: the first active one in the demo region."""
        prefix = self.demo_region.path
        return next(g for g in self.leaves if g.path.startswith(prefix) and g.status == "active")


def _between(rng: random.Random, start: dt.date, end: dt.date, bias: float = 1.0) -> dt.date:
    """A day in [start, end]; bias < 1 leans late (growth accelerates), > 1 leans early."""
    span = (end - start).days
    if span <= 0:
        return start
    return start + dt.timedelta(days=int(span * rng.random() ** bias))


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _jitter(rng: random.Random, lat: float, lon: float, sigma: float) -> tuple[float, float]:
    return (
        round(max(-89.9, min(89.9, rng.gauss(lat, sigma))), 5),
        round(max(-179.9, min(179.9, rng.gauss(lon, sigma))), 5),
    )


def _allocate(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split `total` into len(weights) integer parts ≥ minimum, proportional to the weights."""
    n = len(weights)
    spare = max(0, total - minimum * n)
    weight_sum = sum(weights) or 1.0
    raw = [spare * w / weight_sum for w in weights]
    parts = [minimum + int(r) for r in raw]
    leftover = minimum * n + spare - sum(parts)
    order = sorted(range(n), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: max(0, leftover)]:
        parts[i] += 1
    return parts


def plan_architecture(*, size: Size, seed: int, first_id: int, today: dt.date) -> ArchitecturePlan:
    """Plan every group, link and group set of a demo collective of `size`."""
    rng = random.Random(f"{seed}-tree")
    start = today - dt.timedelta(days=365 * YEARS)
    latest = today - dt.timedelta(days=45)
    next_id = first_id

    def new(parent: PlannedGroup | None, **fields: object) -> PlannedGroup:
        nonlocal next_id
        group_id = next_id
        next_id += 1
        path = f"{parent.path if parent else '/'}{group_id}/"
        depth = parent.depth + 1 if parent else 0
        return PlannedGroup(
            id=group_id,
            parent_id=parent.id if parent else None,
            path=path,
            depth=depth,
            **fields,  # type: ignore[arg-type]
        )

    first_country = COUNTRIES[0]
    backbone = new(
        None,
        code="backbone",
        name="Backbone team",
        kind="backbone",
        layer="support",
        founded_on=start,
        place_name=f"{first_country.capital} (hosted)",
        country_code=first_country.code,
        latitude=first_country.latitude,
        longitude=first_country.longitude,
        description="The small supporting team: pathway, data, funding and the assembly's secretariat.",
    )
    working_groups = [
        new(
            backbone,
            code=code,
            name=name,
            kind="working-group",
            layer="support",
            founded_on=_between(rng, start, start + dt.timedelta(days=1200)),
            visibility="collective" if i % 2 else "public",
        )
        for i, (code, name) in enumerate(WORKING_GROUPS[: size.working_groups])
    ]

    # --- the network layer: countries, regions, districts, clusters -----------------------------
    countries: list[PlannedGroup] = []
    regions: list[PlannedGroup] = []
    districts: list[PlannedGroup] = []
    clusters: list[PlannedGroup] = []
    region_of: dict[int, Region] = {}
    country_of: dict[int, Country] = {}
    village_of: dict[int, str] = {}  # cluster index → its ward's bare name, which groups reuse
    for index, country in enumerate(COUNTRIES[: size.countries]):
        founded = min(latest, start + dt.timedelta(days=60 + index * 200 + rng.randint(0, 120)))
        countries.append(
            new(
                None,
                code=country.code.lower(),
                name=country.name,
                kind="country",
                layer="network",
                founded_on=founded,
                place_name=country.capital,
                admin_area=country.name,
                country_code=country.code,
                latitude=country.latitude,
                longitude=country.longitude,
                style=country.style,
            )
        )
        country_of[countries[-1].id] = country
    for country_group in countries:
        country = country_of[country_group.id]
        count = min(len(country.regions), rng.randint(*size.regions_per_country))
        for region in country.regions[:count]:
            regions.append(
                new(
                    country_group,
                    code=f"{country_group.code}-{region.code}",
                    name=region.name,
                    kind="region",
                    layer="network",
                    founded_on=min(latest, country_group.founded_on + _days(rng, 30, 500)),
                    place_name=region.name,
                    admin_area=f"{region.name}, {country.name}",
                    country_code=country.code,
                    latitude=region.latitude,
                    longitude=region.longitude,
                    style=country.style,
                )
            )
            region_of[regions[-1].id] = region
            country_of[regions[-1].id] = country
    for region_group in regions:
        region, country = region_of[region_group.id], country_of[region_group.id]
        for d in range(rng.randint(*size.districts_per_region)):
            town = region.towns[d % len(region.towns)]
            if d >= len(region.towns):
                town = f"{town} {DISTRICT_SUFFIXES[country.style][(d // len(region.towns) - 1) % 6]}"
            lat, lon = _jitter(rng, region.latitude, region.longitude, region.spread * 0.6)
            districts.append(
                new(
                    region_group,
                    code=f"{region_group.code}-{d + 1:02d}",
                    name=town,
                    kind="district",
                    layer="network",
                    founded_on=min(latest, region_group.founded_on + dt.timedelta(days=rng.randint(30, 400))),
                    place_name=town,
                    admin_area=f"{region.name}, {country.name}",
                    country_code=country.code,
                    latitude=lat,
                    longitude=lon,
                    style=country.style,
                )
            )
            region_of[districts[-1].id] = region
            country_of[districts[-1].id] = country
    for district in districts:
        region, country = region_of[district.id], country_of[district.id]
        assert district.latitude is not None and district.longitude is not None
        for c in range(rng.randint(*size.clusters_per_district)):
            village = place_name(rng, country.style)
            ward = rng.choice(WARD_PARTS[country.style][0]).format(village)
            village_of[len(clusters)] = village
            lat, lon = _jitter(rng, district.latitude, district.longitude, region.spread * 0.15)
            dormant = rng.random() < 0.03
            founded = min(latest, district.founded_on + dt.timedelta(days=rng.randint(0, 300)))
            clusters.append(
                new(
                    district,
                    code=f"{district.code}-{c + 1:02d}",
                    name=CLUSTER_TEMPLATES[country.style].format(village),
                    kind="cluster",
                    layer="network",
                    founded_on=founded,
                    place_name=ward,
                    admin_area=f"{district.name}, {region.name}, {country.name}",
                    country_code=country.code,
                    latitude=lat,
                    longitude=lon,
                    status="dormant" if dormant else "active",
                    status_changed_on=_between(rng, founded, today) if dormant else None,
                    style=country.style,
                )
            )
            region_of[clusters[-1].id] = region

    # --- the action layer: grassroots groups, unevenly spread over the clusters -------------------
    internal = 1 + len(working_groups) + len(countries) + len(regions) + len(districts) + len(clusters)
    leaf_total = max(len(clusters), size.groups - internal)
    counts = _allocate(leaf_total, [rng.gammavariate(2.0, 1.0) for _ in clusters])
    leaves: list[PlannedGroup] = []
    cluster_leaves: list[list[PlannedGroup]] = []
    used_names: dict[str, int] = {}
    for index, (cluster, count) in enumerate(zip(clusters, counts, strict=True)):
        region = region_of[cluster.id]
        assert cluster.latitude is not None and cluster.longitude is not None
        templates = GROUP_TEMPLATES[cluster.style]
        members: list[PlannedGroup] = []
        for n in range(count):
            village = village_of[index] if rng.random() < 0.3 else place_name(rng, cluster.style)
            name = rng.choice(templates).format(village)
            for _ in range(3):  # a name already taken elsewhere: another village, as people would pick
                if name not in used_names:
                    break
                village = place_name(rng, cluster.style)
                name = rng.choice(templates).format(village)
            if name in used_names:  # then say where it is, the way real directories tell them apart
                name = f"{name} ({cluster.admin_area.split(',')[0]})"
            seen = used_names.get(name, 0)
            used_names[name] = seen + 1
            if seen:
                name = f"{name} {_roman(seen + 1)}"
            founded = _between(rng, cluster.founded_on, today - dt.timedelta(days=7))
            status, changed, closed = _leaf_status(rng, founded, today)
            lat, lon = _jitter(rng, cluster.latitude, cluster.longitude, region.spread * 0.05)
            roll = rng.random()
            members.append(
                new(
                    cluster,
                    code=f"{cluster.code}-{n + 1:03d}",
                    name=name,
                    kind="group",
                    layer="action",
                    founded_on=founded,
                    place_name=village,
                    admin_area=cluster.admin_area,
                    country_code=cluster.country_code,
                    latitude=lat,
                    longitude=lon,
                    status=status,
                    status_changed_on=changed,
                    closed_on=closed,
                    visibility="public" if roll < 0.85 else ("collective" if roll < 0.95 else "private"),
                    description=rng.choice(DESCRIPTIONS) if rng.random() < 0.25 else "",
                    style=cluster.style,
                    cluster=index,
                )
            )
        leaves.extend(members)
        cluster_leaves.append(members)

    plan = ArchitecturePlan(
        today=today,
        backbone=backbone,
        working_groups=working_groups,
        countries=countries,
        regions=regions,
        districts=districts,
        clusters=clusters,
        leaves=leaves,
        cluster_leaves=cluster_leaves,
    )
    _make_demo_group_usable(plan)
    plan.links = _plan_links(plan, random.Random(f"{seed}-links"))
    plan.sets = _plan_sets(plan, random.Random(f"{seed}-sets"))
    return plan


def _roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in numerals:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _leaf_status(
    rng: random.Random, founded: dt.date, today: dt.date
) -> tuple[str, dt.date | None, dt.date | None]:
    """(status, status_changed_on, closed_on): young groups are often still forming; a few older ones
    went quiet or closed."""
    age = (today - founded).days
    roll = rng.random()
    if age < LEAF_STATUS_RECENT_DAYS:
        return ("forming", None, None) if roll < 0.55 else ("active", _between(rng, founded, today), None)
    if roll < 0.84:
        return "active", None, None
    changed = _between(rng, founded + dt.timedelta(days=180), today)
    if roll < 0.94:
        return "dormant", changed, None
    return "closed", changed, changed


def _make_demo_group_usable(plan: ArchitecturePlan) -> None:
    """The demo lead's group must exist, be active and be public, whatever the dice said."""
    prefix = plan.demo_region.path
    first = next(g for g in plan.leaves if g.path.startswith(prefix))
    first.status, first.status_changed_on, first.closed_on, first.visibility = "active", None, None, "public"


LINK_KINDS_NEAR = (("partnership", 45), ("mentoring", 25), ("information_flow", 20), ("shared_campaign", 10))
LINK_KINDS_FAR = (("shared_campaign", 50), ("information_flow", 35), ("partnership", 15))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _plan_links(plan: ArchitecturePlan, rng: random.Random) -> list[PlannedLink]:
    """Mostly close ties (same ward, same district), fewer across regions, a few across countries: a
    network with dense neighbourhoods and some bridges."""
    today = plan.today
    links: list[PlannedLink] = []
    seen: set[tuple[int, int, str]] = set()
    leaves = plan.leaves
    by_district: dict[int, list[PlannedGroup]] = {}
    by_region: dict[int, list[PlannedGroup]] = {}
    by_country: dict[str, list[PlannedGroup]] = {}
    district_of_cluster = {c.id: c.parent_id for c in plan.clusters}
    region_of_district = {d.id: d.parent_id for d in plan.districts}
    for leaf in leaves:
        district_id = district_of_cluster[leaf.parent_id]  # type: ignore[index]
        by_district.setdefault(district_id, []).append(leaf)  # type: ignore[arg-type]
        by_region.setdefault(region_of_district[district_id], []).append(leaf)  # type: ignore[arg-type,index]
        by_country.setdefault(leaf.country_code, []).append(leaf)

    def add(a: PlannedGroup, b: PlannedGroup, kind: str) -> None:
        if a.id == b.id:
            return
        if kind == "mentoring" and a.founded_on > b.founded_on:
            a, b = b, a  # the older group mentors the younger one
        if (a.id, b.id, kind) in seen or (b.id, a.id, kind) in seen:
            return
        seen.add((a.id, b.id, kind))
        started = min(today, max(a.founded_on, b.founded_on) + dt.timedelta(days=rng.randint(0, 400)))
        ended = None
        closed = [d for d in (a.closed_on, b.closed_on) if d is not None]
        if closed:
            ended = max(started, min(closed))
        elif rng.random() < 0.07:
            ended = _between(rng, started, today)
        weight = 1.0 if kind == "information_flow" else round(rng.uniform(1.0, 5.0), 1)
        links.append(PlannedLink(a.id, b.id, kind, weight, started, ended))

    countries = list(by_country)
    for leaf in leaves:
        neighbours = plan.cluster_leaves[leaf.cluster]
        if len(neighbours) > 1:
            for _ in range(1 if rng.random() < 0.6 else 2):
                add(leaf, rng.choice(neighbours), _pick(rng, LINK_KINDS_NEAR))
        district_id = district_of_cluster[leaf.parent_id]  # type: ignore[index]
        roll = rng.random()
        if roll < 0.35:
            add(leaf, rng.choice(by_district[district_id]), _pick(rng, LINK_KINDS_NEAR))  # type: ignore[index]
        if rng.random() < 0.12:
            region_id = region_of_district[district_id]  # type: ignore[index]
            add(leaf, rng.choice(by_region[region_id]), _pick(rng, LINK_KINDS_NEAR))  # type: ignore[index]
        if rng.random() < 0.04:
            add(leaf, rng.choice(by_country[leaf.country_code]), _pick(rng, LINK_KINDS_FAR))
        if len(countries) > 1 and rng.random() < 0.008:
            other = rng.choice([c for c in countries if c != leaf.country_code])
            add(leaf, rng.choice(by_country[other]), _pick(rng, LINK_KINDS_FAR))
    # The network layer talks to itself: clusters of a district, districts of a region, countries.
    for level in (plan.clusters, plan.districts, plan.regions):
        siblings: dict[int | None, list[PlannedGroup]] = {}
        for group in level:
            siblings.setdefault(group.parent_id, []).append(group)
        for group in level:
            peers = siblings[group.parent_id]
            if len(peers) > 1 and rng.random() < 0.6:
                add(group, rng.choice(peers), "information_flow")
    for a in plan.countries:
        for b in plan.countries:
            if a.id < b.id and rng.random() < 0.5:
                add(a, b, _pick(rng, LINK_KINDS_FAR))
    for country in plan.countries:
        add(plan.backbone, country, "mentoring")
    return links


def _plan_sets(plan: ArchitecturePlan, rng: random.Random) -> list[PlannedSet]:
    """Thematic networks (by each country's leanings), pathway cohorts by year, campaign alliances."""
    themes = [PlannedSet(code, name, "thematic", text, "public", []) for code, name, text in THEMES]
    first_year = plan.today.year - YEARS + 3
    cohorts = {
        year: PlannedSet(
            f"cohort-{year}",
            f"Pathway cohort {year}",
            "cohort",
            f"Groups that started the collective pathway together in {year}.",
            "collective" if year == plan.today.year else "public",
            [],
        )
        for year in range(first_year, plan.today.year + 1)
    }
    campaigns = [
        (PlannedSet(code, name, "campaign", text, "public", []), set(countries))
        for code, name, text, countries in CAMPAIGNS
    ]
    for leaf in plan.leaves:
        weights = THEME_WEIGHTS[leaf.style]
        if rng.random() < 0.6:
            primary = rng.choices(range(len(themes)), weights=weights)[0]
            themes[primary].members.append(leaf.id)
            if rng.random() < 0.2:
                secondary = rng.choices(range(len(themes)), weights=weights)[0]
                if secondary != primary:
                    themes[secondary].members.append(leaf.id)
        cohort_year = leaf.founded_on.year + 1
        if leaf.status != "forming" and cohort_year in cohorts and rng.random() < 0.4:
            cohorts[cohort_year].members.append(leaf.id)
        for campaign, countries in campaigns:
            if leaf.country_code in countries and rng.random() < 0.05:
                campaign.members.append(leaf.id)
    fellows = PlannedSet(
        "leadership-fellows",
        "Leadership fellows",
        "other",
        "Group leads in the peer-mentoring fellowship (shared with the collective only).",
        "collective",
        [g.id for g in rng.sample(plan.leaves, min(len(plan.leaves), max(5, len(plan.leaves) // 50)))],
    )
    sets = [*themes, *cohorts.values(), *(c for c, _ in campaigns), fellows]
    return [s for s in sets if s.members]
