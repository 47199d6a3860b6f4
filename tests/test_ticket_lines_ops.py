"""Ticket lines in operations (SPEC 3, 3.2): a line load killed or failing at any point
leaves the database as it was; an old database is upgraded; `info` and `check` count and
verify lines; and the real public Complete Journey slice loads and reports as a plain-Python
reference computes it from the CSV."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import TX_HEADER, query, rows, run_cli, state, write
from memberkit import db
from memberkit.schema import SCHEMA_VERSION

LINES_HEADER = "小票号,行号,门店编号,交易时间,会员卡号,商品编码,商品名称,品类,数量,金额"
# columns a re-load gives other values: the ledger's ids and times
LOAD_IDS = ("load_id", "replaced_by_load_id", "started_at", "finished_at")


def load(db_file: Path, kind: str, path: Path, *extra: object, code: int = 0):
    result = run_cli("--db", db_file, "load", kind, path, *extra)
    assert result.exit_code == code, result.output
    return result


def raw(db_file: Path, sql: str) -> list[tuple]:
    """A query on the file as it is, without memberkit's open (which undoes and upgrades)."""
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return rows(con, sql)
    finally:
        con.close()


def check_json(db_file: Path):
    result = run_cli("--db", db_file, "check", "--format", "json")
    doc = json.loads(result.stdout)
    return result, {c["name"]: c for c in doc["checks"]}


def failed(checks: dict) -> dict[str, str]:
    return {name: c["detail"] for name, c in checks.items() if c["status"] == "fail"}


# -- 1. killed loads ------------------------------------------------------------------------

# T1 is in the database already (a ticket file) with this content: its line is a duplicate.
TICKETS = (
    f"{TX_HEADER}\nT1,S001,2026-10-01 10:00:00,M1,100.00,1\nT2,S002,2026-10-02 11:00:00,,20.00,2\n"
)
# L1: a member's two lines; L2: at a store no ticket has named yet (ticket_stores gains it);
# L3: a bad amount on line 6 rejects it whole (its line 7 too).
LINES = (
    f"{LINES_HEADER}\n"
    "L1,1,S001,2026-10-05 10:00:00,M1,SKU1,牛奶,乳品,2,10.00\n"
    "L1,2,S001,2026-10-05 10:00:00,M1,SKU2,面包,烘焙,1,5.50\n"
    "L2,1,S009,2026-10-06 11:00:00,,SKU1,牛奶,乳品,1,5.00\n"
    "L2,2,S009,2026-10-06 11:00:00,,SKU3,鸡蛋,生鲜,1,12.00\n"
    "L3,1,S001,2026-10-07 12:00:00,M2,SKU1,牛奶,乳品,1,abc\n"
    "L3,2,S001,2026-10-07 12:00:00,M2,SKU2,面包,烘焙,1,5.50\n"
    "T1,1,S001,2026-10-01 10:00:00,M1,SKU9,礼盒,礼品,1,100.00\n"
)
LINES_SUMMARY = "7 read, 4 loaded, 1 duplicate, 2 rejected (utf-8, comma); 2 tickets formed"
# a clean file: every ticket new, nothing to look at twice (no commit before the end)
CLEAN = (
    f"{LINES_HEADER}\n"
    "C1,1,S001,2026-10-08 10:00:00,M1,SKU1,牛奶,乳品,1,5.00\n"
    "C1,2,S001,2026-10-08 10:00:00,M1,SKU1,牛奶,乳品,1,5.00\n"
    "C2,1,S008,2026-10-08 11:00:00,,SKU2,面包,烘焙,3,16.50\n"
)
CLEAN_SUMMARY = "3 read, 3 loaded, 0 duplicate, 0 rejected (utf-8, comma); 2 tickets formed"
# only a ticket loaded before with the same content: committed first, no second read
OLD_SAME = (
    f"{LINES_HEADER}\n"
    "T1,1,S001,2026-10-01 10:00:00,M1,SKU9,礼盒,礼品,1,100.00\n"
    "D1,1,S007,2026-10-09 10:00:00,M3,SKU1,牛奶,乳品,4,20.00\n"
)
OLD_SAME_SUMMARY = "2 read, 1 loaded, 1 duplicate, 0 rejected (utf-8, comma); 1 ticket formed"

