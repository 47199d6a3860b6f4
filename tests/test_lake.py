"""memberkit export parquet DIR and info --lake (SPEC 8), without Spark: the lake's layout,
its manifest against the database, its types and contents as pyarrow reads them (not
DuckDB, which wrote them), owner-only files, atomicity, the refusals and their exit codes,
and a lake whose files disagree with its manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import memberkit
from conftest import query, run_cli
from memberkit import lake

MONTH = "2026-10"


@pytest.fixture(scope="module")
def chain_db(tmp_path_factory) -> Path:
    """A small chain whose last month came as ticket lines, with service records: every
    kind of table has rows (gift_requests aside: an empty table is exported too)."""
    folder = tmp_path_factory.mktemp("lake_chain")
    data = folder / "data"
    made = run_cli(
        "sample-data", data, "--tickets", "4000", "--members", "400", "--stores", "4",
        "--months", "5", "--lines-from", MONTH,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    db_file = folder / "chain.duckdb"
    for kind in ("stores", "members", "transactions", "ticket-lines", "targets", "complaints",
                 "surveys", "callback-log", "gifts", "gift-moves"):  # fmt: skip
        loaded = run_cli("--db", db_file, "load", kind, data / f"{kind.replace('-', '_')}.csv")
        assert loaded.exit_code == 0, loaded.output
    return db_file


@pytest.fixture(scope="module")
def exported(chain_db, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("exported") / "lake"
    result = run_cli("--db", chain_db, "export", "parquet", dest)
    assert result.exit_code == 0, result.output
    return dest


def table_names(db_file: Path) -> set[str]:
    return {
        r[0]
        for r in query(
            db_file,
            "select table_name from duckdb_tables() where database_name = current_database()",
            read_only=True,
        )
    }


def db_months(db_file: Path, table: str, column: str) -> dict[str, int]:
    return dict(
        query(  # names from the test
            db_file,
            f"select strftime({column}, '%Y-%m'), count(*) from {table} group by 1",
            read_only=True,
        )
    )


def test_every_table_is_a_folder_and_the_ticket_tables_are_split_by_month(chain_db, exported):
    tables = table_names(chain_db)
    assert {p.name for p in exported.iterdir() if p.is_dir()} == tables
    for table, column in lake.PARTITIONED.items():
        months = db_months(chain_db, table, column)
        assert months, f"{table}: the fixture should have rows"
        folders = {p.name for p in (exported / table).iterdir()}
        assert folders == {f"month={m}" for m in months}
        for folder in (exported / table).iterdir():
            assert list(folder.glob("*.parquet")), folder
    assert list((exported / "members").glob("*.parquet"))
    assert list((exported / "gift_requests").glob("*.parquet"))  # empty, but there
    assert (exported / MONTH_FOLDER("transactions")).is_dir()


def MONTH_FOLDER(table: str) -> str:  # noqa: N802
    return f"{table}/month={MONTH}"


def test_manifest_counts_equal_the_database(chain_db, exported):
    manifest = json.loads((exported / "_memberkit.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "memberkit-lake"
    assert manifest["schema_version"] == "7"
    assert manifest["memberkit_version"] == memberkit.__version__
    assert manifest["written_at"].endswith("Z")
    [(through,)] = query(chain_db, "select max(txn_time)::date::varchar from transactions")
    assert manifest["data_through"] == through == "2026-10-31"
    assert set(manifest["tables"]) == table_names(chain_db)
    for table, entry in manifest["tables"].items():
        [(count,)] = query(chain_db, f"select count(*) from {table}", read_only=True)
        assert entry["rows"] == count, table
    for table, column in lake.PARTITIONED.items():
        assert manifest["tables"][table]["months"] == db_months(chain_db, table, column)


def read(exported: Path, table: str) -> pa.Table:
    """A table of the lake as pyarrow reads it, the month folders as a text column."""
    partitioning = "hive" if table in lake.PARTITIONED else None
    return ds.dataset(exported / table, format="parquet", partitioning=partitioning).to_table()


def test_types_are_exact_decimals_and_timestamps_without_a_time_zone(exported):
    tickets = read(exported, "transactions").schema
    assert tickets.field("txn_time").type == pa.timestamp("us")  # no tz: wall time as loaded
    assert tickets.field("amount").type == pa.decimal128(18, 2)
    lines = read(exported, "ticket_lines").schema
    assert lines.field("txn_time").type == pa.timestamp("us")
    assert lines.field("amount").type == pa.decimal128(18, 2)
    assert read(exported, "ticket_months").schema.field("net_amount").type == pa.decimal128(18, 2)
    assert read(exported, "members").schema.field("birth_date").type == pa.date32()
    assert read(exported, "complaints").schema.field("received_at").type == pa.timestamp("us")


def test_the_rows_are_the_databases(chain_db, exported):
    """Every ticket and summary row, as pyarrow reads the files, equals the database's."""
    tickets = read(exported, "transactions")
    got = sorted(
        (r["txn_id"], r["txn_time"], r["amount"], r["member_id"], r["month"])
        for r in tickets.to_pylist()
    )
    want = sorted(
        query(
            chain_db,
            "select txn_id, txn_time, amount, member_id, strftime(txn_time, '%Y-%m') "
            "from transactions",
        )
    )
    assert got == want
    assert isinstance(got[0][2], Decimal)
    # ticket_months: the month is its folder's key, the rest the file's columns
    summary = read(exported, "ticket_months")
    assert "month" in summary.column_names
    got = [
        (r["month"], r["store_id"], r["member_key"], r["net_amount"], r["ticket_days"])
        for r in summary.to_pylist()
    ]
    want = query(
        chain_db,
        "select strftime(month, '%Y-%m'), store_id, member_key, net_amount, ticket_days "
        "from ticket_months",
    )
    assert sorted(got, key=nulls_first) == sorted(want, key=nulls_first)


