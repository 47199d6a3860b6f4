-- 会员回访名单 (SPEC 5.9, handbook 6.3 会员售后回访): the members to phone this period, in
-- three kinds: after a large purchase (after_sale), after joining (new), after lapsing (lapsed).
-- Parameters: $start, $end, $store, $region, $min_amount, $inactive_days, $per_store (null:
-- no cap), $kinds (the kinds wanted).
-- Members come from the members table only (a call needs a home store and a phone), scoped by
-- home store; their tickets count in any store. A member appears at most once per kind.

with scope_members as (
    select m.member_id, m.name, m.phone, m.store_id, m.join_date,
    from members m
    join mk_scope_stores($store, $region, null) st on st.store_id = m.store_id
),

period_tickets as (
    select t.member_id, t.txn_id, t.txn_time, t.amount,
    from transactions t
    join scope_members s on s.member_id = t.member_id
    where t.amount > 0
      and t.txn_time >= $start::date::timestamp
      and t.txn_time < $end::date::timestamp + interval 1 day
),

-- each member's largest ticket of the period (equal largest: the earliest, then the lowest
-- txn_id), listed when it reaches the threshold
after_sale as (
    select 'after_sale' as kind, member_id, txn_time::date as reason_date, amount as reason_amount,
    from period_tickets
    qualify row_number() over (
        partition by member_id order by amount desc, txn_time, txn_id
    ) = 1 and amount >= $min_amount::decimal(18, 2)
),

-- a member who joined in the period: the first ticket of the period
new_members as (
    select 'new' as kind, t.member_id, t.txn_time::date as reason_date, t.amount as reason_amount,
    from period_tickets t
    join scope_members s on s.member_id = t.member_id
    where s.join_date between $start::date and $end::date
    qualify row_number() over (partition by t.member_id order by t.txn_time, t.txn_id) = 1
),

-- the churn call-back list of SPEC 5.4 (what `memberkit churn --list` prints)
lapsed as (
    select 'lapsed' as kind, member_id, last_ticket_date as reason_date,
        spend_365d as reason_amount,
    from mk_churn_members($start::date, $end::date, $inactive_days, $store, $region, null)
    where is_lapsed
),

reasons as (
    select * from after_sale
    union all select * from new_members
    union all select * from lapsed
),

listed as (
    select
        r.kind,
        s.store_id,
        r.member_id,
        s.name,
        s.phone,
        r.reason_date,
        r.reason_amount::decimal(18, 2) as reason_amount,
        -- the rank within the store's list of this kind: the highest amounts first; equal
        -- amounts the most recent first, then by member id, so a cap keeps exactly N rows
        row_number() over (
            partition by r.kind, s.store_id
            order by r.reason_amount desc, r.reason_date desc, r.member_id
        ) as store_rank,
    from reasons r
    join scope_members s on s.member_id = r.member_id
    where list_contains($kinds::varchar[], r.kind)
),

final as (
    select kind, store_id, member_id, name, phone, reason_date, reason_amount,
    from listed
    where $per_store::integer is null or store_rank <= $per_store::integer
)

select * from final
order by
    list_position(['after_sale', 'new', 'lapsed'], kind),
    store_id,
    reason_amount desc,
    reason_date desc,
    member_id
