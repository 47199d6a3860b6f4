"""Hand-written DuckDB queries of the member reports (SPEC 5.4 --list, 5.7, 5.9, 5.10).

The same contract as handwritten.py, which registers these in its BASELINES: one plain SELECT
each, written straight against the tables of src/memberkit/schema.sql from SPEC.md's
definitions (no memberkit macros, no summary tables), values bound as $parameters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from memberkit.periods import Period
from memberkit.reports.members import ACTIVATION_DAYS, DEFAULT_GRADE_EDGES

Params = dict[str, Any]
Row = dict[str, Any]

INACTIVE_DAYS = 180
MIN_AMOUNT = Decimal(1000)

# The rows of a scoped report, as in handwritten.py: 'ALL', and with --by store every store id
# known anywhere (stores, members' home stores, tickets).
UNITS = """
units as (
    select 'ALL' as scope
    union select store_id from stores where $by_store
    union select store_id from members where $by_store and store_id is not null
    union select store_id from transactions where $by_store
)"""

# members on file for the period (SPEC 4); a member without a home store is in no scope
ON_FILE = """
    store_id is not null and join_date <= $end and (expiry_date is null or expiry_date >= $start)
"""

GRADES = f"""
with graded as (
    select
        case when $by_store then m.store_id else 'ALL' end as scope,
        coalesce(s.spend, 0) as spend,
    from members m
    left join (
        -- net spend over [E - 364, E], every transaction in any store, refunds included
        select member_id, sum(amount) as spend
        from transactions
        where member_id is not null and txn_time >= $year_lo and txn_time < $hi
        group by member_id
    ) s on s.member_id = m.member_id
    where {ON_FILE}
),
scoped as (
    select scope, spend from graded
    union all
    select 'ALL', spend from graded where $by_store
),
counts as (
    select
        scope,
        count(*) as members,
        sum(spend) as spend_365d,
        count(*) filter (where spend >= $edge3) as a_members,
        count(*) filter (where spend >= $edge2 and spend < $edge3) as b_members,
        count(*) filter (where spend >= $edge1 and spend < $edge2) as c_members,
        count(*) filter (where spend < $edge1) as d_members,
        coalesce(sum(spend) filter (where spend >= $edge3), 0) as a_spend,
        coalesce(sum(spend) filter (where spend >= $edge2 and spend < $edge3), 0) as b_spend,
        coalesce(sum(spend) filter (where spend >= $edge1 and spend < $edge2), 0) as c_spend,
        coalesce(sum(spend) filter (where spend < $edge1), 0) as d_spend,
    from scoped
    group by scope
),
{UNITS}
select
    u.scope,
    coalesce(c.members, 0) as members,
    coalesce(c.spend_365d, 0) as spend_365d,
    coalesce(c.a_members, 0), coalesce(c.b_members, 0),
    coalesce(c.c_members, 0), coalesce(c.d_members, 0),
    c.a_members / nullif(c.members, 0), c.b_members / nullif(c.members, 0),
    c.c_members / nullif(c.members, 0), c.d_members / nullif(c.members, 0),
    coalesce(c.a_spend, 0), coalesce(c.b_spend, 0), coalesce(c.c_spend, 0),
    coalesce(c.d_spend, 0),
    c.a_spend::double / nullif(c.spend_365d, 0), c.b_spend::double / nullif(c.spend_365d, 0),
    c.c_spend::double / nullif(c.spend_365d, 0), c.d_spend::double / nullif(c.spend_365d, 0),
from units u
left join counts c on c.scope = u.scope
order by u.scope = 'ALL', u.scope
"""

NEW_MEMBERS = f"""
with joined as (
    select
        case when $by_store then store_id else 'ALL' end as scope,
        member_id,
        join_date,
        join_date between $start and $end as is_new,
    from members
    where store_id is not null
      and (join_date between $start and $end or join_date between $yoy_start and $yoy_end)
),
activated as (
    -- a ticket in any store from the join day to $days days after it, however late
    select distinct j.member_id
    from joined j
    join transactions t on t.member_id = j.member_id
    where j.is_new and t.amount > 0
      and t.txn_time >= j.join_date and t.txn_time < j.join_date + $days + 1
),
figures as (
    select
        j.scope,
        count(*) filter (where j.is_new) as new_members,
        count(*) filter (where not j.is_new) as year_ago,
        count(a.member_id) as activated,
    from joined j
    left join activated a on a.member_id = j.member_id
    group by j.scope
),
totals as (
    from figures
    union all
    select 'ALL', sum(new_members), sum(year_ago), sum(activated)
    from figures where $by_store having count(*) > 0
),
{UNITS}
select
    u.scope,
    coalesce(t.new_members, 0) as new_members,
    coalesce(t.year_ago, 0) as new_members_year_ago,
    (coalesce(t.new_members, 0) - t.year_ago)::double / nullif(t.year_ago, 0)
        as new_members_yoy,
    coalesce(t.activated, 0) as activated,
    t.activated / nullif(t.new_members, 0) as activation_rate,
