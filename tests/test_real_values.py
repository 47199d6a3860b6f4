"""How each value of a real export is read (SPEC 3.1, issue 17 cases 3 and 4).

Invisible characters, Excel's text guards, numbers in scientific notation where ids belong,
the date forms and the amount forms, each through the real CLI on a small file a person can
check by eye. Line numbers are physical lines (the header is line 1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import MEMBER_HEADER, TX_HEADER, query, run_cli, write
from memberkit.ingest.source import Scan

# The reasons of the rejects table, as a person reads them in the rejects CSV.
BAD_DATE = "bad date (accepted: 2026-10-05, 2026/10/05, 2026.10.05, 20261005, 2026年10月5日)"
BAD_TIME = (
    "bad date/time (accepted: 2026-10-05 14:30:15, 2026/10/05 14:30, 2026.10.05, 20261005, "
    "2026年10月5日, 2026-10-05T14:30+08:00)"
)
TWO_DIGIT_YEAR = (
    "two-digit year (accepted: 2026-10-05, 2026/10/05, 2026.10.05, 20261005, 2026年10月5日)"
)
NO_ORDER = "day and month order unknown (05/10/2026): pass --date-format dmy or mdy"
TOO_PRECISE = (
    "more than two decimals (accepted: 1234.50, 1,234.50, ¥1234.50, 1234.50元, RMB 1234.50, "
    "(5.00) for -5.00)"
)
SCIENTIFIC = "a number in scientific notation (Excel damage): export this column as text"

GOOD = "S01,2026-03-01 10:00:00,M1,12.50,1"  # a valid ticket after its txn_id
INVISIBLE = {
    "space": " ",
    "tab": "\t",
    "nbsp": "\u00a0",
    "ideographic": "\u3000",
    "zwsp": "\u200b",
    "zwnj": "\u200c",
    "zwj": "\u200d",
    "word-joiner": "\u2060",
    "bom": "\ufeff",
}


def load(db_path: Path, kind: str, path: Path, *args: str):
    return run_cli("--db", db_path, "load", kind, path, *args)


def tickets(db_path: Path) -> list[tuple]:
    return query(
        db_path,
        "select txn_id, store_id, txn_time, member_id, amount, item_qty from transactions "
        "order by txn_id",
    )


def rejects(db_path: Path) -> list[tuple]:
    return query(db_path, "select line, column_name, reason from rejects order by load_id, line")


def tx_file(tmp_path: Path, *lines: str, name: str = "tx.csv") -> Path:
    return write(tmp_path / name, "\n".join([TX_HEADER, *lines]) + "\n")


def counts(result) -> str:
    """The summary's counts: '3 read, 1 loaded, 2 duplicate, 0 rejected'."""
    line = next(x for x in result.stdout.splitlines() if " read, " in x)
    return line.split(": ", 1)[1].split(" (")[0]


# --- 1. invisible characters ----------------------------------------------------------------


def test_one_ticket_written_three_ways_loads_once_and_sales_are_not_tripled(db_path, tmp_path):
    # the repro: T1, T1 + no-break space, zero-width space + T1
    path = tx_file(tmp_path, f"T1,{GOOD}", f"T1\u00a0,{GOOD}", f"\u200bT1,{GOOD}")
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert counts(result) == "3 read, 1 loaded, 2 duplicate, 0 rejected"
    assert tickets(db_path) == [("T1", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("12.50"), 1)]


