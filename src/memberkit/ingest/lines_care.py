"""Ticket lines that need a second look (SPEC 3.2): a line rejected, lines of one ticket that
disagree on store, time or member, a line_no given twice, a txn_id loaded before with other
content. Their lines are read again with their places in the file, each such ticket is judged
whole (load, duplicate or reject, mk_verdict), and every line of a rejected ticket gets a
reason naming its line or the ticket's problem.
"""

from __future__ import annotations

import csv

from memberkit.ingest import rejects, values
from memberkit.ingest.kinds import Kind
from memberkit.ingest.merge import same_content
from memberkit.ingest.source import PreparedFile

# What a transactions row can hold: a ticket whose lines add up beyond it is rejected.
_MAX_AMOUNT = "9999999999999999.99"
_MAX_QTY = 2**31 - 1
_SHOWN = 5  # lines named in one reason


def look_again(
    con,
    prepared: PreparedFile,
    kind: Kind,
    positions: dict[str, int],
    parsed: str,
    params: dict,
    parse_rejects: list[tuple],
    *,
    inserted: int,
    invalid: int,
    load_id: int,
):
    """Read the lines of the tickets in mk_care (and the invalid lines) again, judge their
    tickets; return where the rows lie in the file, and how many lines are rejected and
    duplicate among them."""
    reader = _reader_reject_tickets(con, prepared, positions, parse_rejects)
    located = _read_care_rows(
        con, prepared, parsed.replace("{rejects}", values.REREAD_REJECTS), params,
        [r[0] for r in parse_rejects], accepted=inserted + invalid,
    )  # fmt: skip
    found = con.execute("select count(*) from mk_rows where reason is not null").fetchall()
    if invalid < 0 or found[0][0] != invalid:
        raise rejects.rows_unaccounted(prepared, inserted + len(parse_rejects) + found[0][0])
    _line_numbers(con, prepared, located, reader)
    _judge(con, kind, kind.rolls_up_into, load_id)
    rejected, duplicates = con.execute(
        "select (select count(*) from mk_rows where reason is not null),"
        " (select count(*) from mk_rows r join mk_verdict v using (txn_id)"
        "  where v.verdict = 'duplicate')"
        " + (select count(*) from mk_repeat p join mk_rows r using (ord)"
        "  join mk_verdict v using (txn_id) where p.identical and v.verdict = 'load')"
    ).fetchall()[0]
    return located, rejected, duplicates


def _reader_reject_tickets(con, prepared, positions, parse_rejects) -> dict[int, str | None]:
    """The txn_id of each row DuckDB's reader rejected (too many columns, ...), read from its
    raw text where that column is there: its ticket is rejected whole too. Returns the raw
    txn_id by record number; mk_reader_txns holds them cleaned as every txn_id is."""
    raw: dict[int, str | None] = {}
    if parse_rejects:
        index = positions["txn_id"]
        for record, text in con.execute(
            "select line, any_value(csv_line) from mk_reject_errors group by line"
        ).fetchall():
            try:  # (the reader's csv_line of a CRLF file starts with the LF before it)
                line = (text or "").strip("\r\n")
                fields = next(csv.reader([line], delimiter=prepared.delimiter), [])
            except csv.Error:
                fields = []
            raw[record] = fields[index] if index < len(fields) else None
    con.execute(
        """
        create or replace temp table mk_reader_txns as
        select record, coalesce(mk_fast_id(v), mk_id(mk_clean_code(v))) as txn_id,
            null::bigint as line, null::bigint as rec, null::varchar as place
        from (select unnest($records)::bigint as record, unnest($values)::varchar as v)
        """,
        {"records": list(raw), "values": list(raw.values())},
    )
    con.execute(
        "insert into mk_care select distinct txn_id from mk_reader_txns "
        "where txn_id is not null and txn_id not in (select txn_id from mk_care)"
    )
    return raw


