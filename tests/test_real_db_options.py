"""Issue 17, cases 6, 7, 12 and 13: what --db may name, which --db wins, option values, and
messages that name the real cause (SPEC 3.1 "The database", SPEC 6)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from conftest import MEMBER_HEADER, TX_HEADER, run_cli, write

TICKETS = f"{TX_HEADER}\nT1,S001,2026-10-05 10:00:00,M1,100.00,2\nT2,S001,2026-10-06,M2,50.00,1\n"


def tickets(folder: Path) -> Path:
    return write(folder / "t.csv", TICKETS)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ticket_count(db_file: Path) -> int:
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return con.execute("select count(*) from transactions").fetchall()[0][0]
    finally:
        con.close()


# --- case 6: --db names a memberkit database or a new path, nothing else ------------------------


@pytest.mark.parametrize("name", ["some.csv", "x.json", "x.parquet", "X.TSV", "x.txt", "x.xlsx"])
def test_a_data_file_name_as_db_is_refused_and_nothing_is_written(tmp_path, name):
    data = tickets(tmp_path)
    target = tmp_path / name
    result = run_cli("--db", target, "load", "transactions", data)
    assert result.exit_code == 2, result.output
    assert name in result.stderr and "memberkit load" in result.stderr
    assert not target.exists()
    assert not list(tmp_path.glob(f"{name}*"))  # no WAL beside it either


@pytest.mark.parametrize("command", [["info"], ["spend-bands", "--month", "2026-10"], ["check"]])
def test_an_existing_csv_as_db_is_refused_unchanged(tmp_path, command):
    data = tickets(tmp_path)
    copy = write(tmp_path / "copy.csv", TICKETS)
    result = run_cli(*command, "--db", copy)
    assert result.exit_code == 2, result.output
    assert "copy.csv" in result.stderr
    loaded = run_cli("--db", copy, "load", "transactions", data)
    assert loaded.exit_code == 2, loaded.output
    assert copy.read_text(encoding="utf-8") == TICKETS


@pytest.mark.parametrize(
    "content, said",
    [
        (b"", "empty file"),
        (TICKETS.encode(), "text file"),
        (b"PAR1" + bytes(60), "Parquet"),
        (b"PK\x03\x04" + bytes(60), "XLSX"),
        (b"SQLite format 3\x00" + bytes(80), "SQLite"),
    ],
    ids=["empty", "csv", "parquet", "xlsx", "sqlite"],
)
def test_a_file_that_is_not_duckdb_is_refused_by_what_it_is(tmp_path, content, said):
    target = tmp_path / "memberkit.duckdb"
    target.write_bytes(content)
    for args in (["info"], ["load", "transactions", tickets(tmp_path)]):
        result = run_cli("--db", target, *args)
        assert result.exit_code == 2, result.output
        assert str(target) in result.stderr and said in result.stderr
    assert target.read_bytes() == content


def test_a_folder_as_db_is_refused(tmp_path):
    for args in (["info"], ["load", "transactions", tickets(tmp_path)], ["check"]):
        result = run_cli("--db", tmp_path, *args)
        assert result.exit_code == 2, result.output
        assert "folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def other_application(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create table orders (id integer, total decimal(10, 2))")
    con.execute("insert into orders values (1, 9.50), (2, 12.00)")
    con.execute("create schema crm")
    con.execute("create table crm.meta (key varchar, value varchar)")
    con.close()
    return path


def test_another_applications_duckdb_file_is_never_written(tmp_path):
    foreign = other_application(tmp_path / "shop.duckdb")
    before = digest(foreign)
    for args in (
        ["info"],
        ["spend-bands", "--month", "2026-10"],
        ["churn-risk"],
        ["check"],
        ["load", "transactions", tickets(tmp_path)],
        ["gifts", "reconcile", "--post"],
    ):
        result = run_cli("--db", foreign, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "shop.duckdb" in result.stderr and "orders" in result.stderr, result.stderr
        assert "not a memberkit database" in result.stderr
    assert digest(foreign) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.duckdb", "t.csv"]
    con = duckdb.connect(str(foreign), read_only=True)
    tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    con.close()
    assert sorted(tables) == [("crm", "meta"), ("main", "orders")]


def test_another_applications_file_with_a_pending_wal_is_left_alone(tmp_path):
    """A writer would replay another application's pending log into its file on open."""
    foreign = other_application(tmp_path / "shop.duckdb")
    con = duckdb.connect(str(foreign))
    con.execute("set checkpoint_threshold = '1GB'")
    con.execute("insert into orders values (3, 1.00)")
    wal = tmp_path / "shop.duckdb.wal"
    # copy the file and its log as a crash would leave them, while the writer still holds it
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    (crashed / "shop.duckdb").write_bytes(foreign.read_bytes())
    (crashed / "shop.duckdb.wal").write_bytes(wal.read_bytes())
    con.close()
    copy = crashed / "shop.duckdb"
    before = (digest(copy), digest(crashed / "shop.duckdb.wal"))
    result = run_cli("--db", copy, "load", "transactions", tickets(tmp_path))
    assert result.exit_code == 2, result.output
    assert (digest(copy), digest(crashed / "shop.duckdb.wal")) == before


