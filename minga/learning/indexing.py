"""Keeping the search index in step with the material: chunking, embeddings and the full-text table.

Every practice, resource and session is cut into passages (a few paragraphs each, under their heading)
that carry an anchor (`passage-<n>`) so a citation links to the exact place on the page. The services
call `index_practice` / `index_resource` / `index_session` after each create or update and
`unindex_*` before a delete; nothing else writes passages.

- SQLite: a separate FTS5 table `learning_passage_fts` (rowid = passage id) written here.
- PostgreSQL: a generated `search_vector` tsvector column with a GIN index (see the migration), so
  the database keeps it in step by itself.
- Embeddings: wordllama (256 dimensions, weights shipped with the package, no download) stored as
  float16 bytes on each passage.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Max

from minga.architecture.models import Group
from minga.core.models import Collective
from minga.learning.models import IndexCursor, Passage, PassageKind, Practice, Resource, Session

if TYPE_CHECKING:
    from minga.activities.models import Activity

FTS_TABLE = "learning_passage_fts"
CHUNK_CHARS = 900
MAX_PASSAGES_PER_SOURCE = 5_000
EMBED_DIM = 256

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@functools.cache
def _model() -> Any:
    """The wordllama model, loaded once per process from the package's own files (≈0.2 s)."""
    import wordllama  # type: ignore[import-untyped]
    from wordllama import WordLlama

    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 embeddings of `texts` (one row each)."""
    if not texts:
        return np.zeros((0, EMBED_DIM), dtype=np.float32)
    vectors = np.asarray(_model().embed(list(texts), norm=True), dtype=np.float32)
    return vectors


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype(np.float16).tobytes()


def from_bytes(blob: bytes | memoryview | None) -> np.ndarray:
    if blob is None:
        return np.zeros(EMBED_DIM, dtype=np.float32)
    return np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)


# --- chunking -------------------------------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _pack(paragraphs: Iterable[str], limit: int) -> list[str]:
    """Paragraphs packed into chunks of at most ~`limit` characters; an over-long paragraph is cut at
    sentence ends (and a sentence longer than the limit, at the limit)."""
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        pieces = [paragraph] if len(paragraph) <= limit else split_sentences(paragraph)
        for piece in pieces:
            while len(piece) > limit:
                if current:
                    chunks.append(current)
                    current = ""
                chunks.append(piece[:limit])
                piece = piece[limit:]
            if current and len(current) + len(piece) + 2 > limit:
                chunks.append(current)
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def chunk_markdown(text: str, *, limit: int = CHUNK_CHARS) -> list[tuple[str, str]]:
    """(heading, chunk) pairs: Markdown headings start sections, paragraphs are packed inside them."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    paragraph: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            sections[-1][1].append(" ".join(line.strip() for line in paragraph))
            paragraph.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        match = _HEADING.match(line)
        if match:
            close_paragraph()
            sections.append((match.group(1)[:200], []))
        elif not line.strip():
            close_paragraph()
        else:
            paragraph.append(line)
    close_paragraph()
    result: list[tuple[str, str]] = []
    for heading, paragraphs in sections:
        result.extend((heading, chunk) for chunk in _pack(paragraphs, limit))
    return result


def _tags(tags: Iterable[str]) -> str:
    cleaned = " ".join(t.strip().lower().replace(" ", "-") for t in tags if t and t.strip())
    return f" {cleaned} "[:400] if cleaned else ""


def practice_sections(practice: Practice) -> list[tuple[str, str]]:
    parts = [
        ("Summary", practice.summary),
        ("The problem", practice.problem),
        ("The method", practice.method),
        ("Context", practice.context),
        ("Evidence", practice.evidence),
    ]
    result: list[tuple[str, str]] = []
    for heading, text in parts:
        for sub, chunk in chunk_markdown(text or ""):
            result.append((sub or heading, chunk))
    if practice.pk is not None:
        for attachment in practice.attachments.order_by("id"):
            for sub, chunk in chunk_markdown(attachment.text or ""):
                result.append((sub or f"Attachment: {attachment.title}"[:200], chunk))
    return result


def session_sections(session: Session) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    for heading, text in (("Agenda", session.agenda), ("Notes", session.notes)):
        for sub, chunk in chunk_markdown(text or ""):
            result.append((sub or heading, chunk))
    return result


def resource_sections(resource: Resource) -> list[tuple[str, str]]:
    body = resource.text or ""
    if resource.description:
        body = f"{resource.description}\n\n{body}"
    return chunk_markdown(body)


