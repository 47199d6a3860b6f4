"""memberkit check: a realistic database passes every check; each kind of damage is caught by
the check that names it (exit 1), and the database is left as found."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import MEMBER_HEADER, TX_HEADER, rows, run_cli, write
from memberkit import db, summaries

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
STORES_HEADER = "store_id,store_name,region"
TARGETS_HEADER = "month,store_id,target_amount"


def _load(db_file: Path, kind: str, path: Path, *extra: str, code: int = 0) -> None:
    result = run_cli("--db", db_file, "load", kind, path, *extra)
    assert result.exit_code == code, result.output


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """A database built the way the chain's files arrive, with every ledger case in it."""
    folder = tmp_path_factory.mktemp("check")
    db_file = folder / "built.duckdb"
    _load(
        db_file,
        "stores",
        write(folder / "s1.csv", f"{STORES_HEADER}\nS001,一店,华东\nS002,二店,华东\n"),
    )
    # a second stores export renames S001: replaced, with no history kept
    _load(db_file, "stores", write(folder / "s2.csv", f"{STORES_HEADER}\nS001,一店(新),华东\n"))
    _load(
        db_file,
        "members",
        write(
            folder / "m1.csv",
            f"{MEMBER_HEADER}\n"
            "M1,张三,男,1980-01-01,13800000001,S001,2020-01-01,2027-01-01\n"
            "M2,李四,女,1990-02-02,13800000002,S002,2021-01-01,2027-02-01\n"
            "M3,王五,男,1975-03-03,13800000003,S001,2022-01-01,2027-03-01\n",
        ),
    )
    # the next export: M2's phone changed (replaced, old row to members_history), M3 as
    # before (duplicate), M4 new, M4 again identical (duplicate), M5 with a bad date (rejected)
    _load(
        db_file,
        "members",
        write(
            folder / "m2.csv",
            f"{MEMBER_HEADER}\n"
            "M2,李四,女,1990-02-02,13900000002,S002,2021-01-01,2027-02-01\n"
            "M3,王五,男,1975-03-03,13800000003,S001,2022-01-01,2027-03-01\n"
            "M4,赵六,女,1995-04-04,13800000004,S003,2023-01-01,2027-04-01\n"
            "M4,赵六,女,1995-04-04,13800000004,S003,2023-01-01,2027-04-01\n"
            "M5,钱七,女,1999-09-09,13800000005,S001,2026-02-30,2027-05-01\n",
        ),
        "--max-reject-ratio",
        "0.5",
    )
    # tickets: S003 is on tickets but not in the stores table (a warning), T2 repeated
    # identically (duplicate), T3 repeated with another amount and T5 with a bad amount (rejects)
    _load(
        db_file,
        "transactions",
        write(
            folder / "t1.csv",
            f"{TX_HEADER}\n"
            "T1,S001,2026-10-01 10:00:00,M1,100.00,1\n"
            "T2,S002,2026-10-02 11:00:00,M2,200.00,2\n"
            "T2,S002,2026-10-02 11:00:00,M2,200.00,2\n"
            "T3,S003,2026-10-03 12:00:00,,50.00,1\n"
            "T3,S003,2026-10-03 12:00:00,,55.00,1\n"
            "T4,S001,2026-10-04 13:00:00,M3,-20.00,-1\n"
            "T5,S002,2026-10-05 14:00:00,M1,abc,1\n",
        ),
        "--max-reject-ratio",
        "0.5",
    )
    # a second export overlapping the first: T1 again (duplicate), T4 changed (rejected)
    _load(
        db_file,
        "transactions",
        write(
            folder / "t2.csv",
            f"{TX_HEADER}\n"
            "T1,S001,2026-10-01 10:00:00,M1,100.00,1\n"
            "T4,S001,2026-10-04 13:00:00,M3,-25.00,-1\n"
            "T6,S002,2026-10-06 15:00:00,M4,300.00,3\n"
            "T7,S001,2026-10-07 16:00:00,,80.00,1\n",
        ),
        "--max-reject-ratio",
        "0.5",
    )
    # a refused file: recorded with its rejects, nothing loaded
    _load(
        db_file,
        "transactions",
        write(
            folder / "t3.csv",
            f"{TX_HEADER}\n"
            "T8,S001,2026-10-08 10:00:00,,bad,1\n"
            "T9,S004,2026-10-09 10:00:00,,9.00,1\n",
        ),
        code=3,
    )
    _load(
        db_file,
        "targets",
        write(folder / "g1.csv", f"{TARGETS_HEADER}\n2026-10,S001,1000\n2026-10,S002,2000\n"),
    )
    _load(db_file, "targets", write(folder / "g2.csv", f"{TARGETS_HEADER}\n2026-10,S001,1500\n"))
    return db_file


