"""Search over the passages a user may see: full-text and semantic, merged into one ranking.

1. *Full-text*: SQLite FTS5 (bm25, title and heading weighted above the body) or PostgreSQL
   (`search_vector @@ to_tsquery('english', …)`, ts_rank_cd). The query never reaches the engine as
   syntax: it is cut into words, each quoted, joined with OR, so quotes, asterisks, NEAR or a stray
   parenthesis are plain words. The visibility rule is part of the same SQL statement (the
   `Passage.objects.visible_to(user)` query as a subquery), so nothing hidden is ranked or counted.
2. *Semantic*: the query's wordllama embedding against every passage of the collective (a numpy matrix
   kept in memory per collective, reloaded when the passages change), best candidates then filtered
   by the same visibility rule.
3. *Fusion*: reciprocal-rank fusion (score = Σ 1 / (60 + rank)) of the two lists.

Snippets are cut around the first matching word and highlighted here (escaped, then `<mark>`), the same
way on both databases.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from minga.core import languages
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.learning.indexing import EMBED_DIM, FTS_TABLE, embed, search_index_refresh, search_index_stale
from minga.learning.models import Community, Passage, PassageKind, Practice, Resource, Session

MAX_QUERY_CHARS = 500
MAX_TERMS = 24
CANDIDATES = 60
SEMANTIC_POOL = 300
SEMANTIC_FLOOR = 0.2  # cosine below this is noise for short texts
RRF_K = 60
FTS_BATCH = 400
COMMON_CAP = 2_000
STAMP_TTL = 2.0
REFRESH_TTL = 2.0  # how often a process checks for changed groups and activities, per collective
COMMON_TTL = 600.0  # a word found everywhere stays common for a while
FTS_ROUNDS = 3
SNIPPET_CHARS = 240

_STOPWORD_TEXT = (
    "a about above after again against all am an and any are as at be because been before being below "
    "between both but by can could did do does doing down during each few for from further had has have "
    "having he her here hers herself him himself his how i if in into is it its itself just me more most "
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she "
    "should so some such than that the their theirs them themselves then there these they this those "
    "through to too under until up very was we were what when where which while who whom why will with "
    "would you your yours yourself yourselves near "
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
_lock = threading.Lock()


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    tag: str = ""
    language: str = ""


@dataclass
class Hit:
    passage: Passage
    score: float
    snippet: SafeString
    url: str
    semantic: float = 0.0
    fulltext_rank: int | None = None

    @property
    def kind(self) -> str:
        return self.passage.kind

    @property
    def title(self) -> str:
        return self.passage.title


@dataclass
class SearchResults:
    query: str
    terms: list[str]
    hits: list[Hit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def terms_of(query: str) -> list[str]:
    """The words of a query that carry meaning: lower-cased, stopwords dropped, duplicates removed."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query[:MAX_QUERY_CHARS].lower()):
        if (word not in STOPWORDS and len(word) > 1) or word.isdigit():
            seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def passage_url(passage: Passage) -> str:
    """The page of the passage's source, with the passage's anchor."""
    slug = passage.collective.slug
    if passage.kind == PassageKind.PRACTICE:
        base = reverse("learning:practice_detail", args=[slug, passage.practice_id])
    elif passage.kind == PassageKind.RESOURCE:
        base = reverse("learning:resource_detail", args=[slug, passage.resource_id])
    elif passage.kind == PassageKind.GROUP:
        return reverse("architecture:group_detail", args=[slug, passage.group_id])
    elif passage.kind == PassageKind.ACTIVITY:
        return reverse("activities:activity_detail", args=[slug, passage.activity_id])
    else:
        base = reverse("learning:session_detail", args=[slug, passage.session_id])
    return f"{base}#{passage.anchor}"


def highlight(text: str, terms: list[str], *, length: int = SNIPPET_CHARS) -> SafeString:
    """A window of `text` around the first matching term, escaped, with the terms in <mark>."""
    lowered = text.lower()
    first = min((i for i in (_find_word(lowered, t) for t in terms) if i >= 0), default=0)
    start = max(0, first - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    window = text[start : start + length]
    prefix = "… " if start else ""
    suffix = " …" if start + length < len(text) else ""
    escaped: str = escape(window)
    if terms:
        pattern = re.compile(r"\b(" + "|".join(re.escape(escape(t)) for t in terms) + r")\w*", re.IGNORECASE)
        escaped = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)
    return mark_safe(f"{prefix}{escaped}{suffix}")


def _find_word(lowered: str, term: str) -> int:
    match = re.search(r"\b" + re.escape(term), lowered)
    return match.start() if match else -1


# --- the candidate set ----------------------------------------------------------------------------


