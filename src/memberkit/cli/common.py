"""What every command shares: the --db option, opening the database, and error reporting."""

from __future__ import annotations

import enum
import functools
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from memberkit import db
from memberkit.cli.engine import engine_of, refuse_spark, spark_connection
from memberkit.errors import (
    EXIT_UNEXPECTED,
    MemberkitError,
    environment_error,
    redact,
)


class _LazyConsole:
    """A rich Console made on first use: importing rich is a large part of start-up time,
    which `--help` and `--version` never need."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console(), name)

    def console(self) -> Any:
        """The Console itself, for rich objects that take one (progress bars)."""
        if self._console is None:
            from rich.console import Console

            console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
            if not self._stderr and not console.is_terminal and "COLUMNS" not in os.environ:
                # logs and pipes: no squeezing
                console = Console(highlight=False, soft_wrap=True, width=160)
            self._console = console
        return self._console


out = _LazyConsole()
err = _LazyConsole(stderr=True)

# An explicit --db wins over MEMBERKIT_DB, before or after the command name (SPEC 6): only
# the option before the command reads the variable, so one given after it always wins.
RootDbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar=db.DB_ENV,
        show_envvar=True,
        metavar="FILE",
        help="Database file (default ./memberkit.duckdb).",
    ),
]
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="FILE",
        help=f"Database file (default: ${db.DB_ENV}, else ./memberkit.duckdb).",
    ),
]
# Upper bounds of numeric options: a value beyond one is exit 2 naming the option (SPEC 6),
# never an overflow deep inside a query. Typer's min/max also refuse nan for floats.
MAX_COUNT = 1_000_000_000  # counts, limits and tolerances: well inside DuckDB's integers
MAX_WAIT = 86_400  # seconds: a day of waiting for another process

WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        max=MAX_WAIT,
        metavar="SECONDS",
        help="If another process holds the database, retry for this long.",
    ),
]


def _summary(command: Any) -> str:
    """A command's line in the list of commands: the first paragraph of its help, whole.
    (Click cuts it at the first '.' and at the terminal's width: "…invariants, e.g.")"""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.split("\n\n")[0].split())


class Command(TyperCommand):
    """A command whose summary in `memberkit --help` is never cut, and whose arguments read
    as their metavars (KIND FILE...), where Typer shows {KIND} and a Python type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument) and param.metavar:
                _plain_argument(param)

    def get_short_help_str(self, limit: int = 45) -> str:
        return _summary(self)


def _plain_argument(argument: TyperArgument) -> None:
    record = argument.get_help_record
    shown = argument.metavar if argument.required else f"[{argument.metavar}]"
    argument.get_usage_pieces = lambda ctx: [shown]
    argument.get_help_record = lambda ctx: (argument.metavar, record(ctx)[1])


class Group(TyperGroup):
    """A group (memberkit, memberkit gifts) whose commands' summaries are never cut, and
    whose option errors read as ours: Typer's checks pass through pydantic, which starts
    each message with "Value error, "."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return _summary(self)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            exc.message = exc.message.removeprefix("Value error, ")
            raise


class TableOrJson(enum.StrEnum):
    """--format of the commands that print a summary rather than a report (info, check)."""

    table = "table"
    json = "json"


def chosen_db(ctx: typer.Context, db_path: Path | None) -> Path:
    """--db given after the subcommand, else the one before it, else $MEMBERKIT_DB (read by
    the option before it), else ./memberkit.duckdb."""
    return db.resolve_db_path(db_path or (ctx.obj or {}).get("db"))


def open_database(
    ctx: typer.Context, db_path: Path | None, wait: float, *, read_only: bool = False
) -> Any:
    """db.connect for a command: a wait for another process is said on stderr (cron logs)."""
    return db.connect(
        chosen_db(ctx, db_path),
        read_only=read_only,
        wait=wait,
        on_wait=say_waiting,
    )


def say_waiting(text: str) -> None:
    """Said once when a command starts waiting for another process (cron logs show why)."""
    err.print(f"memberkit: {text}", markup=False)


@contextmanager
def report_connection(
    ctx: typer.Context, db_path: Path | None, wait: float, *, read_only: bool = True
) -> Iterator[Any]:
    """The database for a report: read-only unless asked, with the report macros defined;
    with --engine spark, Spark over the lake or tables (which a writer refuses)."""
    from memberkit.sql import prepare_connection

    engine = engine_of(ctx)
    if engine.spark:
        if not read_only:
            refuse_spark(ctx, f"writing ({ctx.info_name})")
        con = spark_connection(engine)  # its macros defined as it is made
    else:
        con = open_database(ctx, db_path, wait, read_only=read_only)
    try:
        if not engine.spark:
            prepare_connection(con)
        yield con
    finally:
        con.close()


_EMPTY = {  # table: (what its emptiness means, the load kind that fills it)
    "transactions": ("no tickets are loaded: sales, visits and spend are zeros", "transactions"),
    "members": (
        "no members are on file (the members table is empty): members on file, genders, "
        "ages and expiry dates are zeros or unknown",
        "members",
    ),
    "complaints": ("no complaints are loaded: every figure is zero", "complaints"),
    "stores": ("no stores are loaded: every store is under '(no region)'", "stores"),
    "gift_requests": ("no gift requests are loaded: the list is empty", "gift-requests"),
    "surveys": ("no satisfaction surveys are loaded: every figure is zero", "surveys"),
    "callback_log": ("no call-back records are loaded: every figure is zero", "callback-log"),
}


def say_empty_tables(con: Any, needs: tuple[str, ...], by: str | None = None) -> None:
    """A note on stderr for each table the report counts (`needs`) that holds no row."""
    from memberkit.reports import empty_tables

    tables = needs + (("stores",) if by == "region" else ())
    for table in empty_tables(con, tables):
        what, kind = _EMPTY[table]
        err.print(f"memberkit: {what}", markup=False)
        err.print(f"  hint: load them with `memberkit load {kind} FILE`", markup=False)


def fail(message: str, code: int, hint: str | None = None) -> typer.Exit:
    err.print(f"memberkit: {message}", markup=False)
    if hint:
        err.print(f"  hint: {hint}", markup=False)
    return typer.Exit(code)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become one line on stderr and their exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MemberkitError as exc:
            raise fail(exc.message, exc.exit_code, exc.hint) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug or an environment problem: say so plainly
            if os.environ.get("MEMBERKIT_DEBUG"):
                traceback.print_exc(file=sys.stderr)
            known = environment_error(exc)
            if known is not None:
                raise fail(known.message, known.exit_code, known.hint) from None
            raise fail(
                f"unexpected error: {type(exc).__name__}: {redact(str(exc))}",
                EXIT_UNEXPECTED,
                "set MEMBERKIT_DEBUG=1 to see the traceback",
            ) from None

    return wrapper
