-- 礼品申请审批表 (SPEC 5.14): the requests dated on or before $as_of, each with its decision
-- as known that day, what was delivered by then and its status (queries/gift_requests_known.sql).
-- Parameters: $as_of, $location (null: every location), $region (null: every region).

with final as (
    select * exclude (unit_cost)
    from mk_gift_requests($as_of::date, $location, $region)
)

select * from final
order by location, request_date, request_id
