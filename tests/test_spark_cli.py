"""The Spark engine end to end over a lake (SPEC 8): the lake's views hold the database's
rows (whatever the session's time zone), and `memberkit --engine spark --lake DIR REPORT`
prints what the DuckDB engine prints, through the command line and memberkit.open.

One local Spark session for the test process (the `spark` fixture of conftest.py): starting
one takes 10-20 s, a first query 3-7 s, later ones about a second."""

from __future__ import annotations

from pathlib import Path

import pytest

import memberkit
from conftest import query, run_cli
from memberkit import lake as lakes

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MONTH = "2026-10"
MASTER = "local[2]"


@pytest.fixture(scope="module")
def lake(full_chain, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("spark_lake") / "lake"
    result = run_cli("--db", full_chain, "export", "parquet", dest)
    assert result.exit_code == 0, result.output
    return dest


def nulls_first(row: tuple) -> tuple:
    return tuple((v is not None, v) for v in row)


def spark_rows(spark, sql: str) -> list[tuple]:
    # through Arrow: a Row object per row costs seconds on 60,000 tickets
    return sorted(
        (tuple(r.values()) for r in spark.sql(sql).toArrow().to_pylist()), key=nulls_first
    )


def duckdb_rows(db_file: Path, sql: str) -> list[tuple]:
    return sorted(query(db_file, sql, read_only=True), key=nulls_first)


def test_the_lake_views_hold_the_databases_rows(spark, lake, full_chain):
    """The tickets and their summary, row for row and typed alike (Decimal, datetime, date):
    ticket_months's month comes back as the date its folder names, timestamps as the wall
    time loaded. (Every table's row count is checked against the database without Spark, by
    tests/test_lake.py's info --lake.)"""
    manifest = lakes.register_lake(spark, lake)
    for table in ("transactions", "ticket_months"):
        columns = ", ".join(c for c, _ in manifest["tables"][table]["columns"])
        sql = f"select {columns} from {table}"  # names from the manifest
        assert spark_rows(spark, sql) == duckdb_rows(full_chain, sql), table


def test_days_do_not_move_with_the_session_time_zone(spark, lake, full_chain):
    sql = "select cast(txn_time as date) as day, count(*), sum(amount) from transactions group by 1"
    lakes.register_lake(spark, lake)
    spark.conf.set("spark.sql.session.timeZone", "Pacific/Kiritimati")  # UTC+14
    try:
        assert spark_rows(spark, sql) == duckdb_rows(full_chain, sql)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def test_a_lake_named_by_a_uri_is_read_with_this_memberkits_schema(spark, lake, full_chain):
    lakes.register_lake(spark, lake.resolve().as_uri())
    sql = "select month, count(*), sum(net_amount) from ticket_months group by 1"
    assert spark_rows(spark, sql) == duckdb_rows(full_chain, sql)
    assert spark_rows(spark, "select count(*) from ticket_lines") == [(0,)]


def test_spend_bands_on_spark_prints_the_duckdb_table(spark, lake, full_chain):
    """Issue 23's "done when": the same table, character for character."""
    report = ["spend-bands", "--month", MONTH, "--by", "store"]
    on_duckdb = run_cli("--db", full_chain, *report)
    assert on_duckdb.exit_code == 0, on_duckdb.output
    absent = lake.parent / "absent.duckdb"  # proof that the Spark side reads no database
    on_spark = run_cli(
        "--engine", "spark", "--spark-master", MASTER, "--lake", lake, "--db", absent,
        "--spark-conf", "spark.memberkit.probe = cli", *report,
    )  # fmt: skip
    assert on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == on_duckdb.stdout
    assert spark.conf.get("spark.memberkit.probe") == "cli"  # the setting reached the session
    assert "S001" in on_spark.stdout  # a row per store, not an empty table


def test_the_api_runs_a_report_on_spark(spark, lake, full_chain):
    with memberkit.open(full_chain) as db:
        expected = db.report("spend-bands", month=MONTH, by="region", bands=[200, 800]).rows
    settings = {"spark.memberkit.probe": "api"}
    with memberkit.open(engine="spark", lake=lake, spark_master=MASTER, spark_conf=settings) as db:
        on_spark = db.report("spend-bands", month=MONTH, by="region", bands=[200, 800]).rows
    assert on_spark == expected
    assert spark.conf.get("spark.memberkit.probe") == "api"
    assert len(expected) > 2  # the regions and ALL