def _read_care_rows(con, prepared, parsed: str, params, reader_rejects, accepted: int):
    """mk_rows: the invalid lines and every line of a ticket in mk_care or with an invalid
    line, typed, with `ord`, their position among the rows DuckDB's reader accepted.

    As rejects.read_rows_needing_care does (rejects.read_again), with the tickets' txn_id as
    the key; then only the lines of tickets wanted are kept."""
    located = rejects.read_again(
        con, prepared, parsed, params,
        key_hash="hash(txn_id)",
        wanted="invalid or key_hash in (select key_hash from mk_marks where invalid "
        "union select hash(txn_id) from mk_care)",
        exact="true",
        reader_rejects=reader_rejects, accepted=accepted,
    )  # fmt: skip
    # hashes may meet by chance: keep exactly the invalid lines and the tickets wanted
    con.execute(
        "insert into mk_care select distinct txn_id from mk_rows "
        "where reason is not null and txn_id is not null "
        "and txn_id not in (select txn_id from mk_care)"
    )
    con.execute(
        "delete from mk_rows where reason is null and txn_id not in (select txn_id from mk_care)"
    )
    return located


def _line_numbers(con, prepared: PreparedFile, located, reader: dict[int, str | None]) -> None:
    """mk_line_of: the line (XLSX: sheet row) of each row read again, its record (file order)
    and its place as a reason names it (in a workbook of several sheets, with the sheet: a
    ticket's lines may lie on two); and of each row the reader rejected, in mk_reader_txns."""
    by_record, by_ordinal = located

    def place(where) -> tuple[int, str]:
        line = prepared.line_of_record(where.record, where.line)
        sheet = prepared.name_of_record(where.record).removeprefix(prepared.name).strip()
        return line, f"{line} {sheet}" if sheet else str(line)

    places = [place(w) for w in by_ordinal.values()]
    con.execute(
        "create or replace temp table mk_line_of as "
        "select unnest($ords)::bigint as ord, unnest($lines)::bigint as line, "
        "unnest($records)::bigint as rec, unnest($places)::varchar as place",
        {
            "ords": list(by_ordinal),
            "lines": [p[0] for p in places],
            "records": [w.record for w in by_ordinal.values()],
            "places": [p[1] for p in places],
        },
    )
    if reader:
        found = [r for r in reader if r in by_record]
        places = [place(by_record[r]) for r in found]
        con.execute(
            "update mk_reader_txns r set line = l.line, rec = l.rec, place = l.place from "
            "(select unnest($records)::bigint as record, unnest($lines)::bigint as line, "
            "unnest($recs)::bigint as rec, unnest($places)::varchar as place) l "
            "where r.record = l.record",
            {
                "records": found,
                "lines": [p[0] for p in places],
                "recs": [by_record[r].record for r in found],
                "places": [p[1] for p in places],
            },
        )


def _lines_text(lines: str) -> str:
    """SQL: 'line 12' or 'lines 12, 15, ... and 3 more' from a list of places in file order."""
    return f"""
        case when len({lines}) = 1 then 'line ' else 'lines ' end
        || array_to_string({lines}[1:{_SHOWN}], ', ')
        || case when len({lines}) > {_SHOWN}
            then ' and ' || (len({lines}) - {_SHOWN}) || ' more' else '' end
    """


