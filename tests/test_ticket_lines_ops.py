"""Ticket lines in operations (SPEC 3, 3.2): a line load killed or failing at any point
leaves the database as it was; an old database is upgraded; `info` and `check` count and
verify lines; and the real public Complete Journey slice loads and reports as a plain-Python
reference computes it from the CSV."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import TX_HEADER, fingerprint, rows, run_cli, write
from memberkit import db

LINES_HEADER = "小票号,行号,门店编号,交易时间,会员卡号,商品编码,商品名称,品类,数量,金额"
# columns a re-load gives other values: the ledger's ids and times
LOAD_IDS = ("load_id", "replaced_by_load_id", "started_at", "finished_at")


def load(db_file: Path, kind: str, path: Path, *extra: object, code: int = 0):
    result = run_cli("--db", db_file, "load", kind, path, *extra)
    assert result.exit_code == code, result.output
    return result


def state(db_file: Path, ignore: tuple[str, ...] = ()) -> dict:
    """The database's rows as memberkit opens it (interrupted loads undone first)."""
    con = db.connect(db_file, read_only=True)
    try:
        return fingerprint(con, ignore)
    finally:
        con.close()


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
OLD_SAME_SUMMARY = "2 read, 1 loaded, 1 duplicate, 0 rejected (utf-8, comma); 1 tickets formed"

FILES = {"lines": (LINES, LINES_SUMMARY), "clean": (CLEAN, CLEAN_SUMMARY)}
FILES["old_same"] = (OLD_SAME, OLD_SAME_SUMMARY)

# Where the load dies: a function of the loader patched (in a process of its own) to SIGKILL
# the process before or after it runs, as tests/test_load_merge.py and test_check.py stop a
# load between its transactions. `committed`: whether the load's first transaction (its
# bulk lines under a 'loading' ledger row) was committed when it died.
KILL_SCRIPT = """
import os, signal, sys
from memberkit.ingest import lines, loader

module = {"lines": lines, "loader": loader}[sys.argv[1]]
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

# lines.py bugs found here (see the report): a ticket needing a second look (a rejected line,
# lines that disagree, a line_no given twice) fails the load with "Binder Error: Referenced
# table "b" not found" (_judge's reason names b.lines outside the join that holds b), and a
# line load with any rejected line fails with "Table with name mk_dupes does not exist"
# (rejects.record_rejects reads mk_dupes and mk_existing, which lines.py never makes).
JUDGE_BUG = pytest.mark.xfail(
    strict=True,
    reason="lines.py: a ticket with a rejected line fails the load (Binder Error: table b "
    "not found in _judge; record_rejects needs mk_dupes/mk_existing)",
)


def judged(*values):
    return pytest.param(*values, marks=JUDGE_BUG)


KILLS = [
    # (file, module, function, before/after, committed)
    judged("lines", "lines", "finish_load", "before", False),  # bulk lines in, not committed
    judged("lines", "loader", "_commit_bulk_rows", "after", True),  # bulk lines committed
    judged("lines", "lines", "_lines_text", "before", True),  # while judging (line_no done)
    judged("lines", "lines", "_store", "after", True),  # lines and tickets stored
    judged("lines", "loader", "_write_ledger", "after", True),  # the outcome in the ledger
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
