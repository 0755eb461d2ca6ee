"""Helpers shared by the bulk import/export tests: files on disk, a people CSV, and a snapshot of the
people tables to prove that a refused import saved nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import open_table
from minga.core.bulk.runner import ImportReport, run_import
from minga.core.models import Collective
from minga.people.models import Membership, Person

PEOPLE_HEADER = "external_id,email,full_name,group,role"


def people_csv(*rows: str, header: str = PEOPLE_HEADER) -> bytes:
    return "".join(line + "\r\n" for line in (header, *rows)).encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write(tmp_path: Path, content: bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def import_file(
    path: Path,
    *,
    actor: Any,
    collective: Collective,
    kind: str = "people",
    mapping: dict[str, str] | None = None,
    **options: Any,
) -> ImportReport:
    """Open `path` and run the import as the runner would for a job (all-or-nothing unless told)."""
    return run_import(
        record_type=get_record_type(kind),
        actor=actor,
        collective=collective,
        table=open_table(path),
        mapping=mapping,
        **options,
    )


@dataclass(frozen=True)
class PeopleState:
    people: int
    memberships: int
    sample: tuple[Any, ...] | None

    @classmethod
    def now(cls) -> PeopleState:
        first = Person.objects.order_by("id").values_list("id", "full_name", "email", "external_id").first()
        return cls(Person.objects.count(), Membership.objects.count(), first)


def located(report: ImportReport) -> set[tuple[int | None, str | None, str]]:
    """The report's row problems as (row, column, code)."""
    return {(p.get("row"), p.get("column"), p["code"]) for p in report.problems}


def file_codes(report: ImportReport) -> set[str]:
    return {p["code"] for p in report.file_problems}