def test_the_same_id_with_other_content_is_rejected_naming_the_first_line(db_path, tmp_path):
    path = tx_file(
        tmp_path, f"T1,{GOOD}", "T1\u00a0,S01,2026-03-01 10:00:00,M1,99.00,1", f"T2,{GOOD}"
    )
    result = load(db_path, "transactions", path, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    assert counts(result) == "3 read, 2 loaded, 0 duplicate, 1 rejected"
    assert "line 3, column txn_id: duplicate txn_id with different content (first at line 2)" in (
        result.stderr
    )
    assert [t[0] for t in tickets(db_path)] == ["T1", "T2"]


def test_a_member_id_of_only_a_no_break_space_is_a_non_member_ticket(db_path, tmp_path):
    path = tx_file(tmp_path, "T1,S01,2026-03-01 10:00:00,\u00a0,12.50,1", f"T2,{GOOD}")
    assert load(db_path, "transactions", path).exit_code == 0
    assert query(db_path, "select txn_id, member_id from transactions order by 1") == [
        ("T1", None),
        ("T2", "M1"),
    ]


PADDED = ["T1", "S01", "2026-03-01 10:00:00", "M1", "12.50", "3"]  # each value of a ticket


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_characters_are_trimmed_from_both_ends_of_every_value(db_path, tmp_path, char):
    # A file without quotes, tabs or any of these characters takes the loader's fast path:
    # a file holding one, and nothing else out of the way, must be seen to need care.
    delimiter = ";" if char == "\t" else ","  # a tab beside tab-delimited values delimits
    lines = [TX_HEADER, delimiter.join(f"{char}{v}{char}" for v in PADDED), f"T2,{GOOD}"]
    path = write(tmp_path / "tx.csv", "\n".join(lines).replace(",", delimiter) + "\n")
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert tickets(db_path)[0] == ("T1", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("12.50"), 3)


def test_invisible_characters_around_quoted_values_are_trimmed(db_path, tmp_path):
    lines = [
        f"T{i}," + ",".join(f'"{c}{v}{c}"' for v in PADDED[1:])
        for i, c in enumerate(INVISIBLE.values())
    ]
    result = load(db_path, "transactions", tx_file(tmp_path, *lines))
    assert result.exit_code == 0, result.output
    assert tickets(db_path) == [
        (f"T{i}", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("12.50"), 3)
        for i in range(len(INVISIBLE))
    ]


@pytest.mark.parametrize("char", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_line_breaks_at_the_ends_of_a_quoted_name_are_trimmed(db_path, tmp_path, char):
    # only free text may hold a quoted line break (SPEC 3.1 Quotes)
    path = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + f'\nM1,"{char}王芳{char}",女,,13800138000,S01,2024-01-05,\n',
    )
    assert load(db_path, "members", path).exit_code == 0
    assert query(db_path, "select member_id, name from members") == [("M1", "王芳")]


def test_zero_width_characters_inside_ids_are_removed_but_kept_inside_names(db_path, tmp_path):
    path = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + "\n"
        "M\u200b1,王\u200d芳,女,1990-01-02,138\u20600013\ufeff8000,S\u200c01,2024-01-05,\n",
    )
    assert load(db_path, "members", path).exit_code == 0
    assert query(db_path, "select member_id, name, phone, store_id from members") == [
        ("M1", "王\u200d芳", "13800138000", "S01")
    ]


def test_a_bom_at_the_start_of_a_line_in_a_joined_file_is_not_part_of_the_id(db_path, tmp_path):
    # two exports joined with `cat`: the second one's BOM starts a line in the middle
    first = f"{TX_HEADER}\nT1,{GOOD}\n".encode()
    second = f"T2,{GOOD}\n".encode("utf-8-sig")
    path = tmp_path / "joined.csv"
    path.write_bytes(first + second)
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert [t[0] for t in tickets(db_path)] == ["T1", "T2"]


def test_headers_padded_with_invisible_characters_are_matched(db_path, tmp_path):
    header = (
        "\u00a0小票号\u200b,门店编号\u3000,\ufeff交易时间,会员\u200c卡号,实收金额\u2060,商品数量\t"
    )
    path = write(tmp_path / "tx.csv", f"{header}\nT1,{GOOD}\n")
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert "ignoring" not in result.stderr
    assert tickets(db_path) == [("T1", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("12.50"), 1)]


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        (b"a,b\n1,2\n", True),
        ("\ufeffa,b\n1,2\n".encode(), True),  # the file's own BOM
        ("a,b\n\ufeff1,2\n".encode(), False),  # a BOM in mid-file
        *[(f"a,b\n1,2{c}\n".encode(), False) for c in "\u00a0\u3000\u200b\u200c\u200d\u2060"],
        ("a,b\n王,2\n".encode(), True),
    ],
)
def test_a_file_is_plain_only_without_invisible_characters(data, plain):
    # a character may straddle chunks
    for split in range(len(data) + 1):
        whole = Scan(sha256="", size=0, is_sheet=False)
        for part in (data[:split], data[split:]):
            if part:
                whole.note_text(part)
        assert whole.plain is plain, (data, split)


