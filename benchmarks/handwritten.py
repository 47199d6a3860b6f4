"""Each memberkit report beside one hand-written DuckDB query computing the same figures.

For every report, company-wide and --by store, the baseline is a single plain SELECT written
straight against the tables of src/memberkit/schema.sql from SPEC.md's definitions (no memberkit
macros, no temp tables, values bound as $parameters). `check` proves both give the same figures;
`main` checks them all and prints the median query time of each.
Usage: python benchmarks/handwritten.py --db PATH --month YYYY-MM [--repeat K]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import duckdb
import handwritten_members as hm

from memberkit import db
from memberkit.periods import Period, Scope, parse_month
from memberkit.reports import analyses, callbacks, gifts, members, prepare_connection
from memberkit.reports.expiring import expiring_members, month_after

Params = dict[str, Any]
Row = dict[str, Any]

SPEND_EDGES = analyses.DEFAULT_SPEND_EDGES  # 100, 300, 500, 1000
AGE_EDGES = analyses.DEFAULT_AGE_EDGES  # 20, 30, 40
INACTIVE_DAYS = analyses.DEFAULT_INACTIVE_DAYS  # 180
MIN_VISITS, MIN_SPEND = 3, Decimal(1000)

# The rows of a scoped report: the company total 'ALL', and with --by store every store id
# known anywhere (stores, members' home stores, tickets), so a store with nothing in the
# period still gets its row of zeros.
UNITS = """
units as (
    select 'ALL' as scope
    union select store_id from stores where $by_store
    union select store_id from members where $by_store
    union select store_id from transactions where $by_store
)"""

SPEND_BANDS = f"""
with member_spend as (
    -- each member's net spend in the period, per store (--by store) or company-wide
    select
        case when $by_store then store_id else 'ALL' end as scope,
        member_id,
        sum(amount) as net_spend,
        bool_or(amount > 0) as has_ticket,
    from transactions
    where txn_time >= $lo and txn_time < $hi and member_id is not null
    group by all
),
active as (
    select scope, net_spend from member_spend where has_ticket
    union all
    -- the company row of --by store: a member's spend summed over the stores, counted once
    select 'ALL', sum(net_spend) from member_spend
    where $by_store
    group by member_id
    having bool_or(has_ticket)
),
band_counts as (
    select
        scope,
        count(*) as active_members,
        count(*) filter (where net_spend < $edge1) as band0,
        count(*) filter (where net_spend >= $edge1 and net_spend < $edge2) as band1,
        count(*) filter (where net_spend >= $edge2 and net_spend < $edge3) as band2,
        count(*) filter (where net_spend >= $edge3 and net_spend < $edge4) as band3,
        count(*) filter (where net_spend >= $edge4) as band4,
    from active
    group by scope
),
on_file as (
    select case when $by_store then store_id else 'ALL' end as scope, count(*) as members_total
    from members
    where join_date <= $end and (expiry_date is null or expiry_date >= $start)
    group by all
),
on_file_total as (
    from on_file
    union all
    select 'ALL', sum(members_total) from on_file where $by_store having count(*) > 0
),
{UNITS},
figures as (
    select
        u.scope,
        coalesce(f.members_total, 0) as members_total,
        coalesce(b.active_members, 0) as active_members,
        coalesce(b.band0, 0) as band0,
        coalesce(b.band1, 0) as band1,
        coalesce(b.band2, 0) as band2,
        coalesce(b.band3, 0) as band3,
        coalesce(b.band4, 0) as band4,
    from units u
    left join on_file_total f on f.scope = u.scope
    left join band_counts b on b.scope = u.scope
)
select
    scope, members_total, active_members,
    active_members / nullif(members_total, 0) as active_share,
    band0, band1, band2, band3, band4,
    band0 / nullif(active_members, 0) as band0_share,
    band1 / nullif(active_members, 0) as band1_share,
    band2 / nullif(active_members, 0) as band2_share,
    band3 / nullif(active_members, 0) as band3_share,
    band4 / nullif(active_members, 0) as band4_share,
