"""Real export files read whole and right (issue 17, SPEC 3.1), through the CLI.

Quotes that swallow rows, workbooks of several sheets, numbers typed into id columns, files
changed while they load, a file that turns from UTF-8 to GBK, and title lines above a CSV
header. Each test writes a small file a person can check by eye; line numbers are physical
lines of the file (XLSX: sheet rows).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from conftest import MEMBER_HEADER, TX_HEADER, query, write
from test_hostile_input import check_load, csv_text, only_load
from test_real_values import BAD_TIME

GOOD = "S01,2026-03-01 10:00:00,M1,12.50,1"  # a valid ticket after its txn_id


def member(i: int, name: str | None = None, phone: str | None = None) -> str:
    name = name if name is not None else f"会员{i}"
    phone = phone if phone is not None else f"138{i:08d}"
    return f"M{i:03d},{name},女,1990-01-02,{phone},S01,2024-01-05,2027-01-04"


def nothing_loaded(db_path: Path) -> bool:
    counts = query(
        db_path,
        "select (select count(*) from members) + (select count(*) from transactions)"
        " + (select count(*) from loads) + (select count(*) from rejects)",
    )
    return counts == [(0,)]


# --- 1. quotes --------------------------------------------------------------------------


def test_a_stray_quote_in_a_name_refuses_the_file_naming_the_line_and_column(db_path, tmp_path):
    """The issue's case: `A1,"王芳,S001,…` took the next lines into the name, up to a later
    quote; rows vanished, another member's phone landed in the name, and it exited 0."""
    lines = [member(i) for i in range(1, 200)]
    lines[1] = 'M002,"王芳,女,1990-01-02,13800000002,S01,2024-01-05,2027-01-04'  # line 3
    lines[60] = member(61, name='会员61"')  # line 62: a quote typed by hand closes it
    path = write(tmp_path / "members.csv", csv_text(MEMBER_HEADER, *lines))
    checked = check_load(db_path, "members", path)
    assert checked.exit_code == 3
    assert f"{path}: line 3, column '姓名': the quote opened here takes in the next" in (
        checked.stderr
    )
    assert "nothing was loaded" in checked.stderr
    assert nothing_loaded(db_path)


def test_an_unclosed_quote_in_a_5201_line_file_is_refused_not_one_reject(db_path, tmp_path):
    lines = [member(i) for i in range(1, 5201)]
    lines[98] = member(99, name='"赵六')  # line 100: the quote is never closed
    path = write(tmp_path / "members.csv", csv_text(MEMBER_HEADER, *lines))
    checked = check_load(db_path, "members", path)
    assert checked.exit_code == 3
    assert f"{path}: line 100, column '姓名': the quote opened here is never closed" in (
        checked.stderr
    )
    assert nothing_loaded(db_path)


def test_a_stray_quote_in_a_store_id_refuses_the_file(db_path, tmp_path):
    lines = [f"T{i},{GOOD}" for i in range(1, 10)]
    lines[4] = 'T5,"S01,2026-03-01 10:00:00,M1,12.50,1'  # line 6
    lines[6] = 'T7,S01",2026-03-01 10:00:00,M1,12.50,1'  # line 8: its quote closes line 6's
    path = write(tmp_path / "tickets.csv", csv_text(TX_HEADER, *lines))
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 3
    assert (
        f"{path}: line 6, column '门店编号': the quoted value opened here runs over 3 lines, "
        "but this column cannot hold line breaks" in checked.stderr
    )
    assert nothing_loaded(db_path)