@pytest.fixture
def built(loaded: Path, tmp_path: Path) -> Path:
    """A private copy of the loaded database, for a test to damage."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(loaded, copy)
    if loaded.with_name(loaded.name + ".wal").exists():
        shutil.copy(loaded.with_name(loaded.name + ".wal"), copy.with_name(copy.name + ".wal"))
    return copy


def check_json(db_file: Path):
    result = run_cli("--db", db_file, "check", "--format", "json")
    doc = json.loads(result.stdout)
    return result, doc, {c["name"]: c for c in doc["checks"]}


def failed(checks: dict) -> set[str]:
    return {name for name, c in checks.items() if c["status"] == "fail"}


# A step of damage() that brings the summaries in line with the damaged tickets, so that only
# the check named sees the damage (ticket_months would otherwise disagree as well).
RESUMMARISE = "-- resummarise"


def damage(db_file: Path, *statements: str) -> None:
    con = db.connect(db_file)
    try:
        for sql in statements:
            if sql == RESUMMARISE:
                summaries.rebuild(con)
            else:
                con.execute(sql)
    finally:
        con.close()


def test_a_realistic_database_passes_with_the_unknown_store_as_a_warning(loaded):
    result, doc, checks = check_json(loaded)
    assert result.exit_code == 0, result.output
    assert doc["report"] == "check" and doc["ok"] is True
    assert failed(checks) == set()
    warned = {n: c for n, c in checks.items() if c["status"] == "warn"}
    assert set(warned) == {"stores_on_tickets"}
    assert (
        warned["stores_on_tickets"]["count"] == 1
        and "S003" in warned["stores_on_tickets"]["detail"]
    )
    for c in doc["checks"]:
        assert set(c) == {"name", "status", "count", "detail"}
    # every invariant was looked at, for every kind
    for name in (
        "schema_version",
        "interrupted_loads",
        "load_id_sequence",
        "load_arithmetic",
        "rejects",
        "ticket_stores",
        "unique_keys.transactions",
        "ledger.members",
        "ledger.stores",
        "ledger.targets",
        "ledger.gift-moves",
        "member_keys",
        "ticket_months",
    ):
        assert checks[name]["status"] in ("pass", "warn"), name

    table = run_cli("--db", loaded, "check")
    assert table.exit_code == 0, table.output
    assert "stores_on_tickets" in table.stdout and "warn" in table.stdout
    assert "checks passed (1 with a warning)" in table.stdout


def test_the_ledger_of_the_realistic_database_is_what_the_loader_says(loaded):
    """The accounting the checks rely on, spelled out for this database: replaced rows are
    counted within loaded; members' replaced rows live on in members_history."""
    con = db.connect(loaded, read_only=True)
    try:
        ledger = rows(
            con,
            "select file_name, status, rows_read, rows_loaded, rows_replaced, rows_duplicate, "
            "rows_rejected from loads order by load_id",
        )
        history = rows(con, "select member_id, phone from members_history")
    finally:
        con.close()
    assert ledger == [
        ("s1.csv", "loaded", 2, 2, 0, 0, 0),
        ("s2.csv", "loaded", 1, 1, 1, 0, 0),
        ("m1.csv", "loaded", 3, 3, 0, 0, 0),
        ("m2.csv", "loaded", 5, 2, 1, 2, 1),
        ("t1.csv", "loaded", 7, 4, 0, 1, 2),
        ("t2.csv", "loaded", 4, 2, 0, 1, 1),
        ("t3.csv", "refused", 2, 0, 0, 0, 1),
        ("g1.csv", "loaded", 2, 2, 0, 0, 0),
        ("g2.csv", "loaded", 1, 1, 1, 0, 0),
    ]
    assert history == [("M2", "13800000002")]