FILES = {
    "lines": (LINES, LINES_SUMMARY),
    "clean": (CLEAN, CLEAN_SUMMARY),
    "old_same": (OLD_SAME, OLD_SAME_SUMMARY),
}

# Where the load dies: a function of the loader patched (in a process of its own) to SIGKILL
# the process before or after it runs, as tests/test_load_merge.py and test_check.py stop a
# load between its transactions. `committed`: whether the load's first transaction (its
# bulk lines under a 'loading' ledger row) was committed when it died.
KILL_SCRIPT = """
import os, signal, sys
from memberkit.ingest import lines, lines_care, loader

module = {"lines": lines, "lines_care": lines_care, "loader": loader}[sys.argv[1]]
name, when = sys.argv[2], sys.argv[3]
original = getattr(module, name)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def patched(*args, **kwargs):
    if when == "before":
        die()
    value = original(*args, **kwargs)
    if when == "after" and (name != "_write_ledger" or args[-1] is not None):
        die()  # the ledger: once it holds the outcome, just before the final commit
    return value

setattr(module, name, patched)
from memberkit.cli import main
sys.argv = ["memberkit", *sys.argv[4:]]
main()
"""

KILLS = [
    # (file, module, function, before/after, committed)
    ("lines", "lines", "finish_load", "before", False),  # bulk lines in, not committed
    ("lines", "loader", "_commit_bulk_rows", "after", True),  # bulk lines committed
    ("lines", "lines_care", "_lines_text", "before", True),  # while judging (line_no done)
    ("lines", "lines", "_store", "after", True),  # lines and tickets stored
    ("lines", "loader", "_write_ledger", "after", True),  # the outcome in the ledger
    ("clean", "lines", "_roll_up", "after", False),  # tickets formed in scratch tables
    ("clean", "loader", "_write_ledger", "after", False),  # just before the only commit
    ("old_same", "lines", "_store", "after", True),  # after a commit, without a second read
]


@pytest.fixture(scope="module")
def killed_base(tmp_path_factory):
    """A database holding a ticket file (T1, T2), the line files, and the state a finished
    load of each gives on it (ledger ids and times left out), made when first asked for."""
    folder = tmp_path_factory.mktemp("killed")
    base = folder / "base.duckdb"
    load(base, "transactions", write(folder / "tickets.csv", TICKETS))
    files = {name: write(folder / f"{name}.csv", text) for name, (text, _) in FILES.items()}
    finished: dict[str, dict] = {}

    def after(name: str) -> dict:
        if name not in finished:
            db_file = folder / f"{name}.duckdb"
            shutil.copy(base, db_file)
            result = load(db_file, "ticket-lines", files[name], "--max-reject-ratio", "0.5")
            assert FILES[name][1] in result.output
            finished[name] = state(db_file, LOAD_IDS)
        return finished[name]

    return base, files, after


@pytest.mark.slow
@pytest.mark.parametrize(("file", "module", "function", "when", "committed"), KILLS)
def test_a_line_load_killed_leaves_the_database_as_before(
    killed_base, tmp_path, file, module, function, when, committed
):
    """SIGKILL `memberkit load ticket-lines` at a point of its work: the next open sees the
    database as before (no line, ticket, ledger row or store of the load), `check` names the
    interrupted load before that, and the file then loads whole."""
    base, files, after = killed_base
    finished = after(file)
    db_file = tmp_path / "kill.duckdb"
    shutil.copy(base, db_file)
    before = state(db_file)
    path = files[file]
    child = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, module, function, when, "--db", str(db_file)]
        + ["load", "ticket-lines", str(path), "--max-reject-ratio", "0.5"],
        capture_output=True,
        text=True,
    )
    assert child.returncode == -9, (child.returncode, child.stdout, child.stderr)

    # as the kill left it: the first transaction, if it was committed, and nothing more
    found = raw(
        db_file,
        "select (select list(status) from loads where kind = 'ticket-lines'),"
        " (select count(*) from ticket_lines),"
        " (select count(*) from transactions where txn_id not in ('T1', 'T2')),"
        " (select count(*) from ticket_stores)",
    )[0]
    bulk = {"lines": 6, "clean": 3, "old_same": 2}[file]  # the file's valid lines
    assert found == ((["loading"], bulk, 0, 2) if committed else (None, 0, 0, 2))

    # check reports the interrupted load, its file and rows, before anything undoes it
    result, checks = check_json(db_file)
    if committed:
        assert result.exit_code == 1
        problems = failed(checks)
        assert set(problems) == {"interrupted_loads"}, problems
        assert path.name in problems["interrupted_loads"]
        assert f"holding {bulk} rows" in problems["interrupted_loads"]
    else:
        assert result.exit_code == 0, failed(checks)
    # every later open sees the database as it was: no line, ticket or store of the load
    assert state(db_file) == before
    assert raw(db_file, "select count(*) from loads where status = 'loading'") == [(0,)]

    # and the file loads again, whole
    result = load(db_file, "ticket-lines", path, "--max-reject-ratio", "0.5")
    assert FILES[file][1] in result.output
    assert state(db_file, LOAD_IDS) == finished
    assert check_json(db_file)[0].exit_code == 0


