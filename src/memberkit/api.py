"""The Python API (SPEC 7): the reports of the command line, for notebooks and scripts.

    import memberkit
    memberkit.reports()                      # the report names, as their JSON spells them
                                             # (the reports package answers the call)
    db = memberkit.open("memberkit.duckdb")  # read-only, like the report commands
    db = memberkit.open(engine="spark", lake="lake/")  # the same reports on Spark (SPEC 8)
    r = db.report("spend-bands", month="2026-10", by="store", bands=[100, 300, 500, 1000])
    r.name, r.period, r.rows                 # rows: exactly the JSON rows
    r.to_polars(); r.to_json(); r.write_xlsx("x.xlsx", lang="zh")

Keywords are the command's option names with `_` for `-`; every report goes through the
report catalogue, as the commands do. Errors are MemberkitError subclasses carrying the
command's exit code.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memberkit import db as database
from memberkit.errors import UsageError, option
from memberkit.periods import choose_period, choose_scope, parse_day, parse_month
from memberkit.reports import Report, catalogue, data_through
from memberkit.reports.callbacks import parse_kinds
from memberkit.reports.options import MAX_DAYS, age_edges, money_edges, money_threshold
from memberkit.sql import prepare_connection

if TYPE_CHECKING:
    import duckdb
    import polars


def open(  # noqa: A001
    path: str | Path | None = None,
    *,
    wait: float = 0.0,
    engine: str = "duckdb",
    lake: str | Path | None = None,
    tables: str | Path | None = None,
    spark_master: str | None = None,
    spark_remote: str | None = None,
    spark_conf: dict[str, str] | None = None,
) -> Database:
    """The database read-only (default: $MEMBERKIT_DB, else ./memberkit.duckdb); or, with
    engine="spark", a lake written by `memberkit export parquet` (lake=DIR) or existing
    warehouse tables (tables=FILE.toml) on Spark: local (spark_master, default local[*]) or
    a cluster through Spark Connect (spark_remote="sc://HOST:15002"), with Spark settings
    (spark_conf={"spark.driver.memory": "4g"})."""
    if engine == "spark":
        if path is not None:
            raise UsageError(
                "path names a DuckDB database: with engine='spark' give lake or tables"
            )
        con = spark_connection(
            lake=lake,
            tables=tables,
            spark_master=spark_master,
            spark_remote=spark_remote,
            spark_conf=spark_conf,
        )
    elif engine == "duckdb":
        given = [
            k
            for k, v in (
                ("lake", lake),
                ("tables", tables),
                ("spark_master", spark_master),
                ("spark_remote", spark_remote),
                ("spark_conf", spark_conf),
            )
            if v is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)}: for engine='spark' only")
        con = database.connect(path, read_only=True, wait=wait)
        try:
            prepare_connection(con)
        except BaseException:
            con.close()
            raise
    else:
        raise UsageError(f"engine is 'duckdb' or 'spark', not {engine!r}")
    return Database(con)


def spark_connection(
    *,
    lake: str | Path | None = None,
    tables: str | Path | None = None,
    spark_master: str | None = None,
    spark_remote: str | None = None,
    spark_conf: dict[str, str] | None = None,
):
    """A connection that runs the reports' SQL on Spark (memberkit.engines.spark), over a
    lake or mapped warehouse tables registered as views named as memberkit's tables. It has
    the report macros defined already (SparkConnection defines them when it is made)."""
    if (lake is None) == (tables is None):
        raise UsageError(
            f"the Spark engine reads a lake ({option('lake')}, written by `memberkit "
            f"export parquet DIR`) or warehouse tables ({option('tables')} FILE.toml)"
            + ("" if lake is None else ", not both")
        )
    if spark_master is not None and spark_remote is not None:
        raise UsageError(
            f"{option('spark_master')} runs Spark here, {option('spark_remote')} "
            "connects to a cluster: give one of them"
        )
    if tables is not None and not Path(tables).is_file():
        raise UsageError(f"no tables mapping at {tables}: {option('tables')} names a TOML file")
    from memberkit.engines.spark import SparkConnection, spark_session

    spark = spark_session(master=spark_master, remote=spark_remote, conf=spark_conf)
    if lake is not None:
        from memberkit.lake import register_lake

        register_lake(spark, lake)
    else:
        from memberkit.engines.tables import register_tables

        register_tables(spark, tables)
    return SparkConnection(spark)


class Database:
    """An open memberkit database. Close it (or use `with`) to let a loader in."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def report(
        self,
        name: str,
        *,
        month: str | None = None,
        year: str | int | None = None,
        store: str | None = None,
        region: str | None = None,
        by: str | None = None,
        today: date | None = None,
        **options: Any,
    ) -> Result:
        """Run a report: period (default: the last whole month before `today`), scope and
        the report's own options, as its command takes them."""
        entry = catalogue.entry(name)
        if entry.day:  # as of a day (as_of); expiring's month is the expiry month
            if year is not None:
                raise UsageError(f"{name} is taken as of a day (as_of), not over a year")
            period = None if month is None else parse_month(month)
        else:
            if options.get("as_of") is not None and (month is not None or year is not None):
                raise UsageError(f"{name} takes as_of (a day) or month/year, not both")
            period = choose_period(
                month, None if year is None else str(year), today or date.today()
            )
        scope = choose_scope(store, region, by)
        chosen = _options(entry, options)
        return Result(name, catalogue.run(self._con, name, period, scope, chosen), self, chosen)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Result:
    """A report's rows and how to write them."""

    def __init__(self, name: str, report: Report, db: Database, options: Any = None) -> None:
        self.name = name  # the catalogue's: what the JSON's "report" says
        self.report = report
        self._db, self._options = db, options

    @property
    def period(self) -> str:
        return self.report.period.label

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The JSON rows (SPEC 6): amounts and ratios as Decimal, exactly as printed (parsed
        once: a list of 50,000 members is not rendered again at every access)."""
        return json.loads(self.to_json(), parse_float=Decimal)["rows"]

    def to_json(self) -> str:
        return self._json

    @cached_property
    def _json(self) -> str:
        from memberkit.render import to_json

        return to_json(self.report, self.name)

    def to_polars(self) -> polars.DataFrame:
        """One row per JSON row (nested lists as list columns; amounts as floats)."""
        import polars as pl

        return pl.DataFrame(json.loads(self.to_json())["rows"], infer_schema_length=None)

    def write_xlsx(self, path: str | Path, lang: str = "zh") -> Path:
        """The report's workbook, as `--format xlsx --output PATH` writes it."""
        from memberkit.render.excel import Sheet, write_workbook
        from memberkit.render.workbooks import workbook_info

        if lang not in ("zh", "en"):
            raise UsageError(f"lang is zh or en, not {lang!r}")
        con = self._db._con
        bases = catalogue.comparison_bases(con, self.name, self.report, self._options)
        sheet = Sheet(report=self.report, template=self.name, bases=bases)
        write_workbook(Path(path), [sheet], lang, workbook_info(data_through(con)))
        return Path(path)


