"""`export.stream_joined` writes rows given as joined cells (a record type's `export_csv_joined`) byte for
byte as `formats.stream_csv` writes the same cells: quoting, neutralising, line ends and the BOM alike,
whether a block is written in one go or row by row."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from minga.core.bulk.export import JOIN_BYTE, stream_joined
from minga.core.bulk.formats import FORMULA_TRIGGERS, stream_csv

HEADERS = ["a", "b", "c"]

# Text of every kind, weighted towards what makes a cell special: the delimiter, quotes, line ends,
# a formula's first characters, apostrophes, control characters that look like the writer's own marks.
SPECIAL = ",\"\r\n'\x01\x02 ;" + "".join(FORMULA_TRIGGERS)
cells = st.one_of(
    st.text(alphabet=st.sampled_from(SPECIAL + "ab"), max_size=6),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)
rows = st.lists(st.lists(cells, min_size=3, max_size=3), max_size=30)


def joined(block: list[list[str]]) -> list[bytes]:
    return [JOIN_BYTE.join(cell.encode() for cell in row) for row in block]


@given(blocks=st.lists(rows, max_size=4))
def test_joined_rows_are_written_as_csv_writer_writes_them(blocks):
    expected = b"".join(stream_csv(HEADERS, [row for block in blocks for row in block]))
    assert b"".join(stream_joined(HEADERS, [joined(block) for block in blocks])) == expected


def test_a_plain_block_is_written_in_one_go_and_a_special_row_alone_is_looked_at():
    plain = [["P-1", "Amina", "2024-03-01"], ["P-2", "Juan Pérez", ""]]
    special = [["P-3", "=cmd|' /C calc'!A0", ""], ["P-4", 'Say "hi", then go', "x\ny"]]
    chunks = list(stream_joined(HEADERS, [joined(plain), joined(plain + special), []]))
    assert chunks[1] == "P-1,Amina,2024-03-01\r\nP-2,Juan Pérez,\r\n".encode()
    assert chunks[2] == chunks[1] + b"P-3,'=cmd|' /C calc'!A0,\r\n" + b'P-4,"Say ""hi"", then go","x\ny"\r\n'
    assert len(chunks) == 3  # an empty block writes nothing
