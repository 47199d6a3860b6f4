-- Per member of the scope (by home store): the churn facts of SPEC 5.4, used by both the
-- churn figures (churn.sql) and the call-back list (churn_list.sql).
-- Parameters: $start, $end, $inactive_days, $store, $region, $by.
-- Tickets (amount > 0) in any store count; those after $end are ignored, so a past
-- period's report does not change when newer exports arrive.
create or replace temp macro mk_churn_members(p_start, p_end, p_inactive_days, p_store, p_region, p_by) as table
    with scope_members as (
        select m.member_id, m.name, m.phone, m.store_id, st.unit,
            mk_on_file(m.join_date, m.expiry_date, p_start, p_end) as on_file,
        from members m
        join mk_scope_stores(p_store, p_region, p_by) st on st.store_id = m.store_id
    ),
    -- every member's history first (one pass over the tickets, no join per ticket), then
    -- the scope's members
    history as (
        select
            member_id,
            -- dates of the latest times: one cast per member, not per ticket
            max(txn_time) filter (where amount > 0)::date as last_ticket_date,
            min(txn_time) filter (where amount > 0 and txn_time >= p_start::timestamp)::date
                as first_in_period,
            max(txn_time) filter (where amount > 0 and txn_time < p_start::timestamp)::date
                as last_before_period,
            coalesce(sum(amount) filter (where txn_time >= (p_end - 364)::timestamp), 0)
                as spend_365d,
            count(*) filter (where amount > 0 and txn_time >= (p_end - 364)::timestamp)
                as tickets_365d,
        from transactions
        where member_id is not null and txn_time < p_end::timestamp + interval 1 day
        group by member_id
    )
    select
        s.unit, s.member_id, s.name, s.phone, s.store_id, s.on_file,
        h.last_ticket_date,
        s.on_file and h.last_ticket_date is not null as is_base,
        s.on_file and h.last_ticket_date <= p_end - p_inactive_days as is_lapsed,
        s.on_file and h.last_ticket_date
            between p_start - p_inactive_days and p_end - p_inactive_days as is_newly_lapsed,
        h.first_in_period is not null
            and h.first_in_period - h.last_before_period > p_inactive_days as is_returned,
        coalesce(h.spend_365d, 0) as spend_365d,
        coalesce(h.tickets_365d, 0) as tickets_365d,
        p_end - h.last_ticket_date as days_since,
    from scope_members s
    left join history h on h.member_id = s.member_id;
