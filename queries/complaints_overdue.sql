-- 超时未处理投诉 (SPEC 5.8 --overdue): the period's complaints still open at the end of E and
-- received more than 48 hours before it, oldest first, for follow-up. The same complaints
-- the overdue figure counts. Parameters: $start, $end, $store, $region.

with overdue as (
    from mk_complaints($start::date, $end::date, $store, $region, null)
    where is_overdue
),

final as (
    select
        complaint_id,
        store_id,
        member_id,
        channel,
        category,
        strftime(received_at, '%Y-%m-%d %H:%M:%S') as received_at,
        date_diff('second', received_at, $end::date + interval 1 day) / 3600 as hours_open,
        strftime(replied_at, '%Y-%m-%d %H:%M:%S') as replied_at,
    from overdue
)

-- the times as text sort as the times do
select * from final
order by received_at, complaint_id
