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


# --- case 12: option values ---------------------------------------------------------------------

STORES = "门店编号,门店名称,区域\nS001,徐汇店,华东\nS002,天河店,华南\n"
MEMBERS = (
    f"{MEMBER_HEADER}\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2024-01-01,2026-11-20\n"
    "M2,王芳,女,1985-07-01,13900001111,S002,2026-10-03,\n"
)
GIFTS = "礼品编号,礼品名称,单位,单价\nG01,保温杯,个,35.50\n"


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("options")
    db_file = folder / "m.duckdb"
    for kind, text in (
        ("stores", STORES),
        ("members", MEMBERS),
        ("transactions", TICKETS),
        ("gifts", GIFTS),
    ):
        result = run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


# (command, bad option, value, options the command needs besides)
BAD = [
    ("spend-bands", "--bands", "nan,100", ()),
    ("spend-bands", "--bands", "inf", ()),
    ("spend-bands", "--bands", "100,inf", ()),
    ("spend-bands", "--bands", "-5,100", ()),
    ("spend-bands", "--bands", "100,50", ()),
    ("spend-bands", "--bands", "100.001", ()),
    ("spend-bands", "--bands", "1e13", ()),
    ("spend-bands", "--bands", "", ()),
    ("spend-bands", "--year", "0000", ()),
    ("spend-bands", "--year", "1899", ()),
    ("spend-bands", "--year", "3000", ()),
    ("spend-bands", "--month", "9999-12", ()),
    ("spend-bands", "--month", "0001-01", ()),
    ("spend-bands", "--month", "2026-13", ()),
    ("spend-bands", "--month", "", ()),
    ("spend-bands", "--store", " ", ()),
    ("spend-bands", "--wait", "nan", ()),
    ("spend-bands", "--wait", "inf", ()),
    ("demographics", "--age-bands", "-10,20", ()),
    ("demographics", "--age-bands", "0,20", ()),
    ("demographics", "--age-bands", "20,121", ()),
    ("demographics", "--age-bands", "20.5", ()),
    ("demographics", "--age-bands", "nan", ()),
    ("spending-power", "--month", "1899-12", ()),
    ("spending-power", "--year", "10000", ()),
    ("churn", "--inactive-days", "99999999999", ()),
    ("churn", "--inactive-days", "36501", ()),
    ("churn", "--inactive-days", "0", ()),
    ("churn", "--month", "9999-12", ("--list",)),
    ("expiring", "--as-of", "9999-12-31", ()),
    ("expiring", "--as-of", "0001-01-01", ()),
    ("expiring", "--as-of", "2026-02-30", ()),
    ("expiring", "--as-of", "20261005", ()),
    ("expiring", "--month", "9999-12", ()),
    ("expiring", "--month", "0001-01", ()),
    ("expiring", "--min-visits", "99999999999999999999", ()),
    ("expiring", "--min-spend", "nan", ()),
    ("expiring", "--min-spend", "inf", ()),
    ("expiring", "--min-spend", "-1", ()),
    ("new-members", "--month", "3000-01", ()),
    ("new-members", "--year", "1899", ("--problems",)),
    ("grades", "--grade-edges", "nan,1,2", ()),
    ("grades", "--grade-edges", "1,2,inf", ()),
    ("grades", "--grade-edges", "-1,1,2", ()),
    ("grades", "--year", "0000", ("--migration",)),
    ("complaints", "--month", "0001-01", ()),
    ("complaints", "--year", "0000", ("--overdue",)),
    ("callbacks", "--min-amount", "nan", ()),
    ("callbacks", "--min-amount", "inf", ()),
    ("callbacks", "--inactive-days", "99999999999", ()),
    ("callbacks", "--per-store", "99999999999999999999", ()),
    ("callbacks", "--kind", "", ()),
    ("callbacks", "--month", "9999-12", ()),
    ("churn-risk", "--as-of", "9999-12-31", ()),
    ("churn-risk", "--as-of", "0000-01-01", ()),
    ("churn-risk", "--as-of", "1899-12-31", ()),
    ("churn-risk", "--horizon-days", "99999999999", ()),
    ("churn-risk", "--horizon-days", "0", ()),
    ("gifts stock", "--as-of", "9999-12-31", ()),
    ("gifts count-sheet", "--date", "0001-01-01", ("--location", "HQ", "-o", "sheet.xlsx")),
    ("gifts reconcile", "--date", "9999-12-31", ()),
    ("gifts reconcile", "--tolerance", "99999999999999999999", ()),
    ("gifts issues", "--month", "9999-12", ()),
    ("report", "--month", "9999-12", ("-o", "book.xlsx")),
    ("report", "--year", "0000", ("-o", "book.xlsx")),
    ("check", "--wait", "nan", ()),
    ("info", "--loads", "99999999999999999999", ()),
    ("info", "--wait", "inf", ()),
    ("load", "--max-reject-ratio", "nan", ("transactions", "t.csv")),
    ("load", "--wait", "1e9", ("transactions", "t.csv")),
]


