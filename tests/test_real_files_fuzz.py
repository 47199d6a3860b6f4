"""Stray and unbalanced quotes anywhere in otherwise valid files (issue 17, SPEC 3.1).

Every example either loads, with rows read = loaded + duplicate + rejected (check_load) and
no record made of several physical lines (the base files hold no line break inside quotes,
so a row count below the file's lines, or a line break in a stored value or a reject's raw
text, is rows merged), or is refused with exit 3 naming a line. The record scanner reads
such quotes as Python's csv module (and DuckDB) does.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import MEMBER_HEADER, TX_HEADER
from memberkit import db
from memberkit.ingest import KINDS
from memberkit.ingest.records import RecordScanner, locate
from test_hostile_input import check_load, csv_text, fresh_db, fuzz

TICKETS = csv_text(
    TX_HEADER,
    "T1,S01,2026-03-01 10:00:00,M1,12.50,1",
    'T2,"S02, north",2026-03-02 11:00:00,,"￥1,234.50",2',
    "T3,东门店,20260303,M3,-5.00,-1",
    "T4,S01,2026-03-04 10:00:00,M1,1.00,1",
    "T5,S03,2026-03-05 10:00:00,M5,3.00,2",
    "T6,S01,2026-03-06 10:00:00,,4.00,1",
)
MEMBERS = csv_text(
    MEMBER_HEADER,
    "M001,张伟,男,1980-01-02,13800000001,S01,2024-01-05,2025-01-04",
    'M002,"王, 芳",女,,13800000002,S02,2024-02-01,',
    "M003,李四,F,1990-02-03,13800000003,S01,2024-03-01,",
    "M004,O'Brien,M,1991-04-05,13800000004,S02,2024-04-01,2026-04-01",
    "M005,赵六,女,1992-05-06,13800000005,S01,2024-05-01,",
)
# one name legitimately over two lines (a free-text column)
MEMBERS_NAME_OVER_TWO_LINES = MEMBERS.replace("李四", '"李\n四"')
TAB_TICKETS = "".join(  # tab-separated: the commas inside values need no quotes
    "\t".join(r) + "\n" for r in csv.reader(io.StringIO(TICKETS, newline=""))
)
BASE = {
    "transactions": ("transactions", TICKETS),
    "tab-separated": ("transactions", TAB_TICKETS),
    "members": ("members", MEMBERS),
    "two-line-name": ("members", MEMBERS_NAME_OVER_TWO_LINES),
}


def stored_text_values(db_path, kind: str) -> list[str]:
    """Every text value stored by the load, and every rejected row's raw text."""
    table = KINDS[kind].table
    names = [c.name for c in KINDS[kind].columns if c.type == "text"]
    con = db.connect(db_path)
    try:
        values = [v for r in con.execute(f"select {', '.join(names)} from {table}").fetchall()
                  for v in r if v is not None]  # fmt: skip
        values += [r[0] for r in con.execute("select raw from rejects").fetchall() if r[0]]
    finally:
        con.close()
    return values


@pytest.mark.slow
@fuzz(40)
@given(
    base=st.sampled_from(sorted(BASE)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(['"', '"', '""', "drop"])),
        min_size=1,
        max_size=3,
    ),
    nl=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8", "gb18030"]),
)
# CI found it: "" typed inside the quoted two-line name is an escaped quote, not a stray one
@example(base="two-line-name", edits=[(0.4140625, '""')], nl="\n", encoding="utf-8")
def test_stray_quotes_never_merge_rows_silently(base, edits, nl, encoding):
    kind, text = BASE[base]
    header = len(text.split("\n", 1)[0]) + 1  # quotes go into the rows, after the header
    for where, edit in edits:
        at = header + int(where * (len(text) - header))
        if edit == "drop":  # unbalance a quoted value: remove the nearest quote
            quote = text.find('"', at)
            text = text if quote < 0 else text[:quote] + text[quote + 1 :]
        else:
            text = text[:at] + edit + text[at:]
    text = text.replace("\n", nl)
    lines = [line for line in text.replace("\r\n", "\n").split("\n")[1:] if line.strip()]
    legit = "李\n四"  # the one line break a value may hold (two-line-name)
    with fresh_db() as folder:
        path = folder / "quotes.csv"
        path.write_bytes(text.encode(encoding))
        db_path = folder / "t.duckdb"
        checked = check_load(db_path, kind, path, args=("--max-reject-ratio", "1"))
        if checked.exit_code == 0:
            read = checked.loads[0][3]
            # no two lines made one row (but the two of the two-line name)
            assert read >= len(lines) - (base == "two-line-name"), (text, checked.output)
            values = [v.replace("\r\n", "\n") for v in stored_text_values(db_path, kind)]
            # an inserted "" inside the quoted name is an escaped quote, so the name may
            # legitimately hold quotes: judge it without them
            merged = [
                v for v in values if "\n" in v.replace('"', "").replace(legit, "", 1) or "\r" in v
            ]
            assert not merged, (text, merged)
        else:
            assert checked.exit_code == 3, checked.output
            assert f"{path}: line " in checked.stderr, (text, checked.output)
            assert checked.loads == []


# Fields as typed by hand: quotes anywhere, not only around values.
hand_field = st.text(alphabet=st.sampled_from(list('ab,"\n 张')), max_size=6)


@fuzz(200)
@given(
    records=st.lists(st.lists(hand_field, min_size=1, max_size=4), min_size=1, max_size=8),
    chunk=st.integers(min_value=1, max_value=9),
)
def test_the_scanner_reads_stray_quotes_as_the_csv_module_does(records, chunk):
    """Records joined by commas with no quoting rules followed: the scanner's records (and
    where each starts) are the csv module's, in chunks of any size."""
    text = "\n".join(["h", *(",".join(r) for r in records)]) + "\n"
    raw = text.encode("utf-8")
    scanner = RecordScanner()
    for i in range(0, len(raw), chunk):
        scanner.feed(raw[i : i + chunk])
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, line = [], 1
    for fields in reader:
        if fields:
            starts.append((line, fields))
        line = reader.line_num + 1
    assert scanner.finish() == len(starts)
    with fresh_db() as folder:
        path = folder / "f.csv"
        path.write_bytes(raw)
        ordinals = list(range(len(starts) - 1))
        _, found = locate(path, [], ordinals)
    for ordinal in ordinals:
        assert found[ordinal].line == starts[ordinal + 1][0]
