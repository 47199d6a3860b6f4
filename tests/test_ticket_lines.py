"""`memberkit load ticket-lines` against a plain-Python reference (reference_lines.py).

Hypothesis writes line-level exports the way POS systems and hand edits make them: identical
lines (two sales), refunds, zero-amount gift lines, member and non-member tickets, a ticket's
lines apart in the file, lines that disagree on store, time or member, a line_no given twice,
a bad value in one line, Chinese or English headers in any order, UTF-8 or GB18030, comma or
tab, sometimes after a ticket or line file that already holds some of the tickets. The real
CLI loads each file; the summary counts, the tickets formed, the lines kept and the rejects
(line, column, reason, raw text) must be the reference's.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import reference_lines as ref
from conftest import TX_HEADER, fingerprint, query, run_cli, write
from memberkit.db import connect
from test_hostile_input import fresh_db, fuzz

SUMMARY = re.compile(
    r"^(?P<file>.+?): (?P<read>[\d,]+) read, (?P<loaded>[\d,]+) loaded, (?P<dup>[\d,]+) "
    r"duplicate, (?P<rej>[\d,]+) rejected \((?P<enc>[^,]+), (?P<delim>\w+)\); "
    r"(?P<tickets>[\d,]+) tickets formed$",
    re.M,
)
TX_SQL = "select txn_id, store_id, txn_time, member_id, amount, item_qty from transactions"
LINES_SQL = f"select {', '.join(ref.COLUMNS)} from ticket_lines"
# MEMBERKIT_NO_SHRINK=1: report the first failing example as found (shrinking one takes minutes)
PHASES = [p for p in Phase if p != Phase.shrink or not os.environ.get("MEMBERKIT_NO_SHRINK")]
NAMES = ("苹果", "牛奶", "面包", "赠品袋", "洗衣液", "酸奶")
CATEGORIES = ("水果", "乳品", "烘焙", "赠品", "日化")
TWISTS = ("two_sales", "same_line_no", "line_no_differs", "blank_line_no", "gift", "time_form",
          "spaces", "store", "time", "member", "bad_time", "bad_amount", "bad_qty",
          "blank_store", "extra_field", "no_txn_id")  # fmt: skip


def money(cents: int, yuan_sign: bool = False) -> str:
    text = f"{Decimal(cents) / 100:.2f}"
    return f"¥{text}" if yuan_sign and cents >= 0 else text


def _twist(lines: list[dict], twist: str, has_line_no: bool, when: datetime, at: int) -> None:
    """Change one ticket's lines (written at `when`) as an export or a hand edit would, at
    its line `at` (modulo their number)."""
    ticket_time = when.strftime(ref.TIME_FORMS[0])
    line = lines[at % len(lines)]
    copy = dict(line)
    if twist == "two_sales":  # the same item twice: with line_no, under a number of its own
        if has_line_no:
            copy["line_no"] = str(int(line["line_no"] or 0) + 100)
        lines.append(copy)
    elif twist == "same_line_no":  # an overlapping export: the very same line again
        lines.insert(at % (len(lines) + 1), copy)
    elif twist == "line_no_differs":  # its line_no again with another amount
        lines.append(copy | {"item_name": "改价"})
    elif twist == "blank_line_no":
        line["line_no"] = ""
    elif twist == "gift":  # a zero-amount gift line
        lines.append(copy | {"sku": "GIFT", "item_name": "赠品袋", "qty": "1", "amount": "0.00"})
    elif twist == "time_form" and line["txn_time"] == ticket_time:
        line["txn_time"] = when.strftime(ref.TIME_FORMS[1])  # the same time: lines agree
    elif twist == "spaces":  # trimmed: still the same store and member
        line["store_id"] = f" {line['store_id']} "
        line["member_id"] = f"{line['member_id']}\u3000" if line["member_id"] else ""
    elif twist == "store":
        line["store_id"] = "S09"
    elif twist == "time":
        line["txn_time"] = (when + timedelta(hours=1)).strftime(ref.TIME_FORMS[0])
    elif twist == "member":
        line["member_id"] = "" if line["member_id"] else "M9"
    elif twist == "bad_time":
        line["txn_time"] = "2026-13-05 10:00"
    elif twist == "bad_amount":
        line["amount"] = "12.3.4"
    elif twist == "bad_qty":
        line["qty"] = "x"
    elif twist == "blank_store":
        line["store_id"] = ""
    elif twist == "extra_field":
        line["_extra"] = True
    elif twist == "no_txn_id":
        lines.append(copy | {"txn_id": ""})


@st.composite
def line_files(draw) -> dict:
    """A line file: its columns, header names, rows (text by column), encoding and layout."""
    has_line_no = draw(st.booleans())
    optional = [c for c in ("sku", "category") if draw(st.booleans())]
    columns = ["txn_id", *(["line_no"] if has_line_no else []), "store_id", "txn_time",
               "member_id", *optional, "item_name", "qty", "amount"]  # fmt: skip
    if draw(st.booleans()):
        columns = list(draw(st.permutations(columns)))
    chinese = draw(st.booleans())
    header = [draw(st.sampled_from(ref.HEADERS[c][1:])) if chinese else c for c in columns]
    first_no = draw(st.sampled_from([1, 0, 62, 1000]))  # the loader's fast check ends at 63
    rows: list[dict] = []
    for t in range(draw(st.integers(2, 8))):
        refund = draw(st.integers(0, 4)) == 0
        sign = -1 if refund else 1
        when = datetime(2026, 3, draw(st.integers(1, 28)), draw(st.integers(8, 21)),
                        draw(st.integers(0, 59)))  # fmt: skip
        ticket = {
            "txn_id": draw(st.sampled_from(["T", "0"])) + f"{t + 1:05d}",
            "store_id": draw(st.sampled_from(["S01", "S02", "门店3"])),
            "txn_time": when.strftime(ref.TIME_FORMS[0]),
            "member_id": draw(st.sampled_from(["", "M1", "M2", "0003"])),
        }
        lines = [
            ticket
            | {
                "line_no": str(first_no + i),
                "sku": f"69{draw(st.integers(0, 99)):05d}",
                "item_name": draw(st.sampled_from(NAMES)),
                "category": draw(st.sampled_from(CATEGORIES)),
                "qty": str(sign * draw(st.integers(0, 3))),
                "amount": money(
                    sign * draw(st.one_of(st.just(0), st.integers(1, 99_999))), draw(st.booleans())
                ),
            }
            for i in range(draw(st.integers(1, 4)))
        ]
        for twist in draw(st.lists(st.sampled_from(TWISTS), max_size=3)):
            _twist(lines, twist, has_line_no, when, draw(st.integers(0, 7)))
        rows.extend(lines)
    if draw(st.booleans()):  # a ticket's lines need not be next to each other
        rows = list(draw(st.permutations(rows)))
    return {
        "columns": columns,
        "header": header,
        "rows": rows,
        "encoding": draw(st.sampled_from(["utf-8", "gb18030"])),
        "delimiter": draw(st.sampled_from([",", "\t"])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
    }


def render(spec: dict) -> str:
    delimiter = spec["delimiter"]
    lines = [delimiter.join(spec["header"])]
    for row in spec["rows"]:
        fields = [row[c] for c in spec["columns"]] + (["x"] if row.get("_extra") else [])
        lines.append(delimiter.join(fields))
    return spec["newline"].join(lines) + spec["newline"]


def prior_file(outcome: ref.Outcome, kind: str, draw) -> tuple[str, dict, list[tuple]]:
    """A file loaded first holding some of the tickets, with the same content or another,
    and one ticket of its own: its text, the tickets it stores and (line file) its lines."""
    stored: dict = {"P00001": ("S01", datetime(2026, 2, 1, 9), None, Decimal("1"), 1)}
    for txn_id, ticket in outcome.tickets.items():
        choice = draw(st.sampled_from(["same", "other", "none"]))
        if choice != "none":
            store, when, member, amount, qty = ticket
            stored[txn_id] = (store, when, member, amount + (choice == "other") * Decimal(1), qty)
    header, body, lines = "txn_id,store_id,txn_time,member_id,amount,item_qty", [], []
    for txn_id, (store, when, member, amount, qty) in stored.items():
        ticket = f"{txn_id},{store},{when:%Y-%m-%d %H:%M:%S},{member or ''}"
        if kind == "transactions":
            body.append(f"{ticket},{amount},{qty}")
        else:  # one line per ticket
            header = "txn_id,store_id,txn_time,member_id,item_name,qty,amount"
            body.append(f"{ticket},合计,{qty},{amount}")
            lines.append((txn_id, None, store, when, member, None, "合计", None, qty, amount))
    return "\n".join([header, *body]) + "\n", stored, lines


def load_lines(db: Path, path: Path, *args: str):
    return run_cli("--db", db, "load", "ticket-lines", path, "--max-reject-ratio", "1", *args)


def summary(result) -> dict[str, int]:
    found = SUMMARY.search(result.stdout)
    assert found, result.output
    return {
        k: int(found.group(k).replace(",", "")) for k in ("read", "loaded", "dup", "rej", "tickets")
    }


def counts(read, loaded, dup, rej, tickets) -> dict[str, int]:
    return {"read": read, "loaded": loaded, "dup": dup, "rej": rej, "tickets": tickets}


def assert_outcome(db: Path, result, outcome: ref.Outcome, raw: dict[int, str], encoding: str,
                   tickets: dict, lines: list[tuple]) -> None:  # fmt: skip
    """The CLI's load did what the reference says, in the summary and in every table."""
    assert result.exit_code == 0, result.output
    assert summary(result) == counts(
        outcome.read, outcome.loaded, outcome.duplicate, outcome.rejected, len(outcome.tickets)
    ), (result.output, outcome)
    assert f"({encoding}, " in result.stdout
    assert sorted(query(db, TX_SQL)) == sorted((k, *v) for k, v in tickets.items())
    assert Counter(query(db, LINES_SQL)) == Counter(lines)
    stored = query(
        db,
        "select line, column_name, reason, raw, file_name from rejects "
        "where load_id = (select max(load_id) from loads) order by line",
    )
    assert len(stored) == len(outcome.rejects), (stored, outcome.rejects)
    for (line, column, reason, raw_text, name), want in zip(stored, outcome.rejects, strict=True):
        assert (line, column) == (want.line, want.column), (stored, outcome.rejects)
        assert reason == want.reason if want.exact else reason.startswith(want.reason), want
        assert raw_text == raw[line] and name == "lines.csv"
    ledger = query(db, "select rows_read, rows_loaded, rows_duplicate, rows_rejected from loads "
                   "where load_id = (select max(load_id) from loads)")  # fmt: skip
    assert ledger == [(outcome.read, outcome.loaded, outcome.duplicate, outcome.rejected)]


