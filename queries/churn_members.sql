-- Per member of the scope (by home store): the churn facts of SPEC 5.4, used by both the
-- churn figures (churn.sql) and the call-back list (churn_list.sql).
-- Parameters: $start, $end, $inactive_days, $store, $region, $by.
-- Tickets (amount > 0) in any store count; those after $end are ignored, so a past
-- period's report does not change when newer exports arrive.
-- Read from the summaries (ticket_months): the ticket days of their day masks give the last,
-- first and previous ticket dates exactly; the 365 days' spend and tickets take whole months
-- from them and the window's edge days (a 29 February inside it) from the tickets.
create or replace temp macro mk_churn_members(p_start, p_end, p_inactive_days, p_store, p_region, p_by) as table
    with scope_members as (
        select m.member_id, m.name, m.phone, m.store_id, st.unit, k.member_key,
            mk_on_file(m.join_date, m.expiry_date, p_start, p_end) as on_file,
        from members m
        join mk_scope_stores(p_store, p_region, p_by) st on st.store_id = m.store_id
        left join member_keys k on k.member_id = m.member_id
    ),
    -- every member's history first (one pass over the summaries, by integer key), then the
    -- scope's members
    history as (
        select
            member_key,
            -- ticket days up to $end; from $start; before $start
            max(mk_day_key(month, ticket_days & mk_days_upto(month, p_end))) as last_key,
            min(mk_first_day_key(
                month, ticket_days & mk_days_upto(month, p_end) & mk_days_from(month, p_start)
            )) as first_in_period_key,
            max(mk_day_key(month, ticket_days & mk_days_upto(month, p_start - 1)))
                as last_before_period_key,
            sum(net_amount) filter (where mk_whole_month(month, p_end - 364, p_end))
                as spend_whole_months,
            sum(tickets) filter (where mk_whole_month(month, p_end - 364, p_end))
                as tickets_whole_months,
        from ticket_months
        where member_key is not null and month <= p_end
        group by member_key
    ),
    edges as (
        from mk_window_edges(p_end - 364, p_end)
    ),
    facts as (
        select
            h.member_key,
            mk_key_last_date(h.last_key) as last_ticket_date,
            mk_key_first_date(h.first_in_period_key) as first_in_period,
            mk_key_last_date(h.last_before_period_key) as last_before_period,
            coalesce(h.spend_whole_months, 0) + coalesce(e.net_amount, 0) as spend_365d,
            (coalesce(h.tickets_whole_months, 0) + coalesce(e.tickets, 0))::bigint as tickets_365d,
        from history h
        left join edges e on e.member_key = h.member_key
    )
    select
        s.unit, s.member_id, s.name, s.phone, s.store_id, s.on_file,
        f.last_ticket_date,
        s.on_file and f.last_ticket_date is not null as is_base,
        s.on_file and f.last_ticket_date <= p_end - p_inactive_days as is_lapsed,
        s.on_file and f.last_ticket_date
            between p_start - p_inactive_days and p_end - p_inactive_days as is_newly_lapsed,
        f.first_in_period is not null
            and date_diff('day', f.last_before_period, f.first_in_period) > p_inactive_days
            as is_returned,
        coalesce(f.spend_365d, 0) as spend_365d,
        coalesce(f.tickets_365d, 0) as tickets_365d,
        date_diff('day', f.last_ticket_date, p_end) as days_since,
    from scope_members s
    left join facts f on f.member_key = s.member_key;
