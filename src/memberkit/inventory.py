"""What the database holds: row counts, date ranges, loose ends and the last loads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

TABLES = (
    "members",
    "members_history",
    "transactions",
    "ticket_lines",
    "stores",
    "targets",
    "complaints",
    "surveys",
    "callback_log",
    "gift_requests",
    "gift_requests_history",
    "loads",
    "rejects",
)


def database_info(con: duckdb.DuckDBPyConnection, last_loads: int = 10) -> dict[str, Any]:
    def one(sql: str, params: dict | None = None) -> dict[str, Any]:
        cursor = con.execute(sql, params or {})
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchall()[0], strict=True))

    counts = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in TABLES}
    tickets = one(
        """
        select
            min(txn_time)::date as first_date,
            max(txn_time)::date as last_date,
            count(*) filter (where amount > 0) as tickets,
            count(*) filter (where amount > 0 and member_id is not null) as member_tickets,
            count(*) filter (where amount < 0) as refunds,
            count(*) filter (where amount = 0) as zero_amount,
            count(distinct store_id) as stores_with_tickets,
            -- tickets rolled up from line-level exports (SPEC 3.2), beside their lines
            count(*) filter (where load_id in (
                select load_id from loads where kind = 'ticket-lines'
            )) as from_lines,
            (select count(*) from ticket_lines) as lines
        from transactions
        """
    )
    members = one(
        """
        select
            min(join_date) as first_join,
            max(join_date) as last_join,
            count(*) filter (where expiry_date is null) as without_expiry,
            count(*) filter (where not exists (
                select 1 from transactions t where t.member_id = m.member_id
            )) as without_tickets
        from members m
        """
    )
    unknown = one(
        """
        select count(*) as tickets, count(distinct member_id) as member_ids
        from transactions t
        where member_id is not null
          and not exists (select 1 from members m where m.member_id = t.member_id)
        """
    )
    unknown_stores = [
        row[0]
        for row in con.execute(
            """
            select store_id from (
                select store_id from ticket_stores union select store_id from members
            ) s
            where not exists (select 1 from stores k where k.store_id = s.store_id)
            order by store_id
            """
        ).fetchall()
    ]
    cursor = con.execute(
        """
        select load_id, kind, file_name, status, rows_read, rows_loaded, rows_replaced,
               rows_duplicate, rows_rejected, encoding, finished_at
        from loads order by load_id desc limit $n
        """,
        {"n": last_loads},
    )
    names = [d[0] for d in cursor.description]
    loads = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    regions = con.execute("select count(*), count(distinct region) from stores").fetchall()[0]
    return {
        "rows": counts,
        "tickets": tickets,
        "members": members,
        "unknown_member_tickets": unknown,
        "stores": {"stores": regions[0], "regions": regions[1], "unknown": unknown_stores},
        "last_loads": loads,
    }
