"""Every report gives the same rows on Spark as on DuckDB for the same data (SPEC 8): counts
and amounts equal, ratios within 1e-9. The data goes from the DuckDB database into Spark as
a lake (`export_parquet`, `register_lake`); a second generated chain goes in as warehouse
tables with other column names,
mapped by a --tables file (engines.tables), its summaries derived on Spark.

One local Spark session for the whole file (conftest.spark): each report costs a few
queries of 0.3-3 s there, so the cases are a selection that still covers every report."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run_cli
from engine_cases import CASES, case_id
from memberkit import db
from memberkit.api import Database
from memberkit.errors import UsageError
from memberkit.sql import prepare_connection

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# every report once (its richest option set), and a year for the reports from the summaries:
# month and year, --by store and region, --store, each report's own options. Spark costs a
# few seconds a report here; tests/test_translate.py runs all of CASES on DuckDB.
SPARK_CASES = [
    CASES[i]
    for i in (1, 2, 3, 5, 8, 10, 11, 12, 14, 17, 18, 19, 21, 23, 24, 25, 27, 28, 29, 31, 32)
    + (36, 38, 40, 41, 42, 43)
]


def same(a, b) -> bool:
    """Equal rows: same keys, types and values; floats (and decimals finer than a cent:
    ratios the JSON shape made exact) within 1e-9."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, Decimal) and isinstance(b, Decimal) and a.as_tuple().exponent < -2:
        return abs(a - b) <= Decimal("1e-9") * max(1, abs(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def assert_same_rows(expected: list[dict], got: list[dict]) -> None:
    assert len(got) == len(expected)
    for row, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert same(want, have), f"row {row}:\n duckdb {want}\n spark  {have}"


def tables_of(con) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' order by 1"
        ).fetchall()
    ]


def copy_to_spark(con, spark, folder: Path, select: dict[str, str] | None = None) -> None:
    """Each table of the DuckDB database as Parquet in `folder`, read by Spark into a view of
    its name (`select`: a table's query instead of all of it, under another name)."""
    for table in tables_of(con):
        query, name = (select or {}).get(table, (f"from {table}", table))
        path = folder / f"{name}.parquet"
        con.execute(f"copy ({query}) to '{path}' (format parquet)")  # names from the catalog
        spark.read.parquet(str(path)).createOrReplaceTempView(name)


@pytest.fixture(scope="module")
def engines(full_chain, spark, tmp_path_factory):
    from memberkit.engines.spark import SparkConnection
    from memberkit.lake import export_parquet, register_lake

    con = db.connect(full_chain, read_only=True)
    prepare_connection(con)
    session = spark.newSession()  # temp views of its own; the JVM is shared
    # the path a user takes: `memberkit export parquet`'s lake, read by register_lake
    lake = tmp_path_factory.mktemp("lake") / "lake"
    export_parquet(con, lake)
    register_lake(session, lake)
    yield Database(con), Database(SparkConnection(session))
    con.close()


@pytest.mark.parametrize("case", SPARK_CASES, ids=[case_id(c) for c in SPARK_CASES])
def test_a_report_gives_the_same_rows_on_spark(engines, case):
    duck, spark = engines
    name, keywords = case
    expected = duck.report(name, **keywords).rows
    assert expected, "a case without rows would prove little"
    assert_same_rows(expected, spark.report(name, **keywords).rows)


def test_the_cases_cover_every_report():
    from memberkit.reports import catalogue

    assert {name for name, _ in SPARK_CASES} == set(catalogue.ENTRIES)


# --- a warehouse's tables, mapped by --tables FILE.toml -----------------------------------

TABLES_TOML = """
[transactions]
table = "fact_pos_ticket"

[transactions.columns]
txn_id = "ticket_no"
store_id = "shop_code"
txn_time = "sale_time"
member_id = "card_no"
amount = "paid_amt"
item_qty = "qty"

[members]
table = "dim_member"
columns = { member_id = "card_no", store_id = "home_shop" }

[stores]
table = "dim_shop"
columns = { store_id = "shop_code" }
"""

WAREHOUSE = {  # memberkit's tables as a warehouse holds them: other names, no summaries
    "transactions": (
        "select txn_id as ticket_no, store_id as shop_code, txn_time as sale_time, "
        "member_id as card_no, amount as paid_amt, item_qty as qty from transactions",
        "fact_pos_ticket",
    ),
    "members": (
        "select * rename (member_id as card_no, store_id as home_shop) from members",
        "dim_member",
    ),
    "stores": ("select * rename (store_id as shop_code) from stores", "dim_shop"),
}
SUMMARIES = ("member_keys", "ticket_months", "ticket_stores")

TABLES_CASES = [
    ("spend-bands", {"month": "2026-06", "by": "store"}),
    ("spending-power", {"year": 2025, "by": "region"}),
    ("churn", {"month": "2026-06", "inactive_days": 120}),
    ("grades", {"month": "2026-06", "by": "region"}),
    ("churn-risk", {"as_of": "2026-06-17", "by": "store"}),
]


@pytest.fixture(scope="module")
def warehouse(spark, tmp_path_factory):
    """Another generated chain (other seed and size) in DuckDB, and on Spark as warehouse
    tables under other names, mapped by a tables file."""
    folder = tmp_path_factory.mktemp("warehouse")
    data, db_file = folder / "data", folder / "chain.duckdb"
    args = ("--seed", "11", "--stores", "5", "--members", "900", "--tickets", "20000")
    assert run_cli("sample-data", data, *args, "--end-month", "2026-07").exit_code == 0
    for kind in ("stores", "members", "transactions", "targets"):
        assert run_cli("--db", db_file, "load", kind, data / f"{kind}.csv").exit_code == 0
    con = db.connect(db_file, read_only=True)
    prepare_connection(con)
    session = spark.newSession()
    select = {t: WAREHOUSE.get(t, (f"from {t}", t)) for t in tables_of(con)}
    for summary in SUMMARIES:  # a warehouse has none: engines.tables derives them
        select[summary] = (f"from {summary}", f"unused_{summary}")
    copy_to_spark(con, session, folder, select)
    toml = folder / "tables.toml"
    toml.write_text(TABLES_TOML, encoding="utf-8")
    yield con, session, toml
    con.close()


def test_reports_over_mapped_warehouse_tables_give_the_same_rows(warehouse):
    from memberkit.engines.spark import SparkConnection
    from memberkit.engines.tables import register_tables

    con, session, toml = warehouse
    register_tables(session, toml)
    names = {t.name for t in session.catalog.listTables()}
    assert set(SUMMARIES) <= names  # derived from the mapped tickets
    duck, spark = Database(con), Database(SparkConnection(session))
    for name, keywords in TABLES_CASES:
        expected = duck.report(name, **keywords).rows
        assert expected, name
        assert_same_rows(expected, spark.report(name, **keywords).rows)


def test_a_mapped_column_the_warehouse_table_lacks_is_refused_naming_it(warehouse, tmp_path):
    from memberkit.engines.tables import register_tables

    _, session, _ = warehouse
    toml = tmp_path / "tables.toml"
    toml.write_text('[stores]\ntable = "dim_shop"\ncolumns = { region = "area" }\n')
    with pytest.raises(UsageError, match=r"\[stores\] columns.region: dim_shop has no column"):
        register_tables(session, toml)
