"""Reading uploaded tables (CSV in any common dialect, XLSX, JSON lines) and writing exported ones, with
formula cells neutralised in spreadsheets and restored on the way back in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from minga.core.bulk import get_record_type
from minga.core.bulk.formats import (
    BulkFileError,
    Table,
    detect_format,
    is_bad_json,
    neutralise,
    open_table,
    stream_csv,
    stream_jsonl,
    unneutralise,
    write_xlsx,
)
from minga.people.models import Person
from tests.core.bulk_support import (
    PeopleState,
    file_codes,
    import_file,
    located,
    people_csv,
    write,
    xlsx_bytes,
)


def read(table: Table) -> list[tuple[int, list[str]]]:
    try:
        return list(table.rows)
    finally:
        table.close()


def open_bytes(tmp_path: Path, content: bytes, name: str = "upload.csv", **options: Any) -> Table:
    return open_table(write(tmp_path, content, name), **options)


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_detected(tmp_path, delimiter):
    text = f"name{delimiter}email{delimiter}code\nAmina{delimiter}a@example.org{delimiter}ke-1\n"
    table = open_bytes(tmp_path, text.encode())
    assert table.delimiter == delimiter
    assert table.headers == ["name", "email", "code"]
    assert read(table) == [(2, ["Amina", "a@example.org", "ke-1"])]


def test_csv_delimiter_can_be_chosen(tmp_path):
    table = open_bytes(tmp_path, b"a;b\n1;2\n", delimiter=",")
    assert table.headers == ["a;b"]


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path):
    table = open_bytes(tmp_path, "\ufeffname,email\nJosé,j@example.org\n".encode())
    assert table.encoding == "utf-8-sig"
    assert table.headers == ["name", "email"]
    assert read(table) == [(2, ["José", "j@example.org"])]
    assert table.warnings == []


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_read(tmp_path, codec):
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec]
    table = open_bytes(tmp_path, bom + "name\tcity\nZoë\tNaïrobi\n".encode(codec))
    assert table.headers == ["name", "city"]
    assert read(table) == [(2, ["Zoë", "Naïrobi"])]


def test_windows_1252_is_read_with_a_warning(tmp_path):
    table = open_bytes(tmp_path, "name,city\nJosé Muñoz,Málaga\n".encode("cp1252"))
    assert table.encoding == "cp1252"
    assert read(table) == [(2, ["José Muñoz", "Málaga"])]
    assert len(table.warnings) == 1 and "Windows-1252" in table.warnings[0]


def test_a_chosen_encoding_gives_no_warning(tmp_path):
    table = open_bytes(tmp_path, "name\nJosé\n".encode("cp1252"), encoding="cp1252")
    assert read(table) == [(2, ["José"])] and table.warnings == []


def test_an_unknown_encoding_is_a_clear_error(tmp_path):
    with pytest.raises(BulkFileError) as error:
        open_bytes(tmp_path, b"name\nA\n", encoding="klingon-8")
    assert error.value.problem.code == "unknown_encoding"


def _utf8_file_broken_at_the_end(good_rows: int) -> bytes:
    """UTF-8 for well over the 64 KB the encoding is guessed from, then a Latin-1 byte."""
    rows = [f"KE-{n},p{n}@example.org,Person {n},ke-nai-kib,member" for n in range(good_rows)]
    return people_csv(*rows) + b"KE-X,x@example.org,Jos\xe9,ke-nai-kib,member\r\n"


def test_invalid_utf8_after_the_sample_is_an_error_at_its_row(tmp_path):
    content = _utf8_file_broken_at_the_end(2_000)
    assert len(content) > 64 * 1024
    table = open_bytes(tmp_path, content)
    assert table.encoding == "utf-8"
    with pytest.raises(BulkFileError) as error:
        read(table)
    assert error.value.problem.code == "wrong_encoding"
    assert error.value.problem.message.startswith("Row 2002, column 3: the text can't be read as utf-8.")
    assert "Save the file as UTF-8" in error.value.problem.message


def test_invalid_utf8_late_in_the_file_saves_nothing(world, tmp_path):
    before = PeopleState.now()
    path = write(tmp_path, _utf8_file_broken_at_the_end(2_000))
    report = import_file(path, actor=world.admin, collective=world.alpha)
    assert file_codes(report) == {"wrong_encoding"}
    assert not report.committed
    assert report.summary().startswith("Nothing was imported: Row 2002, column 3: the text can't be read")
    assert PeopleState.now() == before


def test_invalid_utf8_late_in_the_file_keeps_whole_chunks_in_valid_rows_mode(world, tmp_path, monkeypatch):
    monkeypatch.setattr(get_record_type("people"), "chunk_size", 500)
    before = PeopleState.now()
    path = write(tmp_path, _utf8_file_broken_at_the_end(2_000))
    report = import_file(path, actor=world.admin, collective=world.alpha, mode="valid")
    assert file_codes(report) == {"wrong_encoding"}
    assert report.committed and report.created > 0 and report.created % 500 == 0
    assert Person.objects.count() == before.people + report.created
    assert report.summary().startswith(f"Imported {report.rows:,} rows ({report.created:,} created,")
    assert "then stopped: Row 2002, column 3:" in report.summary()


def test_a_chosen_encoding_that_does_not_fit_names_the_row(tmp_path):
    with pytest.raises(BulkFileError) as error:
        read(
            open_bytes(tmp_path, "name,city\nAmina,Nairobi\nJosé,Málaga\n".encode("cp1252"), encoding="utf-8")
        )
    assert error.value.problem.code == "wrong_encoding"
    assert error.value.problem.message.startswith("Row 3, column 1:")


def test_invalid_utf8_late_in_a_json_lines_file_names_the_line(tmp_path):
    lines = (
        b"".join(b'{"full_name": "Person %d"}\n' % n for n in range(5_000)) + b'{"full_name": "Jos\xe9"}\n'
    )
    table = open_bytes(tmp_path, lines, "people.jsonl")
    with pytest.raises(BulkFileError) as error:
        read(table)
    assert error.value.problem.code == "wrong_encoding"
    assert error.value.problem.message.startswith("Row 5001:")


def test_nul_bytes_at_the_start_mean_not_a_text_file(tmp_path):
    with pytest.raises(BulkFileError) as error:
        open_bytes(tmp_path, b"name,email\n\x00\x00\x00\x01")
    assert error.value.problem.code == "not_text"


def test_a_nul_character_in_a_cell_rejects_that_row(world, tmp_path):
    before = PeopleState.now()
    rows = [f"KE-{n},p{n}@example.org,Person {n},ke-nai-kib,member" for n in range(2_000)]
    content = people_csv(*rows, "KE-X,x@example.org,Ba\x00raka,ke-nai-kib,member")
    report = import_file(write(tmp_path, content), actor=world.admin, collective=world.alpha)
    assert located(report) == {(2002, "full_name", "bad_cell")}
    assert "NUL character" in report.problems[0]["message"]
    assert PeopleState.now() == before


def test_quoted_cells_may_span_lines_and_keep_their_delimiters(tmp_path):
    content = b'name,notes,code\n"Amina","line one\nline two, with a comma",ke-1\nBaraka,"say ""hi""",ke-2\n'
    table = open_bytes(tmp_path, content)
    assert read(table) == [
        (2, ["Amina", "line one\nline two, with a comma", "ke-1"]),
        (3, ["Baraka", 'say "hi"', "ke-2"]),
    ]