def big_lines(path: Path, tickets: int, bad: bool = True) -> Path:
    """`tickets` tickets of four lines each (ticket i at store S(i mod 50)), and with `bad`
    a ticket X1 whose first line has an amount that is no number (its load commits its bulk
    lines first, then judges X1)."""
    body = "".join(
        f"B{t},{n},S{t % 50:03d},2026-10-{t % 28 + 1:02d} 10:00:00,M{t % 997},SKU{n},"
        f"商品{n},品类{n},{n},{n}.50\n"
        for t in range(tickets)
        for n in range(1, 5)
    )
    if bad:
        body += (
            "X1,1,S001,2026-10-07 12:00:00,M2,SKU1,牛奶,乳品,1,abc\n"
            "X1,2,S001,2026-10-07 12:00:00,M2,SKU1,牛奶,乳品,1,1.00\n"
        )
    return write(path, f"{LINES_HEADER}\n{body}")


@pytest.mark.parametrize("bad", [False, True])
def test_a_line_load_that_fills_the_disk_says_so_and_changes_nothing(tmp_path, bad):
    """A real full disk (RLIMIT_FSIZE: a write past it fails with EFBIG): the line load's
    first commit (the only one of a clean file; with a bad line, the bulk lines' before the
    tickets are judged) cannot be written; the database is as before, and with room the file
    loads."""
    import resource

    db_file = tmp_path / "full.duckdb"
    load(db_file, "transactions", write(tmp_path / "tickets.csv", TICKETS))
    before = state(db_file)
    path = big_lines(tmp_path / "lines.csv", 5_000, bad)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    child = subprocess.run(
        [sys.executable, "-m", "memberkit", "--db", str(db_file), "load", "ticket-lines"]
        + [str(path), "--max-reject-ratio", "0.5"],
        capture_output=True,
        text=True,
        preexec_fn=limit,
    )
    assert child.returncode == 1, child.stderr
    assert "the disk is full" in child.stderr and "File too large" in child.stderr
    assert "rolled back" in child.stderr and "Traceback" not in child.stderr
    assert raw(db_file, "select count(*) from loads where kind = 'ticket-lines'") == [(0,)]
    assert state(db_file) == before
    result = load(db_file, "ticket-lines", path, "--max-reject-ratio", "0.5")
    assert (
        f"{20_000 + 2 * bad:,} read, 20,000 loaded, 0 duplicate, {2 * bad} rejected "
        "(utf-8, comma); 5,000 tickets formed"
    ) in result.output
    assert query(db_file, "select count(*), sum(amount) from transactions", read_only=True) == [
        (5_002, Decimal("120.00") + 5_000 * Decimal("12.00"))
    ]