def _options(entry: catalogue.Entry, given: dict[str, Any]):
    """The entry's options object from keywords, checked as the command checks them."""
    known = {f.name for f in fields(entry.options)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(
            f"{entry.name} takes no option {', '.join(unknown)}",
            hint=f"its options: {', '.join(sorted(known)) or 'none'}",
        )
    values = dict(given)
    for key, check, example in (
        ("bands", money_edges, "100,300,500,1000"),
        ("age_bands", age_edges, "20,30,40"),
        ("grade_edges", money_edges, "500,2000,5000"),
    ):
        if key in values:
            values[key] = tuple(check(_listed(values[key]), key, example))
    if len(values.get("grade_edges", (1, 2, 3))) != 3:
        raise UsageError("grade_edges wants three ascending edges (D|C|B|A), like 500,2000,5000")
    for key in ("as_of", "date"):
        if isinstance(values.get(key), str):
            values[key] = parse_day(values[key], key)
    for key, low, high in (
        ("inactive_days", 1, MAX_DAYS),
        ("horizon_days", 1, MAX_DAYS),
        ("per_store", 1, 10**9),
        ("min_visits", 0, 10**9),
        ("tolerance", 0, 10**9),
    ):
        value = values.get(key)
        if value is not None and (type(value) is not int or not low <= value <= high):
            raise UsageError(f"{key} is a whole number from {low:,} to {high:,}, not {value!r}")
    if "kinds" in values:
        kinds = values["kinds"]
        values["kinds"] = parse_kinds([kinds] if isinstance(kinds, str) else kinds, "kinds")
    if "min_amount" in values:
        money_threshold(values["min_amount"], "min_amount", low=Decimal(0))
    if "min_spend" in values:
        money_threshold(values["min_spend"], "min_spend", low=None)
    return entry.options(**values)


def _listed(values: Any) -> str:
    """Edges given as "100,300" or as a list of numbers: the text the command line gives."""
    return values if isinstance(values, str) else ",".join(str(v) for v in values)
