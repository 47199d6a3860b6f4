"""The Spark engine (SPEC 8): a SparkSession, and a connection look-alike over it that the
reports run their DuckDB SQL through.

SparkConnection offers what memberkit.reports and catalogue.run use of a DuckDB connection:
execute(sql, params) with fetchall/fetchone/description, sql(sql, params) as a relation with
columns, fetchall and arrow batches (churn-risk's numpy path). Each text is translated once
(engines.translate, cached per text and macro set); parameters are bound by Spark
(`spark.sql(text, args=...)`), never formatted into the text. Rows come back as DuckDB's
Python client gives them: tuples, structs as dicts, lists as lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memberkit.errors import MemberkitError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

SPARK_HINT = 'the Spark engine is an extra: pip install "memberkit[spark]" (and Java 17+)'


def spark_session(
    master: str | None = None, remote: str | None = None, conf: dict[str, str] | None = None
):
    """A SparkSession: Spark Connect when `remote` ("sc://host:15002"), else a local or
    cluster master (default "local[*]"), with the settings `conf` (after memberkit's own, so
    they win; a local driver's memory is set when its JVM starts). Session time zone UTC:
    the lake's timestamps carry none, and nothing may move them."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("pyspark is not installed", hint=SPARK_HINT) from None
    builder = SparkSession.builder.appName("memberkit")
    if remote:
        builder = builder.remote(remote)
    else:
        master = master or "local[*]"
        builder = (
            builder.master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if master.startswith("local"):
            # a few cores: Spark's 200 shuffle partitions would be mostly empty tasks
            builder = builder.config("spark.sql.shuffle.partitions", "2")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # no Java, a server that does not answer: one line, a hint
        where = remote or master
        raise MemberkitError(
            f"could not start a Spark session on {where}: {str(error).splitlines()[0]}",
            hint=SPARK_HINT if not remote else "is the Spark Connect server running there?",
        ) from error
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # a Connect session set by its server
    if not remote:  # errors reach the user as one line (memberkit.errors), not as Java logs
        spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass
class _Statement:
    kind: str  # "macro", "setting" or "query"
    payload: Any  # the Macro, the setting's (name, value), or the Spark SQL text
    params: frozenset[str] = frozenset()  # the query's parameters
    tree: Any = None  # the query, macros expanded, still DuckDB's (for list parameters)


class SparkConnection:
    """A DuckDB connection look-alike over a SparkSession (see the module's doc). Defines the
    shared macros (memberkit.sql.prepare_connection) on creation."""

    def __init__(self, spark, *, owns_session: bool = False) -> None:
        from memberkit.engines.translate import Macros
        from memberkit.sql import prepare_connection

        self.spark = spark
        self._owns_session = owns_session
        self.macros = Macros()
        self.settings: dict[str, str] = {}  # DuckDB's `set`s: kept, with no effect on Spark
        # the lake or tables do not change under a connection: their summaries are checked
        # against the tickets once (reports.summarised), not before every query
        self.summaries_verified = False
        self._translated: dict[tuple[str, int], list[_Statement]] = {}
        self._list_texts: dict[tuple, str] = {}
        prepare_connection(self)

    def _statements(self, sql: str) -> list[_Statement]:
        key = (sql, self.macros.version)
        cached = self._translated.get(key)
        if cached is not None:
            return cached
        from memberkit.engines.translate import (
            macro_definition,
            parse,
            placeholders,
            setting_statement,
            to_spark,
        )

        statements = []
        for tree in parse(sql):
            macro = macro_definition(tree)
            if macro is not None:
                self.macros.define(macro)  # the statements after it use it
                statements.append(_Statement("macro", macro))
            elif setting_statement(tree):
                item = tree.expressions[0].this
                statements.append(_Statement("setting", (item.this.name, item.expression.name)))
            else:
                expanded = self.macros.expand(tree)
                names = frozenset(placeholders(expanded))
                statements.append(_Statement("query", to_spark(expanded), names, expanded))
        self._translated[(sql, self.macros.version)] = statements
        return statements

    def _run(self, sql: str, params: dict | None):
        frame = None
        for statement in self._statements(sql):
            if statement.kind == "macro":
                self.macros.define(statement.payload)
            elif statement.kind == "setting":
                name, value = statement.payload
                self.settings[name] = value
            else:
                given = params or {}
                missing = statement.params - given.keys()
                if missing:
                    raise ValueError(f"the query needs parameters {sorted(missing)}")
                text, args = statement.payload, {}
                lists = {k: len(given[k]) for k in statement.params if _is_list(given[k])}
                if lists:  # Spark binds no list of decimals: one parameter per element
                    text = self._with_lists(statement.tree, lists)
                for name in statement.params:
                    if name in lists:
                        args.update({f"{name}__{i}": v for i, v in enumerate(given[name])})
                    else:
                        args[name] = given[name]
                frame = self.spark.sql(text, args=args)
        return SparkRelation(frame)

    def _with_lists(self, tree, lists: dict[str, int]) -> str:
        """The query with each list parameter as array(:name__0, :name__1, ...)."""
        key = (id(tree), tuple(sorted(lists.items())))  # the tree lives in self._translated
        text = self._list_texts.get(key)
        if text is None:
            from memberkit.engines.translate import spread_lists, to_spark

            text = self._list_texts[key] = to_spark(spread_lists(tree, lists))
        return text

    def execute(self, sql: str, params: dict | None = None) -> SparkRelation:
        return self._run(sql, params)

    def sql(self, sql: str, params: dict | None = None) -> SparkRelation:
        return self._run(sql, params)

    def close(self) -> None:
        if self._owns_session:
            self.spark.stop()

    def __enter__(self) -> SparkConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


class SparkRelation:
    """A query's result as the reports read a DuckDB result or relation."""

    def __init__(self, frame) -> None:
        self._frame = frame  # None: the text held no query (macros, settings)
        self._rows: list[tuple] | None = None
        self._next = 0

    @property
    def columns(self) -> list[str]:
        return [] if self._frame is None else list(self._frame.columns)

    @property
    def description(self) -> list[tuple]:
        if self._frame is None:
            return []
        return [
            (f.name, f.dataType.simpleString(), None, None, None, None, None)
            for f in self._frame.schema.fields
        ]

    def fetchall(self) -> list[tuple]:
        if self._rows is None:
            rows = [] if self._frame is None else _collected(self._frame.collect)
            self._rows = [_row(r) for r in rows]
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        if self._rows is None:
            self.fetchall()
            self._next = 0
        assert self._rows is not None
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def to_arrow_table(self) -> pa.Table:
        return _collected(self._frame.toArrow)

    fetch_arrow_table = to_arrow_table

    def to_arrow_reader(self, batch_size: int = 1_000_000) -> pa.RecordBatchReader:
        import pyarrow as pa

        table = self.to_arrow_table()
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch_size))

    fetch_record_batch = to_arrow_reader


# what Spark says when a result outgrows the driver: a task's result evicted before the
# driver fetched it, the driver's heap, or its cap on results (a local driver runs the tasks
# too, in Spark's default 1 GB)
_DRIVER_MEMORY_SIGNS = ("TaskResultLost", "OutOfMemoryError", "spark.driver.maxResultSize")


def _collected(collect):
    """collect() of a result, a driver out of memory said as such, with the setting to raise."""
    try:
        return collect()
    except Exception as error:
        text = str(error)
        sign = next((s for s in _DRIVER_MEMORY_SIGNS if s in text), None)
        if sign is None:
            raise
        raise MemberkitError(
            f"Spark's driver could not hold the report's result ({sign})",
            hint="give the driver more memory, e.g. --spark-conf spark.driver.memory=4g (and "
            "--spark-conf spark.driver.maxResultSize=2g if Spark names that setting)",
        ) from error


def _row(row) -> tuple:
    return tuple(_value(v) for v in row)


def _value(value: Any) -> Any:
    """Spark's nested values as DuckDB's: a struct (Row) as a dict, a list as a list."""
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {k: _value(v) for k, v in value.asDict(recursive=False).items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value