@pytest.mark.parametrize(
    "command, option, value, extra", BAD, ids=[f"{c}{o}={v}" for c, o, v, _ in BAD]
)
def test_a_bad_option_value_is_a_usage_error_naming_the_option(
    small_db, tmp_path, monkeypatch, command, option, value, extra
):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", TICKETS)
    before = digest(small_db)
    result = run_cli(*command.split(), "--db", small_db, *extra, option, value)
    assert result.exit_code == 2, result.output
    assert option in result.stderr, result.stderr
    assert "unexpected error" not in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]  # no file written
    assert digest(small_db) == before


def json_rows(*args) -> list[dict]:
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_edge_values_within_the_range_still_work(small_db, tmp_path):
    db = ("--db", small_db)
    # figures with edges at the ends of the range: M1 spent 100.00, M2 50.00 in 2026-10
    (row,) = json_rows("spend-bands", *db, "--month", "2026-10", "--bands", "0,50.01,1e12")
    assert [(b["label"], b["members"]) for b in row["bands"]] == [
        ("<0.00", 0),
        ("0.00–50.01", 1),
        ("50.01–1000000000000.00", 1),
        ("≥1000000000000.00", 0),
    ]
    (row,) = json_rows("demographics", *db, "--month", "2026-10", "--age-bands", "1,41,120")
    assert [(b["label"], b["members"]) for b in row["age_bands"]][:3] == [
        ("<1", 0),
        ("1–41", 1),
        ("41–120", 1),
    ]
    grades = json_rows("grades", *db, "--month", "2026-10", "--grade-edges", "0,50,100.00")
    assert [(g["label"], g["members"]) for g in grades[0]["grades"]] == [
        ("A", 1),
        ("B", 1),
        ("C", 0),
        ("D", 0),
    ]
    for period in (("--month", "1900-01"), ("--month", "2999-12"), ("--year", "1900")):
        for command in ("spend-bands", "spending-power", "new-members", "complaints"):
            assert len(json_rows(command, *db, *period)) == 1, (command, period)
        churned = json_rows("churn", *db, *period, "--inactive-days", "36500")
        assert churned[0]["scope"] == "ALL"
        listed = json_rows("churn", *db, *period, "--list", "--inactive-days", "36500")
        assert {r["member_id"] for r in listed} <= {"M2"}  # M1's card ended in 2026
        assert json_rows("grades", *db, *period, "--migration")
        assert run_cli("callbacks", *db, *period, "--inactive-days", "36500").exit_code == 0
    assert json_rows("spend-bands", *db, "--year", "2999")[0]["active_members"] == 0
    for day in ("1900-01-01", "2999-12-31", "2026-1-5"):
        assert run_cli("expiring", *db, "--as-of", day, "--min-visits", "1000000000").exit_code == 0
        assert run_cli("gifts", "stock", *db, "--as-of", day).exit_code == 0
    expiring = run_cli("expiring", *db, "--as-of", "2999-12-31")
    assert "3000-01: 0 members" in expiring.stderr
    assert json_rows("expiring", *db, "--as-of", "2026-10-05")[0]["member_id"] == "M1"
    result = run_cli("gifts", "reconcile", *db, "--tolerance", "1000000000", "--wait", "86400")
    assert result.exit_code == 0, result.output
    assert run_cli("info", *db, "--loads", "1000000000").exit_code == 0
    assert run_cli("check", *db, "--wait", "0").exit_code == 0
    book = tmp_path / "book.xlsx"
    assert run_cli("report", *db, "--month", "2999-12", "-o", book).exit_code == 0
    assert book.exists()


