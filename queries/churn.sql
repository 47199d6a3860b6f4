-- 会员流失分析 (SPEC 5.4): base, lapsed, newly lapsed and returned members, churn rate and
-- the lapsed members' share of the last 365 days' spend.
-- Parameters: $start, $end, $inactive_days, $store, $region, $by.

with churn_members as (
    from mk_churn_members($start::date, $end::date, $inactive_days, $store, $region, $by)
),

unit_figures as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        count(*) filter (where is_base) as base_members,
        count(*) filter (where is_lapsed) as lapsed_members,
        count(*) filter (where is_newly_lapsed) as newly_lapsed,
        count(*) filter (where is_returned) as returned,
        sum(spend_365d) filter (where is_lapsed) as lapsed_spend_365d,
        sum(spend_365d) filter (where is_base) as base_spend_365d,
    from churn_members
    group by grouping sets ((unit), ())
    having grouping(unit) = 0 or $by is not null
),

final as (
    select
        u.unit as scope,
        coalesce(f.base_members, 0) as base_members,
        coalesce(f.lapsed_members, 0) as lapsed_members,
        mk_ratio(f.lapsed_members, f.base_members) as churn_rate,
        mk_ratio(coalesce(f.lapsed_spend_365d, 0), f.base_spend_365d) as lapsed_spend_share,
        coalesce(f.newly_lapsed, 0) as newly_lapsed,
        coalesce(f.returned, 0) as returned,
        coalesce(f.lapsed_spend_365d, 0) as lapsed_spend_365d,
        coalesce(f.base_spend_365d, 0) as base_spend_365d,
    from mk_scope_units($store, $region, $by) u
    left join unit_figures f on f.scope = u.unit
)

select * from final
order by scope = 'ALL', scope