# --- 2. Excel's text guards -------------------------------------------------------------------


def test_excel_text_guards_are_unwrapped(db_path, tmp_path):
    path = tx_file(
        tmp_path,
        '="00123",="007",2026-03-01 10:00:00,="000456",12.50,1',  # as Excel's CSV writer leaves it
        '"=""00124""",S01,2026-03-01 10:00:00,M1,"=""12.50""",1',  # the same, quoted
        "'00125,'007,'2026-03-01 10:00:00,'000456,'12.50,'2",  # Excel's text marker
    )
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert tickets(db_path) == [
        ("00123", "007", datetime(2026, 3, 1, 10), "000456", Decimal("12.50"), 1),
        ("00124", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("12.50"), 1),
        ("00125", "007", datetime(2026, 3, 1, 10), "000456", Decimal("12.50"), 2),
    ]


def test_a_leading_apostrophe_in_a_plain_file_is_unwrapped(db_path, tmp_path):
    # no quote anywhere: the fast path must see the text marker too
    path = tx_file(tmp_path, f"'T1,{GOOD}", f"T2,{GOOD}")
    assert load(db_path, "transactions", path).exit_code == 0
    assert [t[0] for t in tickets(db_path)] == ["T1", "T2"]


def test_memberkits_own_formula_guard_comes_off_again_on_reload(db_path, tmp_path):
    # memberkit's CSV output writes ' before text a spreadsheet would run as a formula
    path = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + "\n'M1,'=HYPERLINK(1),女,,13800138000,S01,2024-01-05,\n"
        "M2,'-2+3,男,,13800138001,S01,2024-01-05,\n",
    )
    assert load(db_path, "members", path).exit_code == 0
    assert query(db_path, "select member_id, name from members order by 1") == [
        ("M1", "=HYPERLINK(1)"),
        ("M2", "-2+3"),
    ]


# --- 3. numbers in scientific notation where ids belong ------------------------------------------


