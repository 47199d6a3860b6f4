-- 客户投诉处理 (SPEC 5.8; handbook 1.5: reply within 24 hours, resolve within 48): per scope
-- unit, the complaints received in the period and how they were handled.
-- Parameters: $start, $end, $store, $region, $by (store | region), $by_field (category |
-- channel: one row per value, a missing one is '(none)').

with received as (
    select
        *,
        case $by_field
            when 'category' then coalesce(category, '(none)')
            when 'channel' then coalesce(channel, '(none)')
            else store_unit
        end as unit,
        date_diff('second', received_at, answered_at) / 3600 as hours_to_reply,
        date_diff('second', received_at, resolved_at) / 3600 as hours_to_resolve,
    from mk_complaints($start::date, $end::date, $store, $region, $by)
),

unit_figures as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        count(*) as complaints,
        -- "within 24 hours" includes 24:00:00 exactly
        count(*) filter (where answered_at <= received_at + interval 24 hour) as replied_24h,
        count(*) filter (where resolved_at <= received_at + interval 48 hour) as resolved_48h,
        median(hours_to_reply) as median_hours_to_reply,
        median(hours_to_resolve) as median_hours_to_resolve,
        count(*) filter (where is_open) as open,
        count(*) filter (where is_overdue) as overdue,
        count(satisfaction) as rated,
        count(*) filter (where satisfaction in ('满意', '4', '5')) as satisfied,
    from received
    group by grouping sets ((unit), ())
    having grouping(unit) = 0 or $by is not null or $by_field is not null
),

-- Every store or region of the scope has a row, with or without complaints; categories and
-- channels are those the period's complaints name.
units as (
    select unit from mk_scope_units($store, $region, $by) where $by_field is null
    union
    select coalesce($store, $region, 'ALL') where $by is null and $by_field is null
    union
    select distinct unit from received
    union
    select 'ALL' where $by is not null or $by_field is not null
),

final as (
    select
        u.unit as scope,
        coalesce(f.complaints, 0) as complaints,
        coalesce(f.replied_24h, 0) as replied_24h,
        mk_ratio(f.replied_24h, f.complaints) as replied_24h_rate,
        coalesce(f.resolved_48h, 0) as resolved_48h,
        mk_ratio(f.resolved_48h, f.complaints) as resolved_48h_rate,
        f.median_hours_to_reply,
        f.median_hours_to_resolve,
        coalesce(f.open, 0) as open,
        coalesce(f.overdue, 0) as overdue,
        coalesce(f.rated, 0) as rated,
        coalesce(f.satisfied, 0) as satisfied,
        mk_ratio(f.satisfied, f.rated) as satisfied_rate,
    from units u
    left join unit_figures f on f.scope = u.unit
)

select * from final
order by scope = 'ALL', scope