@pytest.mark.parametrize("stays_full", [False, True])
def test_a_line_load_failing_after_its_first_commit_is_undone(tmp_path, monkeypatch, stays_full):
    """The disk fills after the bulk lines were committed (a ticket loaded before makes the
    load commit them first): the load fails naming the full disk and the loader takes the
    committed lines out again; if the disk stays full and that fails too, `check` names the
    interrupted load and the next open undoes it. Then the file loads whole."""
    from memberkit.ingest import lines, loader

    db_file = tmp_path / "fails.duckdb"
    load(db_file, "transactions", write(tmp_path / "tickets.csv", TICKETS))
    before = state(db_file)
    path = write(tmp_path / "old_same.csv", OLD_SAME)
    full = duckdb.IOException(f'Could not write file "{db_file}.wal": No space left on device')
    store = lines._store

    def store_then_fail(*args, **kwargs):
        store(*args, **kwargs)  # the tickets are inserted in the second transaction ...
        raise full  # ... whose next statement finds the disk full

    def undo_fails(con):
        raise full

    monkeypatch.setattr(lines, "_store", store_then_fail)
    if stays_full:
        monkeypatch.setattr(loader, "undo_interrupted_loads", undo_fails)
    result = run_cli("--db", db_file, "load", "ticket-lines", path)
    assert result.exit_code == 1, result.output
    assert "the database could not be written: the disk is full" in result.stderr
    assert "rolled back" in result.stderr
    monkeypatch.undo()

    assert raw(db_file, "select count(*) from transactions where txn_id = 'D1'") == [(0,)]
    if stays_full:
        assert raw(db_file, "select status from loads where kind = 'ticket-lines'") == [
            ("loading",)
        ]
        assert raw(db_file, "select count(*) from ticket_lines") == [(2,)]
        result, checks = check_json(db_file)
        assert set(failed(checks)) == {"interrupted_loads"}
        assert "old_same.csv" in checks["interrupted_loads"]["detail"]
    else:  # undone at once, before the next open
        assert raw(db_file, "select count(*) from loads where kind = 'ticket-lines'") == [(0,)]
        assert raw(db_file, "select count(*) from ticket_lines") == [(0,)]
    assert state(db_file) == before
    result = load(db_file, "ticket-lines", path)
    assert OLD_SAME_SUMMARY in result.output
    assert query(
        db_file, "select txn_id, amount, item_qty from transactions order by 1", read_only=True
    ) == [
        ("D1", Decimal("20.00"), 4),
        ("T1", Decimal("100.00"), 1),
        ("T2", Decimal("20.00"), 2),
    ]
    assert check_json(db_file)[0].exit_code == 0


# -- 2. an older database --------------------------------------------------------------------


@pytest.fixture
def schema_4(tmp_path) -> Path:
    """A database as memberkit made it before ticket lines (schema 4: no ticket_lines),
    holding a ticket file."""
    db_file = tmp_path / "old.duckdb"
    load(db_file, "transactions", write(tmp_path / "tickets.csv", TICKETS))
    con = db.connect(db_file)
    try:
        con.execute("drop table ticket_lines")
        con.execute("update meta set value = '4' where key = 'schema_version'")
    finally:
        con.close()
    return db_file


def test_check_names_schema_4_and_skips_the_line_checks(schema_4):
    result, checks = check_json(schema_4)  # check opens the file as it is: no upgrade
    assert result.exit_code == 1
    assert set(failed(checks)) == {"schema_version"}
    detail = checks["schema_version"]["detail"]
    assert detail.startswith(
        f"schema 4, this memberkit uses {SCHEMA_VERSION}: it is upgraded the next time"
    )
    assert "missing: ticket_lines" in detail
    assert not {"unique_keys.ticket-lines", "ledger.ticket-lines", "rolled_up.ticket-lines"} & set(
        checks
    )
    assert checks["ledger.transactions"]["status"] == "pass"
    assert raw(schema_4, "select value from meta where key = 'schema_version'") == [("4",)]


