-- 流失风险 (SPEC 5.11): the BG/NBD inputs of every member with a purchase day up to $end,
-- one row per member, aggregated here so Python only sees arrays.
-- Parameters: $end, $store, $region, $by.
-- A purchase day is a day with a ticket (amount > 0) or a zero-amount sale that handed over
-- goods (item_qty > 0: points redemption, fully couponed); several on one day are one purchase.
-- Refunds make no purchase day and cancel none; they lower the net amount. Every member of the
-- members table is in the data the model is fitted on; `unit` is null outside the scope.
with member_days as (
    select
        member_id,
        txn_time::date as day,
        bool_or(amount > 0 or (amount = 0 and item_qty > 0)) as is_purchase,
        count(*) filter (where amount > 0) as tickets,
        sum(amount) as net_amount,
    from transactions
    where member_id is not null and txn_time < $end::date + interval 1 day
    group by member_id, day
),

histories as (
    select
        member_id,
        count(*) filter (where is_purchase) - 1 as x,
        min(day) filter (where is_purchase) as first_day,
        max(day) filter (where is_purchase) as last_day,
        sum(tickets) as tickets,
        sum(net_amount) as net_amount,
    from member_days
    group by member_id
    having count(*) filter (where is_purchase) > 0
)

select
    m.member_id,
    m.store_id,
    s.unit,
    h.x,
    -- in days; weeks are days / 7 (the paper's T = 38.86 for a 1997-01-01 first purchase and
    -- E = 1997-09-30: 272 days)
    h.last_day - h.first_day as t_x_days,
    $end::date - h.first_day as T_days,
    -- net spend per ticket (member_basket_value of SPEC 5.3); null without a paid ticket
    mk_ratio(h.net_amount, h.tickets)::double as avg_ticket_amount,
from histories h
join members m on m.member_id = h.member_id
left join mk_scope_stores($store, $region, $by) s on s.store_id = m.store_id
order by m.member_id