def test_the_sample_data_passes(tmp_path):
    db_file = tmp_path / "demo.duckdb"
    for kind, name in (
        ("stores", "stores"),
        ("members", "members"),
        ("transactions", "transactions"),
        ("targets", "targets"),
        ("gifts", "gifts"),
        ("gift-moves", "gift_moves"),
        ("gift-counts", "gift_counts"),
    ):
        _load(db_file, kind, SAMPLE / f"{name}.csv")
    result, doc, checks = check_json(db_file)
    assert result.exit_code == 0, result.output
    assert doc["ok"] is True and failed(checks) == set()
    assert checks["ledger.transactions"]["status"] == "pass"


@pytest.mark.parametrize(
    ("damaged", "statements"),
    [
        (
            # a ticket twice; the ledger made to agree, so only the key check can see it
            "unique_keys.transactions",
            [
                "insert into transactions select * from transactions where txn_id = 'T1'",
                "update loads set rows_read = rows_read + 1, rows_loaded = rows_loaded + 1 "
                "where load_id = (select load_id from transactions where txn_id = 'T1' limit 1)",
                RESUMMARISE,
            ],
        ),
        (
            "unique_keys.members",
            [
                "insert into members select * exclude (replaced_by_load_id) from members_history",
                "delete from members_history",
                "update loads set rows_replaced = 0 where file_name = 'm2.csv'",
            ],
        ),
        ("ticket_stores", ["delete from ticket_stores where store_id = 'S002'"]),
        (
            # loaded counted one more than the table holds, read raised to match
            "ledger.transactions",
            [
                "update loads set rows_loaded = rows_loaded + 1, rows_read = rows_read + 1 "
                "where file_name = 't2.csv'"
            ],
        ),
        (
            "load_arithmetic",
            ["update loads set rows_duplicate = rows_duplicate + 1 where file_name = 't1.csv'"],
        ),
        (
            "rejects",
            [
                "update loads set rows_rejected = rows_rejected + 1, rows_read = rows_read + 1 "
                "where file_name = 't3.csv'"
            ],
        ),
        ("rejects", ["delete from rejects where file_name = 'm2.csv'"]),
        (
            "ledger.members",
            ["update loads set rows_replaced = 0 where file_name = 'm2.csv'"],
        ),
        ("ledger.members", ["delete from members_history"]),
        (
            # a stores row gone without a load replacing it
            "ledger.stores",
            ["delete from stores where store_id = 'S002'"],
        ),
        (
            "ledger.targets",
            ["update loads set rows_replaced = 0 where file_name = 'g2.csv'"],
        ),
        ("schema_version", ["update meta set value = '2' where key = 'schema_version'"]),
        (
            "load_id_sequence",
            ["drop sequence load_ids", "create sequence load_ids start 1"],
        ),
    ],
)
def test_each_kind_of_damage_fails_the_check_that_names_it(built, damaged, statements):
    result, doc, checks = check_json(built)
    assert result.exit_code == 0 and doc["ok"] is True  # the copy is whole before the damage
    damage(built, *statements)
    result, doc, checks = check_json(built)
    assert result.exit_code == 1, result.output
    assert doc["ok"] is False
    assert failed(checks) == {damaged}, {n: checks[n]["detail"] for n in failed(checks)}
    assert checks[damaged]["count"] >= 1
    assert damaged in result.stderr