def _judge(con, kind: Kind, tickets_table: str, load_id: int) -> None:
    """Decide each ticket in mk_care from its lines in mk_rows (mk_verdict: load, duplicate
    or reject), and give every line of a rejected ticket a reason: its own (a bad value, a
    line_no repeated with other content), else one naming the ticket's problem."""
    # a line_no repeated: identical copies are one line; another content rejects the ticket
    con.execute(
        f"""
        create or replace temp table mk_repeat as
        with valid as (
            select * from mk_rows
            where reason is null and line_no is not null
              and txn_id in (select txn_id from mk_care)
        ),
        firsts as (
            select txn_id, line_no, min(ord) as first_ord from valid
            group by all having count(*) > 1
        )
        select v.ord, f.first_ord, {same_content(kind, "v", "first")} as identical
        from valid v
        join firsts f on v.txn_id = f.txn_id and v.line_no = f.line_no
        join valid first on first.ord = f.first_ord
        where v.ord <> f.first_ord
        """
    )
    con.execute(
        """
        update mk_rows r set bad_column = 'line_no',
            reason = 'line_no ' || r.line_no || ' of ticket ' || r.txn_id
                || ' given again with different content (first at line ' || l.place || ')'
        from mk_repeat p, mk_line_of l
        where p.ord = r.ord and not p.identical and l.ord = p.first_ord
        """
    )
    bad_lines = _lines_text("lines")
    differ = {
        column: f"arg_min(k.place, k.rec) filter (where k.{column} is distinct from f.{column})"
        for column in ("store_id", "txn_time", "member_id")
    }
    disagree = " ".join(
        f"when d.{c}_at is not null then '{c}'" for c in ("store_id", "txn_time", "member_id")
    )
    con.execute(
        f"""
        create or replace temp table mk_verdict as
        with lines as (
            select r.*, l.rec, l.place from mk_rows r join mk_line_of l using (ord)
            where r.txn_id in (select txn_id from mk_care)
        ),
        bad as (
            select txn_id, list(place order by rec) as lines from (
                select txn_id, rec, place from lines where reason is not null
                union all
                select txn_id, rec, place from mk_reader_txns where txn_id is not null
            ) group by txn_id
        ),
        kept as (
            select * from lines
            where reason is null and ord not in (select ord from mk_repeat where identical)
        ),
        first_line as (
            select distinct on (txn_id) * from kept order by txn_id, rec
        ),
        rolled as (
            select k.txn_id, f.place as first_line,
                {", ".join(f"{expr} as {c}_at" for c, expr in differ.items())},
                sum(k.amount) as amount, sum(k.qty) as item_qty
            from kept k join first_line f using (txn_id)
            group by k.txn_id, f.place
        ),
        judged as (
            select c.txn_id, f.store_id, f.txn_time, f.member_id, d.amount, d.item_qty,
                d.first_line, d.store_id_at, d.txn_time_at, d.member_id_at, b.lines,
                case
                    when b.lines is not null then 'txn_id'
                    {disagree}
                    when d.amount not between -{_MAX_AMOUNT} and {_MAX_AMOUNT} then 'amount'
                    when d.item_qty not between -{_MAX_QTY + 1} and {_MAX_QTY} then 'qty'
                end as problem,
                o.txn_id is not null as old,
                o.store_id is not distinct from f.store_id
                    and o.txn_time is not distinct from f.txn_time
                    and o.member_id is not distinct from f.member_id
                    and o.amount is not distinct from d.amount
                    and o.item_qty is not distinct from d.item_qty as same_as_old
            from mk_care c
            left join bad b using (txn_id)
            left join rolled d using (txn_id)
            left join first_line f using (txn_id)
            left join {tickets_table} o on o.txn_id = c.txn_id and o.load_id <> $load_id
        )
        select txn_id, store_id, txn_time, member_id, amount, item_qty,
            case
                when problem is not null or (old and not same_as_old) then 'reject'
                when old then 'duplicate'
                else 'load'
            end as verdict,
            case when problem is not null then problem when old then 'txn_id' end
                as bad_column,
            case
                when problem = 'txn_id' then 'ticket ' || txn_id || ' rejected: '
                    || {bad_lines} || ' of it '
                    || case when len(lines) = 1 then 'was' else 'were' end || ' rejected'
                when problem in ('store_id', 'txn_time', 'member_id') then 'ticket ' || txn_id
                    || ' rejected: its lines disagree on ' || problem || ' (lines '
                    || first_line || ', ' || case problem when 'store_id' then store_id_at
                        when 'txn_time' then txn_time_at else member_id_at end || ')'
                when problem = 'amount' then 'ticket ' || txn_id || ' rejected: its lines'' '
                    || 'amounts add up beyond ' || case when amount < 0 then '-' else '' end
                    || '{_MAX_AMOUNT}'
                when problem = 'qty' then 'ticket ' || txn_id || ' rejected: its lines'' '
                    || 'quantities add up beyond '
                    || case when item_qty < 0 then '{-_MAX_QTY - 1}' else '{_MAX_QTY}' end
                when old and not same_as_old then 'txn_id already loaded with different '
                    || 'content (a ticket''s lines must all come in one file)'
            end as reason
        from judged
        """,
        {"load_id": load_id},
    )
    con.execute(
        """
        update mk_rows r set reason = v.reason, bad_column = v.bad_column
        from mk_verdict v
        where r.txn_id = v.txn_id and v.verdict = 'reject' and r.reason is null
        """
    )
