"""Bad input files: every row read is loaded, skipped as a duplicate or rejected (SPEC 3).

Each test writes a small file a person can check by eye. Line numbers are physical lines
in the file (the header is line 1); a refused file leaves the database as it was.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MEMBER_HEADER, TX_HEADER, rows, run_cli, write
from memberkit import db
from memberkit.errors import InputRejected, UsageError
from memberkit.ingest import LoadOptions, load_file
from test_real_values import BAD_TIME, TOO_PRECISE

LENIENT = LoadOptions("transactions", max_reject_ratio=1.0)
GOOD = "S01,2026-03-01 10:00:00,M1,12.50,1"  # a valid row after its txn_id


def tx_file(tmp_path: Path, name: str, *lines: str, nl: str = "\n") -> Path:
    return write(tmp_path / name, nl.join([TX_HEADER, *lines]) + nl)


def load(con, path: Path, options: LoadOptions = LENIENT):
    """Load and check the accounting rule that every test relies on."""
    result = load_file(con, path, options)
    assert result.loaded + result.duplicates + result.rejected == result.rows_read, result
    return result


def rejects(con) -> list[tuple]:
    return rows(con, "select line, column_name, reason from rejects order by line")


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Everything a load can change, to show that a refused file changed nothing."""
    con = db.connect(db_path)
    try:
        return {
            table: rows(con, f"select * from {table} order by all")
            for table in ("transactions", "members", "rejects", "loads")
        }
    finally:
        con.close()


def cli_load(db_path: Path, kind: str, *args):
    return run_cli("--db", db_path, "load", kind, *args)


def seed(db_path: Path) -> dict[str, list[tuple]]:
    """A database with one ticket already loaded; returns its snapshot."""
    con = db.connect(db_path)
    try:
        seed_file = write(db_path.parent / "seed.csv", f"{TX_HEADER}\nT000,{GOOD}\n")
        load(con, seed_file)
    finally:
        con.close()
    return snapshot(db_path)


# --- whole-file problems ------------------------------------------------------------------


def test_empty_file_is_refused_naming_the_file(db_path, tmp_path):
    before = seed(db_path)
    path = write(tmp_path / "empty.csv", "")
    result = cli_load(db_path, "transactions", path)
    assert result.exit_code == 3
    assert str(path) in result.stderr and "empty" in result.stderr
    assert snapshot(db_path) == before


def test_empty_file_raises_input_rejected(con, tmp_path):
    with pytest.raises(InputRejected, match="empty.csv"):
        load_file(con, write(tmp_path / "empty.csv", ""), LENIENT)
    assert rows(con, "select count(*) from loads") == [(0,)]


def test_header_only_loads_zero_rows(db_path, tmp_path):
    path = write(tmp_path / "header.csv", TX_HEADER + "\n")
    result = cli_load(db_path, "transactions", path)
    assert result.exit_code == 0, result.stderr
    assert f"{path}: 0 read, 0 loaded, 0 duplicate, 0 rejected" in result.stdout
    con = db.connect(db_path)
    try:
        assert rows(con, "select status, rows_read, rows_loaded from loads") == [("loaded", 0, 0)]
        assert rows(con, "select count(*) from transactions") == [(0,)]
    finally:
        con.close()


def test_semicolon_file_is_detected_and_loads(con, tmp_path):
    # Behaviour chosen by the code: the delimiter is detected from the header line.
    path = write(
        tmp_path / "semi.csv",
        TX_HEADER.replace(",", ";") + "\n"
        "T1;S01;2026-03-01 10:00:00;M1;12.50;2\n"
        "T2;S02;2026-03-02 11:00:00;;3.00;1\n",
    )
    result = load(con, path)
    assert (result.delimiter, result.rows_read, result.loaded) == (";", 2, 2)
    assert rows(
        con,
        "select txn_id, store_id, member_id, amount, item_qty from transactions order by txn_id",
    ) == [("T1", "S01", "M1", Decimal("12.50"), 2), ("T2", "S02", None, Decimal("3.00"), 1)]


def test_semicolon_file_with_decimal_commas_rejects_the_amounts(con, tmp_path):
    # '12,50' is not read as 12.50 (nor as 1250): it is rejected, never guessed.
    path = write(
        tmp_path / "semi.csv",
        TX_HEADER.replace(",", ";") + "\nT1;S01;2026-03-01 10:00:00;M1;12,50;2\n",
    )
    load(con, path)
    assert rejects(con) == [(2, "amount", "amount not a number")]
    assert rows(con, "select count(*) from transactions") == [(0,)]