@pytest.mark.parametrize(
    ("damaged", "statement"),
    [
        (
            "ledger.transactions",
            "insert into transactions values ('T99', 'S001', '2026-10-09 10:00:00', null, "
            "1.00, 1, 999)",
        ),
        (
            "ledger.stores",
            "insert into stores values ('S999', '九店', '华北', 999)",
        ),
        (
            "ledger.members",
            "insert into members_history select *, 999 from members where member_id = 'M1'",
        ),
        (
            "rejects",
            "insert into rejects values (999, 'transactions', 'x.csv', 2, null, 'bad', 'x')",
        ),
    ],
)
def test_a_row_of_an_unknown_load_is_found(built, damaged, statement):
    damage(built, statement, RESUMMARISE)
    result, doc, checks = check_json(built)
    assert result.exit_code == 1, result.output
    assert failed(checks) == {damaged}
    assert "999" in checks[damaged]["detail"]


def test_a_refused_load_holding_rows_is_found(built):
    damage(
        built,
        "insert into transactions select 'T98', 'S001', timestamp '2026-10-08 10:00:00', null, "
        "9.00, 1, load_id from loads where status = 'refused'",
        RESUMMARISE,
    )
    _, _, checks = check_json(built)
    assert failed(checks) == {"ledger.transactions"}
    assert "refused" in checks["ledger.transactions"]["detail"]


def test_a_loading_row_is_reported_and_left_for_the_next_writer(built):
    """A 'loading' ledger row: check names the load and changes nothing; its rows (here a
    repeated ticket and a store not yet listed, as a killed load leaves them) are not
    reported again by the other checks. The next command that opens the database undoes it."""
    damage(
        built,
        "insert into loads select nextval('load_ids'), 'transactions', 'killed.csv', "
        "'/x/killed.csv', 'abc', 10, 'utf-8', ',', 0, 0, 0, 0, 0, 'loading', "
        "timestamp '2026-11-01 02:00:00', timestamp '2026-11-01 02:00:00'",
        "insert into transactions select txn_id, store_id, txn_time, member_id, amount, item_qty, "
        "(select load_id from loads where status = 'loading') from (values "
        "('T1', 'S001', timestamp '2026-10-01 10:00:00', 'M1', 100.00, 1), "
        "('T50', 'S050', timestamp '2026-10-20 10:00:00', null, 5.00, 1)"
        ") t(txn_id, store_id, txn_time, member_id, amount, item_qty)",
    )
    result, doc, checks = check_json(built)
    assert result.exit_code == 1
    assert doc["ok"] is False
    assert failed(checks) == {"interrupted_loads"}, {n: checks[n]["detail"] for n in failed(checks)}
    detail = checks["interrupted_loads"]["detail"]
    assert "killed.csv" in detail and "started 2026-11-01 02:00" in detail and "2 rows" in detail
    assert checks["interrupted_loads"]["count"] == 1
    loading = (
        "select count(*) from transactions where load_id in "
        "(select load_id from loads where status = 'loading')"
    )
    con = db._open(built, True, 0)  # as found: the row and its tickets are still there
    try:
        assert rows(con, loading) == [(2,)]
    finally:
        con.close()

    assert run_cli("--db", built, "info").exit_code == 0  # a reader: the writer undoes it first
    con = db._open(built, True, 0)
    try:
        assert rows(con, "select count(*) from loads where status = 'loading'") == [(0,)]
        assert rows(con, "select count(*) from transactions where txn_id = 'T50'") == [(0,)]
    finally:
        con.close()
    assert check_json(built)[0].exit_code == 0