from figures
order by scope = 'ALL', scope
"""

DEMOGRAPHICS = f"""
with active as (
    select distinct case when $by_store then store_id else 'ALL' end as scope, member_id
    from transactions
    where txn_time >= $lo and txn_time < $hi and member_id is not null and amount > 0
),
scoped as (
    from active
    union all
    select distinct 'ALL', member_id from active where $by_store
),
profiles as (
    -- ids not in members have unknown gender and age; age is completed years at E
    -- (yyyymmdd arithmetic: someone born on 29 February ages on 1 March)
    select
        a.scope,
        m.gender,
        case when m.birth_date <= $end then
            ($end_yyyymmdd - (year(m.birth_date) * 10000 + month(m.birth_date) * 100
                              + day(m.birth_date))) // 10000
        end as age,
    from scoped a
    left join members m on m.member_id = a.member_id
),
counts as (
    select
        scope,
        count(*) as active_members,
        count(*) filter (where gender = 'M') as male,
        count(*) filter (where gender = 'F') as female,
        count(*) filter (where gender is null or gender not in ('M', 'F')) as gender_unknown,
        count(*) filter (where age < $age1) as age0,
        count(*) filter (where age >= $age1 and age < $age2) as age1,
        count(*) filter (where age >= $age2 and age < $age3) as age2,
        count(*) filter (where age >= $age3 and age <= 120) as age3,
        count(*) filter (where age is null or age > 120) as age_unknown,
    from profiles
    group by scope
),
{UNITS},
figures as (
    select
        u.scope,
        coalesce(c.active_members, 0) as active_members,
        coalesce(c.male, 0) as male,
        coalesce(c.female, 0) as female,
        coalesce(c.gender_unknown, 0) as gender_unknown,
        coalesce(c.age0, 0) as age0,
        coalesce(c.age1, 0) as age1,
        coalesce(c.age2, 0) as age2,
        coalesce(c.age3, 0) as age3,
        coalesce(c.age_unknown, 0) as age_unknown,
    from units u
    left join counts c on c.scope = u.scope
)
select
    scope, active_members,
    male, female, gender_unknown, age0, age1, age2, age3, age_unknown,
    male / nullif(active_members, 0) as male_share,
    female / nullif(active_members, 0) as female_share,
    gender_unknown / nullif(active_members, 0) as gender_unknown_share,
    age0 / nullif(active_members, 0) as age0_share,
    age1 / nullif(active_members, 0) as age1_share,
    age2 / nullif(active_members, 0) as age2_share,
    age3 / nullif(active_members, 0) as age3_share,
    age_unknown / nullif(active_members, 0) as age_unknown_share,
