"""Ticket lines (小票明细, SPEC 3.2): every line kept in ticket_lines, each ticket rolled up
into one transactions row (amount and item_qty the sums of its lines' amount and qty).

The loader has inserted the file's valid lines in one streaming statement; here they are
grouped by txn_id in SQL (mk_tickets), and every ticket that breaks no rule and is new becomes
a transactions row. A ticket is accepted or rejected whole. Only the tickets that need care
are read a second time, with their lines' places in the file: a line rejected, lines that
disagree on store, time or member, a line_no given twice, a txn_id loaded before with other
content (lines_care.py). A ticket loaded before with the same content needs no line numbers:
its lines are duplicates, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable

from memberkit.errors import InputRejected
from memberkit.ingest import rejects
from memberkit.ingest.kinds import Kind
from memberkit.ingest.lines_care import _MAX_AMOUNT, _MAX_QTY, look_again
from memberkit.ingest.results import LoadOptions, LoadResult, too_many_rejects
from memberkit.ingest.source import PreparedFile

_SCRATCH = (
    "mk_tickets",
    "mk_old",
    "mk_care",
    "mk_marks",
    "mk_reader_txns",
    "mk_line_of",
    "mk_repeat",
    "mk_verdict",
    "mk_dupes",
    "mk_existing",
)


def finish_load(
    con,
    prepared: PreparedFile,
    kind: Kind,
    positions: dict[str, int],
    options: LoadOptions,
    load_id: int,
    parsed: str,
    params: dict,
    inserted: int,
    parse_rejects: list[tuple],
    invalid: int,
    commit_bulk: Callable[[], None],
) -> LoadResult:
    """After the bulk insert of the valid lines (load_id): roll them up, sort out the tickets
    that need care, and return the counts in lines (and the tickets formed)."""
    tickets_table = kind.rolls_up_into
    _roll_up(con, load_id, "line_no" in positions)
    _find_old(con, tickets_table)
    problems, old_diff, old_same = con.execute(
        "select (select count(*) from mk_tickets where problem),"
        " (select count(*) from mk_old where not identical),"
        " (select count(*) from mk_old where identical)"
    ).fetchall()[0]
    need_read = bool(invalid or parse_rejects or problems or old_diff)
    if need_read or old_same:
        # rows of this load will be deleted: commit them first (see loader._commit_bulk_rows)
        commit_bulk()
    con.execute(
        "create or replace temp table mk_care as "
        "select txn_id from mk_tickets where problem "
        "union select txn_id from mk_old where not identical"
    )
    located = None
    rejected = duplicates = 0
    if need_read:
        located, rejected, duplicates = look_again(
            con, prepared, kind, positions, parsed, params, parse_rejects,
            inserted=inserted, invalid=invalid, load_id=load_id,
        )  # fmt: skip
    # the lines of tickets loaded before with the same content that needed no second look
    duplicates += con.execute(
        "select coalesce(sum(t.lines), 0) from mk_tickets t join mk_old o using (txn_id) "
        "where o.identical and t.txn_id not in (select txn_id from mk_care)"
    ).fetchall()[0][0]
    rejected += len(parse_rejects)
    read = prepared.data_records
    loaded = read - rejected - duplicates
    too_many = read > 0 and rejected / read > options.max_reject_ratio

    # record_rejects reads the ticket loader's repeats too: a line file has none of those
    con.execute(
        "create or replace temp table mk_dupes as "
        "select null::bigint as ord, null::bigint as first_ord, true as identical limit 0;"
        "create or replace temp table mk_existing as "
        "select null::bigint as ord, true as identical limit 0"
    )
    first_rejects = (
        rejects.record_rejects(con, prepared, kind, positions, load_id, parse_rejects, located)
        if rejected
        else []
    )
    tickets = 0
    if too_many:
        con.execute(f"delete from {kind.table} where load_id = $id", {"id": load_id})
    else:
        tickets = _store(con, kind, tickets_table, load_id, need_read, bool(old_same))
        held = con.execute(
            f"select count(*) from {kind.table} where load_id = $id", {"id": load_id}
        ).fetchall()[0][0]
        if held != loaded:  # every line read is loaded, duplicate or rejected
            raise rejects.rows_unaccounted(prepared, held + duplicates + rejected)
        # a file no line of which was looked at again keeps all its lines, grouped by txn_id
        # into mk_tickets: then they hold as many tickets as were formed by construction
        formed = (
            con.execute(
                f"select count(distinct txn_id) from {kind.table} where load_id = $id",
                {"id": load_id},
            ).fetchall()[0][0]
            if need_read or old_same
            else tickets
        )
        if formed != tickets:  # and every ticket of the lines loaded is formed: refuse
            raise InputRejected(  # rather than keep lines that no report would count
                f"{prepared.label}: its loaded lines hold {formed:,} tickets, but "
                f"{tickets:,} were formed; nothing was loaded",
                hint="this is a memberkit bug: please report it with the file",
            )
    for table in _SCRATCH:
        con.execute(f"drop table if exists {table}")
    return LoadResult.of_load(
        prepared,
        kind.name,
        load_id,
        read=read,
        loaded=loaded,
        refusal=too_many_rejects(rejected, read, options.max_reject_ratio) if too_many else None,
        duplicates=duplicates,
        rejected=rejected,
        first_rejects=first_rejects,
        tickets=0 if too_many else tickets,
    )


def _roll_up(con, load_id: int, has_line_no: bool) -> None:
    """mk_tickets: each ticket of the load's valid lines, summed, and whether it needs a
    closer look (`problem`): its lines disagree, a line_no repeats, or the sums overflow.

    The lines are grouped by ticket, store, time and member together: lines that disagree
    on one of those make two groups of one ticket, found by counting the tickets, and are
    then folded into one row with a problem (a fifth less than a min and max of each).

    A line_no repeated within a ticket is found with a bit per number from 0 to 63 (a count
    of distinct line_no per ticket costs half the load again); tickets numbered outside that
    range are checked exactly afterwards, only them. The shift is masked: DuckDB evaluates
    it for every line, the filter notwithstanding (line_no 1000 failed the load); and made
    in ubigint, not the hugeint an integer shift amount turns it into (a tenth of the query)."""
    in_range = "line_no between 0 and 63"
    repeats = (
        f"bit_count(coalesce(bit_or(1::ubigint << (line_no & 63)::ubigint) "
        f"filter (where {in_range}), 0::ubigint)) <> count(line_no) filter (where {in_range})"
        if has_line_no
        else "false"
    )
    con.execute(
        f"""
        create or replace temp table mk_tickets as
        select
            txn_id, store_id, txn_time, member_id,
            sum(amount) as amount,
            sum(qty) as item_qty,
            count(*) as lines,
            -- never null: a null here would neither form the ticket nor look at it again
            coalesce(
                {repeats}
                or sum(amount) not between -{_MAX_AMOUNT} and {_MAX_AMOUNT}
                or sum(qty) not between -{_MAX_QTY + 1} and {_MAX_QTY},
                true
            ) as problem,
            {f"count(*) filter (where not {in_range}) > 0" if has_line_no else "false"}
                as unranged
        from ticket_lines
        where load_id = $load_id
        group by txn_id, store_id, txn_time, member_id
        """,
        {"load_id": load_id},
    )
    split = con.execute("select count(*) - count(distinct txn_id) from mk_tickets").fetchall()
    if split[0][0]:  # tickets whose lines disagree: one row each, with a problem
        con.execute(
            """
            create or replace temp table mk_tickets as
            select txn_id, any_value(store_id) as store_id, any_value(txn_time) as txn_time,
                any_value(member_id) as member_id, sum(amount) as amount,
                sum(item_qty) as item_qty, sum(lines) as lines,
                count(*) > 1 or bool_or(problem) as problem, bool_or(unranged) as unranged
            from mk_tickets
            group by txn_id
            """
        )
    if has_line_no and con.execute("select bool_or(unranged) from mk_tickets").fetchall()[0][0]:
        con.execute(
            """
            update mk_tickets set problem = true
            where unranged and not problem and txn_id in (
                select txn_id from ticket_lines
                where load_id = $load_id
                  and txn_id in (select txn_id from mk_tickets where unranged)
                group by txn_id
                having count(line_no) <> count(distinct line_no)
            )
            """,
            {"load_id": load_id},
        )


def _find_old(con, tickets_table: str) -> None:
    """mk_old: the load's tickets already in the tickets table (a ticket file, an earlier
    line file), and whether with the same content. The join is bounded by the load's txn_id
    range, so that zone maps skip older row groups (as merge.find_clashes does)."""
    lo, hi = con.execute("select min(txn_id), max(txn_id) from mk_tickets").fetchall()[0]
    con.execute(
        f"""
        create or replace temp table mk_old as
        select n.txn_id,
            coalesce(not n.problem and n.store_id = o.store_id and n.txn_time = o.txn_time
                and n.member_id is not distinct from o.member_id
                and n.amount = o.amount and n.item_qty = o.item_qty, false) as identical
        from mk_tickets n join {tickets_table} o on n.txn_id = o.txn_id
        where o.txn_id between $lo and $hi
        """,
        {"lo": lo, "hi": hi},
    )


def _store(con, kind: Kind, tickets_table: str, load_id: int, judged: bool, had_old: bool) -> int:
    """Keep the lines and tickets that load; return how many tickets were formed."""
    columns = ", ".join(kind.column_names)
    if judged or had_old:
        # the lines of tickets looked at again, or loaded before, go; the loaded ones return
        con.execute(
            f"delete from {kind.table} where load_id = $load_id and txn_id in ("
            "select txn_id from mk_care union select txn_id from mk_old)",
            {"load_id": load_id},
        )
    if judged:
        con.execute(
            f"""
            insert into {kind.table} ({columns}, load_id)
            select {columns}, $load_id from mk_rows
            where reason is null
              and txn_id in (select txn_id from mk_verdict where verdict = 'load')
              and ord not in (select ord from mk_repeat where identical)
            """,
            {"load_id": load_id},
        )
    ticket_columns = "txn_id, store_id, txn_time, member_id, amount, item_qty"
    set_aside = (
        "and txn_id not in (select txn_id from mk_old) "
        "and txn_id not in (select txn_id from mk_care)"
        if judged or had_old
        else ""
    )
    tickets = con.execute(
        f"""
        insert into {tickets_table} ({ticket_columns}, load_id)
        select {ticket_columns}, $load_id from mk_tickets where not problem {set_aside}
        """,
        {"load_id": load_id},
    ).fetchall()[0][0]
    if judged:
        tickets += con.execute(
            f"""
            insert into {tickets_table} ({ticket_columns}, load_id)
            select {ticket_columns}, $load_id from mk_verdict where verdict = 'load'
            """,
            {"load_id": load_id},
        ).fetchall()[0][0]
    if kind.lists_stores:
        con.execute(
            f"insert into ticket_stores select distinct store_id from {tickets_table} "
            "where load_id = $load_id and store_id not in (select store_id from ticket_stores)",
            {"load_id": load_id},
        )
    return tickets