def nulls_first(row: tuple) -> tuple:
    return tuple((v is not None, v) for v in row)


def test_the_lake_is_readable_by_its_owner_only(exported):
    for path in [exported, *exported.rglob("*")]:
        assert path.stat().st_mode & 0o077 == 0, path


def test_an_export_interrupted_half_way_leaves_no_lake(chain_db, tmp_path, monkeypatch):
    written = []
    original = lake._write_table

    def fail_on_the_fourth(con, staging, name, columns):
        if len(written) == 3:
            raise KeyboardInterrupt  # Ctrl-C, or a kill, part-way through
        written.append(name)
        return original(con, staging, name, columns)

    monkeypatch.setattr(lake, "_write_table", fail_on_the_fourth)
    dest = tmp_path / "lake"
    with pytest.raises(KeyboardInterrupt):
        lake.export_parquet(memberkit_db(chain_db), dest)
    assert len(written) == 3
    assert list(tmp_path.iterdir()) == []  # neither the lake nor its temporary folder


def memberkit_db(db_file: Path):
    from memberkit import db

    return db.connect(db_file, read_only=True)


def test_a_failed_replace_keeps_the_old_lake(chain_db, exported, tmp_path, monkeypatch):
    dest = tmp_path / "lake"
    shutil.copytree(exported, dest)
    before = sorted((p.relative_to(dest), p.read_bytes()) for p in dest.rglob("*") if p.is_file())

    def full_disk(con, staging, name, columns):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lake, "_write_table", full_disk)
    result = run_cli("--db", chain_db, "export", "parquet", dest, "--replace")
    assert result.exit_code == 1
    assert "the disk is full" in result.output
    after = sorted((p.relative_to(dest), p.read_bytes()) for p in dest.rglob("*") if p.is_file())
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["lake"]