from figures
order by scope = 'ALL', scope
"""

SPENDING_POWER = f"""
with txns as (
    -- two range scans: the YoY month, and the previous month (MoM) through the month
    select 'yoy' as period, store_id, member_id, amount, item_qty
    from transactions
    where txn_time >= $yoy_lo and txn_time < $yoy_hi
    union all
    select case when txn_time >= $lo then 'cur' else 'mom' end, store_id, member_id, amount,
        item_qty
    from transactions
    where txn_time >= $mom_lo and txn_time < $hi
),
per_member as (
    -- per period, unit and member (non-member transactions make one null-member row)
    select
        period,
        case when $by_store then store_id else 'ALL' end as scope,
        member_id,
        sum(amount) as sales,
        count(*) filter (where amount > 0) as tickets,
        sum(item_qty) as items,
    from txns
    group by all
),
rolled as (
    from per_member
    union all
    -- the company row of --by store, re-aggregated per member so each is active once
    select period, 'ALL', member_id, sum(sales), sum(tickets), sum(items)
    from per_member
    where $by_store
    group by period, member_id
),
figures as (
    select
        scope,
        sum(sales) filter (where period = 'cur') as sales,
        sum(sales) filter (where period = 'cur' and member_id is not null) as member_sales,
        sum(tickets) filter (where period = 'cur') as tickets,
        sum(tickets) filter (where period = 'cur' and member_id is not null) as member_tickets,
        count(*) filter (where period = 'cur' and member_id is not null and tickets > 0)
            as active_members,
        sum(items) filter (where period = 'cur' and member_id is not null) as member_items,
        sum(sales) filter (where period = 'yoy') as yoy_sales,
        sum(sales) filter (where period = 'yoy' and member_id is not null) as yoy_member_sales,
        sum(tickets) filter (where period = 'yoy' and member_id is not null)
            as yoy_member_tickets,
        sum(sales) filter (where period = 'mom') as mom_sales,
        sum(sales) filter (where period = 'mom' and member_id is not null) as mom_member_sales,
        sum(tickets) filter (where period = 'mom' and member_id is not null)
            as mom_member_tickets,
    from rolled
    group by scope
),
store_targets as (
    select case when $by_store then store_id else 'ALL' end as scope,
        sum(target_amount) as target
    from targets
    where month between $start and $end
    group by all
),
target_totals as (
    from store_targets
    union all
    select 'ALL', sum(target) from store_targets where $by_store having count(*) > 0
),
{UNITS},
base as (
    select
        u.scope,
        coalesce(f.sales, 0) as sales,
        coalesce(f.member_sales, 0) as member_sales,
        coalesce(f.tickets, 0) as tickets,
        coalesce(f.member_tickets, 0) as member_tickets,
        coalesce(f.active_members, 0) as active_members,
        coalesce(f.member_items, 0) as member_items,
        t.target,
        coalesce(f.yoy_sales, 0) as yoy_sales,
        coalesce(f.yoy_member_sales, 0) as yoy_member_sales,
        coalesce(f.yoy_member_tickets, 0) as yoy_member_tickets,
        coalesce(f.mom_sales, 0) as mom_sales,
        coalesce(f.mom_member_sales, 0) as mom_member_sales,
        coalesce(f.mom_member_tickets, 0) as mom_member_tickets,
    from units u
    left join figures f on f.scope = u.scope
    left join target_totals t on t.scope = u.scope
),
baskets as (
    select
        *,
        member_sales::double / nullif(member_tickets, 0) as basket,
        yoy_member_sales::double / nullif(yoy_member_tickets, 0) as yoy_basket,
        mom_member_sales::double / nullif(mom_member_tickets, 0) as mom_basket,
    from base
)
select
    scope, sales, member_sales, tickets, member_tickets, active_members, member_items, target,
    sales::double / nullif(target, 0) as sales_completion_rate,
    (sales - yoy_sales)::double / nullif(yoy_sales, 0) as sales_yoy,
    (sales - mom_sales)::double / nullif(mom_sales, 0) as sales_mom,
    member_sales::double / nullif(sales, 0) as member_sales_share,
    (member_sales - yoy_member_sales)::double / nullif(yoy_member_sales, 0) as member_sales_yoy,
    (member_sales - mom_member_sales)::double / nullif(mom_member_sales, 0) as member_sales_mom,
    basket as member_basket_value,
    (basket - yoy_basket) / nullif(yoy_basket, 0) as member_basket_value_yoy,
    (basket - mom_basket) / nullif(mom_basket, 0) as member_basket_value_mom,
    member_tickets / nullif(tickets, 0) as member_ticket_share,
    (member_tickets - yoy_member_tickets) / nullif(yoy_member_tickets, 0) as member_tickets_yoy,
    (member_tickets - mom_member_tickets) / nullif(mom_member_tickets, 0) as member_tickets_mom,
    member_tickets / nullif(active_members, 0) as member_frequency,
    member_items / nullif(member_tickets, 0) as member_attach_rate,
from baskets
order by scope = 'ALL', scope
"""

CHURN = f"""
with history as (
    -- every member's tickets up to E in any store (later exports never change the report)
    select
        member_id,
        max(txn_time) filter (where amount > 0) as last_ticket,
        min(txn_time) filter (where amount > 0 and txn_time >= $lo) as first_in_period,
        max(txn_time) filter (where amount > 0 and txn_time < $lo) as last_before_period,
        sum(amount) filter (where txn_time >= $year_lo) as spend_365d,
    from transactions
    where txn_time < $hi and member_id is not null
    group by member_id
),
facts as (
    -- members by home store; ids not in members have none and are not seen
    select
        case when $by_store then m.store_id else 'ALL' end as scope,
        m.join_date <= $end and (m.expiry_date is null or m.expiry_date >= $start)
            and h.last_ticket is not null as is_base,
        h.last_ticket::date as last_ticket,
        h.first_in_period::date - h.last_before_period::date > $inactive_days as is_returned,
        coalesce(h.spend_365d, 0) as spend_365d,
    from history h
    join members m on m.member_id = h.member_id
),
figures as (
    select
        scope,
        count(*) filter (where is_base) as base_members,
        count(*) filter (where is_base and last_ticket <= $lapsed_by) as lapsed_members,
        count(*) filter (where is_base and last_ticket between $newly_from and $lapsed_by)
            as newly_lapsed,
        count(*) filter (where is_returned) as returned,
        sum(spend_365d) filter (where is_base and last_ticket <= $lapsed_by)
            as lapsed_spend_365d,
        sum(spend_365d) filter (where is_base) as base_spend_365d,
    from facts
    group by scope
),
totals as (
    from figures
    union all
    select 'ALL', sum(base_members), sum(lapsed_members), sum(newly_lapsed), sum(returned),
        sum(lapsed_spend_365d), sum(base_spend_365d)
    from figures
    where $by_store
    having count(*) > 0
),
{UNITS}
select
    u.scope,
    coalesce(t.base_members, 0) as base_members,
    coalesce(t.lapsed_members, 0) as lapsed_members,
    t.lapsed_members / nullif(t.base_members, 0) as churn_rate,
    coalesce(t.lapsed_spend_365d, 0)::double / nullif(t.base_spend_365d, 0)
        as lapsed_spend_share,
    coalesce(t.newly_lapsed, 0) as newly_lapsed,
    coalesce(t.returned, 0) as returned,
    coalesce(t.lapsed_spend_365d, 0) as lapsed_spend_365d,
    coalesce(t.base_spend_365d, 0) as base_spend_365d,