def test_a_report_upgrades_schema_4_and_a_line_file_then_loads(schema_4, tmp_path):
    result = run_cli("--db", schema_4, "spending-power", "--month", "2026-10", "-f", "json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["rows"][0]
    assert (figures["sales"], figures["tickets"], figures["member_tickets"]) == (120.0, 2, 1)
    assert raw(schema_4, "select value from meta where key = 'schema_version'") == [
        (SCHEMA_VERSION,)
    ]
    assert raw(schema_4, "select count(*) from ticket_lines") == [(0,)]

    result = load(schema_4, "ticket-lines", write(tmp_path / "clean.csv", CLEAN))
    assert CLEAN_SUMMARY in result.output
    result = run_cli("--db", schema_4, "spending-power", "--month", "2026-10", "-f", "json")
    figures = json.loads(result.stdout)["rows"][0]
    # C1 (two lines of the same milk, 10.00) and C2 (16.50) beside T1 and T2
    assert (figures["sales"], figures["tickets"], figures["member_items"]) == (146.5, 4, 3)
    assert check_json(schema_4)[0].exit_code == 0


# -- 3. info and check -----------------------------------------------------------------------

# three tickets in seven lines: A1 a member's three (two of them the same milk: two sales),
# A2 a non-member's two, A3 a refund of two lines
THREE = (
    f"{LINES_HEADER}\n"
    "A1,1,S001,2026-10-05 10:00:00,M1,SKU1,牛奶,乳品,1,5.00\n"
    "A1,2,S001,2026-10-05 10:00:00,M1,SKU2,面包,烘焙,1,5.50\n"
    "A1,3,S001,2026-10-05 10:00:00,M1,SKU1,牛奶,乳品,1,5.00\n"
    "A2,1,S002,2026-10-06 11:00:00,,SKU3,鸡蛋,生鲜,1,12.00\n"
    "A2,2,S002,2026-10-06 11:00:00,,SKU4,可乐,饮料,2,7.00\n"
    "A3,1,S001,2026-10-07 12:00:00,M2,SKU1,牛奶,乳品,-1,-5.00\n"
    "A3,2,S001,2026-10-07 12:00:00,M2,SKU2,面包,烘焙,-1,-5.50\n"
)
THREE_NO_LINE_NO = "\n".join(
    ",".join(f for i, f in enumerate(line.split(",")) if i != 1) for line in THREE.splitlines()
)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Ticket and line files as a chain sends them, overlapping: a ticket file (T1, T2); the
    three tickets' lines, without line numbers (A1's two identical milk lines are two sales);
    the same lines again with line numbers (a new file: every line a duplicate); a ticket
    file holding A2 as its ticket (a duplicate) and T3; and a line file with T1 as one line
    (a duplicate) and a new A4."""
    folder = tmp_path_factory.mktemp("mixed")
    db_file = folder / "mixed.duckdb"
    load(db_file, "transactions", write(folder / "tickets.csv", TICKETS))
    result = load(db_file, "ticket-lines", write(folder / "three.csv", THREE_NO_LINE_NO))
    assert "7 read, 7 loaded, 0 duplicate, 0 rejected (utf-8, comma); 3 tickets formed" in (
        result.output
    )
    result = load(db_file, "ticket-lines", write(folder / "three_numbered.csv", THREE))
    assert "7 read, 0 loaded, 7 duplicate, 0 rejected (utf-8, comma); 0 tickets formed" in (
        result.output
    )
    tickets = (
        f"{TX_HEADER}\n"
        "A2,S002,2026-10-06 11:00:00,,19.00,3\n"
        "T3,S003,2026-10-09 09:00:00,M3,30.00,3\n"
    )
    result = load(db_file, "transactions", write(folder / "tickets2.csv", tickets))
    assert "2 read, 1 loaded, 1 duplicate, 0 rejected" in result.output
    more = (
        f"{LINES_HEADER}\n"
        "T1,1,S001,2026-10-01 10:00:00,M1,SKU9,礼盒,礼品,1,100.00\n"
        "A4,1,S002,2026-10-10 10:00:00,M1,SKU1,牛奶,乳品,3,15.00\n"
    )
    result = load(db_file, "ticket-lines", write(folder / "more.csv", more))
    assert "2 read, 1 loaded, 1 duplicate, 0 rejected (utf-8, comma); 1 ticket formed" in (
        result.output
    )
    return db_file


@pytest.fixture
def damaged(mixed, tmp_path) -> Path:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(mixed, copy)
    return copy


def test_info_counts_lines_beside_tickets(mixed):
    result = run_cli("--db", mixed, "info", "-f", "json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["rows"]["ticket_lines"] == 8  # A1-A3's seven and A4's one
    assert facts["rows"]["transactions"] == 7  # T1-T3 and A1-A4
    tickets = facts["tickets"]
    assert (tickets["lines"], tickets["from_lines"]) == (8, 4)
    assert (tickets["tickets"], tickets["refunds"], tickets["member_tickets"]) == (6, 1, 4)
    loads = {(row["file_name"], row["kind"]): row for row in facts["last_loads"]}
    numbered = loads[("three_numbered.csv", "ticket-lines")]
    assert (numbered["rows_read"], numbered["rows_loaded"], numbered["rows_duplicate"]) == (7, 0, 7)

    table = run_cli("--db", mixed, "info")
    assert table.exit_code == 0, table.output
    assert re.search(r"│ ticket_lines +│ +8 │", table.output)
    assert (
        "ticket lines: 8 lines, rolled up into 4 of the 7 transactions rows "
        "(the other 3 from ticket files)"
    ) in table.output


def test_info_says_no_lines_or_all_rows_from_lines(tmp_path):
    """Without lines, info says none were loaded (not "0 of the 0 rows"); with only line
    files, that every transactions row came from them."""
    db_file = tmp_path / "only.duckdb"
    load(
        db_file,
        "stores",
        write(tmp_path / "stores.csv", "store_id,store_name,region\nS001,A,North\n"),
    )
    assert "ticket lines: none loaded\n" in run_cli("--db", db_file, "info").output
    load(db_file, "ticket-lines", write(tmp_path / "clean.csv", CLEAN))
    assert (
        "ticket lines: 3 lines, rolled up into all 2 transactions rows\n"
        in run_cli("--db", db_file, "info").output
    )


def test_info_names_some_store_ids_without_a_store_row_not_all(tmp_path):
    """A line export of a large chain names hundreds of stores no stores file has listed yet
    (the full Complete Journey: 457): the table names the first 20, -f json all of them."""
    db_file = tmp_path / "stores.duckdb"
    path = write(
        tmp_path / "many.csv",
        f"{LINES_HEADER}\n"
        + "".join(
            f"N{i},1,S{i:03d},2026-10-05 10:00:00,,SKU1,牛奶,乳品,1,5.00\n" for i in range(25)
        ),
    )
    load(db_file, "ticket-lines", path)
    table = run_cli("--db", db_file, "info")
    assert table.exit_code == 0, table.output
    shown = ", ".join(f"S{i:03d}" for i in range(20))
    assert (
        f"store ids without a store row: {shown} and 5 more (-f json lists them)\n" in table.output
    )
    facts = json.loads(run_cli("--db", db_file, "info", "-f", "json").stdout)
    assert facts["stores"]["unknown"] == [f"S{i:03d}" for i in range(25)]


def test_check_passes_after_line_loads_of_every_kind(mixed):
    result, checks = check_json(mixed)
    assert result.exit_code == 0, failed(checks)
    assert checks["rolled_up.ticket-lines"]["status"] == "pass"
    assert checks["unique_keys.ticket-lines"]["detail"] == (
        "ticket_lines: each ticket's (txn_id) lines from one load"
    )
    assert checks["ledger.ticket-lines"]["detail"] == (
        "ticket_lines: 8 rows from 3 loads, rows = rows_loaded per load"
    )
    # the tickets of line loads are no strays of the transactions ledger, and counted apart
    assert checks["ledger.transactions"]["detail"] == (
        "transactions: 3 rows from 2 loads, rows = rows_loaded per load; "
        "4 rows rolled up from line loads (see rolled_up)"
    )


def test_check_passes_after_a_line_load_with_rejects(mixed, tmp_path):
    db_file = tmp_path / "rejects.duckdb"
    shutil.copy(mixed, db_file)
    result = load(
        db_file, "ticket-lines", write(tmp_path / "lines.csv", LINES), "--max-reject-ratio", "0.5"
    )
    assert LINES_SUMMARY in result.output
    result, checks = check_json(db_file)
    assert result.exit_code == 0, failed(checks)
    assert checks["rejects"]["status"] == "pass"


@pytest.mark.parametrize(
    ("statement", "broken"),
    [
        # a ticket's amount changed by hand: no longer the sum of its lines, nor what its
        # month's summary holds
        (
            "update transactions set amount = 16.00 where txn_id = 'A1'",
            {"rolled_up", "ticket_months"},
        ),
        (
            "update transactions set item_qty = 2 where txn_id = 'A3'",
            {"rolled_up", "ticket_months"},
        ),
        # its time, or member, no longer its lines'
        (
            "update transactions set txn_time = '2026-10-05 10:30:00' where txn_id = 'A1'",
            {"rolled_up"},
        ),
        (
            "update transactions set member_id = 'M2' where txn_id = 'A2'",
            {"rolled_up", "ticket_months"},
        ),
        # a line's member changed: the ticket's lines disagree
        (
            "update ticket_lines set member_id = 'M9' where txn_id = 'A1' and sku = 'SKU2'",
            {"rolled_up"},
        ),
        # a ticket of a line load without lines
        ("delete from ticket_lines where txn_id = 'A4'", {"rolled_up", "ledger.ticket-lines"}),
        # lines of one ticket given another load's id: the ticket is held by two loads
        (
            "update ticket_lines set load_id = (select max(load_id) from loads) "
            "where txn_id = 'A1' and sku = 'SKU2'",
            {"unique_keys.ticket-lines", "rolled_up", "ledger.ticket-lines"},
        ),
    ],
)
def test_check_fails_naming_the_line_check_that_broke(damaged, statement, broken):
    con = db.connect(damaged)
    try:
        con.execute(statement)
    finally:
        con.close()
    result, checks = check_json(damaged)
    assert result.exit_code == 1
    names = {"rolled_up.ticket-lines" if b == "rolled_up" else b for b in broken}
    assert set(failed(checks)) == names, failed(checks)
    assert "ledger.transactions" not in failed(checks)
    assert "rolled_up.ticket-lines" in result.stderr
    txn_id = re.search(r"txn_id = '(A\d)'", statement)[1]
    detail = checks["rolled_up.ticket-lines"]["detail"]
    assert " of ticket_lines loads not rolled up into transactions" in detail
    assert detail.endswith(f"e.g. {txn_id}")
    if "unique_keys.ticket-lines" in names:
        detail = checks["unique_keys.ticket-lines"]["detail"]
        assert detail == (
            "1 key of ticket_lines (txn_id) held by rows of more than one load, "
            f"3 rows in all; e.g. ({txn_id})"
        )


# -- 4. a real public line-level dataset -----------------------------------------------------

JOURNEY = Path(__file__).parent / "data" / "completejourney"
JOURNEY_FILE = JOURNEY / "lines-2017-06-store-367.csv"


def journey_reference() -> tuple[int, dict[str, tuple]]:
    """From the CSV itself (csv module, Decimal): the lines, and each basket rolled up as SPEC
    3.2 says: (store, time, household, amount sum, quantity sum, lines)."""
    from datetime import datetime

    baskets: dict[str, list] = {}
    count = 0
    with open(JOURNEY_FILE, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            count += 1
            head = (
                row["store_id"],
                datetime.strptime(row["transaction_timestamp"], "%Y-%m-%d %H:%M:%S"),
                row["household_id"] or None,
            )
            basket = baskets.setdefault(row["basket_id"], [head, Decimal(0), 0, 0])
            assert basket[0] == head  # the source's baskets agree on store, time, household
            basket[1] += Decimal(row["sales_value"])
            basket[2] += int(row["quantity"])
            basket[3] += 1
    return count, {k: (*head, amount, qty, n) for k, (head, amount, qty, n) in baskets.items()}


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    db_file = tmp_path_factory.mktemp("journey") / "journey.duckdb"
    result = load(db_file, "ticket-lines", JOURNEY_FILE, "--mapping", JOURNEY / "mapping.toml")
    return db_file, result.output


def test_the_complete_journey_slice_loads_every_line_into_its_baskets(journey):
    db_file, output = journey
    count, baskets = journey_reference()
    assert (count, len(baskets)) == (3_732, 387)
    assert (
        f"{count:,} read, {count:,} loaded, 0 duplicate, 0 rejected (utf-8, comma); "
        f"{len(baskets)} tickets formed"
    ) in output
    assert "ignored" not in output.lower()  # every column of the file is mapped
    stored = {
        txn_id: rest
        for txn_id, *rest in query(
            db_file,
            "select txn_id, store_id, txn_time, member_id, amount, item_qty from transactions",
            read_only=True,
        )
    }
    assert stored == {k: list(v[:5]) for k, v in baskets.items()}
    lines = query(
        db_file,
        "select count(*), count(line_no), sum(qty), sum(amount), count(sku), "
        "count(category), count(item_name) from ticket_lines",
        read_only=True,
    )
    with open(JOURNEY_FILE, encoding="utf-8", newline="") as fh:
        source = list(csv.DictReader(fh))
    assert lines == [
        (
            count,
            0,  # the file has no line numbers
            sum(int(r["quantity"]) for r in source),
            sum(Decimal(r["sales_value"]) for r in source),
            count,
            sum(1 for r in source if r["department"]),  # lines of products the source lacks
            sum(1 for r in source if r["product_type"]),
        )
    ]
    result, checks = check_json(db_file)
    assert result.exit_code == 0, failed(checks)


def test_the_complete_journey_again_as_lines_or_as_tickets_changes_nothing(journey, tmp_path):
    """The slice again under another name (known by its content), and its baskets as a
    ticket file (rolled up by the reference): nothing is added."""
    db_file = tmp_path / "journey.duckdb"
    shutil.copy(journey[0], db_file)
    before = state(db_file, LOAD_IDS)
    copy = tmp_path / "copy.csv"
    shutil.copy(JOURNEY_FILE, copy)
    result = load(db_file, "ticket-lines", copy, "--mapping", JOURNEY / "mapping.toml")
    assert "already loaded" in result.output and "nothing changed" in result.output
    _, baskets = journey_reference()
    tickets = write(
        tmp_path / "baskets.csv",
        f"{TX_HEADER}\n"
        + "".join(
            f"{k},{store},{time:%Y-%m-%d %H:%M:%S},{member},{amount},{qty}\n"
            for k, (store, time, member, amount, qty, _) in baskets.items()
        ),
    )
    result = load(db_file, "transactions", tickets)
    assert "387 read, 0 loaded, 387 duplicate, 0 rejected" in result.output
    after = state(db_file, LOAD_IDS)
    assert {t: v for t, v in after.items() if t != "loads"} == {
        t: v for t, v in before.items() if t != "loads"
    }


def test_the_complete_journey_reports_give_the_reference_figures(journey):
    """spending-power and spend-bands for 2017-06 with no stores or members file: every figure
    as computed from the CSV's lines."""
    db_file, _ = journey
    _, baskets = journey_reference()
    june = [b for b in baskets.values() if b[1].strftime("%Y-%m") == "2017-06"]
    assert len(june) == 387
    members = [b for b in june if b[2] is not None]
    tickets = [b for b in june if b[3] > 0]
    member_tickets = [b for b in members if b[3] > 0]
    sales = sum(b[3] for b in june)
    member_sales = sum(b[3] for b in members)
    spend: dict[str, Decimal] = {}
    for b in members:
        spend[b[2]] = spend.get(b[2], Decimal(0)) + b[3]
    active = {b[2] for b in member_tickets}
    items = sum(b[4] for b in members)

    result = run_cli("--db", db_file, "spending-power", "--month", "2017-06", "-f", "json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["rows"][0]
    assert Decimal(str(figures["sales"])) == sales == Decimal("13263.49")
    assert Decimal(str(figures["member_sales"])) == member_sales
    assert (figures["tickets"], figures["member_tickets"]) == (len(tickets), len(member_tickets))
    assert figures["active_members"] == len(active) == 89
    assert figures["member_items"] == items
    assert Decimal(str(figures["member_basket_value"])) == (
        member_sales / len(member_tickets)
    ).quantize(Decimal("0.01"))
    assert figures["member_frequency"] == pytest.approx(len(member_tickets) / len(active))
    assert figures["member_attach_rate"] == pytest.approx(items / len(member_tickets))

    result = run_cli("--db", db_file, "spend-bands", "--month", "2017-06", "-f", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert (row["members_total"], row["active_members"]) == (0, len(active))
    edges = [Decimal(0), Decimal(100), Decimal(300), Decimal(500), Decimal(1000)]
    expected = [0] * 5
    for member in active:
        expected[sum(1 for e in edges[1:] if spend[member] >= e)] += 1
    assert [band["members"] for band in row["bands"]] == expected
    assert "no members are on file" in result.stderr