from units u
left join totals t on t.scope = u.scope
order by u.scope = 'ALL', u.scope
"""

# every member's tickets up to E: the last one, and the 365 days' spend and tickets
HISTORY = f"""
history as (
    select
        member_id,
        max(txn_time) filter (where amount > 0)::date as last_ticket,
        coalesce(sum(amount) filter (where txn_time >= $year_lo), 0) as spend_365d,
        count(*) filter (where amount > 0 and txn_time >= $year_lo) as tickets_365d,
    from transactions
    where member_id is not null and txn_time < $hi
    group by member_id
),
lapsed as (
    select h.*, m.name, m.phone, m.store_id
    from history h
    join members m on m.member_id = h.member_id
    where {ON_FILE} and h.last_ticket <= $lapsed_by
)"""

CHURN_LIST = f"""
with {HISTORY}
select
    member_id, name, phone, store_id, last_ticket as last_ticket_date,
    $end - last_ticket as days_since, spend_365d, tickets_365d,
from lapsed
order by spend_365d desc, last_ticket_date desc, member_id
"""

CALLBACKS = f"""
with period_tickets as (
    select member_id, txn_id, txn_time, amount
    from transactions
    where amount > 0 and txn_time >= $lo and txn_time < $hi and member_id is not null
),
{HISTORY.strip()},
reasons as (
    -- each member's largest ticket of the period (ties: the earliest, the lowest id)
    select 'after_sale' as kind, member_id, txn_time::date as reason_date,
        amount as reason_amount
    from period_tickets
    qualify row_number() over (partition by member_id order by amount desc, txn_time, txn_id)
        = 1 and amount >= $min_amount
    union all
    -- a member who joined in the period: the period's first ticket
    select 'new', t.member_id, t.txn_time::date, t.amount
    from period_tickets t
    join members m on m.member_id = t.member_id
    where m.join_date between $start and $end
    qualify row_number() over (partition by t.member_id order by t.txn_time, t.txn_id) = 1
    union all
    select 'lapsed', member_id, last_ticket, spend_365d from lapsed
)
select
    r.kind, m.store_id, r.member_id, m.name, m.phone, r.reason_date,
    r.reason_amount::decimal(18, 2) as reason_amount,
from reasons r
join members m on m.member_id = r.member_id
where m.store_id is not null
order by list_position(['after_sale', 'new', 'lapsed'], r.kind), m.store_id,
    reason_amount desc, r.reason_date desc, r.member_id
"""


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _dates(period: Period, by_store: bool) -> Params:
    return {
        "start": period.start,
        "end": period.end,
        "lo": _midnight(period.start),
        "hi": _midnight(period.end + timedelta(days=1)),
        "year_lo": _midnight(period.end - timedelta(days=364)),
        "lapsed_by": period.end - timedelta(days=INACTIVE_DAYS),
        "by_store": by_store,
    }


def _used(params: Params, *names: str) -> Params:
    # duckdb refuses a parameter the query does not use
    return {name: params[name] for name in names}


def grades_params(period: Period, by_store: bool) -> Params:
    edges = {f"edge{i}": edge for i, edge in enumerate(DEFAULT_GRADE_EDGES, 1)}
    return {**_used(_dates(period, by_store), "start", "end", "hi", "year_lo", "by_store"), **edges}


def new_members_params(period: Period, by_store: bool) -> Params:
    year_ago = period.years_back(1)
    return {
        **_used(_dates(period, by_store), "start", "end", "by_store"),
        "yoy_start": year_ago.start,
        "yoy_end": year_ago.end,
        "days": ACTIVATION_DAYS,
    }


def churn_list_params(period: Period, by_store: bool) -> Params:
    return _used(_dates(period, by_store), "start", "end", "hi", "year_lo", "lapsed_by")


def callbacks_params(period: Period, by_store: bool) -> Params:
    names = ("start", "end", "lo", "hi", "year_lo", "lapsed_by")
    return {**_used(_dates(period, by_store), *names), "min_amount": MIN_AMOUNT}


def grade_figures(row: Row) -> tuple:
    grades = row["grades"]  # A, B, C, D
    return (
        row["scope"],
        row["members"],
        row["spend_365d"],
        *(g["members"] for g in grades),
        *(g["share"] for g in grades),
        *(g["spend"] for g in grades),
        *(g["spend_share"] for g in grades),
    )


NEW_MEMBER_KEYS = (
    "scope new_members new_members_year_ago new_members_yoy activated activation_rate".split()
)
CHURN_LIST_KEYS = (
    "member_id name phone store_id last_ticket_date days_since spend_365d tickets_365d".split()
)
CALLBACK_KEYS = "kind store_id member_id name phone reason_date reason_amount".split()
