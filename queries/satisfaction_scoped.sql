-- The satisfaction survey responses of a scope dated in a period, as the satisfaction reports
-- read them (SPEC 5.12). Loaded as a temporary macro by reports/satisfaction.py.
--
-- A response belongs to its store (the store it was about), as a complaint does; a store
-- known from surveys alone belongs to the company without a region (mk_record_unit).
create or replace temp macro mk_surveys(p_start, p_end, p_store, p_region, p_by) as table
    with scope_stores as (
        from mk_scope_stores(p_store, p_region, p_by)
    )
    select
        r.*,
        mk_record_unit(s.unit, r.store_id, p_store, p_by) as store_unit,
    from surveys r
    left join scope_stores s on s.store_id = r.store_id
    where r.survey_date between p_start::date and p_end::date
      and mk_record_in_scope(s.store_id, r.store_id, p_store, p_region);