def candidates(
    user: Any,
    *,
    collective: Collective | None = None,
    filters: Filters | None = None,
    within: Practice | Resource | Session | Community | None = None,
) -> QuerySet[Passage]:
    """The passages `user` may see, narrowed by collective, filters and `within` (one source)."""
    qs = Passage.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    if filters is not None:
        if filters.kind:
            qs = qs.filter(kind=filters.kind)
        if filters.tag:
            qs = qs.filter(tags__contains=f" {filters.tag.strip().lower().replace(' ', '-')} ")
        if filters.language:
            qs = qs.filter(language=languages.as_filter(filters.language))
    if isinstance(within, Practice):
        qs = qs.filter(practice=within)
    elif isinstance(within, Resource):
        qs = qs.filter(resource=within)
    elif isinstance(within, Session):
        qs = qs.filter(session=within)
    elif isinstance(within, Community):
        qs = qs.filter(session__community=within)
    return qs


_candidate_cache: OrderedDict[tuple[Any, ...], QuerySet[Passage]] = OrderedDict()
_CANDIDATE_CACHE_SIZE = 256


def _cached_candidates(
    user: Any,
    *,
    collective: Collective | None,
    filters: Filters | None,
    within: Practice | Resource | Session | Community | None,
) -> QuerySet[Passage]:
    """`candidates(...)`, built once per scope and arguments in this process: the visibility rule is
    a large filter that takes Django longer to assemble than the database takes to run it. The cached
    QuerySet holds only the scope's ids and paths (no rows); callers always `filter()` a clone."""
    key = (
        scope_for(user),
        collective.pk if collective is not None else None,
        filters,
        (type(within).__name__, within.pk) if within is not None else None,
    )
    with _lock:
        cached = _candidate_cache.get(key)
        if cached is not None:
            _candidate_cache.move_to_end(key)
            return cached
    qs = candidates(user, collective=collective, filters=filters, within=within)
    with _lock:
        _candidate_cache[key] = qs
        while len(_candidate_cache) > _CANDIDATE_CACHE_SIZE:
            _, evicted = _candidate_cache.popitem(last=False)
            _sql_cache.pop(id(evicted), None)
    return qs


_sql_cache: dict[int, tuple[str, tuple[Any, ...]]] = {}
# (word, cap) → when it was last counted as common
_common_terms: dict[tuple[str, int], float] = {}


def visible_among(qs: QuerySet[Passage], ids: Any) -> set[int]:
    """The ids among `ids` that `qs` (a candidates QuerySet) contains.

    The QuerySet's SQL is compiled once (per cached QuerySet) and the id list appended to its WHERE
    clause: compiling the visibility rule costs more than running it against a few hundred ids."""
    wanted = [int(pk) for pk in ids]
    if not wanted:
        return set()
    key = id(qs)
    with _lock:
        compiled = _sql_cache.get(key)
    if compiled is None:
        sql, params = qs.order_by().values("id").query.sql_with_params()
        compiled = (sql, tuple(params))
        with _lock:
            _sql_cache[key] = compiled
    sql, params = compiled
    joiner = " AND " if " WHERE " in sql else " WHERE "
    found: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            marks = ",".join(["%s"] * len(batch))
            cursor.execute(f'{sql}{joiner}"learning_passage"."id" IN ({marks})', [*params, *batch])
            found.update(row[0] for row in cursor.fetchall())
    return found


# --- full text ------------------------------------------------------------------------------------


def fulltext_ids(
    qs: QuerySet[Passage],
    terms: list[str],
    *,
    collective_ids: list[int] | None = None,
    limit: int = CANDIDATES,
) -> list[int]:
    """Ids of passages in `qs` matching any of `terms`, best first.

    The engine ranks the matches of the collective(s) without the visibility rule (fast: one index
    walk), and the rule is applied to those ids in batches of FTS_BATCH, best first, until `limit`
    visible ones are found. When the first FTS_ROUNDS batches are mostly hidden from this user, one
    query with the rule inside it finishes the job: never a hidden passage, never a missed visible one.
    """
    if not terms:
        return []
    found: list[int] = []
    for round_ in range(FTS_ROUNDS):
        ranked = _ranked(terms, collective_ids, limit=FTS_BATCH, offset=round_ * FTS_BATCH)
        if ranked:
            allowed = visible_among(qs, ranked)
            found.extend(pk for pk in ranked if pk in allowed)
        if len(found) >= limit or len(ranked) < FTS_BATCH:
            return found[:limit]
    return _ranked(terms, collective_ids, limit=limit, offset=0, within=qs)