NO_ITEM_QTY = TX_HEADER.rsplit(",", 1)[0] + "\nT1,S01,2026-03-01 10:00:00,M1,1.00\n"
SEMICOLONS = TX_HEADER.replace(",", ";") + "\nT1;S01;2026-03-01 10:00:00;M1;1.00;1\n"


@pytest.mark.parametrize(
    ("text", "args", "missing"),
    [
        pytest.param(NO_ITEM_QTY, [], "item_qty", id="missing-item_qty-column"),
        pytest.param(SEMICOLONS, ["--delimiter", ","], "txn_id", id="forced-wrong-delimiter"),
    ],
)
def test_header_without_a_required_column_is_refused_naming_it(
    db_path, tmp_path, text, args, missing
):
    before = seed(db_path)
    path = write(tmp_path / "bad_header.csv", text)
    result = cli_load(db_path, "transactions", path, *args)
    assert result.exit_code == 3, result.stderr
    assert str(path) in result.stderr
    assert missing in result.stderr
    assert "unexpected error" not in result.stderr
    assert snapshot(db_path) == before


def test_members_file_loaded_as_transactions_is_refused_with_a_hint(db_path, tmp_path):
    before = seed(db_path)
    path = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + "\nM001,张伟,男,1980-01-02,13800000001,S01,2024-01-05,2025-01-04\n",
    )
    result = cli_load(db_path, "transactions", path)
    assert result.exit_code == 3
    assert str(path) in result.stderr
    assert "txn_id" in result.stderr and "amount" in result.stderr
    assert "memberkit load members" in result.stderr
    assert snapshot(db_path) == before


def test_path_that_does_not_exist_is_a_usage_error(db_path, tmp_path):
    before = seed(db_path)
    missing = tmp_path / "no" / "such.csv"
    result = cli_load(db_path, "transactions", missing)
    assert result.exit_code == 2
    assert str(missing) in result.stderr
    assert snapshot(db_path) == before
    con = db.connect(db_path)
    try:
        with pytest.raises(UsageError, match="such.csv"):
            load_file(con, missing, LENIENT)
    finally:
        con.close()


# --- line endings, quoting and blank lines -----------------------------------------------