def test_ids_and_phones_in_scientific_notation_are_rejected_never_expanded(db_path, tmp_path):
    members = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + "\n"
        "M1,张伟,男,,1.38E+10,S01,2024-01-05,\n"
        "1.3800138e10,王芳,女,,13800138000,S01,2024-01-05,\n"
        "M3,李娜,女,,13800138001,1E+11,2024-01-05,\n"
        "M4,赵敏,女,,13800138002,12E3,2024-01-05,\n",  # a code, not Excel damage
    )
    result = load(db_path, "members", members, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    assert counts(result) == "4 read, 1 loaded, 0 replaced, 0 duplicate, 3 rejected"
    assert f"line 2, column phone: {SCIENTIFIC}" in result.stderr
    assert rejects(db_path) == [
        (2, "phone", SCIENTIFIC),
        (3, "member_id", SCIENTIFIC),
        (4, "store_id", SCIENTIFIC),
    ]
    assert query(db_path, "select member_id, store_id from members") == [("M4", "12E3")]


def test_a_ticket_file_of_scientific_ids_is_refused(db_path, tmp_path):
    path = tx_file(tmp_path, f"1.23457E+11,{GOOD}", f"T2,{GOOD}")
    result = load(db_path, "transactions", path)
    assert result.exit_code == 3
    assert f"line 2, column txn_id: {SCIENTIFIC}" in result.stderr
    assert tickets(db_path) == []


# --- 4. dates ----------------------------------------------------------------------------------

ACCEPTED_TIMES = {
    "2026-10-05": datetime(2026, 10, 5),
    "2026/10/05": datetime(2026, 10, 5),
    "2026.10.05": datetime(2026, 10, 5),
    "20261005": datetime(2026, 10, 5),
    "2026-1-5": datetime(2026, 1, 5),
    "2026年10月5日": datetime(2026, 10, 5),
    "2026-10-05 14:30": datetime(2026, 10, 5, 14, 30),
    "2026/10/05 14:30:15": datetime(2026, 10, 5, 14, 30, 15),
    "2026.10.05 14:30:15.25": datetime(2026, 10, 5, 14, 30, 15, 250000),
    "20261005 14:30:15": datetime(2026, 10, 5, 14, 30, 15),
    "20261005143015": datetime(2026, 10, 5, 14, 30, 15),
    "2026-1-5 9:05": datetime(2026, 1, 5, 9, 5),
    "2026年10月5日 14:30": datetime(2026, 10, 5, 14, 30),
    "2026年10月5日14:30:15": datetime(2026, 10, 5, 14, 30, 15),
    "2026-10-05T14:30:15": datetime(2026, 10, 5, 14, 30, 15),
    "2026-10-05T14:30:15.123456": datetime(2026, 10, 5, 14, 30, 15, 123456),
    # ISO with an offset: wall time in Asia/Shanghai (UTC+8)
    "2026-10-05T06:30:15Z": datetime(2026, 10, 5, 14, 30, 15),
    "2026-10-05T14:30:15+08:00": datetime(2026, 10, 5, 14, 30, 15),
    "2026-10-05 14:30+0800": datetime(2026, 10, 5, 14, 30),
    "2026-10-04T23:30:00-07:00": datetime(2026, 10, 5, 14, 30),
    "2026-10-05T00:30:00+09:00": datetime(2026, 10, 4, 23, 30),
}


def test_every_accepted_date_form_loads_as_its_time(db_path, tmp_path):
    forms = list(ACCEPTED_TIMES)
    path = tx_file(tmp_path, *(f"T{i:02},S01,{v},M1,1.00,1" for i, v in enumerate(forms)))
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert counts(result) == f"{len(forms)} read, {len(forms)} loaded, 0 duplicate, 0 rejected"
    stored = dict(query(db_path, "select txn_id, txn_time from transactions"))
    assert {v: stored[f"T{i:02}"] for i, v in enumerate(forms)} == ACCEPTED_TIMES


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", datetime(2026, 10, 5, 6, 30)),
        ("America/New_York", datetime(2026, 10, 5, 2, 30)),  # daylight saving time: UTC-4
        ("asia/tokyo", datetime(2026, 10, 5, 15, 30)),
    ],
)
def test_timezone_option_sets_the_wall_time_of_offsets(db_path, tmp_path, zone, expected):
    path = tx_file(
        tmp_path,
        "T1,S01,2026-10-05T14:30:00+08:00,M1,1.00,1",
        "T2,S01,2026-10-05 14:30:00,M1,1.00,1",  # no offset: already wall time, kept
    )
    assert load(db_path, "transactions", path, "--timezone", zone).exit_code == 0
    assert query(db_path, "select txn_time from transactions order by txn_id") == [
        (expected,),
        (datetime(2026, 10, 5, 14, 30),),
    ]


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("Etc/Unknown", "unknown time zone 'Etc/Unknown'"),  # ICU would read it as UTC
        ("", "unknown time zone ''"),
        ("+08:00", "unknown time zone '+08:00'"),
        ("CST", "CST is US Central time"),  # not China Standard Time
    ],
)
def test_an_unknown_timezone_is_a_usage_error_naming_the_option(db_path, tmp_path, zone, message):
    path = tx_file(tmp_path, f"T1,{GOOD}")
    result = load(db_path, "transactions", path, "--timezone", zone)
    assert result.exit_code == 2, result.output
    assert f"memberkit: --timezone: {message}" in result.stderr
    assert tickets(db_path) == []


