-- 流失会员回访名单 (SPEC 5.4 --list): the lapsed members to call back, biggest spenders first.
-- Parameters: $start, $end, $inactive_days, $store, $region.

with churn_members as (
    from mk_churn_members($start::date, $end::date, $inactive_days, $store, $region, null)
),

final as (
    select
        member_id, name, phone, store_id, last_ticket_date, days_since, spend_365d, tickets_365d,
    from churn_members
    where is_lapsed
)

select * from final
order by spend_365d desc, last_ticket_date desc, member_id
