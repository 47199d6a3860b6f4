-- 流失风险 (SPEC 5.11): E's month up to E, from its tickets, when E is not the month's last
-- day (the summaries hold whole months): per member, the same figures as churn_risk_months.
-- A purchase day is a day with a ticket (amount > 0) or a zero-amount sale with items
-- (points redemption); refunds make none and lower the net amount.
-- Parameters: $edge_start (E's month), $end (E).
with days as (
    select
        member_id,
        coalesce(
            bit_or(1 << (day(txn_time) - 1)) filter (
                where amount > 0 or (amount = 0 and item_qty > 0)
            ),
            0
        )::integer as days,
        count(*) filter (where amount > 0) as tickets,
        (sum(amount) * 100)::bigint as net_cents,
    from transactions
    where member_id is not null
        and txn_time >= $edge_start::date
        and txn_time < $end::date + interval 1 day
    group by member_id
)

select k.member_key, d.days, d.tickets, d.net_cents
from days d
join member_keys k on k.member_id = d.member_id
