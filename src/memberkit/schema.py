"""memberkit's schema: schema.sql, the version it is at, and creating or upgrading it."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duckdb is imported when a connection is made: `--help` stays quick
    import duckdb

SCHEMA_VERSION = "7"  # 2: gift tables; 3: ticket_stores; 4: complaints; 5: ticket_lines;
# 6: surveys, callback_log, gift_requests (SPEC 5.12-5.14); 7: member_keys, ticket_months


@cache
def _schema_tables() -> frozenset[str]:
    ddl = resources.files("memberkit").joinpath("schema.sql").read_text(encoding="utf-8")
    return frozenset(re.findall(r"create table if not exists (\w+)", ddl))


def _schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        rows = con.execute("select value from meta where key = 'schema_version'").fetchall()
    except Exception:  # no meta table: not a memberkit database, or a very old one
        return None
    return rows[0][0] if rows else None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    previous = _schema_version(con)  # None: a new database
    if previous == SCHEMA_VERSION:  # every table is there: a writer's open writes nothing
        return
    ddl = resources.files("memberkit").joinpath("schema.sql").read_text(encoding="utf-8")
    con.execute(ddl)
    if previous is not None and int(previous) < 3:
        con.execute("insert into ticket_stores select distinct store_id from transactions")
    if previous is not None and int(previous) < 7:
        from memberkit import summaries

        summaries.rebuild(con)
    con.execute("insert or replace into meta values ('schema_version', $v)", {"v": SCHEMA_VERSION})
