"""Encodings, delimiters, XLSX and header mappings (SPEC 3): the same content loads the same.

Chinese POS and CRM exports come as UTF-8 (with or without a BOM), GB18030/GBK, Excel's
"Unicode text" (UTF-16 with a BOM, tab-separated) or XLSX. Whatever the container, the
tables must hold the same values with the Chinese text intact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from conftest import MEMBER_HEADER, TX_HEADER, rows, run_cli, write
from memberkit import db
from memberkit.ingest import LoadOptions, load_file
from test_real_values import BAD_DATE, BAD_TIME

TX_LINES = [
    TX_HEADER,
    "T0001,东门店,2026-03-01 10:15:00,M001,￥88.50,2",
    "T0002,西湖店,2026-03-01 11:00:00,,12.00,1",
    "T0003,S01,2026-03-02 09:30:00,M002,-5.00,1",
]
MEMBER_LINES = [
    MEMBER_HEADER,
    "M001,张伟,男,1980-01-02,13800000001,东门店,2024-01-05,2025-01-04",
    "M002,王芳,女,,13800000002,西湖店,2024-02-01,",
]
EXPECTED_TX = [
    ("T0001", "东门店", datetime(2026, 3, 1, 10, 15), "M001", Decimal("88.50"), 2),
    ("T0002", "西湖店", datetime(2026, 3, 1, 11, 0), None, Decimal("12.00"), 1),
    ("T0003", "S01", datetime(2026, 3, 2, 9, 30), "M002", Decimal("-5.00"), 1),
]
EXPECTED_MEMBERS = [
    (
        "M001",
        "张伟",
        "M",
        date(1980, 1, 2),
        "13800000001",
        "东门店",
        date(2024, 1, 5),
        date(2025, 1, 4),
    ),
    ("M002", "王芳", "F", None, "13800000002", "西湖店", date(2024, 2, 1), None),
]
TX_SQL = (
    "select txn_id, store_id, txn_time, member_id, amount, item_qty "
    "from transactions order by txn_id"
)
MEMBER_SQL = (
    "select member_id, name, gender, birth_date, phone, store_id, join_date, "
    "expiry_date from members order by member_id"
)


def encode(lines: list[str], encoding: str, delimiter: str = ",", nl: str = "\n") -> bytes:
    text = nl.join(line.replace(",", delimiter) for line in lines) + nl
    return text.encode(encoding)


def table_snapshot(db_path: Path) -> dict[str, list[tuple]]:
    con = db.connect(db_path)
    try:
        return {
            t: rows(con, f"select * from {t} order by all")
            for t in ("transactions", "members", "loads", "rejects")
        }
    finally:
        con.close()


# (id, python codec, delimiter, line end, encoding memberkit reports, delimiter it reports)
VARIANTS = [
    ("utf-8", "utf-8", ",", "\n", "utf-8", ","),
    ("utf-8-bom", "utf-8-sig", ",", "\n", "utf-8-sig", ","),
    ("gb18030", "gb18030", ",", "\n", "gb18030", ","),
    ("gbk", "gbk", ",", "\r\n", "gb18030", ","),
    ("utf-16-tab", "utf-16", "\t", "\r\n", "utf-16", "\t"),  # Excel's "Unicode text"
    ("utf-8-tab", "utf-8", "\t", "\n", "utf-8", "\t"),
    ("excel-csv-utf-8", "utf-8-sig", ",", "\r\n", "utf-8-sig", ","),  # BOM + CRLF
]


@pytest.mark.parametrize(
    ("codec", "delimiter", "nl", "reported", "reported_delim"),
    [v[1:] for v in VARIANTS],
    ids=[v[0] for v in VARIANTS],
)
def test_same_content_in_every_encoding_loads_identically(
    con, tmp_path, codec, delimiter, nl, reported, reported_delim
):
    tx = tmp_path / "tx.csv"
    tx.write_bytes(encode(TX_LINES, codec, delimiter, nl))
    members = tmp_path / "members.csv"
    members.write_bytes(encode(MEMBER_LINES, codec, delimiter, nl))

    tx_result = load_file(con, tx, LoadOptions("transactions"))
    member_result = load_file(con, members, LoadOptions("members"))

    for result, count in ((tx_result, 3), (member_result, 2)):
        assert (result.status, result.rows_read, result.loaded, result.rejected) == (
            "loaded",
            count,
            count,
            0,
        )
        assert (result.encoding, result.delimiter) == (reported, reported_delim)
        assert result.ignored_columns == []
    assert rows(con, TX_SQL) == EXPECTED_TX
    assert rows(con, MEMBER_SQL) == EXPECTED_MEMBERS


def test_encoding_test_files_really_differ():
    """Guard for the test above: the variants are different bytes, not one file six times."""
    assert len({encode(MEMBER_LINES, v[1], v[2], v[3]) for v in VARIANTS}) >= 6
    assert encode(MEMBER_LINES, "utf-16", "\t").startswith(b"\xff\xfe")
    assert "张伟".encode("gb18030") in encode(MEMBER_LINES, "gb18030")


def test_bad_row_in_a_gb18030_file_keeps_its_line_and_chinese_raw_text(con, tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes(
        encode(MEMBER_LINES + ["M003,李娜,女,1990-02-30,13800000003,东门店,2024-03-01,"], "gb18030")
    )
    result = load_file(con, path, LoadOptions("members", max_reject_ratio=1.0))
    assert (result.rows_read, result.loaded, result.rejected) == (3, 2, 1)
    assert rows(con, "select line, column_name, reason, raw from rejects") == [
        (4, "birth_date", BAD_DATE, "M003,李娜,女,1990-02-30,13800000003,东门店,2024-03-01,")
    ]


def test_forced_gb18030_encoding_works(db_path, tmp_path):
    path = tmp_path / "members_gb.csv"
    path.write_bytes(encode(MEMBER_LINES, "gb18030"))
    result = run_cli("--db", db_path, "load", "members", path, "--encoding", "gb18030")
    assert result.exit_code == 0, result.stderr
    assert (
        f"{path}: 2 read, 2 loaded, 0 replaced, 0 duplicate, 0 rejected (gb18030, comma)"
        in result.stdout
    )
    con = db.connect(db_path)
    try:
        assert rows(con, MEMBER_SQL) == EXPECTED_MEMBERS
    finally:
        con.close()


def test_forced_utf8_on_a_gbk_file_is_refused(db_path, tmp_path):
    path = tmp_path / "members_gbk.csv"
    path.write_bytes(encode(MEMBER_LINES, "gbk"))
    result = run_cli("--db", db_path, "load", "members", path, "--encoding", "utf-8")
    assert result.exit_code == 3
    assert str(path) in result.stderr and "UTF-8" in result.stderr
    assert table_snapshot(db_path)["members"] == []


def test_gbk_file_with_chinese_only_after_the_first_megabyte_is_detected(con, tmp_path):
    ascii_rows = [
        f"T{i:06d},S{i % 50:03d},2026-03-01 10:00:00,M{i:06d},12.50,1" for i in range(1, 30001)
    ]
    lines = [TX_HEADER.encode("gbk")] + [r.encode("ascii") for r in ascii_rows]
    lines.append("T999999,东门店,2026-03-31 21:00:00,M000001,99.00,3".encode("gbk"))
    data = b"\n".join(lines) + b"\n"
    first_chinese_row = data.index("东门店".encode("gbk"))
    assert first_chinese_row > 1 << 20  # past the first megabyte
    path = tmp_path / "big_gbk.csv"
    path.write_bytes(data)

    result = load_file(con, path, LoadOptions("transactions"))
    assert (result.encoding, result.rows_read, result.loaded) == ("gb18030", 30001, 30001)
    assert rows(
        con, "select store_id, amount, item_qty from transactions where txn_id = 'T999999'"
    ) == [("东门店", Decimal("99.00"), 3)]


def test_undecodable_file_is_refused_with_an_encoding_hint(db_path, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(
        b"txn_id,store_id,txn_time,member_id,amount,item_qty\n"
        b"T1,S01,2026-03-01 10:00:00,M1,1.00,1\n"
        b"T2,S\xff\xfe\xfd,2026-03-01 10:00:00,M1,1.00,1\n"  # line 3: neither UTF-8 nor GB18030
        b"T3,S01,2026-03-01 10:00:00,M1,1.00,1\n"
    )
    result = run_cli("--db", db_path, "load", "transactions", path)
    assert result.exit_code == 3
    assert str(path) in result.stderr
    assert "line 3" in result.stderr
    assert "--encoding" in result.stderr
    assert table_snapshot(db_path) == {
        "transactions": [],
        "members": [],
        "loads": [],
        "rejects": [],
    }


def test_utf16_without_bom_loads_or_is_refused_with_an_encoding_hint(db_path, tmp_path):
    path = tmp_path / "unicode_no_bom.txt"
    path.write_bytes(encode(MEMBER_LINES, "utf-16-le", "\t", "\r\n"))
    result = run_cli("--db", db_path, "load", "members", path)
    assert "unexpected error" not in result.stderr
    if result.exit_code == 0:
        con = db.connect(db_path)
        try:
            assert rows(con, MEMBER_SQL) == EXPECTED_MEMBERS
        finally:
            con.close()
    else:
        assert result.exit_code == 3
        assert str(path) in result.stderr and "--encoding" in result.stderr


# --- XLSX -------------------------------------------------------------------------------


def test_xlsx_members_sheet(con, tmp_path):
    path = tmp_path / "members.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("会员")
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, "2026年3月会员名单")  # row 1: a title above the header
    sheet.write_row(1, 0, MEMBER_HEADER.split(","))  # row 2: header with Chinese aliases
    # row 3: phone typed as a number, dates as real date cells
    sheet.write_row(2, 0, ["M001", "张伟", "男"])
    sheet.write_datetime(2, 3, datetime(1980, 1, 2), as_date)
    sheet.write_number(2, 4, 13812345678)
    sheet.write(2, 5, "东门店")
    sheet.write_datetime(2, 6, datetime(2024, 1, 5), as_date)
    sheet.write_datetime(2, 7, datetime(2025, 1, 4), as_date)
    # row 4 is empty; row 5: a date typed as impossible text
    sheet.write_row(
        4, 0, ["M002", "王芳", "女", "1990-02-30", "13800000002", "西湖店", "2024-02-01"]
    )
    # row 6: dates as text, phone as text
    sheet.write_row(
        5,
        0,
        ["M003", "李娜", "女", "1991-03-04", "13800000003", "西湖店", "2024-03-01", "2025-02-28"],
    )
    book.close()

    result = load_file(con, path, LoadOptions("members", max_reject_ratio=1.0))
    assert (result.encoding, result.rows_read, result.loaded, result.rejected) == ("xlsx", 3, 2, 1)
    assert rows(con, MEMBER_SQL) == [
        (
            "M001",
            "张伟",
            "M",
            date(1980, 1, 2),
            "13812345678",
            "东门店",
            date(2024, 1, 5),
            date(2025, 1, 4),
        ),
        (
            "M003",
            "李娜",
            "F",
            date(1991, 3, 4),
            "13800000003",
            "西湖店",
            date(2024, 3, 1),
            date(2025, 2, 28),
        ),
    ]
    assert rows(con, "select line, column_name, reason from rejects") == [
        (5, "birth_date", BAD_DATE)
    ]


def test_xlsx_transactions_sheet(con, tmp_path):
    path = tmp_path / "tickets.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("小票")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write(0, 0, "门店销售明细")  # title row
    sheet.write(1, 0, "导出时间：2026-04-01")  # a second line of title
    sheet.write_row(2, 0, TX_HEADER.split(","))  # row 3: header
    sheet.write_row(3, 0, ["T0001", "东门店"])
    sheet.write_datetime(3, 2, datetime(2026, 3, 1, 10, 15), stamp)
    sheet.write_row(3, 3, ["M001", 88.5, 2])  # amount and quantity as numbers
    sheet.write_row(4, 0, ["T0002", "西湖店", "2026-13-01 10:00:00", "", "12.00", "1"])
    sheet.write_row(5, 0, ["T0001", "东门店", "2026-03-01 11:00:00", "M001", "1.00", "1"])
    book.close()

    result = load_file(con, path, LoadOptions("transactions", max_reject_ratio=1.0))
    assert (result.rows_read, result.loaded, result.duplicates, result.rejected) == (3, 1, 0, 2)
    assert rows(con, TX_SQL) == [
        ("T0001", "东门店", datetime(2026, 3, 1, 10, 15), "M001", Decimal("88.50"), 2)
    ]
    assert rows(con, "select line, column_name, reason from rejects order by line") == [
        (5, "txn_time", BAD_TIME),
        (6, "txn_id", "duplicate txn_id with different content (first at line 4)"),
    ]


# --- --mapping ----------------------------------------------------------------------------


def test_mapping_file_maps_a_foreign_header(db_path, tmp_path):
    mapping = write(tmp_path / "pos.toml", '[transactions]\n"POS单号" = "txn_id"\n')
    path = write(
        tmp_path / "pos.csv",
        "POS单号,门店编号,交易时间,会员卡号,实收金额,商品数量\n"
        "P0001,东门店,2026-03-01 10:15:00,M001,88.50,2\n",
    )
    result = run_cli("--db", db_path, "load", "transactions", path, "--mapping", mapping)
    assert result.exit_code == 0, result.stderr
    assert "1 read, 1 loaded" in result.stdout
    assert "warning" not in result.stderr
    con = db.connect(db_path)
    try:
        assert rows(con, TX_SQL) == [
            ("P0001", "东门店", datetime(2026, 3, 1, 10, 15), "M001", Decimal("88.50"), 2)
        ]
    finally:
        con.close()


def test_mapping_to_a_column_that_does_not_exist_is_a_usage_error(db_path, tmp_path):
    mapping = write(tmp_path / "bad.toml", '[transactions]\n"POS单号" = "ticket_no"\n')
    path = write(
        tmp_path / "pos.csv",
        "POS单号,门店编号,交易时间,会员卡号,实收金额,商品数量\n"
        "P0001,东门店,2026-03-01 10:15:00,M001,88.50,2\n",
    )
    result = run_cli("--db", db_path, "load", "transactions", path, "--mapping", mapping)
    assert result.exit_code == 2
    assert str(mapping) in result.stderr and "ticket_no" in result.stderr
    assert table_snapshot(db_path)["loads"] == []


@pytest.mark.parametrize("codec", ["utf-8", "gb18030"])
def test_padding_blank_lines_and_quoted_breaks_in_every_encoding(con, tmp_path, codec):
    """A file with blank lines, a quoted line break and names padded with the full-width
    space takes the careful paths (exact record count, full trimming) in both encodings."""
    lines = [
        MEMBER_LINES[0],
        "M001,\u3000张伟\u3000,男,1980-01-02,13812345678,东门店,2024-01-05,",
        "",
        'M002,"王\n芳",女,,13900000000,东门店,2024-02-01,2025-01-31',
        "",
        "M003,李娜 ,女,1990-02-30,13800000003,东门店,2024-03-01,",
    ]
    path = tmp_path / "members.csv"
    path.write_bytes(encode(lines, codec))
    result = load_file(con, path, LoadOptions("members", max_reject_ratio=1.0))
    assert (result.rows_read, result.loaded, result.rejected) == (3, 2, 1)
    assert rows(con, "select member_id, name from members order by 1") == [
        ("M001", "张伟"),
        ("M002", "王\n芳"),
    ]
    assert rows(con, "select line, column_name from rejects") == [(7, "birth_date")]
