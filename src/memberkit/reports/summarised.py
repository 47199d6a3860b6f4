"""The reports that scan history read the ticket summaries (ticket_months, member_keys; see
memberkit.summaries) that every load keeps beside its tickets. Before a query, one check that
they cover the tickets: a database whose tickets were changed around the loader is refused,
naming `memberkit check`, rather than reported from summaries that miss tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from memberkit.errors import InputRejected

if TYPE_CHECKING:
    import duckdb

    from memberkit.periods import Period

# count(*) of a table is read from its row groups' counts; the sum is one narrow column
_COVERED = """
    select (select count(*) from transactions),
        (select coalesce(sum(transaction_rows), 0) from ticket_months)
"""


def check_whole_months(period: Period) -> None:
    """The summaries alone are exact for whole months only (a month, a year)."""
    if period.start.day != 1 or (period.end + timedelta(days=1)).day != 1:
        raise ValueError(f"a report from the month summaries needs whole months, not {period}")


def require_summaries(con: duckdb.DuckDBPyConnection) -> None:
    # A connection that reads data nothing can change under it (a Spark connection: a lake
    # is written once, whole; derived summaries come from its tickets) says so with this
    # flag, and is checked once: on Spark the check is two jobs before every query.
    if getattr(con, "summaries_verified", False):
        return
    tickets, summarised = con.execute(_COVERED).fetchall()[0]
    if tickets != summarised:
        raise InputRejected(
            f"the ticket summaries cover {summarised:,} of the {tickets:,} tickets in the "
            "database: its tickets were changed outside memberkit, and reports would be wrong",
            hint="`memberkit check` says what differs",
        )
    if hasattr(con, "summaries_verified"):
        con.summaries_verified = True