def test_an_existing_lake_is_replaced_only_with_replace(chain_db, exported, tmp_path):
    dest = tmp_path / "lake"
    shutil.copytree(exported, dest)
    manifest = dest / "_memberkit.json"
    old = json.loads(manifest.read_text(encoding="utf-8"))
    old["written_at"] = "2000-01-01T00:00:00Z"
    manifest.write_text(json.dumps(old), encoding="utf-8")
    (dest / "transactions" / "month=1999-01").mkdir()  # a leftover the new lake must not keep

    refused = run_cli("--db", chain_db, "export", "parquet", dest)
    assert refused.exit_code == 2
    assert "already holds a lake" in refused.output and "--replace" in refused.output
    assert json.loads(manifest.read_text(encoding="utf-8"))["written_at"].startswith("2000")

    replaced = run_cli("--db", chain_db, "export", "parquet", dest, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert not json.loads(manifest.read_text(encoding="utf-8"))["written_at"].startswith("2000")
    assert not (dest / "transactions" / "month=1999-01").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["lake"]
    assert run_cli("info", "--lake", dest).exit_code == 0


@pytest.mark.parametrize("replace", [False, True])
def test_a_folder_that_is_not_a_lake_is_never_written(chain_db, tmp_path, replace):
    dest = tmp_path / "reports"
    dest.mkdir()
    (dest / "keep.xlsx").write_bytes(b"mine")
    result = run_cli("--db", chain_db, "export", "parquet", dest, *(["--replace"] * replace))
    assert result.exit_code == 2
    assert "not a memberkit lake" in result.output
    assert [p.name for p in dest.iterdir()] == ["keep.xlsx"]
    afile = tmp_path / "lake.parquet"
    afile.write_bytes(b"x")
    result = run_cli("--db", chain_db, "export", "parquet", afile, *(["--replace"] * replace))
    assert result.exit_code == 2
    assert "not a folder" in result.output
    assert afile.read_bytes() == b"x"


def test_an_empty_folder_made_for_the_lake_is_used(chain_db, tmp_path):
    dest = tmp_path / "lake"
    dest.mkdir()
    assert run_cli("--db", chain_db, "export", "parquet", dest).exit_code == 0
    assert (dest / "_memberkit.json").is_file()


def test_export_needs_a_database(tmp_path):
    result = run_cli("--db", tmp_path / "none.duckdb", "export", "parquet", tmp_path / "lake")
    assert result.exit_code == 2
    assert "no database" in result.output
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["export", "parquet", "LAKE"],
        ["load", "stores", "STORES"],
        ["check"],
        ["sample-data", "OUT"],
        ["gifts", "reconcile", "--post"],
    ],
)
def test_commands_that_load_or_write_refuse_the_spark_engine(chain_db, tmp_path, command):
    stores = tmp_path / "stores.csv"
    stores.write_text("门店编号,门店名称,区域\nS9,新店,华东\n", encoding="utf-8")
    paths = {"LAKE": tmp_path / "lake", "STORES": stores, "OUT": tmp_path / "out"}
    args = [str(paths.get(a, a)) for a in command]
    before = (chain_db.stat().st_mtime_ns, chain_db.stat().st_size)
    result = run_cli("--engine", "spark", "--lake", tmp_path, "--db", chain_db, *args)
    assert result.exit_code == 2, result.output
    assert "not on Spark" in result.output
    assert (chain_db.stat().st_mtime_ns, chain_db.stat().st_size) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stores.csv"]