def group_sections(group: Group) -> list[tuple[str, str]]:
    """A group: one line saying what and where it is, then its description."""
    where = f" in {group.place_name}" if group.place_name else ""
    text = f"{group.name}: {group.kind.name.lower()}{where}."
    if group.description:
        text = f"{text}\n\n{group.description}"
    return [(heading or "About", chunk) for heading, chunk in chunk_markdown(text)]


def activity_sections(activity: Activity) -> list[tuple[str, str]]:
    """An activity: what it is (with its place and area), then its outputs."""
    where = f" in {activity.place_name}" if activity.place_name else ""
    area = activity.get_area_display().lower()
    head = f"{activity.title}: {area}{where}, from {activity.starts_on:%Y-%m-%d}."
    parts = (("Description", f"{head}\n\n{activity.description}"), ("Outputs", activity.outputs))
    result: list[tuple[str, str]] = []
    for heading, text in parts:
        for sub, chunk in chunk_markdown(text or ""):
            result.append((sub or heading, chunk))
    return result


# --- writing the index ----------------------------------------------------------------------------


Source = Practice | Resource | Session | Group | Any


def build_passages(source: Source, *, embedded: bool = True) -> list[Passage]:
    """Unsaved passages (with embeddings unless `embedded` is false) for one source."""
    if isinstance(source, Practice):
        sections = practice_sections(source)
        common: dict[str, Any] = {
            "collective_id": source.collective_id,
            "kind": PassageKind.PRACTICE,
            "practice": source,
            "title": source.title,
            "language": (source.languages or ["en"])[0],
            "tags": _tags(source.tags),
        }
    elif isinstance(source, Resource):
        sections = resource_sections(source)
        common = {
            "collective_id": source.collective_id,
            "kind": PassageKind.RESOURCE,
            "resource": source,
            "title": source.title,
            "language": source.language or "en",
            "tags": _tags(source.tags),
        }
    elif isinstance(source, Group):
        sections = group_sections(source)
        common = {
            "collective_id": source.collective_id,
            "kind": PassageKind.GROUP,
            "group": source,
            "title": source.name[:200],
            "language": "en",
            "tags": _tags([source.kind.code]),
        }
    elif isinstance(source, Session):
        sections = session_sections(source)
        community = source.community
        common = {
            "collective_id": community.collective_id,
            "kind": PassageKind.SESSION,
            "session": source,
            "title": f"{community.name}: {source.title}",
            "language": "en",
            "tags": _tags([community.topic.split(",")[0]]) if community.topic else "",
        }
    else:
        sections = activity_sections(source)
        common = {
            "collective_id": source.collective_id,
            "kind": PassageKind.ACTIVITY,
            "activity": source,
            "title": source.title,
            "language": "en",
            "tags": _tags([source.area]),
        }
    sections = sections[:MAX_PASSAGES_PER_SOURCE]
    passages = [
        Passage(position=i + 1, anchor=f"passage-{i + 1}", heading=heading, text=text, **common)
        for i, (heading, text) in enumerate(sections)
    ]
    if embedded:
        _embed_into(passages)
    return passages


def _embed_into(passages: Sequence[Passage]) -> None:
    vectors = embed([f"{p.title}. {p.heading}. {p.text}" for p in passages])
    for passage, vector in zip(passages, vectors, strict=True):
        passage.embedding = to_bytes(vector)


def _fts_insert(passages: Sequence[Passage]) -> None:
    if connection.vendor != "sqlite" or not passages:
        return
    # Rows left behind under a reused id (e.g. after a test flush) would collide: replace them.
    _fts_delete([p.pk for p in passages])
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE}(rowid, title, heading, text, tags, collective) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(p.pk, p.title, p.heading, p.text, p.tags, p.collective_id) for p in passages],
        )


def _fts_delete(ids: Sequence[int]) -> None:
    if connection.vendor != "sqlite" or not ids:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ",".join(["%s"] * len(batch))
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", batch)


def save_passages(passages: Sequence[Passage], *, batch_size: int = 2_000) -> list[Passage]:
    """Insert passages and their full-text rows (bulk; ids come back from the database)."""
    saved: list[Passage] = []
    for start in range(0, len(passages), batch_size):
        batch = Passage.objects.bulk_create(passages[start : start + batch_size])
        _fts_insert(batch)
        saved.extend(batch)
    forget_semantic_cache()
    return saved


