"""Idempotency, overlapping exports, member updates and atomicity (SPEC 3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import MEMBER_HEADER, TX_HEADER, rows, write
from memberkit.ingest import LoadOptions, load_file
from memberkit.ingest import merge as merge_module

TX = LoadOptions("transactions")
MEMBERS = LoadOptions("members")


def tx_file(tmp_path: Path, name: str, *lines: str) -> Path:
    return write(tmp_path / name, "\n".join([TX_HEADER, *lines]) + "\n")


def member_file(tmp_path: Path, name: str, *lines: str) -> Path:
    return write(tmp_path / name, "\n".join([MEMBER_HEADER, *lines]) + "\n")


def test_same_file_twice_changes_nothing(con, tmp_path):
    path = tx_file(
        tmp_path,
        "oct.csv",
        "T1,S001,2026-10-05 10:00:00,M1,100.00,2",
        "T2,S002,2026-10-06 11:00:00,,50.00,1",
    )
    first = load_file(con, path, TX)
    second = load_file(con, path, TX)
    assert (first.status, first.loaded) == ("loaded", 2)
    assert second.status == "already_loaded"
    assert second.previous_load_id == first.load_id
    assert rows(con, "select count(*) from transactions") == [(2,)]
    assert rows(con, "select count(*) from loads") == [(1,)]


def test_same_content_under_another_name_is_recognised(con, tmp_path):
    body = "T1,S001,2026-10-05 10:00:00,M1,100.00,2"
    load_file(con, tx_file(tmp_path, "a.csv", body), TX)
    again = load_file(con, tx_file(tmp_path, "copy-of-a.csv", body), TX)
    assert again.status == "already_loaded"


def test_overlapping_exports_skip_identical_tickets_and_reject_changed_ones(con, tmp_path):
    load_file(
        con,
        tx_file(
            tmp_path,
            "w1.csv",
            "T1,S001,2026-10-05 10:00:00,M1,100.00,2",
            "T2,S001,2026-10-06 10:00:00,M2,30.00,1",
        ),
        TX,
    )
    result = load_file(
        con,
        tx_file(
            tmp_path,
            "w2.csv",
            "T2,S001,2026-10-06 10:00:00,M2,30.00,1",  # same: skip
            "T1,S001,2026-10-05 10:00:00,M1,999.00,2",  # changed
            "T3,S002,2026-10-07 10:00:00,,10.00,1",
        ),
        LoadOptions("transactions", max_reject_ratio=1.0),
    )
    assert (result.rows_read, result.loaded, result.duplicates, result.rejected) == (3, 1, 1, 1)
    assert rows(con, "select txn_id, amount from transactions order by txn_id") == [
        ("T1", Decimal("100.00")),
        ("T2", Decimal("30.00")),
        ("T3", Decimal("10.00")),
    ]
    assert rows(con, "select line, column_name, reason from rejects") == [
        (3, "txn_id", "txn_id already loaded with different content")
    ]


def test_within_file_first_row_wins(con, tmp_path):
    path = tx_file(
        tmp_path,
        "dup.csv",
        "T1,S001,2026-10-05 10:00:00,M1,100.00,2",
        "T1,S001,2026-10-05 10:00:00,M1,100.00,2",
        "T1,S001,2026-10-05 10:00:00,M1,100.01,2",
    )
    result = load_file(con, path, LoadOptions("transactions", max_reject_ratio=1.0))
    assert (result.loaded, result.duplicates, result.rejected) == (1, 1, 1)
    assert rows(con, "select line, reason from rejects") == [
        (4, "duplicate txn_id with different content (first at line 2)")
    ]


def test_later_member_row_replaces_earlier_and_keeps_history(con, tmp_path):
    load_file(
        con,
        member_file(
            tmp_path,
            "m1.csv",
            "M1,张伟,男,1980-01-02,13800000001,S001,2024-01-05,2025-01-04",
            "M2,王芳,女,,13800000002,S002,2024-02-01,2025-01-31",
        ),
        MEMBERS,
    )
    result = load_file(
        con,
        member_file(
            tmp_path,
            "m2.csv",
            "M1,张伟,男,1980-01-02,13900000009,S001,2024-01-05,2026-01-04",  # new phone, renewed
            "M2,王芳,女,,13800000002,S002,2024-02-01,2025-01-31",  # unchanged
            "M3,李娜,F,1990-05-06,,S001,2026-10-01,",
        ),
        MEMBERS,
    )
    assert (result.rows_read, result.loaded, result.replaced, result.duplicates) == (3, 2, 1, 1)
    assert rows(con, "select member_id, phone, expiry_date from members order by 1") == [
        ("M1", "13900000009", date(2026, 1, 4)),
        ("M2", "13800000002", date(2025, 1, 31)),
        ("M3", None, None),
    ]
    assert rows(con, "select member_id, phone, replaced_by_load_id from members_history") == [
        ("M1", "13800000001", result.load_id)
    ]


def test_members_gender_normalised(con, tmp_path):
    load_file(
        con,
        member_file(
            tmp_path,
            "g.csv",
            "M1,a,男,,,S001,2024-01-05,",
            "M2,b,female,,,S001,2024-01-05,",
            "M3,c,F,,,S001,2024-01-05,",
            "M4,d,?,,,S001,2024-01-05,",
            "M5,e,,,,S001,2024-01-05,",
        ),
        MEMBERS,
    )
    assert rows(con, "select member_id, gender from members order by 1") == [
        ("M1", "M"),
        ("M2", "F"),
        ("M3", "F"),
        ("M4", None),
        ("M5", None),
    ]


def test_failure_mid_load_leaves_no_rows_and_no_ledger_entry(con, tmp_path, monkeypatch):
    load_file(con, tx_file(tmp_path, "first.csv", "T1,S001,2026-10-05 10:00:00,M1,1.00,1"), TX)
    path = tx_file(
        tmp_path,
        "second.csv",
        "T2,S001,2026-10-05 10:00:00,M1,1.00,1",
        "T3,S001,2026-10-05 10:00:00,M1,1.00,1",
    )

    def broken_merge(*args, **kwargs):
        con.execute("insert into transactions select * from transactions")  # half-done work
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(merge_module, "merge", broken_merge)
    with pytest.raises(RuntimeError):
        load_file(con, path, TX)
    assert rows(con, "select txn_id from transactions") == [("T1",)]
    assert rows(con, "select count(*) from loads") == [(1,)]
    assert rows(con, "select count(*) from rejects") == [(0,)]
    monkeypatch.undo()
    # and the file loads normally once the fault is gone
    assert load_file(con, path, TX).loaded == 2


def test_refused_file_loads_nothing_but_is_recorded(con, tmp_path):
    path = tx_file(
        tmp_path, "bad.csv", "T1,S001,2026-10-05 10:00:00,M1,1.00,1", "T2,S001,not a date,M1,1.00,1"
    )
    result = load_file(con, path, TX)
    assert result.status == "refused"
    assert rows(con, "select count(*) from transactions") == [(0,)]
    assert rows(con, "select status, rows_read, rows_rejected from loads") == [("refused", 2, 1)]
    # a refused file is not "already loaded": fixing the ratio lets it through
    retry = load_file(con, path, LoadOptions("transactions", max_reject_ratio=0.5))
    assert (retry.status, retry.loaded, retry.rejected) == ("loaded", 1, 1)


def test_stores_and_targets_replace_by_key(con, tmp_path):
    load_file(
        con,
        write(tmp_path / "s1.csv", "门店编号,门店名称,区域\nS001,徐汇店,华东\n"),
        LoadOptions("stores"),
    )
    load_file(
        con,
        write(
            tmp_path / "s2.csv", "门店编号,门店名称,区域\nS001,徐汇旗舰店,华东\nS002,天河店,华南\n"
        ),
        LoadOptions("stores"),
    )
    assert rows(con, "select store_id, store_name from stores order by 1") == [
        ("S001", "徐汇旗舰店"),
        ("S002", "天河店"),
    ]
    load_file(
        con,
        write(
            tmp_path / "t.csv",
            '月份,门店编号,目标销售额\n2026-10,S001,480000\n2026/11,S001,"¥500,000.00"\n',
        ),
        LoadOptions("targets"),
    )
    assert rows(con, "select month, target_amount from targets order by 1") == [
        (date(2026, 10, 1), Decimal("480000.00")),
        (date(2026, 11, 1), Decimal("500000.00")),
    ]


def test_failure_after_the_bulk_rows_were_committed_leaves_nothing(con, tmp_path, monkeypatch):
    """A file with a repeated ticket commits its rows first and sorts the repeat out in a
    second transaction; a failure there takes the first part out again."""
    load_file(con, tx_file(tmp_path, "first.csv", "T1,S001,2026-10-05 10:00:00,M1,1.00,1"), TX)
    path = tx_file(
        tmp_path,
        "second.csv",
        "T1,S001,2026-10-05 10:00:00,M1,1.00,1",  # already loaded: a repeat to sort out
        "T2,S001,2026-10-05 10:00:00,M1,1.00,1",
    )

    def broken_merge(*args, **kwargs):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(merge_module, "merge", broken_merge)
    with pytest.raises(RuntimeError):
        load_file(con, path, TX)
    assert rows(con, "select txn_id from transactions") == [("T1",)]
    assert rows(con, "select status from loads") == [("loaded",)]
    monkeypatch.undo()
    result = load_file(con, path, TX)
    assert (result.loaded, result.duplicates) == (1, 1)


KILL_AFTER_FIRST_COMMIT = """
import os, sys
from pathlib import Path
from memberkit import db
from memberkit.ingest import LoadOptions, load_file
from memberkit.ingest import merge
merge.merge = lambda *a, **k: os._exit(9)  # dies between the two transactions
con = db.connect(sys.argv[1])
load_file(con, Path(sys.argv[2]), LoadOptions("transactions"))
"""


def test_a_load_killed_between_its_transactions_is_undone_when_the_database_opens(tmp_path):
    import subprocess
    import sys

    from memberkit import db

    db_file = tmp_path / "kill.duckdb"
    con = db.connect(db_file)
    load_file(con, tx_file(tmp_path, "first.csv", "T1,S001,2026-10-05 10:00:00,M1,1.00,1"), TX)
    con.close()
    path = tx_file(
        tmp_path,
        "second.csv",
        "T1,S001,2026-10-05 10:00:00,M1,1.00,1",
        "T2,S001,2026-10-05 10:00:00,M1,2.00,1",
    )
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_COMMIT, str(db_file), str(path)], check=False
    )
    assert killed.returncode == 9
    # the file shows the killed load's first part (seen without memberkit's open, which
    # would undo it) ...
    import duckdb

    raw = duckdb.connect(str(db_file), read_only=True)
    try:
        assert rows(raw, "select status from loads order by load_id") == [
            ("loaded",),
            ("loading",),
        ]
        assert rows(raw, "select count(*) from transactions") == [(3,)]
    finally:
        raw.close()
    # ... and a reader sees the database as it was before the killed load
    reader = db.connect(db_file, read_only=True)
    try:
        assert rows(reader, "select txn_id from transactions order by 1") == [("T1",)]
        assert rows(reader, "select status from loads") == [("loaded",)]
    finally:
        reader.close()
    con = db.connect(db_file)
    try:
        result = load_file(con, path, TX)
        assert (result.status, result.loaded, result.duplicates) == ("loaded", 1, 1)
        assert rows(con, "select txn_id, amount from transactions order by 1") == [
            ("T1", Decimal("1.00")),
            ("T2", Decimal("2.00")),
        ]
    finally:
        con.close()