from units u
left join totals t on t.scope = u.scope
order by u.scope = 'ALL', u.scope
"""

EXPIRING = """
with expiring as (
    select
        store_id, member_id, name, phone, join_date, expiry_date,
        (expiry_date - interval 1 year)::date as card_year_start,  -- 29 Feb -> 28 Feb
    from members
    where expiry_date between $start and $end
),
card_year as (
    select
        e.member_id,
        count(*) filter (where t.amount > 0) as visits,
        sum(t.amount) as spend,
    from expiring e
    join transactions t
        on t.member_id = e.member_id
        and t.txn_time >= e.card_year_start
        and t.txn_time < $as_of_hi
    where t.txn_time >= $earliest  -- no card year starts earlier: skips older row groups
    group by e.member_id
)
select
    e.store_id, e.member_id, e.name, e.phone, e.join_date, e.expiry_date,
    coalesce(c.visits, 0) as visits,
    coalesce(c.spend, 0) as spend,
    greatest($min_visits - coalesce(c.visits, 0), 0) as visits_short,
    greatest($min_spend - coalesce(c.spend, 0), 0) as spend_short,
from expiring e
left join card_year c on c.member_id = e.member_id
where coalesce(c.visits, 0) < $min_visits and coalesce(c.spend, 0) < $min_spend
order by e.store_id, e.expiry_date, e.member_id
"""

GIFTS_RECONCILE = """
with latest as (
    select max(count_date) as count_date from gift_counts
),
count_lines as (
    select c.location, c.gift_id, c.counted_qty
    from gift_counts c
    join latest l on c.count_date = l.count_date
),
ledger as (
    -- each move's effect on a location's book; a transfer also arrives at to_location
    select location, gift_id,
        case when kind in ('transfer', 'issue') then -qty else qty end as qty
    from gift_moves
    where move_date <= (select count_date from latest)
    union all
    select to_location, gift_id, qty
    from gift_moves
    where kind = 'transfer' and move_date <= (select count_date from latest)
),
book as (
    select location, gift_id, sum(qty) as book_qty
    from ledger
    where location in (select location from count_lines)
    group by all
),
lines as (
    select
        coalesce(c.location, b.location) as location,
        coalesce(c.gift_id, b.gift_id) as gift_id,
        coalesce(b.book_qty, 0) as book_qty,
        c.counted_qty,
        c.gift_id is not null as counted,
    from count_lines c
    full join book b on b.location = c.location and b.gift_id = c.gift_id
)
select
    l.location,
    (select count_date from latest) as count_date,
    l.gift_id,
    l.book_qty,
    l.counted_qty,
    l.counted_qty - l.book_qty as variance,
    (l.counted_qty - l.book_qty) * g.unit_cost as variance_value,
    case
        when g.gift_id is null then 'unknown_gift'
        when not l.counted then 'not_counted'
        when abs(l.counted_qty - l.book_qty) <= $tolerance then 'match'
        when l.counted_qty > l.book_qty then 'over'
        else 'short'
    end as status,