def test_a_multi_line_name_and_comment_load_and_later_lines_keep_their_numbers(db_path, tmp_path):
    header = MEMBER_HEADER + ",备注"
    lines = [
        member(1) + ",",  # line 2
        # lines 3-5: a name and a comment over two lines each
        'M002,"王\n芳",女,1990-01-02,13800000002,S01,2024-01-05,2027-01-04,"called,\nno answer"',
        member(3) + ',"a ""quoted"" word"',  # line 6
        "M004,李娜,女,1990-02-30,13800000004,S01,2024-01-05,2027-01-04,",  # line 7: bad date
    ]
    path = write(tmp_path / "members.csv", csv_text(header, *lines))
    checked = check_load(db_path, "members", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0 and only_load(checked)[3:] == (4, 3, 0, 0, 1)
    assert query(db_path, "select member_id, name from members order by 1") == [
        ("M001", "会员1"),
        ("M002", "王\n芳"),
        ("M003", "会员3"),
    ]
    assert query(db_path, "select line, column_name from rejects") == [(7, "birth_date")]


def test_a_quoted_name_taking_in_lines_that_look_like_rows_is_refused(db_path, tmp_path):
    """Properly closed, but what it took in holds a row's worth of delimiters."""
    lines = [
        member(1),
        'M002,"王芳',  # line 3: the quote opens here ...
        member(3),
        'M004",女,1990-01-02,13800000002,S01,2024-01-05,2027-01-04',  # ... and closes here
        member(5),
    ]
    path = write(tmp_path / "members.csv", csv_text(MEMBER_HEADER, *lines))
    checked = check_load(db_path, "members", path)
    assert checked.exit_code == 3
    assert f"{path}: line 3, column '姓名': the quote opened here takes in the next 2" in (
        checked.stderr
    )
    assert nothing_loaded(db_path)


def test_a_quote_inside_a_value_is_text_and_line_numbers_stay_right(db_path, tmp_path):
    """A quote that does not start a field is a character (O"Brien, 5" tall); the record
    scanner used to pair it with the next quote and refuse the file ("accounted for 4 of 1
    rows")."""
    lines = [
        'T1,S0"1,2026-03-01 10:00:00,M1,12.50,1',  # line 2
        f"T2,{GOOD}",
        "T3,S01,bad,M1,1,1",  # line 4: bad date
        'T4,"S01",2026-03-01 10:00:00,M"4,12.50,1',  # line 5
        "T5,S01,2026-03-01 10:00:00,M1,x,1",  # line 6: bad amount
    ]
    path = write(tmp_path / "tickets.csv", csv_text(TX_HEADER, *lines))
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0 and only_load(checked)[3:] == (5, 3, 0, 0, 2)
    assert query(db_path, "select txn_id, store_id, member_id from transactions order by 1") == [
        ("T1", 'S0"1', "M1"),
        ("T2", "S01", "M1"),
        ("T4", "S01", 'M"4'),
    ]
    assert query(db_path, "select line, column_name from rejects order by line") == [
        (4, "txn_time"),
        (6, "amount"),
    ]


def test_a_file_with_every_field_quoted_loads(db_path, tmp_path):
    lines = [
        '"T1","S01","2026-03-01 10:00:00","M1","12.50","1"',
        '"T2","S,02","20260302","","1","2"',
    ]
    header = ",".join(f'"{h}"' for h in TX_HEADER.split(","))
    path = write(tmp_path / "quoted.csv", "\ufeff" + csv_text(header, *lines, nl="\r\n"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 0 and only_load(checked)[3:] == (2, 2, 0, 0, 0)
    assert query(db_path, "select txn_id, store_id, member_id from transactions order by 1") == [
        ("T1", "S01", "M1"),
        ("T2", "S,02", None),
    ]


# --- 2. workbooks -----------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list]], dates: bool = True) -> Path:
    """Write sheets of rows; datetime cells as real date cells."""
    book = xlsxwriter.Workbook(str(path))
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, grid in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, stamp)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


HEADER = TX_HEADER.split(",")
REORDERED = [HEADER[i] for i in (5, 4, 3, 2, 1, 0)]


def test_every_sheet_with_data_is_read_and_rejects_name_their_sheet(db_path, tmp_path):
    book = workbook(
        tmp_path / "book.xlsx",
        {
            "三月": [HEADER, ["T1", "S01", datetime(2026, 3, 1, 10), "M1", 12.5, 1]],
            "空白": [],
            "四月": [
                ["四月销售明细"],  # row 1: a title
                REORDERED,  # row 2: the same columns in another order
                [2, 8, "M2", datetime(2026, 4, 2, 9, 30), "S02", "T2"],
                [1, 5, "M3", "2026-04-31 10:00:00", "S02", "T3"],  # row 4: bad date
                [1, 1, "", "2026-04-05 10:00:00", "S01", "T1"],  # row 5: T1 again, different
            ],
        },
    )
    checked = check_load(db_path, "transactions", book, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0 and only_load(checked)[3:] == (4, 2, 0, 0, 2)
    assert query(db_path, "select txn_id, store_id, txn_time, member_id, amount, item_qty "
                 "from transactions order by 1") == [
        ("T1", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("12.50"), 1),
        ("T2", "S02", datetime(2026, 4, 2, 9, 30), "M2", Decimal("8.00"), 2),
    ]  # fmt: skip
    assert query(db_path, "select file_name, line, column_name, reason from rejects") == [
        ("book.xlsx [四月]", 4, "txn_time", BAD_TIME),
        (
            "book.xlsx [四月]",
            5,
            "txn_id",
            "duplicate txn_id with different content (first at line 2 of [三月])",
        ),
    ]
    assert f"  line 4 [四月], column txn_time: {BAD_TIME}" in checked.stderr
    assert "book.xlsx [四月]: row 1 above the header (row 2) is not data" in checked.stderr


def test_a_sheet_whose_header_does_not_match_refuses_unless_sheets_are_picked(db_path, tmp_path):
    book = workbook(
        tmp_path / "book.xlsx",
        {
            "小票": [HEADER, ["T1", "S01", "2026-03-01 10:00:00", "M1", "12.50", "1"]],
            "说明": [["本表由收银系统导出"], ["金额单位：元"]],
            "小票2": [HEADER, ["T2", "S01", "2026-03-02 10:00:00", "M1", "1.50", "1"]],
        },
    )
    checked = check_load(db_path, "transactions", book)
    assert checked.exit_code == 3
    assert f"{book} [说明]: missing required columns" in checked.stderr
    assert "--sheet" in checked.stderr and "'小票2'" in checked.stderr
    assert nothing_loaded(db_path)

    usage = check_load(db_path, "transactions", book, args=("--sheet", "Sheet9"))
    assert usage.exit_code == 2
    assert "no sheet named 'Sheet9'" in usage.stderr and "'小票', '说明', '小票2'" in usage.stderr

    picked = check_load(db_path, "transactions", book, args=("--sheet", "小票2", "--sheet", "小票"))
    assert picked.exit_code == 0 and only_load(picked)[3:] == (2, 2, 0, 0, 0)
    assert query(db_path, "select encoding from loads") == [("xlsx [小票, 小票2]",)]
    again = check_load(db_path, "transactions", book, args=("--sheet", "小票", "--sheet", "小票2"))
    assert "already loaded" in again.stdout and again.loads == []


def test_numbers_in_id_columns_are_digits_or_rejected_naming_the_column(db_path, tmp_path):
    """17-digit ticket ids typed as numbers collapsed into "duplicates" (the float keeps
    about 16 digits); a phone typed as a number is its digits."""
    grid: list[list] = [HEADER]
    grid += [[20260301000000001 + i, "S01", "2026-03-01 10:00:00", "M1", 1, 1] for i in range(3)]
    grid.append([4001, "S01", "2026-03-01 10:00:00", 13812345678, 2, 1])  # row 5: both digits
    grid.append(["T6", "S01", "2026-03-01 10:00:00", 12.5, 3, 1])  # row 6: a fraction
    book = workbook(tmp_path / "ids.xlsx", {"Sheet1": grid})
    checked = check_load(db_path, "transactions", book, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0
    assert only_load(checked)[3:] == (5, 1, 0, 0, 4)  # read, loaded, replaced, dup, rejected
    assert query(db_path, "select txn_id, member_id from transactions") == [("4001", "13812345678")]
    found = query(db_path, "select line, column_name, reason, raw from rejects order by line")
    assert [r[:2] for r in found] == [(2, "txn_id"), (3, "txn_id"), (4, "txn_id"), (6, "member_id")]
    assert "is above 2^53" in found[0][2] and found[0][3] == "2.0260301e+16"
    assert "has a fraction" in found[3][2] and found[3][3] == "12.5"
    # and they count against --max-reject-ratio like any reject
    refused = check_load(tmp_path / "other.duckdb", "transactions", book)
    assert refused.exit_code == 3 and only_load(refused)[2:] == ("refused", 5, 0, 0, 0, 4)


def test_workbook_date_cells_and_phone_numbers_load_as_dates_and_digits(db_path, tmp_path):
    header = MEMBER_HEADER.split(",")
    grid = [header, ["M1", "张伟", "男", datetime(1980, 1, 2), 13800000001, "S01",
                     datetime(2024, 1, 5), datetime(2025, 1, 4)]]  # fmt: skip
    book = workbook(tmp_path / "m.xlsx", {"会员": grid, "Sheet2": []})
    checked = check_load(db_path, "members", book)
    assert checked.exit_code == 0
    assert query(db_path, "select birth_date, phone, join_date from members") == [
        (date(1980, 1, 2), "13800000001", date(2024, 1, 5))
    ]
    assert query(db_path, "select file_name from loads") == [("m.xlsx",)]


# --- 3. the bytes read are the bytes hashed ---------------------------------------------


def after_prepare(monkeypatch, change) -> None:
    """Run `change` right after the file was prepared, before DuckDB reads it."""
    from memberkit.ingest import loader

    original = loader.prepare

    def prepare(*args, **kwargs):
        prepared = original(*args, **kwargs)
        change()
        return prepared

    monkeypatch.setattr(loader, "prepare", prepare)


def test_a_file_replaced_while_loading_is_loaded_as_the_version_hashed(
    db_path, tmp_path, monkeypatch
):
    import hashlib

    path = write(tmp_path / "tickets.csv", csv_text(TX_HEADER, f"T1,{GOOD}", f"T2,{GOOD}"))
    first_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    newer = write(tmp_path / "new.csv", csv_text(TX_HEADER, f"T3,{GOOD}", f"T4,{GOOD}"))
    after_prepare(monkeypatch, lambda: os.replace(newer, path))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 0
    assert query(db_path, "select txn_id from transactions order by 1") == [("T1",), ("T2",)]
    assert query(db_path, "select sha256 from loads") == [(first_hash,)]
    assert "another file took its place while it was being loaded" in checked.stderr
    monkeypatch.undo()
    # the file now at the path is another file, not "already loaded"
    again = check_load(db_path, "transactions", path)
    assert again.exit_code == 0 and "already loaded" not in again.stdout
    assert [r[0] for r in query(db_path, "select txn_id from transactions order by 1")] == [
        "T1",
        "T2",
        "T3",
        "T4",
    ]


@pytest.mark.parametrize("how", ["appended", "rewritten"])
def test_a_file_changed_in_place_while_loading_is_refused(db_path, tmp_path, monkeypatch, how):
    path = write(tmp_path / "tickets.csv", csv_text(TX_HEADER, f"T1,{GOOD}", f"T2,{GOOD}"))

    def change() -> None:
        if how == "appended":
            with open(path, "a") as f:
                f.write(f"T3,{GOOD}\n")
        else:  # the same size, written a second later
            stat = path.stat()
            with open(path, "r+b") as f:
                f.write(b"\n".join([TX_HEADER.encode(), f"T8,{GOOD}".encode()]))
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    after_prepare(monkeypatch, change)
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3
    assert f"{path}: changed while it was being loaded; nothing was loaded; load it again" in (
        checked.stderr
    )
    assert nothing_loaded(db_path)


# --- 4. encodings -----------------------------------------------------------------------


def test_a_file_turning_from_utf8_to_gbk_at_line_102_is_refused_naming_the_lines(db_path, tmp_path):
    utf8 = [MEMBER_HEADER] + [member(i, name=f"张伟{i}") for i in range(1, 101)]
    gbk = [member(i, name=f"王芳{i}") for i in range(101, 151)]
    path = tmp_path / "mixed.csv"
    path.write_bytes(("\n".join(utf8) + "\n").encode() + ("\n".join(gbk) + "\n").encode("gbk"))
    checked = check_load(db_path, "members", path)
    assert checked.exit_code == 3
    assert f"{path}: lines 1–101 are UTF-8 but line 102 is not: the file mixes two encodings" in (
        checked.stderr
    )
    assert "save the whole file in one encoding" in checked.stderr
    assert nothing_loaded(db_path)


def test_a_gbk_file_with_an_ascii_header_still_loads_as_gb18030(db_path, tmp_path):
    lines = [",".join(c for c in "member_id,name,phone,store_id,join_date".split(","))]
    lines += [f"M{i},王芳{i},1380000000{i},S01,2024-01-05" for i in range(1, 4)]
    path = tmp_path / "gbk.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    checked = check_load(db_path, "members", path)
    assert checked.exit_code == 0 and "(gb18030, comma)" in checked.stdout
    assert query(db_path, "select name from members order by 1")[0] == ("王芳1",)


# --- 5. title lines above a CSV header --------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_title_lines_above_a_csv_header_are_skipped_and_lines_stay_physical(
    db_path, tmp_path, encoding
):
    text = csv_text(
        "会员资料导出,,,",  # line 1
        "导出时间: 2026-11-05",
        "",
        MEMBER_HEADER,  # line 4
        member(1),
        "M002,王芳,女,1990-02-30,13800000002,S01,2024-01-05,",  # line 6: bad date
        member(3),
    )
    path = tmp_path / "members.csv"
    path.write_bytes(text.encode(encoding))
    checked = check_load(db_path, "members", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0 and only_load(checked)[3:] == (3, 2, 0, 0, 1)
    assert (
        f"{path}: warning: lines 1–3 above the header (line 4) are not data and were skipped"
        in checked.stderr
    )
    assert query(db_path, "select line, column_name from rejects") == [(6, "birth_date")]
    assert query(db_path, "select member_id from members order by 1") == [("M001",), ("M003",)]


def test_a_stray_quote_in_the_header_refuses_the_file_naming_line_1(db_path, tmp_path):
    path = write(tmp_path / "h.csv", csv_text('"' + TX_HEADER, f"T1,{GOOD}", f'T2,{GOOD}"'))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3
    assert f"{path}: line 1, column 1 of the header: a quote opened here takes in" in (
        checked.stderr
    )
    # a header cell over two lines is no stray quote
    two_lines = write(tmp_path / "h2.csv", csv_text(TX_HEADER + ',"备注\n(选填)"', f"T1,{GOOD},x"))
    assert check_load(db_path, "transactions", two_lines).exit_code == 0