def test_mixed_line_endings_load_every_row(con, tmp_path):
    path = write(
        tmp_path / "mixed.csv",
        f"{TX_HEADER}\r\nT1,{GOOD}\nT2,{GOOD}\r\nT3,S01,2026-13-01,M1,1,1\nT4,{GOOD}\n",
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (4, 3, 1)
    assert rows(con, "select txn_id, store_id, item_qty from transactions order by txn_id") == [
        ("T1", "S01", 1),
        ("T2", "S01", 1),
        ("T4", "S01", 1),
    ]
    assert rejects(con) == [(4, "txn_time", BAD_TIME)]


def test_windows_crlf_file_loads(con, tmp_path):
    # Every Windows export (and Excel's "CSV UTF-8") ends lines with CRLF.
    path = tx_file(
        tmp_path, "crlf.csv", f"T1,{GOOD}", "T2,S01,2026-02-30,M1,1,1", f"T3,{GOOD}", nl="\r\n"
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (3, 2, 1)
    assert rows(con, "select txn_id from transactions order by txn_id") == [("T1",), ("T3",)]
    assert rejects(con) == [(3, "txn_time", BAD_TIME)]


def test_old_mac_cr_only_line_endings_are_loaded_or_clearly_refused(db_path, tmp_path):
    path = tx_file(tmp_path, "cr.csv", f"T1,{GOOD}", f"T2,{GOOD}", nl="\r")
    result = cli_load(db_path, "transactions", path)
    assert "unexpected error" not in result.stderr
    if result.exit_code == 0:
        con = db.connect(db_path)
        try:
            assert rows(con, "select txn_id from transactions order by 1") == [("T1",), ("T2",)]
        finally:
            con.close()
    else:
        assert result.exit_code == 3
        assert str(path) in result.stderr


def test_quoted_commas_and_newlines_load_intact_and_later_lines_keep_physical_numbers(
    con, tmp_path
):
    # line breaks inside quotes only in a column not read (free text: SPEC 3.1; in an id
    # column they refuse the file, see test_real_files.py)
    path = write(
        tmp_path / "quoted.csv",
        (
            f"{TX_HEADER},备注\n"
            'T1,"S01, east gate",2026-03-01 10:00:00,M1,12.50,1,"paid\nsecond line"\n'  # 2-3
            'T2,"S02 ""north""",2026-03-01 10:00:00,M2,1.00,1,"a\nb\nc"\n'  # lines 4-6
            "T3,S01,2026-02-30 10:00:00,M1,1.00,1,\n"  # line 7: bad date
            f"T4,{GOOD},\n"  # line 8
            "T5,S01,2026-03-01 10:00:00,M1,1.00,x,\n"  # line 9: bad qty
        ),
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (5, 3, 2)
    assert rows(con, "select txn_id, store_id, member_id from transactions order by txn_id") == [
        ("T1", "S01, east gate", "M1"),
        ("T2", 'S02 "north"', "M2"),
        ("T4", "S01", "M1"),
    ]
    assert rejects(con) == [(7, "txn_time", BAD_TIME), (9, "item_qty", "not a whole number")]


def test_too_many_and_too_few_columns_are_rejected_with_their_lines(con, tmp_path):
    path = tx_file(
        tmp_path,
        "columns.csv",
        f"T1,{GOOD}",
        f"T2,{GOOD},extra",  # line 3: 7 fields
        "T3,S01,2026-03-01 10:00:00,M1,12.50",  # line 4: 5 fields
        f"T4,{GOOD}",
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (4, 2, 2)
    assert rows(con, "select txn_id from transactions order by 1") == [("T1",), ("T4",)]
    found = rows(con, "select line, reason, raw from rejects order by line")
    assert [(line, raw) for line, _, raw in found] == [
        (3, f"T2,{GOOD},extra"),
        (4, "T3,S01,2026-03-01 10:00:00,M1,12.50"),
    ]
    assert found[0][1].startswith("too many columns")
    assert found[1][1].startswith("too few columns")


def test_nul_bytes_are_kept_in_text_and_rejected_in_numbers(con, tmp_path):
    path = tx_file(
        tmp_path,
        "nul.csv",
        "T1,S0\x001,2026-03-01 10:00:00,M1,1.00,1",  # text: kept as is
        "T2,S01,2026-03-01 10:00:00,M1,1\x002.00,1",  # amount: not a number
        "T3,S01,2026-03-01 10:00:00,M1,1.00,\x003",  # qty: not a number
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (3, 1, 2)
    # not truncated at the NUL, not silently dropped
    assert rows(con, "select txn_id, store_id from transactions") == [("T1", "S0\x001")]
    assert rejects(con) == [
        (3, "amount", "amount not a number"),
        (4, "item_qty", "not a whole number"),
    ]


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_blank_lines_are_not_rows_and_do_not_shift_line_numbers(con, tmp_path, nl):
    path = write(
        tmp_path / "blank.csv",
        nl.join(
            [
                TX_HEADER,  # 1
                "",  # 2
                f"T1,{GOOD}",  # 3
                "",  # 4
                "",  # 5
                "T2,S01,2026-02-30 10:00:00,M1,1.00,1",  # 6: bad date
                f"T3,{GOOD}",  # 7
                "",  # 8
                "T4,S01,2026-03-01 10:00:00,M1,1.00,x",  # 9: bad qty
                "",  # 10
            ]
        )
        + nl,
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (4, 2, 2)
    assert rejects(con) == [(6, "txn_time", BAD_TIME), (9, "item_qty", "not a whole number")]


# --- bad values -------------------------------------------------------------------------


def test_impossible_dates_are_rejected_naming_txn_time(con, tmp_path):
    path = tx_file(
        tmp_path,
        "dates.csv",
        "T1,S01,2026-02-30 10:00:00,M1,1.00,1",
        "T2,S01,2026-13-01 10:00:00,M1,1.00,1",
        "T3,S01,2026-02-28 23:59:59,M1,1.00,1",
    )
    result = load(con, path)
    assert (result.loaded, result.rejected) == (1, 2)
    found = rejects(con)
    assert [(line, column) for line, column, _ in found] == [(2, "txn_time"), (3, "txn_time")]
    assert all("date" in reason for _, _, reason in found)
    assert rows(con, "select txn_id, txn_time from transactions") == [
        ("T3", datetime(2026, 2, 28, 23, 59, 59))
    ]


def test_amounts_are_exact_or_rejected(con, tmp_path):
    path = tx_file(
        tmp_path,
        "amounts.csv",
        'T1,S01,2026-03-01 10:00:00,M1,"12,3a",1',  # 2: rejected
        "T2,S01,2026-03-01 10:00:00,M1,1.234,1",  # 3: rejected (3 decimals)
        'T3,S01,2026-03-01 10:00:00,M1,"¥1,234.50",1',
        "T4,S01,2026-03-01 10:00:00,M1,-12.00,1",
        "T5,S01,2026-03-01 10:00:00,M1,12.300,1",  # trailing zero: fine
        "T6,S01,2026-03-01 10:00:00,M1,12.305,1",  # 7: rejected
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.rejected) == (6, 3, 3)
    assert rows(con, "select txn_id, amount from transactions order by txn_id") == [
        ("T3", Decimal("1234.50")),
        ("T4", Decimal("-12.00")),
        ("T5", Decimal("12.30")),
    ]
    assert rejects(con) == [
        (2, "amount", "amount not a number"),
        (3, "amount", TOO_PRECISE),
        (7, "amount", TOO_PRECISE),
    ]


def test_item_qty_must_be_a_plain_whole_number(con, tmp_path):
    # DuckDB's own cast would turn 3.5 into 4 and 0x10 into 16.
    path = tx_file(
        tmp_path,
        "qty.csv",
        "T1,S01,2026-03-01 10:00:00,M1,1.00,3.5",
        "T2,S01,2026-03-01 10:00:00,M1,1.00,0x10",
        "T3,S01,2026-03-01 10:00:00,M1,1.00,-2",
        "T4,S01,2026-03-01 10:00:00,M1,1.00,007",
    )
    result = load(con, path)
    assert (result.loaded, result.rejected) == (2, 2)
    assert rows(con, "select txn_id, item_qty from transactions order by 1") == [
        ("T3", -2),
        ("T4", 7),
    ]
    assert rejects(con) == [
        (2, "item_qty", "not a whole number"),
        (3, "item_qty", "not a whole number"),
    ]


def test_missing_txn_id_is_a_missing_required_value(con, tmp_path):
    path = tx_file(tmp_path, "noid.csv", f",{GOOD}", f"   ,{GOOD}", f"T3,{GOOD}")
    result = load(con, path)
    assert (result.loaded, result.rejected) == (1, 2)
    assert rejects(con) == [
        (2, "txn_id", "missing required value"),
        (3, "txn_id", "missing required value"),
    ]


def test_duplicate_ids_in_one_file(con, tmp_path):
    path = tx_file(
        tmp_path,
        "dups.csv",
        f"T1,{GOOD}",  # 2: loaded
        f"T2,{GOOD}",  # 3: loaded
        f"T1,{GOOD}",  # 4: identical -> duplicate
        "T1,S01,2026-03-01 10:00:00,M1,99.00,1",  # 5: different -> rejected
        "T2,S01,2026-03-01 10:00:00,M1,12.5,1",  # 6: same value -> duplicate
    )
    result = load(con, path)
    assert (result.rows_read, result.loaded, result.duplicates, result.rejected) == (5, 2, 2, 1)
    assert rows(con, "select txn_id, amount from transactions order by 1") == [
        ("T1", Decimal("12.50")),
        ("T2", Decimal("12.50")),
    ]
    assert rejects(con) == [
        (5, "txn_id", "duplicate txn_id with different content (first at line 2)")
    ]


# --- refusing a file, exporting rejects, text kept as text ------------------------------


def test_more_than_one_percent_bad_rows_refuses_the_whole_file(db_path, tmp_path):
    before = seed(db_path)
    good = [f"T{i:03d},{GOOD}" for i in range(1, 100)]  # 99 good rows: lines 2-100
    path = tx_file(
        tmp_path,
        "mostly_good.csv",
        *good,
        "T100,S01,2026-02-30 10:00:00,M1,1.00,1",  # line 101
        "T101,S01,2026-03-01 10:00:00,M1,abc,1",  # line 102
    )
    result = cli_load(db_path, "transactions", path)
    assert result.exit_code == 3
    assert f"{path}: 101 read, REFUSED: 2 rejected, nothing loaded" in result.stdout
    assert str(path) in result.stderr and "nothing from this file was loaded" in result.stderr
    after = snapshot(db_path)
    assert after["transactions"] == before["transactions"]
    con = db.connect(db_path)
    try:
        assert rows(
            con,
            "select file_name, status, rows_read, rows_loaded, rows_rejected "
            "from loads order by load_id",
        ) == [("seed.csv", "loaded", 1, 1, 0), ("mostly_good.csv", "refused", 101, 0, 2)]
        assert rows(con, "select line, column_name from rejects order by line") == [
            (101, "txn_time"),
            (102, "amount"),
        ]
    finally:
        con.close()


def test_one_percent_bad_rows_is_still_loaded(db_path, tmp_path):
    good = [f"T{i:03d},{GOOD}" for i in range(1, 101)]
    path = tx_file(tmp_path, "ok.csv", *good, "T101,S01,2026-03-01 10:00:00,M1,abc,1")
    result = cli_load(db_path, "transactions", path)
    assert result.exit_code == 0, result.stderr
    assert f"{path}: 101 read, 100 loaded, 0 duplicate, 1 rejected" in result.stdout
    assert "line 102, column amount" in result.stderr


def test_rejects_option_writes_a_bom_csv_with_file_line_column_reason_raw(db_path, tmp_path):
    path = tx_file(
        tmp_path,
        "some_bad.csv",
        f"T1,{GOOD}",
        "T2,东门店,2026-02-30 10:00:00,M1,1.00,1",
        "T3,S01,2026-03-01 10:00:00,M1,1.00,x",
    )
    out = tmp_path / "out" / "rejects.csv"
    result = cli_load(db_path, "transactions", path, "--max-reject-ratio", "1", "--rejects", out)
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table == [
        ["file", "line", "column", "reason", "raw"],
        [
            "some_bad.csv",
            "3",
            "txn_time",
            BAD_TIME,
            "T2,东门店,2026-02-30 10:00:00,M1,1.00,1",
        ],
        [
            "some_bad.csv",
            "4",
            "item_qty",
            "not a whole number",
            "T3,S01,2026-03-01 10:00:00,M1,1.00,x",
        ],
    ]


def test_leading_zeros_and_phones_stay_text(con, tmp_path):
    tx = tx_file(tmp_path, "tx.csv", "00123,007,2026-03-01 10:00:00,000456,1.00,1")
    members = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + "\n"
        "000789,张伟,男,1980-01-02,13812345678,007,2024-01-05,\n"
        "0001,王芳,女,,01012345678,东门店,2024-02-01,2025-01-31\n",
    )
    load(con, tx)
    load(con, members, LoadOptions("members"))
    assert rows(con, "select txn_id, store_id, member_id from transactions") == [
        ("00123", "007", "000456")
    ]
    assert rows(con, "select member_id, phone, store_id from members order by 1") == [
        ("0001", "01012345678", "东门店"),
        ("000789", "13812345678", "007"),
    ]


def test_unknown_extra_column_is_loaded_with_a_warning_naming_it(db_path, tmp_path):
    path = write(tmp_path / "extra.csv", TX_HEADER + f",收银员\nT1,{GOOD},小李\n")
    result = cli_load(db_path, "transactions", path)
    assert result.exit_code == 0, result.stderr
    assert "1 read, 1 loaded" in result.stdout
    assert "收银员" in result.stderr and "warning" in result.stderr
    con = db.connect(db_path)
    try:
        assert rows(con, "select txn_id, store_id from transactions") == [("T1", "S01")]
    finally:
        con.close()


# --- property: the accounting holds for any mix of good and bad rows ---------------------

# Each value comes with what it should load as; None in the second place marks a bad value.
TIMES = [
    ("2026-03-01 10:00:00", datetime(2026, 3, 1, 10)),
    ("2026/03/02 08:30", datetime(2026, 3, 2, 8, 30)),
    ("20260303", datetime(2026, 3, 3)),
    (" 2026-03-04 09:00:00 ", datetime(2026, 3, 4, 9)),
    ("2026-02-30 10:00:00", None),
    ("2026-13-01", None),
    ("yesterday", None),
]
AMOUNTS = [
    ("12.50", Decimal("12.50")),
    ("12.5", Decimal("12.50")),
    ("¥1,234.50", Decimal("1234.50")),
    ("-3", Decimal("-3.00")),
    (" 7.25  ", Decimal("7.25")),
    ("+7.10", Decimal("7.10")),
    ("1.234", None),
    ("12,3a", None),
    ("abc", None),
]
QTYS = [("1", 1), ("2", 2), (" 3 ", 3), ("007", 7), ("3.5", None), ("0x10", None)]
# Padding by spaces only keeps a file "plain" (the fast trimming path); tabs, quotes and
# full-width spaces anywhere in the file take the careful one.
# (no line breaks: inside quotes they are for free-text columns only, SPEC 3.1)
STORES = ["S01", "S02", "东门店", " S04", "S05  ", "S01, east", ' S03 "x" ']
MEMBERS = ["M1", "", " ", "M,3", "\u3000M6", "M7\t"]
IDS = ["T1", "T2", "T3", "T4", "T5", ""]


@dataclass
class GenRow:
    txn_id: str
    store: str
    time: tuple[str, datetime | None]
    member: str
    amount: tuple[str, Decimal | None]
    qty: tuple[str, int | None]
    width: int  # fields written: 6, or fewer/more for a malformed row

    def fields(self) -> list[str]:
        full = [self.txn_id, self.store, self.time[0], self.member, self.amount[0], self.qty[0]]
        return full[: self.width] if self.width < 6 else full + ["x"] * (self.width - 6)


gen_rows = st.builds(
    GenRow,
    txn_id=st.sampled_from(IDS),
    store=st.sampled_from(STORES),
    time=st.sampled_from(TIMES),
    member=st.sampled_from(MEMBERS),
    amount=st.sampled_from(AMOUNTS),
    qty=st.sampled_from(QTYS),
    width=st.sampled_from([6, 6, 6, 6, 6, 5, 7]),
)


COLUMNS = ("txn_id", "store_id", "txn_time", "member_id", "amount", "item_qty")
REQUIRED = {"txn_id", "store_id", "txn_time", "amount", "item_qty"}


def _text(value: str) -> str | None:
    return value.strip(" \t\n\r\u3000") or None


def expected_outcome(data: list[GenRow]) -> list[tuple[str, object]]:
    """The rules in plain Python, one (outcome, detail) per row: ('loaded', typed row),
    ('duplicate', None) or ('rejected', the column named, None for a malformed row)."""
    outcomes: list[tuple[str, object]] = []
    first: dict[str, tuple] = {}
    for r in data:
        if r.width != 6:
            outcomes.append(("rejected", None))
            continue
        typed = (_text(r.txn_id), _text(r.store), r.time[1], _text(r.member), r.amount[1], r.qty[1])
        # a missing or bad value: the first such column in the kind's column order
        bad = [c for c, v in zip(COLUMNS, typed, strict=True) if v is None and c in REQUIRED]
        if bad:
            outcomes.append(("rejected", bad[0]))
        elif typed[0] not in first:
            first[typed[0]] = typed
            outcomes.append(("loaded", typed))
        elif first[typed[0]] == typed:
            outcomes.append(("duplicate", None))
        else:
            outcomes.append(("rejected", "txn_id"))
    return outcomes


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(gen_rows, min_size=1, max_size=12))
def test_every_row_is_loaded_duplicate_or_rejected(data):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # quotes commas, quotes and newlines
    writer.writerow(TX_HEADER.split(","))
    start_lines = []  # the physical line each data row starts on
    for r in data:
        start_lines.append(buffer.getvalue().count("\n") + 1)
        writer.writerow(r.fields())
    text = buffer.getvalue()
    file_lines = text.split("\n")

    with tempfile.TemporaryDirectory() as tmp:  # a fresh database for every example
        path = write(Path(tmp) / "generated.csv", text)
        con = db.connect(Path(tmp) / "test.duckdb")
        try:
            result = load(con, path)  # also checks loaded + duplicates + rejected == read
            loaded = rows(con, f"select {', '.join(COLUMNS)} from transactions order by txn_id")
            found = rows(con, "select line, column_name, reason from rejects order by line")
        finally:
            con.close()

    outcomes = expected_outcome(data)
    counts = {
        kind: [o for o, _ in outcomes].count(kind) for kind in ("loaded", "duplicate", "rejected")
    }
    assert result.rows_read == len(data)
    assert (result.loaded, result.duplicates, result.rejected) == (
        counts["loaded"],
        counts["duplicate"],
        counts["rejected"],
    )
    assert loaded == sorted(typed for outcome, typed in outcomes if outcome == "loaded")

    # one rejects row per rejected row, on the line where that row starts
    expected_rejects = {
        start_lines[i]: column
        for i, (outcome, column) in enumerate(outcomes)
        if outcome == "rejected"
    }
    assert [line for line, _, _ in found] == sorted(expected_rejects)
    for line, column, reason in found:
        row = data[start_lines.index(line)]
        if row.width == 6:  # a bad value names its column (a malformed row: none or any)
            assert column == expected_rejects[line], (line, column, reason)
        if row.txn_id:
            assert file_lines[line - 1].startswith(row.txn_id + ",")