def test_the_engine_variable_is_named_when_it_is_the_cause(chain_db, monkeypatch):
    monkeypatch.setenv("MEMBERKIT_ENGINE", "spark")
    result = run_cli("--db", chain_db, "check")
    assert result.exit_code == 2
    assert "MEMBERKIT_ENGINE=spark" in result.output


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--lake", "L"], "--lake: for reports on Spark; add --engine spark"),
        (["--tables", "T"], "--tables: for reports on Spark"),
        (["--spark-remote", "sc://h:15002"], "--spark-remote: for reports on Spark"),
        (["--engine", "spark"], "reads a lake (--lake"),
        (["--engine", "spark", "--lake", "L", "--tables", "T"], "not both"),
        (
            [
                "--engine",
                "spark",
                "--lake",
                "L",
                "--spark-master",
                "local[2]",
                "--spark-remote",
                "sc://h:15002",
            ],
            "give one of them",
        ),  # fmt: skip
        (["--engine", "spark", "--tables", "missing.toml"], "no tables mapping at"),
        (["--spark-conf", "spark.driver.memory=4g"], "--spark-conf: for reports on Spark"),
        (["--engine", "spark", "--lake", "L", "--spark-conf", "4g"], "'4g' is not a Spark"),
        (["--engine", "spark", "--lake", "L", "--spark-conf", "driver.memory=4g"], "not a Spark"),
        (["--engine", "spark", "--lake", "L", "--spark-conf", "spark.=1"], "not a Spark"),
        (["--engine", "duck"], "Invalid value for '--engine'"),
    ],
)
def test_spark_options_that_do_not_go_together_are_usage_errors(chain_db, options, said):
    result = run_cli(*options, "--db", chain_db, "spend-bands", "--month", MONTH)
    assert result.exit_code == 2, result.output
    assert said in result.output


def test_a_lake_variable_is_left_alone_by_the_duckdb_engine(chain_db, monkeypatch, tmp_path):
    monkeypatch.setenv("MEMBERKIT_LAKE", str(tmp_path / "nowhere"))
    result = run_cli("--db", chain_db, "spend-bands", "--month", MONTH, "--format", "json")
    assert result.exit_code == 0, result.output