def test_ragged_rows_are_read_as_they_are(tmp_path):
    table = open_bytes(tmp_path, b"a,b,c\n1\n1,2,3,4\n1,2,3,,\n")
    assert read(table) == [(2, ["1"]), (3, ["1", "2", "3", "4"]), (4, ["1", "2", "3", "", ""])]


def test_empty_rows_are_skipped_and_row_numbers_stay_as_in_the_file(tmp_path):
    table = open_bytes(tmp_path, b"a,b\n\n1,2\n,\n  ,  \n3,4\n")
    assert read(table) == [(3, ["1", "2"]), (6, ["3", "4"])]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"\r\n\r\n   \r\n", "empty_file"),
        (b"\xef\xbb\xbf", "empty_file"),
    ],
    ids=["zero-bytes", "blank-lines", "bom-only"],
)
def test_an_empty_file_is_a_clear_error(tmp_path, content, code):
    with pytest.raises(BulkFileError) as error:
        open_bytes(tmp_path, content)
    assert error.value.problem.code == code
    assert error.value.problem.message == "The file is empty."


def test_a_header_only_file_has_no_rows(tmp_path):
    table = open_bytes(tmp_path, b"name,email\r\n")
    assert table.headers == ["name", "email"] and read(table) == []


def test_a_cell_bigger_than_the_csv_field_limit_is_an_error_not_a_crash(tmp_path):
    table = open_bytes(tmp_path, b"name\n" + b"x" * (17 * 1024 * 1024) + b"\n")
    with pytest.raises(BulkFileError) as error:
        read(table)
    assert error.value.problem.code == "malformed_csv" and "Row 2" in error.value.problem.message


