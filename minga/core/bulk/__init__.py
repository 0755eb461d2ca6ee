"""The one import/export framework. See docs/bulk-data.md.

A record type (groups, people, memberships, links…) plugs in by declaring its columns, its natural key,
an `Importer` that validates and upserts a chunk of rows with set-based SQL, and the rows it exports.
Everything else is shared: file formats (`formats`), column mapping (`mapping`), the import run with its
transaction modes and report (`runner`), jobs with progress and resume (`jobs`), and streamed exports
(`export`). Domain apps register their record types in their AppConfig.ready(); `core` imports none.
"""

from minga.core.bulk.spec import (
    ChunkOutcome,
    Column,
    Importer,
    RecordType,
    Rejection,
    SourceRow,
    get_record_type,
    record_types,
    register,
)

__all__ = [
    "ChunkOutcome",
    "Column",
    "Importer",
    "RecordType",
    "Rejection",
    "SourceRow",
    "get_record_type",
    "record_types",
    "register",
]
