-- 会员消费力分析 (SPEC 5.3): base figures for the period and for its YoY and MoM bases, then
-- the fourteen figures. The three periods go through the same CTEs; nothing is copied.
-- Parameters: $start, $end, $yoy_start, $yoy_end, $mom_start, $mom_end (null for a year),
-- $store, $region, $by. Each period is whole months (dates: its first and last day).

with scope_stores as (
    from mk_scope_stores($store, $region, $by)
),

periods as (
    select * from (values
        ('current', $start::date, $end::date),
        ('yoy', $yoy_start::date, $yoy_end::date),
        ('mom', $mom_start::date, $mom_end::date)
    ) p(period, period_start, period_end)
    where period_start is not null
),

-- Each period's rows of the month summaries, by its own months: the periods are whole
-- months, so their rows, summed over loads and months, give the tickets' figures exactly.
period_months as (
    select 'current' as period, store_id, member_key, net_amount, tickets, items
    from ticket_months
    where month between $start::date and $end::date
    union all
    select 'yoy', store_id, member_key, net_amount, tickets, items
    from ticket_months
    where month between $yoy_start::date and $yoy_end::date
    union all
    select 'mom', store_id, member_key, net_amount, tickets, items
    from ticket_months
    where month between $mom_start::date and $mom_end::date
),

-- Per period and unit: the sums need no grouping by member (member_key null: the tickets
-- without one).
unit_sums as (
    select
        p.period,
        st.unit as scope,
        sum(p.net_amount) as sales,
        coalesce(sum(p.net_amount) filter (where p.member_key is not null), 0) as member_sales,
        sum(p.tickets) as tickets,
        coalesce(sum(p.tickets) filter (where p.member_key is not null), 0) as member_tickets,
        coalesce(sum(p.items) filter (where p.member_key is not null), 0) as member_items,
    from period_months p
    join scope_stores st on st.store_id = p.store_id
    group by p.period, st.unit
),

-- Active members (a ticket in the period) of the current period, the only one whose count
-- a figure uses (member_frequency): per unit, and with --by over the scope (ALL), where a
-- member counts once however many units. tickets is a count, so a member's tickets summed
-- over the rows are > 0 exactly when one row's are. (Read apart from period_months: a CTE
-- read twice is materialized, every row of the three periods, 2 GB for a year at 100M.)
active_keys as (
    select st.unit, s.member_key,
    from ticket_months s
    join scope_stores st on st.store_id = s.store_id
    where s.month between $start::date and $end::date
      and s.member_key is not null
      and s.tickets > 0
    group by st.unit, s.member_key
),

active_members as (
    select unit as scope, count(*) as active_members, from active_keys group by unit
    union all
    select 'ALL' as scope, count(distinct member_key), from active_keys
    where $by is not null
    group by scope  -- no row at all without --by (an aggregate alone would give one)
),

unit_figures as (
    select u.period, u.scope, u.sales, u.member_sales, u.tickets, u.member_tickets,
        case when u.period = 'current' then coalesce(a.active_members, 0) end
            as active_members,
        u.member_items,
    from unit_sums u
    left join active_members a on a.scope = u.scope and u.period = 'current'
),

-- The ALL row of --by: the units' sums, and its own count of active members.
base_figures as (
    from unit_figures
    union all
    select
        u.period, 'ALL', sum(u.sales), sum(u.member_sales), sum(u.tickets),
        sum(u.member_tickets),
        case when u.period = 'current' then coalesce(any_value(a.active_members), 0) end,
        sum(u.member_items),
    from unit_sums u
    left join active_members a on a.scope = 'ALL' and u.period = 'current'
    where $by is not null
    group by u.period
),

-- Targets exist per store and month; a scope without any target row has none (null).
period_targets as (
    select
        p.period,
        case when grouping(st.unit) = 1 then 'ALL' else st.unit end as scope,
        sum(g.target_amount) as target,
    from targets g
    join scope_stores st on st.store_id = g.store_id
    join periods p on g.month between p.period_start and p.period_end
    group by grouping sets ((p.period, st.unit), (p.period))
    having grouping(st.unit) = 0 or $by is not null
),

figures as (
    select
        u.unit as scope,
        p.period,
        coalesce(b.sales, 0) as sales,
        coalesce(b.member_sales, 0) as member_sales,
        coalesce(b.tickets, 0) as tickets,
        coalesce(b.member_tickets, 0) as member_tickets,
        coalesce(b.active_members, 0) as active_members,
        coalesce(b.member_items, 0) as member_items,
        g.target,
        mk_ratio(b.member_sales, b.member_tickets) as member_basket_value,
    from mk_scope_units($store, $region, $by) u
    cross join periods p
    left join base_figures b on b.scope = u.unit and b.period = p.period
    left join period_targets g on g.scope = u.unit and g.period = p.period
),

final as (
    select
        c.scope,
        c.sales,
        c.member_sales,
        c.tickets,
        c.member_tickets,
        c.active_members,
        c.member_items,
        c.target,
        mk_ratio(c.sales, c.target) as sales_completion_rate,
        mk_growth(c.sales, y.sales) as sales_yoy,
        mk_growth(c.sales, m.sales) as sales_mom,
        mk_ratio(c.member_sales, c.sales) as member_sales_share,
        mk_growth(c.member_sales, y.member_sales) as member_sales_yoy,
        mk_growth(c.member_sales, m.member_sales) as member_sales_mom,
        c.member_basket_value,
        mk_growth(c.member_basket_value, y.member_basket_value) as member_basket_value_yoy,
        mk_growth(c.member_basket_value, m.member_basket_value) as member_basket_value_mom,
        mk_ratio(c.member_tickets, c.tickets) as member_ticket_share,
        mk_growth(c.member_tickets, y.member_tickets) as member_tickets_yoy,
        mk_growth(c.member_tickets, m.member_tickets) as member_tickets_mom,
        mk_ratio(c.member_tickets, c.active_members) as member_frequency,
        mk_ratio(c.member_items, c.member_tickets) as member_attach_rate,
    from figures c
    left join figures y on y.scope = c.scope and y.period = 'yoy'
    left join figures m on m.scope = c.scope and m.period = 'mom'
    where c.period = 'current'
)

select * from final
order by scope = 'ALL', scope