def test_progress_reports_the_fraction_read(tmp_path):
    table = open_bytes(tmp_path, people_csv(*(f"KE-{n},,P{n},," for n in range(20_000))))
    assert (table.fraction_read() or 0) < 0.1
    for number, _ in table.rows:
        if number == 10_000:
            assert 0.2 < (table.fraction_read() or 0) < 0.8
    assert table.fraction_read() == 1.0
    table.close()


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("people.csv", b"a,b", "csv"),
        ("people.TSV", b"a\tb", "csv"),
        ("people.xlsx", b"PK", "xlsx"),
        ("people.jsonl", b"{}", "jsonl"),
        ("upload", b"PK\x03\x04", "xlsx"),
        ("upload", b'\xef\xbb\xbf {"a": 1}', "jsonl"),
        ("upload", b"a,b", "csv"),
    ],
)
def test_format_from_the_name_else_the_first_bytes(tmp_path, name, head, expected):
    path = write(tmp_path, head, "blob")
    assert detect_format(path, name) == expected


# --- XLSX -----------------------------------------------------------------------------------------


def test_xlsx_cells_become_the_text_a_csv_would_hold(tmp_path):
    content = xlsx_bytes(
        [
            ["date", "moment", "count", "whole", "share", "flag", "empty", "text"],
            [dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 10, 30), 42, 7.0, 2.5, True, None, " Amina "],
            [dt.datetime(2023, 6, 15), None, -3, 0, 0.1, False, None, "Baraka"],
        ]
    )
    table = open_bytes(tmp_path, content, "people.xlsx")
    assert table.format == "xlsx"
    assert table.headers == ["date", "moment", "count", "whole", "share", "flag", "empty", "text"]
    assert read(table) == [
        (2, ["2024-03-01", "2024-03-01T10:30:00", "42", "7", "2.5", "true", "", "Amina"]),
        (3, ["2023-06-15", "", "-3", "0", "0.1", "false", "", "Baraka"]),
    ]


def test_xlsx_trailing_blank_headers_are_dropped_and_blank_rows_skipped(tmp_path):
    content = xlsx_bytes([["a", "b", None, None], [1, 2], [None, None], [3, 4]])
    table = open_bytes(tmp_path, content, "t.xlsx")
    assert table.headers == ["a", "b"]
    assert [(n, cells[:2]) for n, cells in read(table)] == [(2, ["1", "2"]), (4, ["3", "4"])]


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1])
def test_a_truncated_xlsx_is_damaged(tmp_path, keep):
    data = xlsx_bytes([["external_id", "full_name"], *([f"KE-{n}", f"P {n}"] for n in range(200))])
    with pytest.raises(BulkFileError) as error:
        read(open_bytes(tmp_path, data[: int(len(data) * keep)], "people.xlsx"))
    assert error.value.problem.code == "damaged_xlsx"
    assert "damaged or incomplete" in error.value.problem.message


def test_a_text_file_named_xlsx_is_damaged(tmp_path):
    with pytest.raises(BulkFileError) as error:
        open_bytes(tmp_path, b"name,email\nA,a@example.org\n", "people.xlsx")
    assert error.value.problem.code == "damaged_xlsx"


def test_an_xlsx_with_an_empty_first_sheet_is_empty(tmp_path):
    with pytest.raises(BulkFileError) as error:
        open_bytes(tmp_path, xlsx_bytes([]), "empty.xlsx")
    assert error.value.problem.code == "empty_file"


# --- JSON lines -----------------------------------------------------------------------------------


def test_json_lines_columns_come_from_the_keys_in_order(tmp_path):
    content = (
        b'{"full_name": "Amina", "skills": ["a", "b"], "active": true}\n'
        b"\n"
        b'{"full_name": "Baraka", "email": "b@example.org", "extra": {"x": 1}, "n": 3}\n'
    )
    table = open_bytes(tmp_path, content, "people.jsonl")
    assert table.headers == ["full_name", "skills", "active", "email", "extra", "n"]
    assert read(table) == [
        (1, ["Amina", "a; b", "true", "", "", ""]),
        (3, ["Baraka", "", "", "b@example.org", '{"x": 1}', "3"]),
    ]