def selective_terms(terms: list[str]) -> tuple[list[str], bool]:
    """The terms worth selecting with, and whether all of them must match.

    A word found in more than COMMON_CAP passages ("group", "members") adds little to the ranking but
    makes the engine score most of the index. Each term's frequency is counted up to the cap (one
    statement, bounded work); the common ones are dropped when a rarer one was asked. When every term
    is common, passages must contain all of them and the full-text part only selects (no scoring of
    thousands of rows): the meaning of the query orders the fused list."""
    if len(terms) < 2:
        return terms, False
    now = time.monotonic()
    with _lock:
        known = {t for t in terms if now - _common_terms.get((t, COMMON_CAP), -COMMON_TTL) < COMMON_TTL}
    counts: dict[int, int] = {i: COMMON_CAP for i, t in enumerate(terms) if t in known}
    parts = []
    params: list[Any] = []
    for i, term in enumerate(terms):
        if term in known:
            continue
        if connection.vendor == "postgresql":
            parts.append(
                f"SELECT {i}, count(*) FROM (SELECT 1 FROM learning_passage "
                "WHERE search_vector @@ to_tsquery('english', %s) LIMIT %s) AS t"
            )
        else:
            parts.append(
                f"SELECT {i}, count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)"
            )
        params.extend([term if connection.vendor == "postgresql" else f'"{term}"', COMMON_CAP])
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            counts.update(cursor.fetchall())
        with _lock:
            for i, term in enumerate(terms):
                if counts.get(i, 0) >= COMMON_CAP:
                    _common_terms[(term, COMMON_CAP)] = now
    rare = [t for i, t in enumerate(terms) if 0 < counts.get(i, 0) < COMMON_CAP]
    if rare:
        return rare, False
    common = [t for i, t in enumerate(terms) if counts.get(i, 0) >= COMMON_CAP]
    return (common, True) if common else (terms, False)


def _ranked(
    terms: list[str],
    collective_ids: list[int] | None,
    *,
    limit: int,
    offset: int,
    within: QuerySet[Passage] | None = None,
) -> list[int]:
    """Matching passage ids in rank order; `within` puts a whole QuerySet's rule into the statement."""
    where: list[str] = []
    params: list[Any] = []
    id_column = "id" if connection.vendor == "postgresql" else "rowid"
    collective_column = "collective_id" if connection.vendor == "postgresql" else "collective"
    if collective_ids is not None:
        marks = ",".join(["%s"] * len(collective_ids)) or "NULL"
        where.append(f"{collective_column} IN ({marks})")
        params.extend(collective_ids)
    if within is not None:
        sub_sql, sub_params = within.order_by().values("id").query.sql_with_params()
        where.append(f"{id_column} IN ({sub_sql})")
        params.extend(sub_params)
    extra = "".join(f" AND {clause}" for clause in where)
    selective, every = selective_terms(terms)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            order = "id" if every else "ts_rank_cd(search_vector, q) DESC, id"
            cursor.execute(
                "SELECT id FROM learning_passage, to_tsquery('english', %s) AS q "
                f"WHERE search_vector @@ q{extra} ORDER BY {order} LIMIT %s OFFSET %s",
                [(" & " if every else " | ").join(selective), *params, limit, offset],
            )
        else:
            match = (" AND " if every else " OR ").join(f'"{t}"' for t in selective)
            order = "rowid" if every else f"bm25({FTS_TABLE}, 8.0, 4.0, 1.0, 2.0), rowid"
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{extra} "
                f"ORDER BY {order} LIMIT %s OFFSET %s",
                [match, *params, limit, offset],
            )
        return [row[0] for row in cursor.fetchall()]


# --- semantic -------------------------------------------------------------------------------------


@dataclass
class _Matrix:
    stamp: tuple[Any, ...]
    ids: np.ndarray
    vectors: np.ndarray
    checked_at: float = 0.0


_cache: dict[int, _Matrix] = {}


def semantic_cache_clear() -> None:
    """Forget what this process keeps about the material (called whenever passages are written)."""
    with _lock:
        _cache.clear()
        _common_terms.clear()


_refresh_checked: dict[int, float] = {}


def refresh_if_stale(collective_ids: list[int]) -> None:
    """Bring the passages of changed groups and activities up to date before searching: at most every
    REFRESH_TTL seconds per collective and process, one cheap staleness check, and the incremental
    `search_index_refresh` only when something changed."""
    now = time.monotonic()
    for collective_id in collective_ids:
        with _lock:
            if now - _refresh_checked.get(collective_id, -REFRESH_TTL) < REFRESH_TTL:
                continue
            _refresh_checked[collective_id] = now
        if search_index_stale(collective_id):
            search_index_refresh(collective_id)


def _stamp(collective_id: int) -> tuple[Any, ...]:
    """What tells a cached matrix is stale: the newest passage id of the collective (one index seek).
    Indexing never updates a passage in place, it replaces it with new rows, so any change to the
    material raises it; passages deleted since the matrix was loaded are dropped by the visibility
    filter that every candidate goes through."""
    return (Passage.objects.filter(collective_id=collective_id).aggregate(last=Max("id"))["last"],)


