-- 礼品申请审批汇总 (SPEC 5.14 --summary): per location, the requests as known on $as_of by
-- status, and their value at the gifts' unit cost (a gift without a cost adds nothing).
-- Parameters: $as_of, $location (null: every location), $region (null: every region).

with requests as (
    from mk_gift_requests($as_of::date, $location, $region)
),

final as (
    select
        location,
        count(*) as requests,
        count(*) filter (where status = 'pending') as pending,
        count(*) filter (where status = 'refused') as refused,
        count(*) filter (where status = 'open') as open,
        count(*) filter (where status = 'done') as done,
        count(*) filter (where status in ('over_delivered', 'unapproved_delivery')) as problems,
        sum(requested_qty * coalesce(unit_cost, 0)) as requested_value,
        sum(coalesce(approved_qty, 0) * coalesce(unit_cost, 0)) as approved_value,
    from requests
    group by location
)

select * from final
order by location
