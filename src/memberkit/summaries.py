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

SUMMARY_ROWS is the one definition of a summary row: the load inserts the same sums keyed
(_KEYED_ROWS) for its own rows, and `memberkit check` and the tests recompute SUMMARY_ROWS
over the whole table to compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# Day d of a ticket's month as bit d - 1 (d <= 31: fits a signed 32-bit integer).
_DAY_BIT = "(1 << (day(txn_time) - 1))"

# The sums of one summary row over its tickets.
_SUMS = f"""
        sum(amount) as net_amount,
        (count(*) filter (where amount > 0))::integer as tickets,
        sum(item_qty)::bigint as items,
        coalesce(bit_or({_DAY_BIT}) filter (where amount > 0), 0)::integer as ticket_days,
        coalesce(
            bit_or({_DAY_BIT}) filter (where amount > 0 or (amount = 0 and item_qty > 0)), 0
        )::integer as purchase_days,
        count(*)::integer as transaction_rows,
"""

# Per load, month, store and member id (text): {where} narrows the tickets.
SUMMARY_ROWS = f"""
    select
        load_id,
        date_trunc('month', txn_time)::date as month,
        store_id,
        member_id,
        {_SUMS}
    from transactions
    where {{where}}
    group by all
"""

SUMMARY_COLUMNS = (
    "load_id, month, store_id, member_key, net_amount, tickets, items, ticket_days, "
    "purchase_days, transaction_rows"
)

# SUMMARY_ROWS as stored, with the member's key for its id. The tickets are joined to their
# keys and grouped on integers (the month as year * 12 + month - 1): cheaper than grouping
# on the text id into a temporary table and keying that. Rows go in by month, so that a query
# of one month reads only the row groups of that month (DuckDB's zone maps), and by member
# key within it, so that grouping a history by member touches memory in order (churn: 6.0 s
# of CPU unordered, 3.8 s ordered at 100M).
_KEYED_ROWS = f"""
    insert into ticket_months ({SUMMARY_COLUMNS})
    select load_id, make_date(month_no // 12, month_no % 12 + 1, 1), store_id, member_key,
        net_amount, tickets, items, ticket_days, purchase_days, transaction_rows
    from (
        select
            t.load_id,
            (year(txn_time) * 12 + month(txn_time) - 1)::integer as month_no,
            t.store_id,
            k.member_key,
            {_SUMS}
        from transactions t left join member_keys k on k.member_id = t.member_id
        where {{where}}
        group by all
    )
    order by month_no, member_key
"""


def add_load(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Summarise a load's tickets (the rows it keeps, once its repeats are out): new member
    ids get keys, then the load's summary rows go in. Runs inside the load's transaction."""
    params = {"load_id": load_id}
    add_member_keys(con, "select member_id from transactions where load_id = $load_id", params)
    con.execute(_KEYED_ROWS.format(where="t.load_id = $load_id"), params)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Summarise every ticket loaded so far (a database upgraded from schema 6)."""
    con.execute("delete from ticket_months")
    add_member_keys(con, "select member_id from transactions")
    con.execute(_KEYED_ROWS.format(where="true"))


def add_member_keys(
    con: duckdb.DuckDBPyConnection, ids_query: str, params: dict | None = None
) -> None:
    """Give the member ids of ids_query (a query of one member_id column, its parameters in
    params) that have no key the next keys, in id order."""
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
        """,
        params or {},
    )