@settings(fuzz(30), phases=PHASES)
@given(spec=line_files(), prior=st.sampled_from([None, None, "transactions", "ticket-lines"]),
       data=st.data())  # fmt: skip
def test_line_files_load_as_the_reference_rolls_them_up(spec, prior, data):
    text = render(spec)
    rows = ref.read_rows(text, spec["delimiter"])
    has_line_no = "line_no" in spec["columns"]
    stored: dict = {}
    lines: list[tuple] = []
    with fresh_db() as folder:
        db = folder / "t.duckdb"
        if prior:
            alone = ref.load(rows, has_line_no, {})
            prior_text, stored, lines = prior_file(alone, prior, data.draw)
            first = folder / "prior.csv"
            first.write_text(prior_text, encoding="utf-8")
            done = run_cli("--db", db, "load", prior, first)
            assert done.exit_code == 0 and "0 rejected" in done.stdout, done.output
        path = folder / "lines.csv"
        path.write_bytes(text.encode(spec["encoding"]))
        outcome = ref.load(rows, has_line_no, stored)
        result = load_lines(db, path)
        assert_outcome(db, result, outcome, {r.line: r.raw for r in rows}, spec["encoding"],
                       stored | outcome.tickets, lines + outcome.lines)  # fmt: skip


def test_each_change_alone_loads_as_the_reference_says(tmp_path):
    """Every change of TWISTS on its own ticket, of a member and of none, with and without a
    line_no column: the fuzz test above meets each only by chance."""
    for has_line_no in (True, False):
        columns = [c for c in ref.COLUMNS if has_line_no or c != "line_no"]
        rows: list[dict] = []
        for n, (twist, member) in enumerate((t, m) for t in (None, *TWISTS) for m in ("M1", "")):
            when = datetime(2026, 3, 1 + n % 28, 10)
            lines = [
                {
                    "txn_id": f"T{n:05d}",
                    "line_no": str(i + 1),
                    "store_id": "S01",
                    "txn_time": when.strftime(ref.TIME_FORMS[0]),
                    "member_id": member,
                    "sku": f"69{i:05d}",
                    "item_name": NAMES[i],
                    "category": CATEGORIES[i],
                    "qty": str(i + 1),
                    "amount": money(100 * i + 7),
                }  # fmt: skip
                for i in range(3)
            ]
            if twist:
                _twist(lines, twist, has_line_no, when, at=1)
            rows.extend(lines)
        spec = {"columns": columns, "header": columns, "rows": rows}
        text = render(spec | {"delimiter": ",", "newline": "\n"})
        parsed = ref.read_rows(text, ",")
        outcome = ref.load(parsed, has_line_no, {})
        folder = tmp_path / str(has_line_no)
        path = write(folder.mkdir() or folder / "lines.csv", text)
        result = load_lines(folder / "t.duckdb", path)
        assert_outcome(folder / "t.duckdb", result, outcome, {r.line: r.raw for r in parsed},
                       "utf-8", outcome.tickets, outcome.lines)  # fmt: skip


# --- examples ------------------------------------------------------------------------------

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
    # the same lines exported again: other order, line endings and encoding
    export = write(
        tmp_path / "again.csv", text(T2, T1.format(2), T1.format(1), nl="\r\n"), "gb18030"
    )
    assert summary(load_lines(db, export)) == counts(3, 0, 3, 0, 0)
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