def test_a_load_killed_between_its_two_transactions(built, tmp_path):
    """A real interrupted load: the loader commits its bulk rows under a 'loading' ledger row
    and the process dies before the second transaction (os._exit, no clean-up)."""
    tickets = write(
        tmp_path / "killed.csv",
        f"{TX_HEADER}\n"
        "T20,S060,2026-10-20 10:00:00,,10.00,1\n"
        "T20,S060,2026-10-20 10:00:00,,10.00,1\n"  # a repeat: the loader needs its 2nd step
        "T21,S001,2026-10-21 10:00:00,,20.00,1\n",
    )
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from memberkit import db
        from memberkit.ingest import loader, merge

        def die(*args, **kwargs):
            os._exit(9)

        merge.classify = die
        con = db.connect({str(built)!r})
        loader.load_file(con, Path({str(tickets)!r}), loader.LoadOptions("transactions"))
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert child.returncode == 9, child.stderr
    result, doc, checks = check_json(built)
    assert result.exit_code == 1
    assert failed(checks) == {"interrupted_loads"}, {n: checks[n]["detail"] for n in failed(checks)}
    assert "killed.csv" in checks["interrupted_loads"]["detail"]
    assert "3 rows" in checks["interrupted_loads"]["detail"]

    _load(built, "transactions", tickets)  # undone on open, then loaded again in full
    result, doc, checks = check_json(built)
    assert result.exit_code == 0, {n: checks[n]["detail"] for n in failed(checks)}


# one summary row of t1.csv: S001's tickets of M1 in October (T1)
_M1_ROW = (
    "load_id = (select load_id from loads where file_name = 't1.csv') and store_id = 'S001' "
    "and member_key = (select member_key from member_keys where member_id = 'M1')"
)


@pytest.mark.parametrize(
    ("statements", "failing", "counted", "said"),
    [
        ([f"update ticket_months set net_amount = 101 where {_M1_ROW}"], {"ticket_months"},
         1, "1 row differing"),
        ([f"update ticket_months set purchase_days = 3 where {_M1_ROW}"], {"ticket_months"},
         1, "1 row differing"),
        ([f"delete from ticket_months where {_M1_ROW}"], {"ticket_months"}, 1, "1 row missing"),
        # the same row twice: extra, though each copy equals the recomputed one
        ([f"insert into ticket_months select * from ticket_months where {_M1_ROW}"],
         {"ticket_months"}, 1, "1 row extra"),
        # the summary row of a ticket without a member (T3 of t1.csv, at S003)
        (["update ticket_months set tickets = tickets + 1 where member_key is null "
          "and store_id = 'S003'"], {"ticket_months"}, 1, "member key none: differs"),
        # rows of a load that holds no tickets
        (["insert into ticket_months select 999, month, store_id, member_key, net_amount, "
          "tickets, items, ticket_days, purchase_days, transaction_rows from ticket_months "
          f"where {_M1_ROW}"], {"ticket_months"}, 1, "load 999"),
        # a key given to an id no ticket has: only the keys are wrong
        (["insert into member_keys select member_key, 'MX' from member_keys "
          "where member_id = 'M1'"], {"member_keys"}, 1, "1 key given to more than one"),
        # M1's tickets lose their key: their summary rows no longer match either
        (["delete from member_keys where member_id = 'M1'"], {"member_keys", "ticket_months"},
         1, "without a key, e.g. M1"),
        (["insert into member_keys values (999, 'M1')"], {"member_keys", "ticket_months"}, 1,
         "1 member id with more than one key"),
    ],
)  # fmt: skip
def test_summaries_that_disagree_with_the_tickets_fail(built, statements, failing, counted, said):
    damage(built, *statements)
    result, doc, checks = check_json(built)
    assert result.exit_code == 1, result.output
    assert doc["ok"] is False
    assert failed(checks) == failing, {n: checks[n]["detail"] for n in failed(checks)}
    first = "member_keys" if "member_keys" in failing else "ticket_months"
    assert checks[first]["count"] == counted
    assert said in checks[first]["detail"], checks[first]["detail"]
    assert first in result.stderr


