-- 会员消费力分析 (SPEC 5.3): base figures for the period and for its YoY and MoM bases, then
-- the fourteen figures. The three periods go through the same CTEs; nothing is copied.
-- Parameters: $start, $end, $yoy_start, $yoy_end, $mom_start, $mom_end (null for a year),
-- $store, $region, $by.

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

period_transactions as (
    select p.period, st.unit, t.member_id, t.amount, t.item_qty
    from transactions t
    join scope_stores st on st.store_id = t.store_id
    join periods p
        on t.txn_time >= p.period_start::timestamp
        and t.txn_time < p.period_end::timestamp + interval 1 day
    where t.txn_time >= least($start::date, $yoy_start::date, coalesce($mom_start::date, $start::date))::timestamp
      and t.txn_time < $end::timestamp + interval 1 day
),

base_figures as (
    select
        period,
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        sum(amount) as sales,
        coalesce(sum(amount) filter (where member_id is not null), 0) as member_sales,
        count(*) filter (where amount > 0) as tickets,
        count(*) filter (where amount > 0 and member_id is not null) as member_tickets,
        count(distinct member_id) filter (where amount > 0) as active_members,
        coalesce(sum(item_qty) filter (where member_id is not null), 0) as member_items,
    from period_transactions
    group by grouping sets ((period, unit), (period))
    having grouping(unit) = 0 or $by is not null
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
