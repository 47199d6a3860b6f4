-- 到期会员名单 (SPEC 5.5): members whose card expires in the month and who have not earned
-- next year's fee waiver (min_visits tickets or min_spend net sales in the card year
-- [expiry_date - 1 year, as_of], tickets in any store).
-- Parameters: $start, $end (the expiry month), $as_of, $min_visits, $min_spend, $store and
-- $region (members by home store; null: the company).

with expiring as (
    select
        member_id, name, phone, store_id, join_date, expiry_date,
        -- 29 February minus a year is 28 February (DuckDB clamps the day)
        (expiry_date - interval 1 year)::date as card_year_start,
    from members m
    join mk_scope_stores($store, $region, null) st using (store_id)
    where expiry_date between $start::date and $end::date
),

card_year as (
    select
        e.member_id,
        count(*) filter (where t.amount > 0) as visits,
        sum(t.amount) as spend,
    from expiring e
    join transactions t on t.member_id = e.member_id
    where t.txn_time >= e.card_year_start::timestamp
      and t.txn_time < $as_of::timestamp + interval 1 day
    group by e.member_id
),

final as (
    select
        e.store_id,
        e.member_id,
        e.name,
        e.phone,
        e.join_date,
        e.expiry_date,
        coalesce(c.visits, 0) as visits,
        coalesce(c.spend, 0)::decimal(18, 2) as spend,
        greatest($min_visits - coalesce(c.visits, 0), 0) as visits_short,
        greatest($min_spend::decimal(18, 2) - coalesce(c.spend, 0), 0)::decimal(18, 2)
            as spend_short,
    from expiring e
    left join card_year c on c.member_id = e.member_id
    where coalesce(c.visits, 0) < $min_visits
      and coalesce(c.spend, 0) < $min_spend::decimal(18, 2)
)

select * from final
order by store_id, expiry_date, member_id
