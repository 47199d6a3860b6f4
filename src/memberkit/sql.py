"""The SQL files of queries/: their text, and the shared macros a connection defines first.

Below both reports (which runs the queries) and ingest (whose load warnings use the tables'
macros, e.g. mk_gift_entries), so that neither has to import the other for them."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from memberkit.db import asset_dir
from memberkit.summaries import SUMMARY_COLUMNS, SUMMARY_ROWS

if TYPE_CHECKING:
    import duckdb


@cache
def query_text(name: str) -> str:
    return (asset_dir("queries") / f"{name}.sql").read_text(encoding="utf-8")


# Files of queries/ that define shared temporary macros rather than a report of their own.
MACRO_FILES = ("common", "churn_members")


def prepare_connection(con: duckdb.DuckDBPyConnection) -> None:
    """Define the shared macros (temporary, so a read-only connection can hold them)."""
    define_summary_views(con)  # first: the macros name them
    for name in MACRO_FILES:
        con.execute(query_text(name))
    # Reports group the summaries by member key, dense from 1: up to 2^22 (4M) keys an array
    # indexed by key (a perfect hash table) replaces hashing; measured 1.4-1.6x less CPU on
    # churn and grades over 33M summary rows, 2.4M keys.
    con.execute("set perfect_ht_threshold = 22")


# Every load summarises its tickets, so the summaries cover every ticket row. A database whose
# tickets were written around the loader (the reference tests insert rows straight into
# transactions) has fewer summary rows: its reports summarise the tickets as they read them,
# slower but the same figures, rather than read summaries that miss tickets.
_COVERED = """
    select (select count(*) from transactions)
        = (select coalesce(sum(transaction_rows), 0) from ticket_months)
"""

_STORED_VIEWS = (
    "create or replace temp view mk_member_keys as from member_keys",
    "create or replace temp view mk_ticket_months as from ticket_months",
)

_COMPUTED_VIEWS = (
    """
    create or replace temp view mk_member_keys as
    select (row_number() over (order by member_id))::integer as member_key, member_id,
    from (select distinct member_id from transactions where member_id is not null)
    """,
    f"""
    create or replace temp view mk_ticket_months as
    select {SUMMARY_COLUMNS.replace("member_key", "k.member_key")}
    from ({SUMMARY_ROWS.format(where="true")}) s
    left join mk_member_keys k on k.member_id = s.member_id
    """,
)


def define_summary_views(con: duckdb.DuckDBPyConnection) -> None:
    """mk_ticket_months and mk_member_keys: what the reports read for ticket_months and
    member_keys (the tables, or the same rows computed from the tickets when the tables do
    not cover them)."""
    (covered,) = con.execute(_COVERED).fetchone()
    for statement in _STORED_VIEWS if covered else _COMPUTED_VIEWS:
        con.execute(statement)
