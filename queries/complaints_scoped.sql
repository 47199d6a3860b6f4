-- The complaints of a scope received in a period, as the complaint reports read them
-- (SPEC 5.8). Loaded as a temporary macro by reports/complaints.py.
--
-- A complaint belongs to its store. A store id known only from complaints (no stores row,
-- no tickets, no members) still belongs to the company: it has no region, so a region
-- scope leaves it out and --by region puts it under '(no region)'.
-- answered_at: the first answer the customer had, the reply or else the resolution
-- (resolving a complaint answers it). Replies and resolutions after E still count: the
-- rates describe the complaints received in the period. is_open and is_overdue are as of
-- the end of E (E + 1 day, 00:00).
create or replace temp macro mk_complaints(p_start, p_end, p_store, p_region, p_by) as table
    with scope_stores as (
        from mk_scope_stores(p_store, p_region, p_by)
    )
    select
        c.*,
        mk_record_unit(s.unit, c.store_id, p_store, p_by) as store_unit,
        least(c.replied_at, c.resolved_at) as answered_at,
        c.resolved_at is null
            or c.resolved_at >= p_end::timestamp + interval 1 day as is_open,
        is_open and c.received_at < p_end::timestamp + interval 1 day - interval 48 hour
            as is_overdue,
    from complaints c
    left join scope_stores s on s.store_id = c.store_id
    where c.received_at >= p_start::timestamp
      and c.received_at < p_end::timestamp + interval 1 day
      and mk_record_in_scope(s.store_id, c.store_id, p_store, p_region);
