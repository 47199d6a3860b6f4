"""The record scanner against Python's csv module, on generated CSV text."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from memberkit.ingest.records import RecordScanner, locate

# No lone '\r' in fields: the csv module takes it for a line break, an editor and DuckDB do
# not (CRLF line ends are covered by the crlf flag).
field = st.text(alphabet=st.sampled_from(list('ab,"\n 张')), max_size=6)
record = st.lists(field, min_size=1, max_size=4)


def render(records: list[list[str]], blank_after: list[bool], crlf: bool) -> str:
    newline = "\r\n" if crlf else "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    for fields, blank in zip(records, blank_after, strict=True):
        if fields == [""]:
            buffer.write('""' + newline)  # a lone empty field, quoted: not a blank line
        else:
            writer.writerow(fields)
        if blank:
            buffer.write(newline)
    return buffer.getvalue()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(record, min_size=1, max_size=12),
    st.data(),
    st.booleans(),
    st.integers(min_value=1, max_value=9),
)
def test_scanner_counts_records_like_the_csv_module(records, data, crlf, chunk):
    blanks = data.draw(st.lists(st.booleans(), min_size=len(records), max_size=len(records)))
    raw = render(records, blanks, crlf).encode("utf-8")
    scanner = RecordScanner()
    for i in range(0, len(raw), chunk):  # tiny chunks exercise every boundary case
        scanner.feed(raw[i : i + chunk])
    expected = [r for r in csv.reader(io.StringIO(raw.decode("utf-8"), newline="")) if r]
    assert scanner.finish() == len(expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(record, min_size=2, max_size=10), st.data())
def test_locate_gives_physical_line_numbers(tmp_path_factory, records, data):
    blanks = data.draw(st.lists(st.booleans(), min_size=len(records), max_size=len(records)))
    text = render(records, blanks, crlf=False)
    path = tmp_path_factory.mktemp("loc") / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    reader = csv.reader(io.StringIO(text, newline=""))
    starts = []  # (physical start line, fields) of each non-blank record, the csv module's way
    line = 1
    for fields in reader:
        if fields:
            starts.append((line, fields))
        line = reader.line_num + 1
    ordinals = list(range(len(starts) - 1))  # every data record (header excluded)
    _, found = locate(path, [], ordinals)
    for ordinal in ordinals:
        expected_line, fields = starts[ordinal + 1]
        assert found[ordinal].line == expected_line
        parsed = next(csv.reader(io.StringIO(found[ordinal].raw, newline="")))
        assert parsed == fields


def test_blank_line_split_across_chunks_is_not_a_record():
    scanner = RecordScanner()
    for piece in (b"a,b\n1,2\n", b"\n", b"3,4\r\n", b"\r\n", b"5,6"):
        scanner.feed(piece)
    assert scanner.finish() == 4
