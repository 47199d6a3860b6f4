"""Summary checks (schema 7): member_keys gives each member id on a ticket one key, and
ticket_months holds exactly what summaries.SUMMARY_ROWS computes from the tickets.

Both look at the database as it will be once interrupted loads are undone: the tickets and
summary rows of a 'loading' load are left out on both sides (interrupted_loads reports it)."""

from __future__ import annotations

from memberkit import summaries
from memberkit.checks.common import FAIL, PASS, CheckResult, _shown
from memberkit.errors import counted

_KEY = ("load_id", "month", "store_id", "member_key")
_SUMS = tuple(c.strip() for c in summaries.SUMMARY_COLUMNS.split(",") if c.strip() not in _KEY)


def _member_keys(con, skip: list[int]) -> CheckResult:
    """No key or member id twice, and every member id on a ticket has a key."""
    keys_twice, ids_twice, unkeyed, example = con.execute(
        """
        select
            (select count(*) from (
                select member_key from member_keys group by member_key having count(*) > 1)),
            (select count(*) from (
                select member_id from member_keys group by member_id having count(*) > 1)),
            count(*),
            min(member_id)
        from (
            select distinct member_id from transactions
            where member_id is not null and not list_contains($skip, load_id)
        ) t
        where not exists (select 1 from member_keys k where k.member_id = t.member_id)
        """,
        {"skip": skip},
    ).fetchall()[0]
    bad = keys_twice + ids_twice + unkeyed
    if not bad:
        return CheckResult(
            "member_keys", PASS, 0, "every member id on a ticket has one key of its own"
        )
    problems = []
    if keys_twice:
        problems.append(f"{counted(keys_twice, 'key')} given to more than one member id")
    if ids_twice:
        problems.append(f"{counted(ids_twice, 'member id')} with more than one key")
    if unkeyed:
        problems.append(
            f"{counted(unkeyed, 'member id')} on tickets without a key, e.g. {_shown(example)}"
        )
    return CheckResult(
        "member_keys", FAIL, bad, "member_keys: " + "; ".join(problems) + "; summaries misjoin"
    )


def _ticket_months(con, skip: list[int]) -> CheckResult:
    """ticket_months equals SUMMARY_ROWS over every ticket, keyed through member_keys, row
    for row. One aggregate over both sides (a row held as often on each side cancels out),
    so a row stored twice counts as much as one missing; what is left is sorted by key into
    rows missing, extra and differing."""
    key = ", ".join(_KEY)
    columns = ", ".join(_KEY + _SUMS)
    recomputed = summaries.SUMMARY_ROWS.format(where="not list_contains($skip, load_id)")
    missing, extra, differing, example = con.execute(
        f"""
        with want as (
            select s.* exclude (member_id), k.member_key
            from ({recomputed}) s left join member_keys k on k.member_id = s.member_id
        ),
        have as (
            select {columns} from ticket_months where not list_contains($skip, load_id)
        ),
        unmatched as (
            select {columns}, count(*) filter (where side = 0) - count(*) filter (where side = 1)
                as surplus
            from (
                select {columns}, 0 as side from want
                union all
                select {columns}, 1 as side from have
            )
            group by {columns}
            having surplus <> 0
        ),
        by_key as (
            select {key}, bool_or(surplus > 0) as wanted, bool_or(surplus < 0) as held
            from unmatched group by {key}
        ),
        sorted as (
            select *, case when wanted and held then 'differs' when wanted then 'missing'
                else 'extra' end as what
            from by_key
        )
        select
            count(*) filter (where what = 'missing'),
            count(*) filter (where what = 'extra'),
            count(*) filter (where what = 'differs'),
            min(printf('load %d, %s, store %s, member key %s: %s',
                load_id, strftime(month, '%Y-%m'), store_id,
                coalesce(member_key::varchar, 'none'), what))
        from sorted
        """,
        {"skip": skip},
    ).fetchall()[0]
    bad = missing + extra + differing
    if not bad:
        return CheckResult(
            "ticket_months",
            PASS,
            0,
            "ticket_months holds exactly the summaries of the tickets, row for row",
        )
    return CheckResult(
        "ticket_months",
        FAIL,
        bad,
        f"ticket_months disagrees with the summaries of the tickets: {counted(missing, 'row')} "
        f"missing, {counted(extra, 'row')} extra (or held twice), {counted(differing, 'row')} "
        f"differing; e.g. {_shown(example)}; reports that read it would be wrong",
    )