# --- case 13: every bad FILE path named before anything loads; the real cause of thin data -------


def test_a_folder_or_missing_path_among_files_loads_nothing(tmp_path):
    first = write(tmp_path / "first.csv", TICKETS)
    last = write(tmp_path / "last.csv", f"{TX_HEADER}\nT9,S001,2026-10-07,M1,9.00,1\n")
    folder = tmp_path / "exports"
    folder.mkdir()
    db_file = tmp_path / "m.duckdb"
    args = ("--db", db_file, "load", "transactions", first, folder, last, tmp_path / "nope.csv")
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert f"{folder}: is a folder, not a file" in result.stderr
    assert f"{tmp_path / 'nope.csv'}: no such file" in result.stderr
    assert "nothing was loaded: 2 of the 4 paths given are not files" in result.stderr
    assert not db_file.exists()
    # into an existing database: nothing of the good files either
    assert (
        run_cli("--db", db_file, "load", "stores", write(tmp_path / "s.csv", STORES)).exit_code == 0
    )
    assert run_cli(*args).exit_code == 2
    assert ticket_count(db_file) == 0
    assert run_cli("--db", db_file, "load", "transactions", first, last).exit_code == 0
    assert ticket_count(db_file) == 3


def db_with(tmp_path: Path, **files: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    db_file = tmp_path / "thin.duckdb"
    for kind, text in files.items():
        result = run_cli("--db", db_file, "load", kind, write(tmp_path / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


@pytest.mark.parametrize(
    "files, args, said, hint",
    [
        (
            {"transactions": TICKETS},
            (),
            "no member ids are on file: the members table is empty (2 member ids on tickets",
            "memberkit load members",
        ),
        ({"members": MEMBERS}, (), "no tickets are loaded", "memberkit load transactions"),
        (
            {"members": MEMBERS, "transactions": TICKETS},
            ("--as-of", "2020-01-01"),
            "no ticket on or before 2020-01-01 (the first is on 2026-10-05)",
            "choose a later day",
        ),
        (
            {
                "members": MEMBERS,
                "transactions": TICKETS.replace(",M1,", ",,").replace(",M2,", ",,"),
            },
            (),
            "no ticket up to",
            "member id column",
        ),
        (
            {
                "members": MEMBERS.replace("M1,", "M8,").replace("M2,", "M9,"),
                "transactions": TICKETS,
            },
            ("--as-of", "2026-10-31"),
            "only 0 of the 2 member ids on tickets up to 2026-10-31 are in the members table "
            "(2 members on file)",
            "memberkit load members",
        ),
    ],
    ids=["no-members", "no-tickets", "as-of-too-early", "no-member-ids", "unknown-members"],
)
def test_churn_risk_names_what_is_missing(tmp_path, files, args, said, hint):
    db_file = db_with(tmp_path, **files)
    result = run_cli("churn-risk", "--db", db_file, *args)
    assert result.exit_code == 3, result.output
    assert said in result.stderr and hint in result.stderr, result.stderr
    assert "0 of 0" not in result.stderr
    if "as-of" not in said and args == ():
        assert "--as-of" not in result.stderr


def test_churn_list_with_risk_names_the_empty_members_table(tmp_path):
    db_file = db_with(tmp_path, transactions=TICKETS)
    result = run_cli("churn", "--db", db_file, "--month", "2026-10", "--list", "--risk")
    assert result.exit_code == 3, result.output
    assert "the members table is empty" in result.stderr and "0 of 0" not in result.stderr


def test_reports_say_which_table_is_empty(tmp_path, small_db):
    tickets_only = db_with(tmp_path / "t", transactions=TICKETS)
    (row,) = json_rows("spend-bands", "--db", tickets_only, "--month", "2026-10")
    assert (row["members_total"], row["active_members"]) == (0, 2)
    result = run_cli("spend-bands", "--db", tickets_only, "--month", "2026-10", "--by", "region")
    assert result.exit_code == 0, result.output
    assert "no members are on file (the members table is empty)" in result.stderr
    assert "memberkit load members FILE" in result.stderr
    assert "no stores are loaded" in result.stderr and "memberkit load stores" in result.stderr
    members_only = db_with(tmp_path / "m", members=MEMBERS)
    for command in (["expiring", "--as-of", "2026-10-05"], ["spending-power"], ["churn"]):
        result = run_cli(*command, "--db", members_only)
        assert result.exit_code == 0, result.output
        assert "no tickets are loaded" in result.stderr, (command, result.stderr)
        assert "memberkit load transactions FILE" in result.stderr
        assert "members are on file" not in result.stderr
    result = run_cli("complaints", "--db", small_db, "--month", "2026-10")
    assert result.exit_code == 0 and "no complaints are loaded" in result.stderr
    for command in ("spend-bands", "churn", "grades", "callbacks"):
        result = run_cli(command, "--db", small_db, "--month", "2026-10", "--by", "region")
        if command != "callbacks":
            assert result.exit_code == 0, result.output
            assert "loaded" not in result.stderr and "on file" not in result.stderr


def test_a_schema_left_half_made_is_finished_by_a_writer(tmp_path):
    """A first load killed while it created the schema leaves memberkit's first tables and an
    empty meta: that is memberkit's, not another application's."""
    db_file = tmp_path / "half.duckdb"
    con = duckdb.connect(str(db_file))
    con.execute("create table meta (key varchar primary key, value varchar)")
    con.execute("create sequence load_ids start 1")
    con.close()
    assert run_cli("--db", db_file, "load", "transactions", tickets(tmp_path)).exit_code == 0
    assert ticket_count(db_file) == 2
    # the same tables holding another application's rows are not
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table meta (key varchar, value varchar)")
    con.execute("insert into meta values ('owner', 'crm')")
    con.close()
    result = run_cli("--db", other, "load", "transactions", tickets(tmp_path))
    assert result.exit_code == 2 and "another application's" in result.stderr


@pytest.mark.parametrize("threads", ["1", "3"])
def test_duckdb_runs_on_the_threads_the_variable_gives(tmp_path, monkeypatch, threads):
    from memberkit import db

    monkeypatch.setenv("MEMBERKIT_THREADS", threads)
    con = db.connect(tmp_path / "t.duckdb")
    try:
        assert con.execute("select current_setting('threads')").fetchone()[0] == int(threads)
    finally:
        con.close()


@pytest.mark.parametrize("threads", ["0", "two", "-1", "1.5", "²"])
def test_a_threads_variable_that_is_no_count_is_a_usage_error(tmp_path, monkeypatch, threads):
    monkeypatch.setenv("MEMBERKIT_THREADS", threads)
    result = run_cli("--db", tmp_path / "t.duckdb", "load", "transactions", tickets(tmp_path))
    assert result.exit_code == 2, result.output
    assert f"MEMBERKIT_THREADS={threads!r} is not a number of threads" in result.output
    assert not (tmp_path / "t.duckdb").exists()  # refused before the database was made
