"""Ticket summaries kept at load time (schema 7): what the reports that scan history read
instead of every ticket.

ticket_months holds, per load, month, store and member (member_key null: tickets without a
member), the sums a month-aligned period needs: net amount, tickets (amount > 0), items, and
the days of the month with a ticket and with a purchase as bit masks (bit d-1 for day d), so
that "a ticket on or before day D", first and last days and distinct purchase days stay exact
at day level. Amounts over a window that starts or ends inside a month come from the tickets
of that month (reports/windows).

Rows are per load: a load adds its own rows and nothing else changes, so an interrupted load
is undone like every table with a load_id, and a summary row never has to be merged.
member_keys gives every member id seen on a ticket a dense integer: the summaries group and
join on it instead of on text.

SUMMARY_ROWS is the one definition of a summary row: the load inserts it for its own rows,
and `memberkit check` and the tests recompute it over the whole table to compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# Day d of a ticket's month as bit d - 1 (d <= 31: fits a signed 32-bit integer).
_DAY_BIT = "(1 << (day(txn_time) - 1))"

# Per load, month, store and member id (text): {where} narrows the tickets.
SUMMARY_ROWS = f"""
    select
        load_id,
        date_trunc('month', txn_time)::date as month,
        store_id,
        member_id,
        sum(amount) as net_amount,
        (count(*) filter (where amount > 0))::integer as tickets,
        sum(item_qty)::bigint as items,
        coalesce(bit_or({_DAY_BIT}) filter (where amount > 0), 0)::integer as ticket_days,
        coalesce(
            bit_or({_DAY_BIT}) filter (where amount > 0 or (amount = 0 and item_qty > 0)), 0
        )::integer as purchase_days,
        count(*)::integer as transaction_rows,
    from transactions
    where {{where}}
    group by all
"""

SUMMARY_COLUMNS = (
    "load_id, month, store_id, member_key, net_amount, tickets, items, ticket_days, "
    "purchase_days, transaction_rows"
)


def add_load(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Summarise a load's tickets (the rows it keeps, once its repeats are out): new member
    ids get keys, then the load's summary rows go in. Runs inside the load's transaction."""
    _insert(con, "load_id = $load_id", {"load_id": load_id})


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Summarise every ticket loaded so far (a database upgraded from schema 6)."""
    con.execute("delete from ticket_months")
    _insert(con, "true", {})


def _insert(con: duckdb.DuckDBPyConnection, where: str, params: dict) -> None:
    # Aggregate on the text id first (one pass over the tickets), then give the few million
    # summary rows their keys: cheaper than joining every ticket to member_keys.
    con.execute(
        "create or replace temp table mk_load_months as " + SUMMARY_ROWS.format(where=where),
        params,
    )
    add_member_keys(con, "select member_id from mk_load_months")
    keyed = SUMMARY_COLUMNS.replace("member_key", "k.member_key")
    con.execute(
        f"insert into ticket_months ({SUMMARY_COLUMNS}) select {keyed} "
        "from mk_load_months s left join member_keys k on k.member_id = s.member_id"
    )
    con.execute("drop table mk_load_months")


def add_member_keys(con: duckdb.DuckDBPyConnection, ids_query: str) -> None:
    """Give the member ids of ids_query (a query of one member_id column) that have no key
    the next keys, in id order."""
    con.execute(
        f"""
        insert into member_keys
        select (select coalesce(max(member_key), 0) from member_keys)
                + row_number() over (order by member_id),
            member_id
        from (
            select distinct member_id from ({ids_query}) where member_id is not null
            except
            select member_id from member_keys
        )
        """
    )