from lines l
left join gifts g on g.gift_id = l.gift_id
where l.counted or (l.book_qty <> 0 and g.gift_id is not null)
order by l.location <> 'HQ', l.location, l.gift_id
"""


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _range(period: Period) -> Params:
    """The period as dates and as the timestamp range [lo, hi) of its tickets."""
    return {
        "start": period.start,
        "end": period.end,
        "lo": _midnight(period.start),
        "hi": _midnight(period.end + timedelta(days=1)),
    }


def expiry_month(period: Period) -> Period:
    """The expiring list run at the end of the period (as-of E) for the month after it."""
    return month_after(period.end)


def latest_count_date(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute("select max(count_date) from gift_counts").fetchall()[0][0]


def _spend_bands_params(period: Period, by_store: bool) -> Params:
    edges = {f"edge{i}": edge for i, edge in enumerate(SPEND_EDGES, 1)}
    return {**_range(period), "by_store": by_store, **edges}


def _demographics_params(period: Period, by_store: bool) -> Params:
    end = period.end
    ages = {f"age{i}": edge for i, edge in enumerate(AGE_EDGES, 1)}
    yyyymmdd = end.year * 10000 + end.month * 100 + end.day
    params = {**_range(period), "by_store": by_store, "end_yyyymmdd": yyyymmdd, **ages}
    del params["start"]  # ages are at E; duckdb refuses a parameter the query does not use
    return params


def _spending_power_params(period: Period, by_store: bool) -> Params:
    current, yoy, mom = _range(period), _range(period.years_back(1)), period.previous()
    return {
        **current,
        "by_store": by_store,
        "yoy_lo": yoy["lo"],
        "yoy_hi": yoy["hi"],
        # no MoM for a year: the second scan then starts at the period and MoM stays null
        "mom_lo": _midnight(mom.start) if mom else current["lo"],
    }


def _churn_params(period: Period, by_store: bool) -> Params:
    days = timedelta(days=INACTIVE_DAYS)
    return {
        **_range(period),
        "by_store": by_store,
        "inactive_days": INACTIVE_DAYS,
        "year_lo": _midnight(period.end - timedelta(days=364)),
        "lapsed_by": period.end - days,
        "newly_from": period.start - days,
    }


def _expiring_params(period: Period, by_store: bool) -> Params:
    listed = expiry_month(period)
    return {
        "start": listed.start,
        "end": listed.end,
        "as_of_hi": _midnight(period.end + timedelta(days=1)),
        "earliest": _midnight(listed.start.replace(year=listed.start.year - 1)),
        "min_visits": MIN_VISITS,
        "min_spend": MIN_SPEND,
    }


def _gifts_params(period: Period, by_store: bool) -> Params:
    return {"tolerance": 0}


def _keys(*names: str) -> Callable[[Row], tuple]:
    return lambda row: tuple(row[name] for name in names)


def _band_figures(row: Row) -> tuple:
    bands = row["bands"]
    return (
        row["scope"],
        row["members_total"],
        row["active_members"],
        row["active_share"],
        *(b["members"] for b in bands),
        *(b["share"] for b in bands),
    )


def _demographic_figures(row: Row) -> tuple:
    groups = [*row["gender"], *row["age_bands"]]
    return (
        row["scope"],
        row["active_members"],
        *(g["members"] for g in groups),
        *(g["share"] for g in groups),
    )


@dataclass(frozen=True)
class Baseline:
    sql: str
    params: Callable[[Period, bool], Params]
    figures: Callable[[Row], tuple]  # memberkit's row -> the baseline's columns, in order
    scoped: bool = True  # False: one list (per store/location rows already), no --by


SPENDING_POWER_KEYS = (
    "scope sales member_sales tickets member_tickets active_members member_items target "
    "sales_completion_rate sales_yoy sales_mom member_sales_share member_sales_yoy "
    "member_sales_mom member_basket_value member_basket_value_yoy member_basket_value_mom "
    "member_ticket_share member_tickets_yoy member_tickets_mom member_frequency "
    "member_attach_rate"
).split()
CHURN_KEYS = (
    "scope base_members lapsed_members churn_rate lapsed_spend_share newly_lapsed returned "
    "lapsed_spend_365d base_spend_365d"
).split()
EXPIRING_KEYS = (
    "store_id member_id name phone join_date expiry_date visits spend visits_short spend_short"
).split()
GIFT_KEYS = (
    "location count_date gift_id book_qty counted_qty variance variance_value status"
).split()

BASELINES: dict[str, Baseline] = {
    "spend-bands": Baseline(SPEND_BANDS, _spend_bands_params, _band_figures),
    "demographics": Baseline(DEMOGRAPHICS, _demographics_params, _demographic_figures),
    "spending-power": Baseline(SPENDING_POWER, _spending_power_params, _keys(*SPENDING_POWER_KEYS)),
    "churn": Baseline(CHURN, _churn_params, _keys(*CHURN_KEYS)),
    "expiring": Baseline(EXPIRING, _expiring_params, _keys(*EXPIRING_KEYS), scoped=False),
    "gifts-reconcile": Baseline(GIFTS_RECONCILE, _gifts_params, _keys(*GIFT_KEYS), scoped=False),
    "grades": Baseline(hm.GRADES, hm.grades_params, hm.grade_figures),
    "new-members": Baseline(hm.NEW_MEMBERS, hm.new_members_params, _keys(*hm.NEW_MEMBER_KEYS)),
    "churn-list": Baseline(
        hm.CHURN_LIST, hm.churn_list_params, _keys(*hm.CHURN_LIST_KEYS), scoped=False
    ),
    "callbacks": Baseline(
        hm.CALLBACKS, hm.callbacks_params, _keys(*hm.CALLBACK_KEYS), scoped=False
    ),
}

ANALYSES = {
    "spend-bands": analyses.spend_bands,
    "demographics": analyses.demographics,
    "spending-power": analyses.spending_power,
    "churn": analyses.churn,
    "churn-list": analyses.churn_list,
    "grades": members.grades,
    "new-members": members.new_members,
    "callbacks": callbacks.call_backs,
}


def _baseline_query(
    con: duckdb.DuckDBPyConnection, name: str, period: Period, by_store: bool
) -> tuple[list[str], list[tuple]]:
    baseline = BASELINES[name]
    cursor = con.execute(baseline.sql, baseline.params(period, by_store))
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def run_baseline(
    con: duckdb.DuckDBPyConnection, name: str, period: Period, by_store: bool
) -> list[tuple]:
    return _baseline_query(con, name, period, by_store)[1]


def memberkit_report(
    con: duckdb.DuckDBPyConnection, name: str, period: Period, by_store: bool
) -> list[Row]:
    """memberkit's own report, in process, with the defaults the baseline uses."""
    if name == "expiring":
        return expiring_members(con, period.end, expiry_month(period)).rows
    if name == "gifts-reconcile":
        return gifts.reconcile(con, None, latest_count_date(con)).rows
    return ANALYSES[name](con, period, Scope(by="store" if by_store else None)).rows