def test_summaries_of_a_loading_load_are_left_to_interrupted_loads(built):
    """A killed load's tickets and summary rows are not compared: it is reported once."""
    damage(
        built,
        "insert into loads select nextval('load_ids'), 'transactions', 'killed.csv', "
        "'/x/killed.csv', 'abc', 10, 'utf-8', ',', 0, 0, 0, 0, 0, 'loading', "
        "timestamp '2026-11-01 02:00:00', timestamp '2026-11-01 02:00:00'",
        "insert into transactions select 'T60', 'S001', timestamp '2026-10-20 10:00:00', 'M60', "
        "5.00, 1, load_id from loads where status = 'loading'",
        # a summary row that does not even match that ticket, and no key for M60
        "insert into ticket_months select load_id, date '2026-10-01', 'S001', null, 7.00, 1, 1, "
        "1, 1, 1 from loads where status = 'loading'",
    )
    _, _, checks = check_json(built)
    assert failed(checks) == {"interrupted_loads"}, {n: checks[n]["detail"] for n in failed(checks)}
    assert checks["ticket_months"]["status"] == "pass"
    assert checks["member_keys"]["status"] == "pass"


def test_no_database_is_a_usage_error(tmp_path):
    result = run_cli("--db", tmp_path / "none.duckdb", "check")
    assert result.exit_code == 2
    assert "no database" in result.stderr


def test_a_file_that_is_not_a_memberkit_database(tmp_path):
    import duckdb

    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    result, doc, checks = check_json(other)
    assert result.exit_code == 1
    assert (
        list(checks) == ["schema_version"]
        and "not a memberkit database" in (checks["schema_version"]["detail"])
    )


def test_an_older_schema_fails_and_skips_what_it_lacks(built):
    damage(
        built,
        "drop table ticket_stores",
        "update meta set value = '2' where key = 'schema_version'",
    )
    result, doc, checks = check_json(built)  # check upgrades nothing: still schema 2
    assert result.exit_code == 1
    assert failed(checks) == {"schema_version"}
    assert "ticket_stores" in checks["schema_version"]["detail"]
    assert "ticket_stores" not in checks


def test_posting_a_recount_keeps_gift_move_keys_unique(tmp_path, db_path):
    """A second post for the same count (after a recount) is a move of its own: it used to
    reuse the first post's ref, and so its key, which the gift-moves loader treats as one."""
    _load(db_path, "stores", write(tmp_path / "s.csv", f"{STORES_HEADER}\nS001,一店,华东\n"))
    _load(
        db_path,
        "gifts",
        write(tmp_path / "g.csv", "gift_id,gift_name,unit,unit_cost\nG01,杯,个,35.50\n"),
    )
    moves = "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"
    _load(
        db_path,
        "gift-moves",
        write(tmp_path / "m.csv", moves + "2024-09-01,HQ,G01,opening,50,OPN,,\n"),
    )
    counts = "count_date,location,gift_id,counted_qty,counted_by\n"
    _load(db_path, "gift-counts", write(tmp_path / "c1.csv", counts + "2024-09-30,HQ,G01,38,A\n"))
    assert run_cli("--db", db_path, "gifts", "reconcile", "--post").exit_code == 0
    _load(db_path, "gift-counts", write(tmp_path / "c2.csv", counts + "2024-09-30,HQ,G01,35,A\n"))
    assert run_cli("--db", db_path, "gifts", "reconcile", "--post").exit_code == 0
    result, doc, checks = check_json(db_path)
    assert failed(checks) == set(), {n: checks[n]["detail"] for n in failed(checks)}


@pytest.mark.parametrize(
    "statement",
    [
        "insert into ticket_stores values ('S777')",  # a store without tickets
        "insert into ticket_stores values ('S001')",  # listed twice
    ],
)
def test_ticket_stores_listing_more_than_the_tickets_is_a_warning(built, statement):
    damage(built, statement)
    result, doc, checks = check_json(built)
    assert result.exit_code == 0, result.output
    assert doc["ok"] is True
    assert checks["ticket_stores"]["status"] == "warn" and checks["ticket_stores"]["count"] == 1
