"""Shared fixtures: a database in tmp_path, a CLI runner, and small CSV writers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from memberkit import db
from memberkit.cli import app

TX_HEADER = "小票号,门店编号,交易时间,会员卡号,实收金额,商品数量"
MEMBER_HEADER = "会员卡号,姓名,性别,出生日期,手机号,开卡门店,开卡日期,到期日期"

# CI runs the same examples every time (seeded by each test), so a landing is not refused
# by a case nobody has seen yet; `make test` on a desk keeps exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db_path: Path):
    connection = db.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def sample_chain(tmp_path_factory) -> tuple[Path, Path]:
    """`memberkit sample-data`'s files and a database holding its stores, members, tickets
    and targets, made once for the tests that run memberkit in processes of their own. Tests
    read it, or copy it before they change anything."""
    folder = tmp_path_factory.mktemp("sample_chain")
    data = folder / "data"
    assert run_cli("sample-data", data).exit_code == 0
    db_file = folder / "sample.duckdb"
    for kind in ("stores", "members", "transactions", "targets"):
        assert run_cli("--db", db_file, "load", kind, data / f"{kind}.csv").exit_code == 0
    return data, db_file


@pytest.fixture(scope="session")
def full_chain(sample_chain, tmp_path_factory) -> Path:
    """The sample chain with every other file of sample-data loaded too (complaints, gifts,
    the call-back log, both gift-request exports, the surveys), for tests that only read it:
    every report has rows to show."""
    data, base = sample_chain
    db_file = tmp_path_factory.mktemp("full_chain") / "chain.duckdb"
    shutil.copy(base, db_file)
    for kind in ("complaints", "gifts", "gift-moves", "gift-counts", "callback-log", "surveys"):
        path = data / f"{kind.replace('-', '_')}.csv"
        assert run_cli("--db", db_file, "load", kind, path).exit_code == 0
    for name in ("gift_requests", "gift_requests_later"):  # 礼品申请单, a later export
        path = data / f"{name}.csv"
        assert run_cli("--db", db_file, "load", "gift-requests", path).exit_code == 0
    return db_file


def pytest_collection_modifyitems(config, items):
    """The longest work first, so that no worker is left with minutes to go at the end: the
    Spark test files, then the files with tests marked slow, then the rest (with
    `--dist loadfile`, files are handed out in this order: see pytest_xdist_make_scheduler)."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("spark") is None,
            item.get_closest_marker("slow") is None,
        )
    )


SPARK_FILES = "tests/test_spark_"  # the files whose tests run on the session's Spark


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with every Spark test file on one worker: each worker that ran one
    started a Spark of its own (a JVM of 10-20 s and a few hundred MB), and two of them beside
    the other worker's tests cost the suite minutes. Files go out in collection order (above),
    not by their number of tests."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SparkFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SPARK_FILES if scope.startswith(SPARK_FILES) else scope

    config.option.loadscopereorder = False
    return SparkFilesTogether(config, log)


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for every Spark test of the process: it takes 10-20 s to
    start, so the tests marked `spark` share it."""
    try:
        import pyspark  # noqa: F401
    except ImportError:  # a missing extra is a failure to see, not a skip
        pytest.fail("the Spark tests need the spark extras: make test installs them")
    from memberkit.engines.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


# pytest-xdist's workers start with COLUMNS=80 and LINES=24: tables would be fitted to 80
# columns in those workers only. A test that wants a width sets COLUMNS itself.
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    # a worker per core: DuckDB's threads in each would only wait on the other's (the
    # reference tests ran a third faster with one); tests that want more threads set it
    os.environ.setdefault("MEMBERKIT_THREADS", "1")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run_cli(*args: str):
    """Invoke the CLI in-process; the caller checks exit_code and output."""
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    # a MemberkitError or Exit is expected; a Python exception escaping the CLI is a bug
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def rows(con, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


def query(
    db_path: Path, sql: str, params: dict | None = None, *, read_only: bool = False
) -> list[tuple]:
    """A query on the database file, opened (and closed) for it."""
    con = db.connect(db_path, read_only=read_only)
    try:
        return rows(con, sql, params)
    finally:
        con.close()


def state(db_file: Path, ignore: tuple[str, ...] = ()) -> dict:
    """The database's rows (fingerprint) as memberkit opens it: interrupted loads undone."""
    con = db.connect(db_file, read_only=True)
    try:
        return fingerprint(con, ignore)
    finally:
        con.close()


def fingerprint(con, ignore: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """Every table's row count and an order-independent hash of its rows: two databases with
    the same fingerprint hold the same rows (`loads` included, so the ledger too). `ignore`
    leaves columns out (load ids differ between two runs that load the same files)."""
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' "
        "order by table_name, column_index"
    ).fetchall():
        if column not in ignore:
            columns.setdefault(table, []).append(column)
    return {  # names from the catalog
        t: tuple(
            con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(c)})), 0) from {t}"
            ).fetchone()
        )
        for t, c in columns.items()
    }
