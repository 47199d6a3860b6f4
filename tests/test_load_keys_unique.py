"""merge.keys_unique, the cheap proof that a load repeats none of its keys: it may fail to
prove uniqueness (then the keys are grouped), but must never claim it for keys that repeat."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TX_HEADER, rows, write
from memberkit.ingest import LoadOptions, load_file, merge
from memberkit.ingest.kinds import get_kind

TX = get_kind("transactions")


@pytest.fixture(scope="module")
def table():
    con = duckdb.connect()
    con.execute("create table transactions (txn_id varchar, load_id integer)")
    yield con
    con.close()


def unique(con, ids: list[str], load_id: int = 1) -> bool:
    con.execute("delete from transactions")
    con.execute(
        "insert into transactions select unnest($ids), $load_id", {"ids": ids, "load_id": load_id}
    )
    return merge.keys_unique(con, TX, load_id)


def test_distinct_ticket_numbers_are_proven_unique(table):
    assert unique(table, [f"T{i:010d}" for i in range(1, 5000)])
    assert unique(table, ["1001", "1003", "1002"])
    assert unique(table, ["POS-2026-7", "POS-2026-8"])


def test_a_repeated_key_is_never_proven_unique(table):
    assert not unique(table, [f"T{i:010d}" for i in [*range(1, 5000), 4321]])
    assert not unique(table, ["T1", "T2", "T1"])


def test_what_the_proof_cannot_tell_apart_is_left_to_grouping(table):
    assert not unique(table, ["T1", "T01"])  # distinct keys, the same number
    assert not unique(table, ["A", "B"])  # no digits at the end
    assert not unique(table, [f"T{'9' * 20}", f"T{'9' * 19}8"])  # beyond a bigint


def test_keys_outside_a_sampled_range_still_count(table):
    """Enough rows for the 1% sample of row groups to set the bounds: a key far beyond
    them, repeated, is not in the bitmap and fails the proof."""
    ids = [f"T{i:010d}" for i in range(1, 2_000_001)] + ["T9000000000", "T9000000000"]
    assert not unique(table, ids)
    assert unique(table, ids[:-2])


def test_only_the_load_own_rows_are_looked_at(table):
    table.execute("delete from transactions")
    table.execute("insert into transactions values ('T1', 1), ('T1', 2), ('T2', 2)")
    assert merge.keys_unique(table, TX, 2)  # T1 of load 1 is the earlier-load check's
    table.execute("insert into transactions values ('T2', 2)")
    assert not merge.keys_unique(table, TX, 2)


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 300).map(lambda i: f"T{i}"),
            st.integers(0, 300).map(lambda i: f"T{i:05d}"),
            st.integers(0, 10**12).map(str),
            st.text("0123456789T-", min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_proven_unique_only_when_unique(ids):
    if not SHARED:
        SHARED.append(duckdb.connect())
        SHARED[0].execute("create table transactions (txn_id varchar, load_id integer)")
    if unique(SHARED[0], ids):
        assert len(set(ids)) == len(ids)


SHARED: list = []  # one connection for every example


def test_a_load_taking_the_proof_path_still_finds_its_repeats(con, tmp_path, monkeypatch):
    monkeypatch.setattr(merge, "PROOF_MIN_ROWS", 0)
    lines = [f"T{i:07d},S001,2026-03-01 10:00:00,,12.50,1" for i in range(1000)]
    lines += [lines[10], lines[20].replace("12.50", "9.00")]
    path = write(tmp_path / "t.csv", "\n".join([TX_HEADER, *lines]) + "\n")

    first = write(tmp_path / "s.csv", "\n".join([TX_HEADER, *lines[:1000]]).replace("T", "S"))
    assert load_file(con, first, LoadOptions("transactions")).loaded == 1000  # into no rows

    result = load_file(con, path, LoadOptions("transactions"))

    assert (result.loaded, result.duplicates, result.rejected) == (1000, 1, 1)
    assert rows(con, "select line, reason from rejects") == [
        (1003, "duplicate txn_id with different content (first at line 22)")
    ]
    again = write(
        tmp_path / "u.csv", "\n".join([TX_HEADER, *lines[:1000]]).replace("T", "U") + "\n"
    )
    assert load_file(con, again, LoadOptions("transactions")).loaded == 1000
    assert rows(con, "select count(*), count(distinct txn_id) from transactions") == [(3000, 3000)]
