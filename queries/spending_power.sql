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

-- Per period, unit and member (null: the tickets without one), from the month summaries: the
-- periods are whole months and do not overlap, so one pass over their rows, summed over
-- loads and months, gives the tickets' figures exactly. The figures below add these up per
-- unit and, with --by, over the scope (ALL), where a member counts once.
member_figures as (
    select p.period, st.unit, s.member_key,
        sum(s.net_amount) as sales,
        sum(s.tickets) as tickets,
        sum(s.items) as items,
    from ticket_months s
    join periods p on s.month between p.period_start and p.period_end
    join scope_stores st on st.store_id = s.store_id
    group by all
),

unit_figures as (
    select
        period,
        unit as scope,
        sum(sales) as sales,
        coalesce(sum(sales) filter (where member_key is not null), 0) as member_sales,
        sum(tickets) as tickets,
        coalesce(sum(tickets) filter (where member_key is not null), 0) as member_tickets,
        count(*) filter (where member_key is not null and tickets > 0) as active_members,
        coalesce(sum(items) filter (where member_key is not null), 0) as member_items,
    from member_figures
    group by period, unit
),

-- The ALL row of --by: the units' sums, and each active member once however many units.
scope_active_members as (
    select period, count(distinct member_key) as active_members,
    from member_figures
    where $by is not null and member_key is not null and tickets > 0
    group by period
),

base_figures as (
    from unit_figures
    union all
    select
        u.period, 'ALL', sum(u.sales), sum(u.member_sales), sum(u.tickets),
        sum(u.member_tickets), coalesce(any_value(a.active_members), 0), sum(u.member_items),
    from unit_figures u
    left join scope_active_members a on a.period = u.period
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
