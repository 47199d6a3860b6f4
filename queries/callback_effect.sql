-- 流失会员回访效果 (SPEC 5.13 --effect): did calling the lapsed members bring them back?
-- Parameters: $base_start, $base_end (the month BEFORE the period: its lapsed list is the
-- base and its last day is E0), $inactive_days, $window_days (W), $store, $region, $by.
-- The base is exactly `churn --list` of the base month (the same macro, is_lapsed).
-- called: a `reached` lapsed call dated in [E0 + 1, E0 + 30]; not_called: no lapsed call of
-- any outcome in those days; attempted: lapsed calls there, none reached (in neither group).
-- Calls of other kinds do not count. returned: a ticket (amount > 0) in [E0 + 1, E0 + W], in
-- any store; spend: the member's net sales (refunds included) in those days.

with base as (
    select unit, member_id,
    from mk_churn_members($base_start::date, $base_end::date, $inactive_days, $store, $region, $by)
    where is_lapsed
),

lapsed_calls as (
    select member_id, bool_or(outcome = 'reached') as reached,
    from callback_log
    where kind = 'lapsed'
      and called_at >= ($base_end::date + 1)::timestamp
      and called_at < ($base_end::date + 31)::timestamp
    group by member_id
),

window_sales as (
    select member_id, count(*) filter (where amount > 0) > 0 as returned, sum(amount) as spend,
    from transactions
    where member_id is not null
      and txn_time >= ($base_end::date + 1)::timestamp
      and txn_time < ($base_end::date + 1 + $window_days::integer)::timestamp
    group by member_id
),

grouped as (
    select
        b.unit,
        case
            when c.reached then 'called'
            when c.member_id is null then 'not_called'
            else 'attempted'
        end as call_group,
        coalesce(w.returned, false) as returned,
        coalesce(w.spend, 0) as spend,
    from base b
    left join lapsed_calls c on c.member_id = b.member_id
    left join window_sales w on w.member_id = b.member_id
),

unit_figures as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as unit,
        count(*) as base_members,
        count(*) filter (where call_group = 'called') as called_members,
        count(*) filter (where call_group = 'called' and returned) as called_returned,
        sum(spend) filter (where call_group = 'called') as called_spend,
        count(*) filter (where call_group = 'not_called') as not_called_members,
        count(*) filter (where call_group = 'not_called' and returned) as not_called_returned,
        sum(spend) filter (where call_group = 'not_called') as not_called_spend,
        count(*) filter (where call_group = 'attempted') as attempted_members,
    from grouped
    group by grouping sets ((unit), ())
    having grouping(unit) = 0 or $by is not null
),

units as (
    select unit from mk_scope_units($store, $region, $by)
    union
    select coalesce($store, $region, 'ALL') where $by is null
),

rates as (
    select
        u.unit as scope,
        coalesce(f.base_members, 0) as base_members,
        coalesce(f.called_members, 0) as called_members,
        coalesce(f.called_returned, 0) as called_returned,
        mk_ratio(f.called_returned, f.called_members) as called_return_rate,
        coalesce(f.called_spend, 0)::decimal(18, 2) as called_spend,
        coalesce(f.not_called_members, 0) as not_called_members,
        coalesce(f.not_called_returned, 0) as not_called_returned,
        mk_ratio(f.not_called_returned, f.not_called_members) as not_called_return_rate,
        coalesce(f.not_called_spend, 0)::decimal(18, 2) as not_called_spend,
        coalesce(f.attempted_members, 0) as attempted_members,
    from units u
    left join unit_figures f on f.unit = u.unit
),

-- 95% interval of a difference of two proportions, normal approximation (null when a group
-- is empty: its rate is null)
final as (
    select
        *,
        called_return_rate - not_called_return_rate as uplift,
        1.96 * sqrt(
            called_return_rate * (1 - called_return_rate) / called_members
            + not_called_return_rate * (1 - not_called_return_rate) / not_called_members
        ) as margin,
    from rates
)

select * exclude (margin), uplift - margin as uplift_low, uplift + margin as uplift_high,
from final
order by scope = 'ALL', scope
