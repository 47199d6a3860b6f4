"""Hostile-input fuzzing of invisible characters (SPEC 3.1, issue 17 case 3).

Hypothesis sprinkles white space, no-break and ideographic spaces, zero-width characters and
BOMs around every value of a ticket or member file, and zero-width characters and BOMs inside
ids. `check_load` (test_hostile_input) proves the general guarantees in every example (rows
read = loaded + duplicate + rejected in the summary, the ledger and the rejects table); on top
of that, the outcome is predicted exactly from the bare values: an id padded or split by
invisible characters is stored as the bare id, once, and a repeat is a duplicate or, with
other content, a reject.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import MEMBER_HEADER, TX_HEADER, rows, write
from memberkit import db
from test_hostile_input import check_load, fresh_db, fuzz

INSIDE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]  # never data inside an id
PADDING = [" ", "\t", "\u00a0", "\u3000", *INSIDE]
# Quoted line breaks belong only in free text (a quote swallowing lines into an id is a
# stray quote, SPEC 3.1): names may be padded with them too.
pads = st.lists(st.sampled_from(PADDING), max_size=3).map("".join)
name_pads = st.lists(st.sampled_from([*PADDING, "\n", "\r\n"]), max_size=3).map("".join)


@st.composite
def padded(draw, bare: str, inside: bool = False) -> str:
    """`bare` with invisible characters before and after it (and inside, for an id)."""
    value = bare
    if inside and bare and draw(st.booleans()):
        at = draw(st.integers(0, len(bare)))
        value = value[:at] + draw(st.sampled_from(INSIDE)) + value[at:]
    return draw(pads) + value + draw(pads)


def csv_file(header: str, records: list[list[str]]) -> str:
    """A CSV as an exporter writes it: values with line breaks or quotes are quoted."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header.split(","), *records])
    return out.getvalue()


@st.composite
def ticket_files(draw):
    """Tickets whose ids repeat, each written with its own invisible padding; returns the
    rows as written and as they are (bare)."""
    count = draw(st.integers(1, 12))
    bare = [
        (
            draw(st.sampled_from(["T1", "T2", "T3", "00123"])),
            draw(st.sampled_from(["S01", "S02"])),
            draw(st.sampled_from(["M1", "M2", ""])),  # "" is a non-member ticket
            draw(st.sampled_from(["12.50", "3.00"])),
            draw(st.sampled_from(["1", "2"])),
        )
        for _ in range(count)
    ]
    written = [
        [
            draw(padded(txn, inside=True)),
            draw(padded(store, inside=True)),
            draw(padded("2026-03-01 10:00:00")),
            draw(padded(member, inside=True)),
            draw(padded(amount)),
            draw(padded(qty)),
        ]
        for txn, store, member, amount, qty in bare
    ]
    return written, bare


@pytest.mark.slow
@fuzz(30)
@given(ticket_files())
def test_invisible_characters_never_split_an_id_or_lose_a_row(example):
    written, bare = example
    # what the file must give: the first row of each id loads, a later identical row is a
    # duplicate, a later different one a reject
    first: dict[str, tuple] = {}
    duplicates = rejected = 0
    for row in bare:
        if row[0] not in first:
            first[row[0]] = row
        elif first[row[0]] == row:
            duplicates += 1
        else:
            rejected += 1
    with fresh_db() as folder:
        path = write(folder / "tx.csv", csv_file(TX_HEADER, written))
        db_path = folder / "test.duckdb"
        checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
        assert checked.exit_code == 0, checked.output
        assert checked.loads[0][3:] == (len(bare), len(first), 0, duplicates, rejected)
        con = db.connect(db_path)
        try:
            stored = rows(
                con,
                "select txn_id, store_id, txn_time, member_id, amount, item_qty "
                "from transactions order by txn_id",
            )
        finally:
            con.close()
    assert stored == [
        (txn, store, datetime(2026, 3, 1, 10), member or None, Decimal(amount), int(qty))
        for txn, (_, store, member, amount, qty) in sorted(first.items())
    ]


@st.composite
def member_files(draw):
    """Members whose ids repeat; a zero-width character inside a name is the name's own
    (free text keeps it). Returns the rows as written and as they are."""
    written, bare = [], []
    for _ in range(draw(st.integers(1, 8))):
        member_id = draw(st.sampled_from(["M1", "M2", "M3"]))
        name = draw(st.sampled_from(["王芳", "张伟", "Li Na"]))
        name = name[:1] + draw(st.sampled_from(["", "\u200b"])) + name[1:]
        phone = draw(st.sampled_from(["13800138000", ""]))
        bare.append((member_id, name, phone or None))
        written.append(
            [
                draw(padded(member_id, inside=True)),
                draw(name_pads) + name + draw(name_pads),
                draw(padded("女")),
                "",
                draw(padded(phone, inside=True)),
                draw(padded("S01")),
                draw(padded("2024-01-05")),
                "",
            ]
        )
    return written, bare


@fuzz(20)
@given(member_files())
def test_padded_member_ids_are_one_member_and_names_keep_their_inner_characters(example):
    written, bare = example
    first: dict[str, tuple] = {}
    for row in bare:
        first.setdefault(row[0], row)
    with fresh_db() as folder:
        path = write(folder / "members.csv", csv_file(MEMBER_HEADER, written))
        db_path = folder / "test.duckdb"
        checked = check_load(db_path, "members", path, args=("--max-reject-ratio", "1"))
        assert checked.exit_code == 0, checked.output
        duplicates = sum(row == first[row[0]] for row in bare) - len(first)
        rejected = len(bare) - len(first) - duplicates
        assert checked.loads[0][3:] == (len(bare), len(first), 0, duplicates, rejected)
        con = db.connect(db_path)
        try:
            stored = rows(con, "select member_id, name, phone from members order by 1")
        finally:
            con.close()
    assert stored == sorted(first.values())
