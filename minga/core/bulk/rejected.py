"""The rejected-rows file: the rows as they were sent, plus an `errors` column, to fix and upload again.

Written by import jobs (kept beside the job, downloadable from its page and the API) and by
`minga import` (next to the imported file). Re-uploading it works as is: the `errors` column is ignored.
Cells are neutralised as in every export: the file may be opened by someone other than who sent the
rows (an admin looking at a coordinator's job), and a formula in it must stay text; an import gives the
cell back as it was sent (`formats.unneutralise`).
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any

from minga.core.bulk.formats import neutralise
from minga.core.bulk.mapping import ERRORS_HEADER
from minga.core.bulk.spec import Rejection

BOM = "\ufeff"  # spreadsheet programs read UTF-8 accents right only with it


def rejection_message(rejection: Rejection) -> str:
    """ "Row 7: email: 'x' is not an email address; …" — every problem of the row in one cell."""
    message = "; ".join(p.message if not p.column else f"{p.column}: {p.message}" for p in rejection.problems)
    return f"Row {rejection.row.number}: {message}"


class RejectedRowsWriter:
    """Writes rejected rows as CSV to `target` (a text stream), or to memory when no target is given.

    `headers` are the uploaded file's header cells (an `errors` column already there, from an earlier
    rejected-rows file, is replaced). `append_to` continues an earlier file (a resumed job): its content
    is copied first, header included. `count` is the number of rows written (at least 1 after an
    append): nothing to keep while it is 0."""

    def __init__(self, headers: list[str], target: IO[str] | None = None, *, append_to: Any = None) -> None:
        self.target: IO[str] = target if target is not None else io.StringIO()
        self.in_memory = target is None
        self.writer = csv.writer(self.target, lineterminator="\r\n")
        self.headers = [h for h in headers if h.strip().lower() != ERRORS_HEADER]
        self.count = 0
        if append_to:
            with append_to.open("rb") as handle:
                previous = handle.read().decode("utf-8-sig")
            if not self.in_memory:
                self.target.write(BOM)
            self.target.write(previous)
            self.count = 1  # the earlier file had rows (it exists only then): keep it
        else:
            if not self.in_memory:
                self.target.write(BOM)
            self.writer.writerow([*self.headers, ERRORS_HEADER])

    def write(self, rejections: list[Rejection]) -> None:
        width = len(self.headers)
        for rejection in rejections:
            cells = (list(rejection.row.raw) + [""] * width)[:width]
            self.writer.writerow([*map(neutralise, cells), rejection_message(rejection)])
            self.count += 1

    def getvalue(self) -> bytes:
        """The file's bytes (BOM included), for a writer kept in memory."""
        assert isinstance(self.target, io.StringIO), "getvalue() is for in-memory writers"
        return (BOM + self.target.getvalue()).encode()