def test_an_empty_duckdb_file_gets_the_schema_from_a_writer_only(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    before = digest(empty)
    result = run_cli("info", "--db", empty)
    assert result.exit_code == 2, result.output
    assert "no memberkit data" in result.stderr and "memberkit load" in result.stderr
    assert digest(empty) == before
    assert run_cli("--db", empty, "load", "transactions", tickets(tmp_path)).exit_code == 0
    assert ticket_count(empty) == 2


def test_a_database_of_a_newer_memberkit_is_not_downgraded(tmp_path):
    db_file = tmp_path / "m.duckdb"
    assert run_cli("--db", db_file, "load", "transactions", tickets(tmp_path)).exit_code == 0
    con = duckdb.connect(str(db_file))
    con.execute("update meta set value = '99' where key = 'schema_version'")
    con.close()
    before = digest(db_file)
    for args in (["info"], ["load", "members", write(tmp_path / "m.csv", MEMBER_HEADER + "\n")]):
        result = run_cli("--db", db_file, *args)
        assert result.exit_code == 2, result.output
        assert "newer memberkit" in result.stderr
    assert digest(db_file) == before


def test_a_memberkit_database_still_opens_and_loads(tmp_path):
    db_file = tmp_path / "m.duckdb"
    assert run_cli("--db", db_file, "load", "transactions", tickets(tmp_path)).exit_code == 0
    result = run_cli("info", "--db", db_file, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["transactions"] == 2


def test_a_memberkit_database_with_a_pending_log_still_loads(tmp_path):
    db_file = tmp_path / "m.duckdb"
    assert run_cli("--db", db_file, "load", "transactions", tickets(tmp_path)).exit_code == 0
    con = duckdb.connect(str(db_file))
    con.execute("set checkpoint_threshold = '1GB'")
    con.execute("insert into stores values ('S9', 'crashed', null, 1)")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("m.duckdb", "m.duckdb.wal"):
        (crashed / name).write_bytes((tmp_path / name).read_bytes())
    con.close()
    copy = crashed / "m.duckdb"
    members = write(tmp_path / "m.csv", f"{MEMBER_HEADER}\nM1,张伟,男,,,S001,2026-01-01,\n")
    result = run_cli("--db", copy, "load", "members", members)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("select store_name from stores").fetchall() == [("crashed",)]
    assert con.execute("select count(*) from members").fetchall() == [(1,)]
    con.close()


# --- case 7: an explicit --db always wins over MEMBERKIT_DB ------------------------------------


@pytest.mark.parametrize(
    "env, root, sub, expected",
    [
        (None, None, None, "default"),
        ("env", None, None, "env"),
        (None, "root", None, "root"),
        (None, None, "sub", "sub"),
        ("env", "root", None, "root"),
        ("env", None, "sub", "sub"),
        (None, "root", "sub", "sub"),
        ("env", "root", "sub", "sub"),
    ],
)
def test_which_database_a_load_writes(tmp_path, monkeypatch, env, root, sub, expected):
    data = tickets(tmp_path)
    monkeypatch.chdir(tmp_path)
    files = {
        "default": tmp_path / "memberkit.duckdb",
        "env": tmp_path / "env.duckdb",
        "root": tmp_path / "root.duckdb",
        "sub": tmp_path / "sub.duckdb",
    }
    if env:
        monkeypatch.setenv("MEMBERKIT_DB", str(files["env"]))
    else:
        monkeypatch.delenv("MEMBERKIT_DB", raising=False)
    before = ["--db", files["root"]] if root else []
    after = ["--db", files["sub"]] if sub else []
    assert run_cli(*before, "load", "transactions", data, *after).exit_code == 0
    assert [n for n, f in files.items() if f.exists()] == [expected]
    assert ticket_count(files[expected]) == 2
    # and a report reads the same one
    info = run_cli(*before, "info", "--format", "json", *after)
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["rows"]["transactions"] == 2


def test_the_environment_variable_is_still_shown_in_help():
    for command in (["--help"], ["load", "--help"], ["info", "--help"], ["churn", "--help"]):
        assert "MEMBERKIT_DB" in run_cli(*command).output
