"""Parents first: the order in which a groups file is imported, its parent references read as codes.

A parent is a code, or a path of names or codes ("Kenya / Nairobi / Kibera"), and may be a row further
down the file. `TreeOrder` reads the whole file (groups files are thousands of rows, not millions),
resolves every reference against the file and the database, and orders the rows so that each comes after
its parent's row. Rows repeating a code, naming an unknown parent or caught in a parent cycle are refused
with a problem, and so are the rows below them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minga.architecture.models import Group
from minga.core.bulk import SourceRow
from minga.core.errors import Problem
from minga.core.models import Collective

LOOKUP_BATCH = 5_000


class TreeOrder:
    """Orders one groups file. `parents` (row number → the parent's code, None for the top level) and
    `refused` (row number → problems) are what the importer needs afterwards."""

    def __init__(self, *, actor: Any, collective: Collective, with_parents: bool) -> None:
        self.actor = actor
        self.collective = collective
        self.with_parents = with_parents  # the file has a parent column
        self.parents: dict[int, str | None] = {}
        self.refused: dict[int, list[Problem]] = {}
        self.first: dict[str, SourceRow] = {}  # code → the first row with it
        self.malformed: dict[str, int] = {}  # codes of rows the runner rejects as malformed

    def arrange(self, items: list[SourceRow]) -> list[SourceRow]:
        """Malformed rows, then refused rows (both rejected with the first chunk), then the rest with
        parents first, otherwise in file order."""
        for row in items:
            code = row.values.get("code", "")
            if "\x00problem" in row.values:
                if code and code not in self.first:
                    self.malformed.setdefault(code, row.number)
            elif code in self.first:
                self.refuse(
                    row,
                    "code",
                    "duplicate_in_file",
                    f"Code {code!r} is also on row {self.first[code].number}.",
                )
            elif code:
                self.first[code] = row
        if self.with_parents:
            self._resolve()
        ordered = self._parents_first([row for row in items if "\x00problem" not in row.values])
        return [
            *(row for row in items if "\x00problem" in row.values),
            *(row for row in items if row.number in self.refused),
            *ordered,
        ]

    def refuse(self, row: SourceRow, column: str, code: str, message: str) -> None:
        self.refused.setdefault(row.number, []).append(
            Problem(code=code, message=message, field=column, row=row.number, column=column)
        )

    def _parents_first(self, rows: list[SourceRow]) -> list[SourceRow]:
        """File order, except that a row waits for its parent's row; what still waits at the end hangs
        in (or under) a cycle."""
        order: list[SourceRow] = []
        settled: set[int] = set()
        waiting: dict[int, list[SourceRow]] = {}

        def parent_row(row: SourceRow) -> SourceRow | None:
            code = self.parents.get(row.number)
            return self.first.get(code) if code is not None else None

        def settle(start: SourceRow) -> None:
            stack = [start]
            while stack:
                row = stack.pop()
                if row.number in settled:
                    continue
                settled.add(row.number)
                children = waiting.pop(row.number, [])
                if row.number in self.refused:
                    for child in children:
                        if child.number not in self.refused:
                            self.refuse(
                                child,
                                "parent",
                                "parent_rejected",
                                f"The parent {row.values['code']!r} (row {row.number}) was rejected, "
                                "so this group can't be placed.",
                            )
                else:
                    order.append(row)
                stack.extend(reversed(children))

        for row in rows:
            parent = parent_row(row)
            if row.number in self.refused or parent is None or parent.number in settled:
                if parent is not None and parent.number in self.refused and row.number not in self.refused:
                    self.refuse(
                        row,
                        "parent",
                        "parent_rejected",
                        f"The parent {parent.values['code']!r} (row {parent.number}) was rejected, "
                        "so this group can't be placed.",
                    )
                settle(row)
            else:
                waiting.setdefault(parent.number, []).append(row)
        for row in rows:
            if row.number in settled:
                continue
            # `row` waits on a parent that waits on…: following parents must come back round.
            chain: list[SourceRow] = []
            seen: dict[int, int] = {}
            current: SourceRow | None = row
            while current is not None and current.number not in seen:
                seen[current.number] = len(chain)
                chain.append(current)
                current = parent_row(current)
            assert current is not None
            cycle = chain[seen[current.number] :]
            codes = [r.values["code"] for r in cycle]
            for index, member in enumerate(cycle):
                loop = [*codes[index:], *codes[:index], codes[index]]
                self.refuse(
                    member,
                    "parent",
                    "parent_cycle",
                    f"Parent cycle: {' → '.join(loop)}. A group cannot be below itself.",
                )
            for member in cycle:
                settle(member)
        return order

    # -- parent references ------------------------------------------------------------------------------

    def _resolve(self) -> None:
        """Each row's parent as a code: a code as it is (a row of the file or a group of the collective),
        a path by walking the tree as the file will leave it (`_walk`)."""
        codes: dict[int, str] = {}
        paths: dict[int, list[str]] = {}
        rows = list(self.first.values())
        for row in rows:
            reference = row.values["parent"]
            if not reference:
                self.parents[row.number] = None
            elif "/" in reference:
                segments = [s.strip() for s in reference.split("/") if s.strip()]
                if segments:
                    paths[row.number] = segments
                else:
                    self.parents[row.number] = None
            else:
                codes[row.number] = reference
        outside = sorted({c for c in codes.values() if c not in self.first and c not in self.malformed})
        known: set[str] = set()
        for start in range(0, len(outside), LOOKUP_BATCH):
            batch = outside[start : start + LOOKUP_BATCH]
            known.update(
                Group.objects.filter(collective=self.collective, code__in=batch).values_list(
                    "code", flat=True
                )
            )
        by_number = {row.number: row for row in rows}
        for number, code in codes.items():
            row = by_number[number]
            if code in self.first or code in known:
                self.parents[number] = code
            elif code in self.malformed:
                self.refuse(
                    row,
                    "parent",
                    "parent_rejected",
                    f"The parent {code!r} (row {self.malformed[code]}) was rejected, so this group can't be "
                    "placed.",
                )
            else:
                hint = (
                    " To name a parent by its names, write its path, e.g. “Kenya / Nairobi”."
                    if " " in code
                    else ""
                )
                self.refuse(
                    row,
                    "parent",
                    "unknown_parent",
                    f"No group has the code {code!r}, in this file or in the collective.{hint}",
                )
        if paths:
            self._resolve_paths(paths, by_number)

    def _resolve_paths(self, paths: dict[int, list[str]], by_number: dict[int, SourceRow]) -> None:
        names: dict[str, str] = {}  # code → name folded, for every group a path may name
        children: dict[str | None, list[str]] = {}
        visible = (
            Group.objects.visible_to(self.actor)
            .filter(collective=self.collective)
            .order_by()
            .values_list("pk", "code", "name", "parent_id")
        )
        db_rows = list(visible.iterator(chunk_size=5_000))
        code_of = {pk: code for pk, code, _, _ in db_rows}
        for _pk, code, name, parent_id in db_rows:
            if code in self.first:
                continue  # the file's row says where it goes
            names[code] = name.casefold()
            if parent_id is None:
                children.setdefault(None, []).append(code)
            elif parent_id in code_of:
                children.setdefault(code_of[parent_id], []).append(code)
        for code, row in self.first.items():
            names[code] = row.values["name"].casefold()
            if row.number in self.parents:
                children.setdefault(self.parents[row.number], []).append(code)
        pending = dict(paths)
        last: dict[int, str] = {}
        progress = True
        while pending and progress:
            progress = False
            for number, segments in list(pending.items()):
                found, message, final = self._walk(segments, names, children)
                if found is not None:
                    self.parents[number] = found
                    children.setdefault(found, []).append(by_number[number].values["code"])
                    del pending[number]
                    progress = True
                elif final:
                    self.refuse(by_number[number], "parent", "unknown_parent", message)
                    del pending[number]
                else:
                    last[number] = message
        for number in pending:
            self.refuse(by_number[number], "parent", "unknown_parent", last[number])

    def _walk(
        self, segments: Sequence[str], names: dict[str, str], children: dict[str | None, list[str]]
    ) -> tuple[str | None, str, bool]:
        """Where a path leads: from a group named by its code (any the file or the actor's view holds), or
        from a top-level group, down through children named by code or name (in any case). Returns the
        code, or None with why not and whether that is final (a row further on may yet add the group)."""
        first = segments[0]
        if first in names:
            current: str | None = first
            rest = segments[1:]
        else:
            current, rest = None, segments
        for segment in rest:
            options = children.get(current, [])
            if segment in options:
                current = segment
                continue
            folded = segment.casefold()
            matches = [code for code in options if names.get(code) == folded]
            where = f"under {current!r}" if current is not None else "at the top level"
            if len(matches) > 1:
                return (
                    None,
                    f"{segment!r} names {len(matches)} groups {where} ({', '.join(sorted(matches))}): "
                    "give the parent's code instead.",
                    True,
                )
            if not matches:
                return None, f"There is no group {segment!r} {where} that you can see.", False
            current = matches[0]
        return current, "", True
