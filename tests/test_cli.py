"""The command line: global options, help, exit codes, and the library/terminal split."""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import pytest

from conftest import TX_HEADER, run_cli, write
from memberkit import __version__

SRC = Path(__file__).resolve().parents[1] / "src" / "memberkit"


def tickets(tmp_path: Path) -> Path:
    return write(tmp_path / "t.csv", f"{TX_HEADER}\nT1,S001,2026-10-05 10:00:00,M1,100.00,2\n")


def test_version():
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"memberkit {__version__}"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["load"],
        ["info"],
        ["sample-data"],
        ["spend-bands"],
        ["demographics"],
        ["spending-power"],
        ["churn"],
        ["report"],
        ["expiring"],
        ["gifts"],
        ["gifts", "stock"],
        ["gifts", "count-sheet"],
        ["gifts", "reconcile"],
        ["gifts", "issues"],
    ],
)
def test_every_command_has_help(command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_db_before_or_after_the_subcommand_or_from_the_environment(tmp_path, monkeypatch):
    path = tickets(tmp_path)
    before, after, env = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    assert run_cli("--db", before, "load", "transactions", path).exit_code == 0
    assert run_cli("load", "transactions", path, "--db", after).exit_code == 0
    monkeypatch.setenv("MEMBERKIT_DB", str(env))
    assert run_cli("load", "transactions", path).exit_code == 0
    for db_file in (before, after, env):
        result = run_cli("info", "--db", db_file, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["rows"]["transactions"] == 1


def test_database_is_private_to_its_owner(tmp_path):
    db_file = tmp_path / "private.duckdb"
    run_cli("--db", db_file, "load", "transactions", tickets(tmp_path))
    assert db_file.stat().st_mode & 0o077 == 0


def test_load_summary_and_exit_codes(tmp_path):
    db_file = tmp_path / "x.duckdb"
    result = run_cli("--db", db_file, "load", "transactions", tickets(tmp_path))
    assert result.exit_code == 0
    assert "1 read, 1 loaded, 0 duplicate, 0 rejected (utf-8, comma)" in result.stdout
    again = run_cli("--db", db_file, "load", "transactions", tickets(tmp_path))
    assert again.exit_code == 0 and "already loaded" in again.stdout
    missing = run_cli("--db", db_file, "load", "transactions", tmp_path / "nope.csv")
    assert missing.exit_code == 2 and "nope.csv: no such file" in missing.stderr
    usage = run_cli("--db", db_file, "load", "receipts", tickets(tmp_path))
    assert usage.exit_code == 2


def test_info_on_a_missing_database_is_a_clear_error(tmp_path):
    result = run_cli("info", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 2
    assert "no database at" in result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_library_code_never_imports_the_terminal_layer():
    library = [
        p
        for p in SRC.rglob("*.py")
        if "cli" not in p.relative_to(SRC).parts and "render" not in p.relative_to(SRC).parts
    ]
    assert library, "no library modules found"
    offenders = {
        str(p.relative_to(SRC)): sorted(_imports(p) & {"typer", "rich", "click"}) for p in library
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_contract_names_every_library_module():
    """`make lint` (lint-imports) checks indirect imports too, but only for the modules
    pyproject.toml lists: a new module of src/memberkit/ must be added there."""
    config = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    assert contract["forbidden_modules"] == ["typer", "click", "rich"]
    top = {p.stem for p in SRC.glob("*.py")} | {p.parent.name for p in SRC.glob("*/__init__.py")}
    library = top - {"__init__", "__main__", "cli", "render"}
    # the modules on one side only: a new module not listed, or a listed one gone
    assert set(contract["source_modules"]) ^ {f"memberkit.{m}" for m in library} == set()
    # and nothing but __main__ imports cli: the same modules and render, without an exception
    (below_cli,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["forbidden_modules"] == ["memberkit.cli"]
    ]
    assert set(below_cli["source_modules"]) == set(contract["source_modules"]) | {
        "memberkit.render"
    }
    assert "ignore_imports" not in below_cli


def test_a_database_from_an_older_version_gains_the_new_tables(tmp_path):
    """Reports open read-only, but a database made before the gift tables existed is
    brought up to date first instead of failing on a missing table."""
    from memberkit import db

    db_file = tmp_path / "old.duckdb"
    run_cli("--db", db_file, "load", "transactions", tickets(tmp_path))
    con = db.connect(db_file)
    for table in ("gift_counts", "gift_moves", "gifts", "ticket_stores"):
        con.execute(f"drop table {table}")
    con.execute("update meta set value = '1' where key = 'schema_version'")
    con.close()
    result = run_cli("spend-bands", "--db", db_file, "--month", "2026-10", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"][0]["active_members"] == 1
    # the stores seen on tickets are listed again from the tickets already loaded
    result = run_cli("spend-bands", "--db", db_file, "--month", "2026-10", "--by", "store")
    assert result.exit_code == 0, result.output
    con = db.connect(db_file, read_only=True)
    try:
        assert con.execute("select count(*) from ticket_stores").fetchall()[0][0] > 0
    finally:
        con.close()


def test_every_table_a_report_needs_has_words_for_when_it_is_empty():
    """A report run on a database without its table says which load it lacks: every table an
    entry of the catalogue counts (`needs`) has its sentence and its load kind."""
    from memberkit.cli.common import _EMPTY
    from memberkit.ingest.kinds import KINDS
    from memberkit.reports import catalogue

    needed = {table for entry in catalogue.ENTRIES.values() for table in entry.needs}
    assert needed <= set(_EMPTY), needed - set(_EMPTY)
    assert {kind for _, kind in _EMPTY.values()} <= set(KINDS)
