"""The engine a command runs its reports on (SPEC 8): DuckDB (the database, the default) or
Spark over a lake or mapped warehouse tables. Global options, given before the command:

    memberkit --engine spark --lake DIR spend-bands --month 2026-10 --by store
    memberkit --engine spark --spark-remote sc://HOST:15002 --tables dw.toml churn

Commands that load or write keep to the database (DuckDB is the system of record): they
refuse --engine spark. Nothing here imports pyspark; the Spark engine is imported when a
report connects to it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from memberkit.errors import UsageError

ENGINE_ENV = "MEMBERKIT_ENGINE"
SPARK_REMOTE_ENV = "MEMBERKIT_SPARK_REMOTE"
LAKE_ENV = "MEMBERKIT_LAKE"


class EngineName(enum.StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        envvar=ENGINE_ENV,
        show_envvar=True,
        help="Where reports run: the DuckDB database, or Spark over --lake or --tables.",
    ),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        metavar="URL",
        help="With --engine spark: a local Spark, like local[4] (default local[*]).",
    ),
]
SparkRemoteOption = Annotated[
    str | None,
    typer.Option(
        "--spark-remote",
        envvar=SPARK_REMOTE_ENV,
        show_envvar=True,
        metavar="sc://HOST:PORT",
        help="With --engine spark: a cluster's Spark Connect server.",
    ),
]
LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        envvar=LAKE_ENV,
        show_envvar=True,
        metavar="DIR",
        help="With --engine spark: a lake written by `memberkit export parquet` (a folder "
        "or a URI the cluster reads).",
    ),
]
SparkConfOption = Annotated[
    list[str] | None,
    typer.Option(
        "--spark-conf",
        metavar="KEY=VALUE",
        help="With --engine spark: a Spark setting, as spark-submit's --conf (repeat it), "
        "like spark.driver.memory=4g for a report over millions of members.",
    ),
]
TablesOption = Annotated[
    Path | None,
    typer.Option(
        "--tables",
        metavar="FILE.toml",
        help="With --engine spark: existing warehouse tables mapped onto memberkit's.",
    ),
]


@dataclass(frozen=True)
class Engine:
    name: EngineName = EngineName.duckdb
    spark_master: str | None = None
    spark_remote: str | None = None
    lake: str | None = None
    tables: Path | None = None
    spark_conf: tuple[tuple[str, str], ...] = ()  # --spark-conf, in the order given
    from_env: bool = False  # --engine spark came from $MEMBERKIT_ENGINE

    @property
    def spark(self) -> bool:
        return self.name is EngineName.spark


def chosen_engine(ctx: typer.Context, spark_conf: list[str] | None, **given: Any) -> Engine:
    """The root's engine options as one Engine. A Spark option typed on the command line
    without --engine spark is a mistake worth saying (exit 2); one from the environment is
    left alone (MEMBERKIT_LAKE may be set for the days Spark is used)."""
    engine = Engine(
        **given,
        spark_conf=tuple(_setting(text) for text in spark_conf or ()),
        from_env=_source(ctx, "engine") == "ENVIRONMENT",
    )
    if not engine.spark:
        typed = [
            f"--{name.replace('_', '-')}"
            for name in ("spark_master", "spark_remote", "lake", "tables", "spark_conf")
            if _source(ctx, name) == "COMMANDLINE"
        ]
        if typed:
            raise UsageError(
                f"{', '.join(typed)}: for reports on Spark; add --engine spark",
                hint="without it, reports read the DuckDB database (--db)",
            )
    return engine


def _setting(text: str) -> tuple[str, str]:
    """--spark-conf KEY=VALUE as (KEY, VALUE): a Spark setting's key starts with "spark."
    (spark-submit ignores any other with a warning; here it is a mistake said at once)."""
    key, equals, value = text.partition("=")
    key = key.strip()
    if not equals or not key.startswith("spark.") or key == "spark.":
        raise UsageError(
            f"--spark-conf {text!r} is not a Spark setting",
            hint="give KEY=VALUE with a key of Spark's, like --spark-conf spark.driver.memory=4g",
        )
    return key, value.strip()


def _source(ctx: typer.Context, name: str) -> str | None:
    """Where an option's value came from, by name (Typer keeps its own copy of Click, whose
    ParameterSource is not click's)."""
    source = ctx.get_parameter_source(name)
    return None if source is None else source.name


def engine_of(ctx: typer.Context) -> Engine:
    """The engine the root command chose (DuckDB when it was not run, as in some tests)."""
    return (ctx.obj or {}).get("engine") or Engine()


def refuse_spark(ctx: typer.Context, command: str) -> None:
    """A command that loads or writes keeps to the database: --engine spark is exit 2."""
    engine = engine_of(ctx)
    if engine.spark:
        said = f" ({ENGINE_ENV}=spark is set)" if engine.from_env else ""
        raise UsageError(
            f"{command} works on the DuckDB database, not on Spark{said}",
            hint="run it without --engine spark; reports read a lake it exported "
            "(`memberkit export parquet DIR`)",
        )


def spark_connection(engine: Engine) -> Any:
    """A report connection on Spark over the engine's lake or tables (memberkit.api)."""
    from memberkit.api import spark_connection as connect

    return connect(
        lake=engine.lake,
        tables=engine.tables,
        spark_master=engine.spark_master,
        spark_remote=engine.spark_remote,
        spark_conf=dict(engine.spark_conf),
    )
