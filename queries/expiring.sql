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

expiring_keys as (
    select k.member_key, k.member_id, e.card_year_start,
    from expiring e
    join member_keys k on k.member_id = e.member_id
),

-- the months wholly inside a member's card year, from the summaries (the first bound only
-- narrows the months read: no card year starts before the expiry month's year-ago month)
card_year_months as (
    select x.member_id, sum(t.tickets) as visits, sum(t.net_amount) as spend,
    from ticket_months t
    join expiring_keys x on x.member_key = t.member_key
    where mk_whole_month(t.month, x.card_year_start, $as_of::date)
      and t.month >= date_trunc('month', $start::date - interval 1 year)::date
      and t.month <= $as_of::date
    -- by id, not key: a few expiring members' keys are spread over every key, which would
    -- make the grouping by key index an array as long as all the keys
    group by x.member_id
),

-- the days of its partial months, from those members' tickets: they lie in the month the
-- card year starts in (within a year before the expiry month) or in the as-of month, bounds
-- that let the time-ordered tickets skip every other month
card_year_edges as (
    select
        x.member_id,
        count(*) filter (where t.amount > 0) as visits,
        sum(t.amount) as spend,
    from transactions t
    join expiring_keys x on x.member_id = t.member_id
    where mk_edge_ticket(t.txn_time, x.card_year_start, $as_of::date)
      and (
          (t.txn_time >= date_trunc('month', $start::date - interval 1 year)
              and t.txn_time < date_trunc('month', $end::date - interval 1 year)
                  + interval 1 month)
          or (t.txn_time >= date_trunc('month', $as_of::date)
              and t.txn_time < $as_of::date + interval 1 day)
      )
    group by x.member_id
),

card_year as (
    select
        x.member_id,
        (coalesce(m.visits, 0) + coalesce(g.visits, 0))::bigint as visits,
        coalesce(m.spend, 0) + coalesce(g.spend, 0) as spend,
    from expiring_keys x
    left join card_year_months m on m.member_id = x.member_id
    left join card_year_edges g on g.member_id = x.member_id
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