def test_day_month_order_is_refused_without_date_format(db_path, tmp_path):
    path = tx_file(
        tmp_path,
        "T1,S01,05/10/2026,M1,1.00,1",
        "T2,S01,10/5/2026 14:30,M1,1.00,1",
        "T3,S01,25-12-2026,M1,1.00,1",
        f"T4,{GOOD}",
    )
    result = load(db_path, "transactions", path)
    assert result.exit_code == 3
    assert f"line 2, column txn_time: {NO_ORDER}" in result.stderr
    assert rejects(db_path) == [(line, "txn_time", NO_ORDER) for line in (2, 3, 4)]
    assert tickets(db_path) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("dmy", [datetime(2026, 10, 5), datetime(2026, 5, 10, 14, 30), datetime(2026, 12, 25)]),
        ("mdy", [datetime(2026, 5, 10), datetime(2026, 10, 5, 14, 30), None]),
    ],
)
def test_date_format_names_the_day_month_order(db_path, tmp_path, order, expected):
    path = tx_file(
        tmp_path,
        "T1,S01,05/10/2026,M1,1.00,1",
        "T2,S01,10/5/2026 14:30,M1,1.00,1",
        "T3,S01,25.12.2026,M1,1.00,1",
        "T4,S01,2026-10-05 14:30:00,M1,1.00,1",  # year first stays readable
    )
    result = load(db_path, "transactions", path, "--date-format", order, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    stored = dict(query(db_path, "select txn_id, txn_time from transactions"))
    assert [stored.get(t) for t in ("T1", "T2", "T3")] == expected
    assert stored["T4"] == datetime(2026, 10, 5, 14, 30)
    if order == "mdy":  # month 25
        assert rejects(db_path) == [(4, "txn_time", BAD_TIME)]


def test_an_unknown_date_format_is_a_usage_error(db_path, tmp_path):
    result = load(db_path, "transactions", tx_file(tmp_path, f"T1,{GOOD}"), "--date-format", "ymd")
    assert result.exit_code == 2
    assert "'ymd' is not one of 'dmy', 'mdy'" in result.stderr


def test_dates_never_guessed_are_rejected_with_the_accepted_forms(db_path, tmp_path):
    path = tx_file(
        tmp_path,
        "T1,S01,02/03/26,M1,1.00,1",  # 2: a two-digit year (today: the year 2)
        "T2,S01,85-06-01 10:00,M1,1.00,1",  # 3: the year 85
        "T3,S01,2026123,M1,1.00,1",  # 4: seven digits (today: 2026-12-03)
        "T4,S01,46300,M1,1.00,1",  # 5: an Excel serial number
        "T5,S01,2026-02-30,M1,1.00,1",  # 6: no such day
        "T6,S01,2026-10-05 24:00,M1,1.00,1",  # 7: no such hour
        "T7,S01,26-10-05 10:00:00  ,M1,1.00,1",  # 8: the fast path's format, two-digit year
        f"T8,{GOOD}",
    )
    result = load(db_path, "transactions", path, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    assert rejects(db_path) == [
        (2, "txn_time", TWO_DIGIT_YEAR),
        (3, "txn_time", TWO_DIGIT_YEAR),
        (4, "txn_time", BAD_TIME),
        (5, "txn_time", BAD_TIME),
        (6, "txn_time", BAD_TIME),
        (7, "txn_time", BAD_TIME),
        (8, "txn_time", TWO_DIGIT_YEAR),
    ]
    assert [t[0] for t in tickets(db_path)] == ["T8"]


def test_date_columns_take_the_same_forms_and_refuse_two_digit_years(db_path, tmp_path):
    path = write(
        tmp_path / "members.csv",
        MEMBER_HEADER + "\n"
        "M1,张伟,男,1980年1月2日,13800138000,S01,2024.01.05,20250104\n"
        "M2,王芳,女,85-06-01,13800138001,S01,2024/1/5,\n"  # 3: birth year 85
        "M3,李娜,女,,13800138002,S01,2024-01-05T10:00:00Z,\n"  # 18:00 in Shanghai
        "M4,赵敏,女,,13800138003,S01,2024-01-05 23:30:00-08:00,\n",  # next day in Shanghai
    )
    result = load(db_path, "members", path, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    assert rejects(db_path) == [(3, "birth_date", TWO_DIGIT_YEAR)]
    assert query(
        db_path, "select member_id, birth_date, join_date, expiry_date from members order by 1"
    ) == [
        ("M1", date(1980, 1, 2), date(2024, 1, 5), date(2025, 1, 4)),
        ("M3", None, date(2024, 1, 5), None),
        ("M4", None, date(2024, 1, 6), None),
    ]


def test_target_months_take_their_forms_and_refuse_two_digit_years(db_path, tmp_path):
    path = write(
        tmp_path / "targets.csv",
        "月份,门店编号,目标销售额\n"
        "2026-10,S01,100\n2026/11,S01,100\n202612,S01,100\n2027年1月,S01,100\n"
        "2027-02-15,S01,100\n2027.3,S01,100\n"
        "27-04,S01,100\n27/05/01,S01,100\n",  # 8 and 9: two-digit years
    )
    result = load(db_path, "targets", path, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    bad_month = "bad month (accepted: 2026-10, 2026/10, 202610, 2026年10月 or a date)"
    assert rejects(db_path) == [(8, "month", bad_month), (9, "month", bad_month)]
    months = [r[0] for r in query(db_path, "select month from targets order by 1")]
    assert months == [date(2026, m, 1) for m in (10, 11, 12)] + [
        date(2027, m, 1) for m in (1, 2, 3)
    ]


def test_workbook_date_cells_still_load(db_path, tmp_path):
    import xlsxwriter

    path = tmp_path / "tx.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, TX_HEADER.split(","))
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(1, 0, ["T1", "S01"])
    sheet.write_datetime(1, 2, datetime(2026, 10, 5, 14, 30), when)
    sheet.write_row(1, 3, ["M1", 12.5, 1])
    book.close()
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    assert tickets(db_path) == [
        ("T1", "S01", datetime(2026, 10, 5, 14, 30), "M1", Decimal("12.50"), 1)
    ]


# --- 5. amounts ----------------------------------------------------------------------------------

ACCEPTED_AMOUNTS = {
    "12.5": "12.50",
    "¥1,234.50": "1234.50",
    "￥5": "5.00",
    "5元": "5.00",
    "5.00 元": "5.00",
    "RMB 5.20": "5.20",
    "RMB5.20": "5.20",
    "5.20RMB": "5.20",
    "5.20 RMB": "5.20",
    "-¥5.00": "-5.00",
    "¥-5.00": "-5.00",
    "(5.00)": "-5.00",
    "(¥1,005.00)": "-1005.00",
    "35.370000000000005": "35.37",  # a float that went through a spreadsheet
    "35.369999999999997": "35.37",
    "-0.30000000000000004": "-0.30",
    "12.3000": "12.30",
}


def test_every_accepted_amount_form_loads_as_its_value(db_path, tmp_path):
    forms = list(ACCEPTED_AMOUNTS)
    path = tx_file(
        tmp_path, *(f'T{i:02},S01,2026-03-01 10:00:00,M1,"{v}",1' for i, v in enumerate(forms))
    )
    result = load(db_path, "transactions", path)
    assert result.exit_code == 0, result.output
    stored = dict(query(db_path, "select txn_id, amount from transactions"))
    assert {v: stored[f"T{i:02}"] for i, v in enumerate(forms)} == {
        v: Decimal(d) for v, d in ACCEPTED_AMOUNTS.items()
    }


def test_a_third_decimal_is_more_than_two_decimals_and_garbage_is_not_a_number(db_path, tmp_path):
    path = tx_file(
        tmp_path,
        "T1,S01,2026-03-01 10:00:00,M1,35.375,1",  # 2
        "T2,S01,2026-03-01 10:00:00,M1,1.001,1",  # 3
        "T3,S01,2026-03-01 10:00:00,M1,¥12.345,1",  # 4
        "T4,S01,2026-03-01 10:00:00,M1,35.37000001,1",  # 5: 1e-8 off a cent
        "T5,S01,2026-03-01 10:00:00,M1,12.3a,1",  # 6
        "T6,S01,2026-03-01 10:00:00,M1,(-5.00),1",  # 7: two signs
        "T7,S01,2026-03-01 10:00:00,M1,1e2,1",  # 8
        f"T8,{GOOD}",
    )
    result = load(db_path, "transactions", path, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    assert f"line 2, column amount: {TOO_PRECISE}" in result.stderr
    assert rejects(db_path) == [(line, "amount", TOO_PRECISE) for line in (2, 3, 4, 5)] + [
        (line, "amount", "amount not a number") for line in (6, 7, 8)
    ]


def test_item_counts_stay_whole_numbers(db_path, tmp_path):
    path = tx_file(
        tmp_path,
        "T1,S01,2026-03-01 10:00:00,M1,1.00,\u00a03\u200b",
        "T2,S01,2026-03-01 10:00:00,M1,1.00,3.0",
        "T3,S01,2026-03-01 10:00:00,M1,1.00,'4",
    )
    result = load(db_path, "transactions", path, "--max-reject-ratio", "1")
    assert result.exit_code == 0, result.output
    assert query(db_path, "select txn_id, item_qty from transactions order by 1") == [
        ("T1", 3),
        ("T3", 4),
    ]
    assert rejects(db_path) == [(3, "item_qty", "not a whole number")]
