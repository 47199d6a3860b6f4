"""What the reports of whole months read instead of every ticket: the month summaries
(ticket_months, member_keys; see memberkit.summaries), and the same summaries computed from
the tickets when a database's stored ones do not cover its tickets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from memberkit.periods import Period

from memberkit.summaries import SUMMARY_COLUMNS, SUMMARY_ROWS


def check_whole_months(period: Period) -> None:
    """The summaries are exact for whole months only (a month, a year)."""
    if period.start.day != 1 or (period.end + timedelta(days=1)).day != 1:
        raise ValueError(f"a report from the month summaries needs whole months, not {period}")


@contextmanager
def ticket_summaries(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within it, ticket_months and member_keys summarise every ticket. The loader keeps them
    (each load adds its own rows), so a loaded database is used as it is. A database whose
    tickets were written otherwise (the reference tests insert rows themselves) gets, for
    the query only, temporary tables of the same definition (summaries.SUMMARY_ROWS) over
    its tickets; they shadow the stored ones and are dropped after, before any load could
    write into them."""
    covered = con.execute(
        "select (select count(*) from transactions) "
        "= (select coalesce(sum(transaction_rows), 0) from ticket_months)"
    ).fetchall()[0][0]
    if covered:
        yield
        return
    con.execute(
        "create or replace temp table member_keys as "
        "select (row_number() over (order by member_id))::integer as member_key, member_id "
        "from (select distinct member_id from transactions where member_id is not null)"
    )
    keyed = SUMMARY_COLUMNS.replace("member_key", "k.member_key")
    con.execute(
        f"create or replace temp table ticket_months as select {keyed} "
        f"from ({SUMMARY_ROWS.format(where='true')}) s "
        "left join temp.member_keys k on k.member_id = s.member_id"
    )
    try:
        yield
    finally:
        con.execute("drop table if exists temp.ticket_months")
        con.execute("drop table if exists temp.member_keys")