def test_info_lake_lists_tables_rows_and_months(chain_db, exported):
    result = run_cli("info", "--lake", exported, "--format", "json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["problems"] == []
    assert facts["data_through"] == "2026-10-31"
    assert facts["tables"]["transactions"]["months"] == db_months(
        chain_db, "transactions", "txn_time"
    )
    [(members,)] = query(chain_db, "select count(*) from members", read_only=True)
    assert facts["tables"]["members"]["rows"] == members
    table = run_cli("info", "--lake", exported)
    assert table.exit_code == 0
    assert "files match the manifest" in table.output
    # with --engine spark, the global --lake is the lake info describes
    assert run_cli("--engine", "spark", "--lake", exported, "info").exit_code == 0


def test_the_engine_and_the_lake_come_from_the_environment(exported, tmp_path, monkeypatch):
    """MEMBERKIT_ENGINE and MEMBERKIT_LAKE reach the command (info describes that lake, no
    Spark needed); --lake before the command wins over the variable."""
    monkeypatch.setenv("MEMBERKIT_ENGINE", "spark")
    monkeypatch.setenv("MEMBERKIT_LAKE", str(exported))
    result = run_cli("info", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["lake"] == str(exported)
    elsewhere = run_cli("--lake", tmp_path / "nowhere", "info")
    assert elsewhere.exit_code == 2
    assert "no lake at" in elsewhere.output
    warehouse = run_cli("--tables", tmp_path / "dw.toml", "info")
    assert warehouse.exit_code == 2


def tampered(exported: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "lake"
    shutil.copytree(exported, dest)
    return dest


def test_info_lake_catches_a_missing_month(exported, tmp_path):
    dest = tampered(exported, tmp_path)
    shutil.rmtree(dest / MONTH_FOLDER("transactions"))
    shutil.rmtree(dest / MONTH_FOLDER("ticket_lines"))  # its only month
    result = run_cli("info", "--lake", dest)
    assert result.exit_code == 3
    assert f"transactions month={MONTH}: 0 rows in the files" in result.output
    assert "ticket_lines: no Parquet file" in result.output
    assert "does not match its manifest" in result.output


def test_info_lake_catches_a_file_copied_in_twice(exported, tmp_path):
    dest = tampered(exported, tmp_path)
    shutil.copy(dest / "members" / "data_0.parquet", dest / "members" / "data_1.parquet")
    result = run_cli("info", "--lake", dest, "--format", "json")
    assert result.exit_code == 3
    problems = json.loads(result.stdout)["problems"]
    assert len(problems) == 1 and problems[0].startswith("members: ")


def test_info_lake_catches_a_manifest_edited_by_hand(exported, tmp_path):
    dest = tampered(exported, tmp_path)
    manifest = json.loads((dest / "_memberkit.json").read_text(encoding="utf-8"))
    manifest["tables"]["transactions"]["months"][MONTH] += 1
    manifest["tables"]["transactions"]["rows"] += 1
    manifest["tables"]["stores"]["columns"][0][1] = "BIGINT"
    (dest / "_memberkit.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run_cli("info", "--lake", dest)
    assert result.exit_code == 3
    assert f"transactions month={MONTH}" in result.output
    assert "stores: the files' columns" in result.output


def test_info_lake_refuses_what_is_not_a_lake(tmp_path):
    missing = run_cli("info", "--lake", tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert "no lake at" in missing.output
    not_lake = run_cli("info", "--lake", tmp_path)
    assert not_lake.exit_code == 3
    assert "_memberkit.json" in not_lake.output
    (tmp_path / "_memberkit.json").write_text("{not json", encoding="utf-8")
    broken = run_cli("info", "--lake", tmp_path)
    assert broken.exit_code == 3
    assert "_memberkit.json is not a lake manifest" in broken.output


def test_a_lake_of_another_schema_version_is_refused(exported, tmp_path):
    dest = tampered(exported, tmp_path)
    manifest = json.loads((dest / "_memberkit.json").read_text(encoding="utf-8"))
    manifest["schema_version"] = "6"
    (dest / "_memberkit.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(memberkit.MemberkitError) as raised:
        lake.read_manifest(dest)
    assert raised.value.exit_code == 3
    assert "schema '6'" in raised.value.message


def test_spark_schema_names_every_column_with_its_spark_type(exported):
    manifest = lake.read_manifest(exported)
    assert lake.spark_schema(manifest["tables"]["transactions"]) == (
        "`txn_id` string, `store_id` string, `txn_time` timestamp_ntz, `member_id` string, "
        "`amount` decimal(18,2), `item_qty` int, `load_id` bigint, `month` string"
    )
    summary = lake.spark_schema(manifest["tables"]["ticket_months"])
    assert summary.startswith("`load_id` bigint, `store_id` string,")  # month: the key, last
    assert summary.endswith("`month` string")
    assert lake.view_columns("ticket_months", manifest["tables"]["ticket_months"])[1] == (
        "cast(concat(month, '-01') as date) as month"
    )


def test_the_api_keeps_engine_options_apart(chain_db, tmp_path):
    with pytest.raises(memberkit.MemberkitError) as raised:
        memberkit.open(chain_db, lake=tmp_path)
    assert raised.value.exit_code == 2 and "lake: for engine='spark' only" in raised.value.message
    with pytest.raises(memberkit.MemberkitError) as raised:
        memberkit.open(chain_db, spark_conf={"spark.driver.memory": "4g"})
    assert "spark_conf: for engine='spark' only" in raised.value.message
    with pytest.raises(memberkit.MemberkitError) as raised:
        memberkit.open(engine="spark")
    assert raised.value.exit_code == 2 and "lake" in raised.value.message
    with pytest.raises(memberkit.MemberkitError) as raised:
        memberkit.open(engine="polars")
    assert raised.value.exit_code == 2


HEAVY = ("pyspark", "sqlglot", "py4j", "grpc")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["spend-bands", "--help"],
        ["export", "parquet", "--help"],
        ["--engine", "spark", "--lake", "L", "info", "--help"],
        ["info", "--lake", "LAKE"],
        ["--db", "DB", "spend-bands", "--month", MONTH, "--format", "json"],
    ],
)
def test_the_command_line_never_imports_spark_unless_a_report_runs_on_it(chain_db, exported, argv):
    """`memberkit --help` stays light (and works without the spark extra): pyspark and
    sqlglot are imported only by a report that runs on Spark."""
    args = [{"LAKE": str(exported), "DB": str(chain_db)}.get(a, a) for a in argv]
    code = (
        "import sys\n"
        "from memberkit.cli import main\n"
        f"sys.argv = ['memberkit', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        f"print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_tables_reach_the_warehouse_mapping_and_the_report_runs_on_its_connection(
    chain_db, tmp_path, monkeypatch
):
    """The glue of --tables without a JVM: the session asked for, the mapping file handed
    to engines.tables, and the report run on the connection made over that session (here
    a DuckDB connection standing in for SparkConnection)."""
    from memberkit import db
    from memberkit.engines import spark as engine
    from memberkit.engines import tables
    from memberkit.sql import prepare_connection

    mapping = tmp_path / "dw.toml"
    mapping.write_text('[transactions]\ntable = "dw.fact_pos_ticket"\n', encoding="utf-8")
    calls = []
    monkeypatch.setattr(
        engine,
        "spark_session",
        lambda master=None, remote=None, conf=None: calls.append((master, remote, conf)),
    )
    monkeypatch.setattr(tables, "register_tables", lambda spark, path: calls.append(Path(path)))

    def connection(spark):  # as SparkConnection: the report macros defined when made
        con = db.connect(chain_db, read_only=True)
        prepare_connection(con)
        return con

    monkeypatch.setattr(engine, "SparkConnection", connection)
    report = ["spend-bands", "--month", MONTH, "--format", "json"]
    on_duckdb = run_cli("--db", chain_db, *report)
    remote = "sc://spark-head:15002"
    result = run_cli(
        "--engine", "spark", "--spark-remote", remote, "--tables", mapping,
        "--spark-conf", "spark.sql.shuffle.partitions=8", "--spark-conf", "spark.x.y=a=b",
        *report,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    settings = {"spark.sql.shuffle.partitions": "8", "spark.x.y": "a=b"}
    assert calls == [(None, remote, settings), mapping]
    assert json.loads(result.stdout) == json.loads(on_duckdb.stdout)


class _Frame:
    """A Spark DataFrame whose collect fails as Spark's did (a stand-in: no JVM needed)."""

    def __init__(self, failure: str) -> None:
        self.failure = failure

    def collect(self):
        raise RuntimeError(self.failure)

    toArrow = collect  # Spark's name


@pytest.mark.parametrize(
    "failure",
    [
        "Job aborted due to stage failure: ... TaskResultLost (result lost from block manager)",
        "java.lang.OutOfMemoryError: Java heap space",
        "Total size of serialized results of 3 tasks (1100.0 MiB) is bigger than "
        "spark.driver.maxResultSize (1024.0 MiB)",
    ],
)
def test_a_spark_driver_out_of_memory_is_said_with_the_setting_to_raise(failure):
    from memberkit.engines.spark import SparkRelation

    for read in (SparkRelation.fetchall, SparkRelation.to_arrow_table):
        with pytest.raises(memberkit.MemberkitError) as raised:
            read(SparkRelation(_Frame(failure)))
        assert "Spark's driver could not hold the report's result" in raised.value.message
        assert "--spark-conf spark.driver.memory=4g" in raised.value.hint


def test_other_spark_failures_pass_through_as_they_are():
    from memberkit.engines.spark import SparkRelation

    with pytest.raises(RuntimeError, match="AnalysisException"):
        SparkRelation(_Frame("AnalysisException: no such column")).fetchall()