def _source_filter(source: Source) -> dict[str, Any]:
    if isinstance(source, Practice):
        return {"practice": source}
    if isinstance(source, Resource):
        return {"resource": source}
    if isinstance(source, Session):
        return {"session": source}
    if isinstance(source, Group):
        return {"group": source}
    return {"activity": source}


def unindex(source: Source) -> int:
    """Remove the passages of `source` from the index (call before deleting the source)."""
    passages = Passage.objects.filter(**_source_filter(source))
    ids = list(passages.values_list("id", flat=True))
    _fts_delete(ids)
    passages.delete()
    forget_semantic_cache()
    return len(ids)


def index(source: Source) -> int:
    """(Re)index one source: its old passages go, new ones come. Returns the number of passages."""
    unindex(source)
    return len(save_passages(build_passages(source)))


# --- groups and activities: picked up from learning's side ---------------------------------------

REFRESH_BATCH = 1_000


def _refresh_sources(kind: str) -> tuple[Any, str]:
    """The model of a kind indexed from another app, and the related names to load with it."""
    if kind == PassageKind.GROUP:
        return Group, "kind"
    from minga.activities.models import Activity

    return Activity, ""


def search_index_refresh(collective: Collective | int, *, full: bool = False) -> int:
    """Index the groups and activities of a collective changed since the last refresh.

    Architecture and activities never call learning, so learning catches up from its side: per
    collective and kind an `IndexCursor` keeps the newest `updated_at` indexed; rows newer than that are
    (re)indexed in batches, the cursor moves on. Deleted groups and activities take their passages
    with them (foreign keys, CASCADE). `full=True` re-indexes everything (after bulk writes that bypass
    `updated_at`, e.g. `QuerySet.update`). Returns the number of sources indexed."""
    collective_id = collective if isinstance(collective, int) else collective.pk
    done = 0
    for kind in (PassageKind.GROUP, PassageKind.ACTIVITY):
        model, related = _refresh_sources(kind)
        with transaction.atomic():
            cursor, _ = IndexCursor.objects.select_for_update().get_or_create(
                collective_id=collective_id, kind=kind
            )
            rows = model.objects.filter(collective_id=collective_id)
            if cursor.indexed_until is not None and not full:
                rows = rows.filter(updated_at__gt=cursor.indexed_until)
            if related:
                rows = rows.select_related(related)
            newest = cursor.indexed_until
            last_pk = 0
            while True:
                batch = list(rows.filter(pk__gt=last_pk).order_by("pk")[:REFRESH_BATCH])
                if not batch:
                    break
                last_pk = batch[-1].pk
                stale = Passage.objects.filter(**{f"{kind}__in": [r.pk for r in batch]})
                _fts_delete(list(stale.values_list("id", flat=True)))
                stale.delete()
                passages = [p for row in batch for p in build_passages(row, embedded=False)]
                _embed_into(passages)
                save_passages(passages)
                done += len(batch)
                batch_newest = max(r.updated_at for r in batch)
                newest = batch_newest if newest is None else max(newest, batch_newest)
            if newest is None:  # nothing to index yet: remember that everything up to now was seen
                newest = model.objects.filter(collective_id=collective_id).aggregate(m=Max("updated_at"))["m"]
            cursor.indexed_until = newest
            cursor.save(update_fields=["indexed_until", "refreshed_at"])
    if done:
        forget_semantic_cache()
    return done


def search_index_stale(collective_id: int) -> bool:
    """Whether a group or activity of the collective changed since the last refresh (cheap: a cursor
    read and one EXISTS per kind)."""
    cursors = dict(
        IndexCursor.objects.filter(collective_id=collective_id).values_list("kind", "indexed_until")
    )
    for kind in (PassageKind.GROUP, PassageKind.ACTIVITY):
        model, _ = _refresh_sources(kind)
        if kind not in cursors:
            return True
        rows = model.objects.filter(collective_id=collective_id)
        if cursors[kind] is not None:
            rows = rows.filter(updated_at__gt=cursors[kind])
        if rows.exists():
            return True
    return False


def rebuild_fts() -> None:
    """Refill the SQLite full-text table from the passages (repairs a table that drifted)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, title, heading, text, tags, collective) "
            "SELECT id, title, heading, text, tags, collective_id FROM learning_passage"
        )


def forget_semantic_cache() -> None:
    from minga.learning import search

    search.semantic_cache_clear()
