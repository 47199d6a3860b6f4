"""The SQL files of queries/: their text, and the shared macros a connection defines first.

Below both reports (which runs the queries) and ingest (whose load warnings use the tables'
macros, e.g. mk_gift_entries), so that neither has to import the other for them."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from memberkit.db import asset_dir

if TYPE_CHECKING:
    import duckdb


@cache
def query_text(name: str) -> str:
    return (asset_dir("queries") / f"{name}.sql").read_text(encoding="utf-8")


# Files of queries/ that define shared temporary macros rather than a report of their own.
MACRO_FILES = ("common", "churn_members")


def prepare_connection(con: duckdb.DuckDBPyConnection) -> None:
    """Define the shared macros (temporary, so a read-only connection can hold them)."""
    for name in MACRO_FILES:
        con.execute(query_text(name))
    # Reports group the summaries by member key, dense from 1: up to 2^22 (4M) keys an array
    # indexed by key (a perfect hash table) replaces hashing; measured 1.4-1.6x less CPU on
    # churn and grades over 33M summary rows, 2.4M keys.
    con.execute("set perfect_ht_threshold = 22")
