"""Blank files to fill in: a record type's columns as a header row and a row of example values.

The XLSX template also carries a "Columns" sheet saying what each column holds and whether it is
required, so the spreadsheet explains itself away from the web page.
"""

from __future__ import annotations

import io

from minga.core.bulk.formats import stream_csv
from minga.core.bulk.spec import RecordType


def template_csv(record_type: RecordType) -> bytes:
    """The header row and an example row, as the exports write CSV (UTF-8 with a BOM)."""
    example = [column.example for column in record_type.columns]
    return b"".join(stream_csv(record_type.headers, [example]))


def template_xlsx(record_type: RecordType) -> bytes:
    """A workbook: the first sheet to fill in (header and example row), a second sheet "Columns"."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = record_type.label[:31]
    sheet.append(record_type.headers)
    sheet.append([column.example for column in record_type.columns])
    for index, column in enumerate(record_type.columns, start=1):
        sheet.cell(row=1, column=index).font = bold
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2, len(column.example) + 2)
        # Text cells, so a spreadsheet program keeps codes like "007" and dates as typed.
        sheet.cell(row=2, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    about = workbook.create_sheet("Columns")
    about.append(["Column", "Required", "Description", "Example"])
    for cell in about[1]:
        cell.font = bold
    for column in record_type.columns:
        about.append([column.name, "yes" if column.required else "no", column.description, column.example])
    for letter, width in (("A", 22), ("B", 10), ("C", 70), ("D", 24)):
        about.column_dimensions[letter].width = width
    for row in about.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    about.append([])
    about.append(
        [f"Rows are matched by {record_type.natural_key}: importing the same file again changes nothing."]
    )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