def _same(a: object, b: object) -> bool:
    """Ratios (floats) within 1e-9; money, counts, dates and text exactly; None only as None."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, float) or isinstance(b, float):
        return False  # a ratio on one side and money or a count on the other
    return a == b


def check(con: duckdb.DuckDBPyConnection, name: str, period: Period, by_store: bool) -> int:
    """Stop with AssertionError unless memberkit and the hand-written query give the same
    figures; the number of rows."""
    where = f"{name} {period.label} {'--by store' if by_store else 'company'}"
    ours = memberkit_report(con, name, period, by_store)
    columns, theirs = _baseline_query(con, name, period, by_store)
    expected = [BASELINES[name].figures(row) for row in ours]
    if len(expected) != len(theirs):
        raise AssertionError(
            f"{where}: memberkit gives {len(expected)} rows, the hand-written query "
            f"{len(theirs)} (first keys {[r[0] for r in expected[:5]]} vs "
            f"{[r[0] for r in theirs[:5]]})"
        )
    for number, (mine, hand) in enumerate(zip(expected, theirs, strict=True)):
        for column, a, b in zip(columns, mine, hand, strict=True):
            if not _same(a, b):
                raise AssertionError(
                    f"{where}: row {number} ({mine[0]}), {column}: "
                    f"memberkit {a!r} != hand-written {b!r}"
                )
    return len(expected)


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    period = parse_month(args.month)
    con = db.connect(args.db, read_only=True)
    prepare_connection(con)
    print(f"## memberkit vs hand-written DuckDB, {period.label}, median of {args.repeat}")
    failed = 0
    for name, baseline in BASELINES.items():
        for by_store in (False, True):
            label = f"{name} {'--by store' if by_store else 'company'}"
            if by_store and not baseline.scoped:
                print(f"--   {label:<28} n/a: one list for all stores (rows carry the store)")
                continue
            try:
                check(con, name, period, by_store)
            except AssertionError as exc:
                failed += 1
                print(f"FAIL {exc}")
                continue
            call = (con, name, period, by_store)
            kit = median_seconds(partial(memberkit_report, *call), args.repeat)
            hand = median_seconds(partial(run_baseline, *call), args.repeat)
            print(
                f"OK   {label:<28} memberkit {kit:8.4f} s   hand-written {hand:8.4f} s   "
                f"x{kit / hand:5.2f}"
            )
    con.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