def test_a_bad_json_line_is_a_bad_row_not_the_end_of_the_file(tmp_path):
    content = b'{"full_name": "Amina"}\n{"full_name": "Bar\n[1, 2]\n{"full_name": "Chinedu"}\n'
    rows = read(open_bytes(tmp_path, content, "people.jsonl"))
    assert [n for n, _ in rows] == [1, 2, 3, 4]  # line numbers: there is no header line
    assert is_bad_json(rows[1][1]) and "not valid JSON" in (is_bad_json(rows[1][1]) or "")
    assert is_bad_json(rows[2][1]) == "not a JSON object"
    assert rows[3][1] == ["Chinedu"]


def test_bad_json_lines_are_reported_with_their_row_and_nothing_is_saved(world, tmp_path):
    before = PeopleState.now()
    content = (
        b'{"external_id": "KE-1", "full_name": "Amina", "group": "ke-nai-kib"}\n'
        b'{"external_id": "KE-2", "full_name": \n'
    )
    report = import_file(write(tmp_path, content, "p.jsonl"), actor=world.admin, collective=world.alpha)
    assert located(report) == {(2, None, "bad_row")}
    assert "Row 2 is not valid JSON" in report.problems[0]["message"]
    assert PeopleState.now() == before


def test_a_file_without_a_json_object_is_not_json_lines(tmp_path):
    with pytest.raises(BulkFileError) as error:
        open_bytes(tmp_path, b"[1, 2, 3]\n", "people.jsonl")
    assert error.value.problem.code == "not_jsonl"


# --- writing --------------------------------------------------------------------------------------

DANGEROUS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def csv_rows(chunks: Any) -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("value", DANGEROUS)
def test_csv_export_neutralises_text_that_a_spreadsheet_would_run(value):
    rows = csv_rows(stream_csv(["name"], [[value]]))
    assert rows == [["name"], ["'" + value]]


def test_csv_export_leaves_numbers_dates_and_plain_text_alone():
    rows = csv_rows(
        stream_csv(
            ["a", "b", "c", "d", "e", "f", "g"],
            [[-5, -2.5, 0, dt.date(2024, 3, 1), None, ["x", "y"], "Amina - Nairobi"]],
        )
    )
    assert rows[1] == ["-5", "-2.5", "0", "2024-03-01", "", "x; y", "Amina - Nairobi"]


def test_csv_export_streams_in_batches():
    chunks = list(stream_csv(["n"], ([str(n)] for n in range(5_000)), batch=2_000))
    assert len(chunks) == 1 + 3  # header, then 2,000 + 2,000 + 1,000 rows


@pytest.mark.parametrize("value", [*DANGEROUS, "'=x", "''+1", "'plain", "'", "plain", ""])
def test_neutralised_text_comes_back_unchanged(value):
    assert unneutralise(neutralise(value)) == value


@given(st.text(max_size=20))
def test_neutralise_then_unneutralise_is_the_identity(value):
    assert unneutralise(neutralise(value)) == value
    assert not neutralise(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_export_neutralises_text_but_not_numbers():
    target = io.BytesIO()
    count = write_xlsx(["name", "n"], [[value, -1] for value in DANGEROUS], target, title="People")
    assert count == len(DANGEROUS)
    sheet = load_workbook(io.BytesIO(target.getvalue())).worksheets[0]
    assert sheet.title == "People"
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    # XML has no carriage return in text: the spreadsheet holds "\n" where "\r" was written.
    assert [c[0] for c in cells] == ["'" + v.replace("\r", "\n") for v in DANGEROUS]
    assert all(c[1] == -1 for c in cells)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_json_export_is_not_neutralised():
    lines = b"".join(
        stream_jsonl(["name", "since", "skills"], [[v, dt.date(2024, 3, 1), ("a",)] for v in DANGEROUS])
    )
    objects = [json.loads(line) for line in lines.decode().splitlines()]
    assert [o["name"] for o in objects] == DANGEROUS
    assert objects[0]["since"] == "2024-03-01" and objects[0]["skills"] == ["a"]


def test_an_exported_csv_reads_back_as_the_values_written(tmp_path):
    values = [*DANGEROUS, "'=already quoted", "José", 'say "hi"', "two\nlines"]
    content = b"".join(stream_csv(["n", "name"], [[n, v] for n, v in enumerate(values)]))
    table = open_bytes(tmp_path, content)
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    assert [unneutralise(cells[1]) for _, cells in read(table)] == values
