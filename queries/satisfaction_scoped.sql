-- The satisfaction survey responses of a scope dated in a period, as the satisfaction reports
-- read them (SPEC 5.12). Loaded as a temporary macro by reports/satisfaction.py.
--
-- A response belongs to its store (the store it was about), as a complaint does: a store id
-- known only from surveys still belongs to the company; it has no region, so a region scope
-- leaves it out and --by region puts it under '(no region)'.
create or replace temp macro mk_surveys(p_start, p_end, p_store, p_region, p_by) as table
    with scope_stores as (
        from mk_scope_stores(p_store, p_region, p_by)
    )
    select
        r.*,
        coalesce(
            s.unit,
            case p_by
                when 'store' then r.store_id
                when 'region' then '(no region)'
                else coalesce(p_store, 'ALL')
            end
        ) as store_unit,
    from surveys r
    left join scope_stores s on s.store_id = r.store_id
    where r.survey_date between p_start::date and p_end::date
      and (s.store_id is not null or (p_region is null and coalesce(r.store_id = p_store, true)));
