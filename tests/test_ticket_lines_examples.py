"""`memberkit load ticket-lines` by example (SPEC 3.2): a ticket split across two files, a
ticket file and a line file of the same sales, re-loading, a workbook of two sheets, sums a
ticket cannot hold, what messages name, files of the wrong kind, a refused file.
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

import reference_lines as ref
from conftest import TX_HEADER, fingerprint, query, run_cli, write
from memberkit.db import connect
from test_ticket_lines import SUMMARY, TX_SQL, counts, load_lines, summary

HEADER = "小票号,行号,门店编号,销售时间,会员卡号,商品编码,商品名称,品类,数量,金额"
T1 = "T1,{},S01,2026-03-01 10:00:00,M1,690001,苹果,水果,1,5.00"  # {}: line_no
T2 = "T2,1,S02,2026-03-02 11:00:00,,690002,面包,烘焙,-1,-3.50"  # a non-member refund
TICKETS = [
    ("T1", "S01", datetime(2026, 3, 1, 10), "M1", Decimal("10.00"), 2),
    ("T2", "S02", datetime(2026, 3, 2, 11), None, Decimal("-3.50"), -1),
]


def text(*lines: str, nl: str = "\n") -> str:
    return nl.join([HEADER, *lines]) + nl


def prints(db: Path) -> dict[str, tuple[int, int]]:
    con = connect(db)
    try:
        return fingerprint(con)
    finally:
        con.close()


def rejects_of(db: Path) -> list[tuple]:
    sql = (
        "select file_name, line, column_name, reason from rejects order by load_id, file_name, line"
    )
    return query(db, sql)


def test_a_ticket_split_across_two_files_rejects_the_second_part(tmp_path):
    db = tmp_path / "t.duckdb"
    first = write(tmp_path / "a.csv", text(T1.format(1), T1.format(2), T2))
    second = write(tmp_path / "b.csv", text(T1.format(3), T2.replace("T2", "T3")))
    result = load_lines(db, first, second)
    assert result.exit_code == 0, result.output
    assert SUMMARY.findall(result.stdout)[1][1:] == ("2", "1", "0", "1", "utf-8", "comma", "1")
    why = (
        "txn_id already loaded with different content (a ticket's lines must all come in one file)"
    )
    assert rejects_of(db) == [("b.csv", 2, "txn_id", why)]
    assert "line 2, column txn_id: txn_id already loaded" in result.output
    t3 = ("T3", *TICKETS[1][1:])
    assert sorted(query(db, TX_SQL)) == [*TICKETS, t3]  # T1 as the first file has it
    assert query(db, "select count(*) from ticket_lines where txn_id = 'T1'") == [(2,)]


def test_a_ticket_file_and_a_line_file_of_the_same_tickets_do_not_double(tmp_path):
    tickets = write(tmp_path / "t.csv", TX_HEADER + "\nT1,S01,2026/03/01 10:00,M1,¥10,2\n"
                    "T2,S02,2026-03-02 11:00:00,,-3.5,-1\n")  # fmt: skip
    lines = write(tmp_path / "l.csv", text(T1.format(1), T1.format(2), T2))
    before = tmp_path / "tickets_first.duckdb"
    assert run_cli("--db", before, "load", "transactions", tickets).exit_code == 0
    result = load_lines(before, lines)
    assert summary(result) == counts(3, 0, 3, 0, 0), result.output
    assert sorted(query(before, TX_SQL)) == TICKETS
    assert query(before, "select count(*) from ticket_lines") == [(0,)]

    after = tmp_path / "lines_first.duckdb"
    assert summary(load_lines(after, lines)) == counts(3, 3, 0, 0, 2)
    result = run_cli("--db", after, "load", "transactions", tickets)
    assert result.exit_code == 0 and "2 read, 0 loaded, 2 duplicate, 0 rejected" in result.stdout
    assert sorted(query(after, TX_SQL)) == TICKETS


def test_a_ticket_loaded_before_is_compared_on_every_rolled_up_value(tmp_path):
    """Against a ticket file, a line file's ticket is a duplicate only if store, time, member,
    amount and quantity all agree; else all its lines are rejected."""
    db = tmp_path / "t.duckdb"
    same = "S01,2026-03-01 10:00:00,M1,10.00,2"
    other = ["S02,2026-03-01 10:00:00,M1,10.00,2", "S01,2026-03-01 10:01:00,M1,10.00,2",
             "S01,2026-03-01 10:00:00,,10.00,2", "S01,2026-03-01 10:00:00,M2,10.00,2",
             "S01,2026-03-01 10:00:00,M1,10.01,2",
             "S01,2026-03-01 10:00:00,M1,10.00,3"]  # fmt: skip
    tickets = [f"T{n},{content}" for n, content in enumerate([same, *other], start=1)]
    write(tmp_path / "t.csv", "\n".join([TX_HEADER, *tickets]) + "\n")
    assert run_cli("--db", db, "load", "transactions", tmp_path / "t.csv").exit_code == 0
    lines = [T1.replace("T1", f"T{n}").format(i) for n in range(1, 9) for i in (1, 2)]
    result = load_lines(db, write(tmp_path / "l.csv", text(*lines)))
    assert summary(result) == counts(16, 2, 2, 12, 1), result.output  # T8 is new
    why = (
        "txn_id already loaded with different content (a ticket's lines must all come in one file)"
    )
    assert rejects_of(db) == [("l.csv", line, "txn_id", why) for line in range(4, 16)]
    assert query(db, "select txn_id from transactions where load_id = 2") == [("T8",)]


def test_reloading_a_line_file_changes_nothing(tmp_path):
    db = tmp_path / "t.duckdb"
    path = write(tmp_path / "l.csv", text(T1.format(1), T2, T1.format(2)))
    assert summary(load_lines(db, path)) == counts(3, 3, 0, 0, 2)
    loaded = prints(db)
    again = load_lines(db, path)
    assert again.exit_code == 0 and "already loaded" in again.stdout, again.output
    # the same lines exported again: other order, line endings and encoding, a line twice
    again = text(T2, T1.format(2), T1.format(1), T1.format(2), nl="\r\n")
    export = write(tmp_path / "again.csv", again, "gb18030")
    assert summary(load_lines(db, export)) == counts(4, 0, 4, 0, 0)
    now = prints(db)
    assert now.pop("loads")[0] == loaded.pop("loads")[0] + 1
    assert now == loaded and sorted(query(db, TX_SQL)) == TICKETS


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, lines in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, HEADER.split(","))
        for row, values in enumerate(lines, start=1):
            for column, value in enumerate(values):
                if isinstance(value, datetime):
                    sheet.write_datetime(row, column, value, when)
                else:
                    sheet.write(row, column, value)
    book.close()
    return path


def test_an_xlsx_line_file_of_two_sheets(tmp_path):
    at = datetime(2026, 3, 1, 10)
    book = _workbook(tmp_path / "lines.xlsx", {
        "3月1日": [["T1", 1, "S01", at, "M1", "A", "苹果", "水果", 1, 5.5],
                 ["T1", 2, "S01", at, "M1", "A", "苹果", "水果", 1, 5.5],  # two sales
                 ["T2", 1, "S02", "2026-03-02 11:00", None, "B", "梨", "水果", -1, -3],
                 ["T5", 1, "S01", at, "M1", "A", "苹果", "水果", 1, 1]],
        "3月2日": [["T1", 3, "S01", at, "M1", "C", "面包", "烘焙", 2, "7.25"],  # same ticket
                 ["T5", 2, "S02", at, "M1", "A", "苹果", "水果", 1, 1],
                 ["T6", 1, "S01", at, None, "C", "面包", "烘焙", 2, "x"]],
    })  # fmt: skip
    result = load_lines(tmp_path / "t.duckdb", book)
    assert summary(result) == counts(7, 4, 0, 3, 2), result.output
    assert sorted(query(tmp_path / "t.duckdb", TX_SQL)) == [
        ("T1", "S01", at, "M1", Decimal("18.25"), 4),
        ("T2", "S02", datetime(2026, 3, 2, 11), None, Decimal("-3.00"), -1),
    ]
    why = "ticket T5 rejected: its lines disagree on store_id (lines 5 [3月1日], 3 [3月2日])"
    assert rejects_of(tmp_path / "t.duckdb") == [
        ("lines.xlsx [3月1日]", 5, "store_id", why),
        ("lines.xlsx [3月2日]", 3, "store_id", why),
        ("lines.xlsx [3月2日]", 4, "amount", "amount not a number"),
    ]


def test_a_ticket_whose_lines_add_up_beyond_what_a_ticket_holds_is_rejected(tmp_path):
    big, most = "6000000000000000.00", 2**31 - 1
    sums = [("T1", 1, big), ("T1", 1, big), ("T2", 1, f"-{big}"), ("T2", 1, f"-{big}"),
            ("T3", most, "1.00"), ("T3", 1, "1.00"), ("T4", -most - 1, "1.00"), ("T4", -1, "1.00"),
            ("T5", most, big), ("T5", 0, big.replace("6", "3"))]  # fmt: skip
    lines = [T1.format(n).replace("T1", t).replace("1,5.00", f"{q},{a}") for n, (t, q, a) in
             enumerate(sums)]  # fmt: skip
    result = load_lines(tmp_path / "t.duckdb", write(tmp_path / "l.csv", text(*lines)))
    assert summary(result) == counts(10, 2, 0, 8, 1), result.output
    beyond = "ticket {} rejected: its lines' {} add up beyond {}"
    assert [r[1:] for r in rejects_of(tmp_path / "t.duckdb")] == [
        (2, "amount", beyond.format("T1", "amounts", "9999999999999999.99")),
        (3, "amount", beyond.format("T1", "amounts", "9999999999999999.99")),
        (4, "amount", beyond.format("T2", "amounts", "-9999999999999999.99")),
        (5, "amount", beyond.format("T2", "amounts", "-9999999999999999.99")),
        (6, "qty", beyond.format("T3", "quantities", "2147483647")),
        (7, "qty", beyond.format("T3", "quantities", "2147483647")),
        (8, "qty", beyond.format("T4", "quantities", "-2147483648")),
        (9, "qty", beyond.format("T4", "quantities", "-2147483648")),
    ]
    assert query(tmp_path / "t.duckdb", "select amount, item_qty from transactions") == [
        (Decimal("9000000000000000.00"), most)
    ]


def test_reject_messages_name_file_line_and_column(tmp_path):
    bad = T1.format(2).replace("5.00", "5.0元0")
    path = write(tmp_path / "明细.csv", text(T2, T1.format(1), bad, nl="\r\n"), "gb18030")
    out = tmp_path / "rejects.csv"
    result = load_lines(tmp_path / "t.duckdb", path, "--rejects", out)
    assert summary(result) == counts(3, 1, 0, 2, 1), result.output
    assert "(gb18030, comma)" in result.stdout
    assert "line 3, column txn_id: ticket T1 rejected: line 4 of it was rejected" in result.output
    assert "line 4, column amount: amount not a number" in result.output
    with open(out, encoding="utf-8-sig", newline="") as fh:
        written = [(r["file"], r["line"], r["column"], r["reason"]) for r in csv.DictReader(fh)]
    assert written == [
        ("明细.csv", "3", "txn_id", "ticket T1 rejected: line 4 of it was rejected"),
        ("明细.csv", "4", "amount", "amount not a number"),
    ]


@pytest.mark.parametrize("header", [HEADER, ",".join(ref.COLUMNS)], ids=["chinese", "english"])
def test_a_line_file_loaded_as_transactions_is_refused_naming_ticket_lines(tmp_path, header):
    path = write(tmp_path / "l.csv", f"{header}\n{T1.format(1)}\n{T1.format(2)}\n")
    result = run_cli("--db", tmp_path / "t.duckdb", "load", "transactions", path)
    assert result.exit_code == 3, result.output
    assert "l.csv" in result.output and "`memberkit load ticket-lines ...`" in result.output
    assert query(tmp_path / "t.duckdb", "select count(*) from transactions") == [(0,)]


def test_a_line_file_whose_headers_fit_transactions_too_is_refused_naming_ticket_lines(tmp_path):
    """小票号, 门店编号, 销售时间, 会员卡号, 数量, 金额 are every column of both kinds: loaded as
    asked, its repeated tickets are refused, and the hint names the kind it is."""
    lines = [T1.format(1), T1.format(2).replace("5.00", "6.00"), T2]
    header = "小票号,门店编号,销售时间,会员卡号,数量,金额"
    keep = (0, 2, 3, 4, 8, 9)  # those columns of HEADER
    rows = [",".join(line.split(",")[i] for i in keep) for line in lines]
    path = write(tmp_path / "l.csv", "\n".join([header, *rows]) + "\n")
    result = run_cli("--db", tmp_path / "t.duckdb", "load", "transactions", path)
    assert result.exit_code == 3, result.output
    assert "line 3, column txn_id: duplicate txn_id with different content" in result.output
    assert "load the file with `memberkit load ticket-lines ...`" in result.stderr
    assert query(tmp_path / "t.duckdb", "select count(*) from transactions") == [(0,)]
    loaded = load_lines(tmp_path / "t.duckdb", path)
    assert summary(loaded) == counts(3, 3, 0, 0, 2), loaded.output


TX_ENGLISH = "txn_id,store_id,txn_time,member_id,amount,item_qty"


@pytest.mark.parametrize("header", [TX_HEADER, TX_ENGLISH], ids=["chinese", "english"])
def test_a_ticket_file_loaded_as_ticket_lines_is_refused_naming_transactions(tmp_path, header):
    path = write(tmp_path / "t.csv", f"{header}\nT1,S01,2026-03-01 10:00:00,M1,10.00,2\n")
    result = run_cli("--db", tmp_path / "t.duckdb", "load", "ticket-lines", path)
    assert result.exit_code == 3, result.output
    assert "t.csv: missing required column qty (数量) for ticket-lines" in result.output
    assert "`memberkit load transactions ...`" in result.output
    assert query(tmp_path / "t.duckdb", "select count(*) from ticket_lines") == [(0,)]


def test_a_line_file_over_the_reject_ratio_loads_nothing(tmp_path):
    db = tmp_path / "t.duckdb"
    assert summary(load_lines(db, write(tmp_path / "a.csv", text(T2)))) == counts(1, 1, 0, 0, 1)
    before = prints(db)
    bad = T1.format(3).replace("10:00:00", "25:00:00")
    path = write(tmp_path / "b.csv", text(T1.format(1), T1.format(2), bad, T2.replace("T2", "T3")))
    result = run_cli("--db", db, "load", "ticket-lines", path)
    assert result.exit_code == 3, result.output
    assert (
        "b.csv: 4 read, REFUSED: 3 rejected, nothing loaded (1 would have loaded" in result.stdout
    )
    after = prints(db)
    for table in ("transactions", "ticket_lines", "ticket_stores"):
        assert after[table] == before[table], table
    assert query(db, "select status, rows_read, rows_loaded, rows_rejected from loads "
                 "where file_name = 'b.csv'") == [("refused", 4, 0, 3)]  # fmt: skip