def _matrix(collective_id: int) -> _Matrix:
    """Every passage embedding of a collective, as one float32 matrix (reloaded when passages change).

    Indexing in this process drops the matrix at once; a change made by another process is noticed at
    the next check, at most STAMP_TTL seconds later."""
    with _lock:
        cached = _cache.get(collective_id)
    now = time.monotonic()
    if cached is not None and now - cached.checked_at < STAMP_TTL:
        return cached
    stamp = _stamp(collective_id)
    if cached is not None and cached.stamp == stamp:
        cached.checked_at = now
        return cached
    rows = list(
        Passage.objects.filter(collective_id=collective_id, embedding__isnull=False)
        .order_by("id")
        .values_list("id", "embedding")
    )
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vectors = np.zeros((len(rows), EMBED_DIM), dtype=np.float32)
    if rows:
        blob = b"".join(bytes(r[1] or b"") for r in rows)
        vectors = np.frombuffer(blob, dtype=np.float16).reshape(len(rows), EMBED_DIM).astype(np.float32)
    matrix = _Matrix(stamp=stamp, ids=ids, vectors=vectors, checked_at=now)
    with _lock:
        _cache[collective_id] = matrix
    return matrix


def semantic_pool(query_vector: np.ndarray, collective_ids: list[int]) -> list[tuple[int, float]]:
    """(id, cosine) of the passages of these collectives closest in meaning to the query, best first,
    before any visibility rule: the caller keeps only the ids the user may see."""
    pool: list[tuple[int, float]] = []
    for collective_id in collective_ids:
        matrix = _matrix(collective_id)
        if not len(matrix.ids):
            continue
        scores = matrix.vectors @ query_vector
        take = min(SEMANTIC_POOL, len(scores))
        top = np.argpartition(-scores, take - 1)[:take]
        pool.extend((int(matrix.ids[i]), float(scores[i])) for i in top if float(scores[i]) >= SEMANTIC_FLOOR)
    pool.sort(key=lambda item: -item[1])
    return pool


# --- together -------------------------------------------------------------------------------------


def fuse(*rankings: list[int], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of ranked id lists: (id, score), best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def search(
    *,
    user: Any,
    query: str,
    collective: Collective | None = None,
    filters: Filters | None = None,
    within: Practice | Resource | Session | Community | None = None,
    limit: int = 20,
    semantic: bool = True,
) -> SearchResults:
    """The passages `user` may see that best match `query` (full-text and meaning, fused)."""
    query = (query or "").strip()
    results = SearchResults(query=query[:MAX_QUERY_CHARS], terms=terms_of(query))
    if len(query) > MAX_QUERY_CHARS:
        results.problems.append(f"Only the first {MAX_QUERY_CHARS} characters of the question were used.")
    if not results.terms:
        return results
    qs = _cached_candidates(user, collective=collective, filters=filters, within=within)
    if collective is not None:
        collective_ids = [collective.pk]
    else:
        collective_ids = list(Collective.objects.visible_to(user).values_list("id", flat=True))
    refresh_if_stale(collective_ids)
    # The best full-text matches and the nearest in meaning, before the visibility rule; then one
    # query keeps those the user may see.
    first_batch = _ranked(results.terms, collective_ids, limit=FTS_BATCH, offset=0)
    pool = semantic_pool(embed([results.query])[0], collective_ids) if semantic else []
    wanted = set(first_batch) | {pk for pk, _ in pool}
    allowed = visible_among(qs, wanted)
    ranked_text = [pk for pk in first_batch if pk in allowed][:CANDIDATES]
    if len(ranked_text) < CANDIDATES and len(first_batch) == FTS_BATCH:
        # the first batch was mostly hidden from this user: dig further
        ranked_text = fulltext_ids(qs, results.terms, collective_ids=collective_ids)
    similar = [item for item in pool if item[0] in allowed][:CANDIDATES]
    fused = fuse(ranked_text, [pk for pk, _ in similar])[:limit]
    if not fused:
        return results
    cosine = dict(similar)
    text_rank = {pk: i + 1 for i, pk in enumerate(ranked_text)}
    passages = Passage.objects.filter(id__in=[pk for pk, _ in fused]).select_related("collective")
    by_id = {p.pk: p for p in passages}
    for pk, score in fused:
        passage = by_id.get(pk)
        if passage is None:  # deleted between the two queries
            continue
        results.hits.append(
            Hit(
                passage=passage,
                score=score,
                snippet=highlight(passage.text, results.terms),
                url=passage_url(passage),
                semantic=cosine.get(pk, 0.0),
                fulltext_rank=text_rank.get(pk),
            )
        )
    return results


KIND_CHOICES = [("", "Everything"), *PassageKind.choices]
