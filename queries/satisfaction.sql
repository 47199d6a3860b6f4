-- 满意度调查分析 (SPEC 5.12): per scope unit, the survey responses dated in the period, and for
-- each of the five dimensions how many answered it, their mean score and the share satisfied
-- (4 or 5); the overall mean's change against the month before and the year before.
-- Parameters: $start, $end, $mom_start, $mom_end (null for a year: no MoM), $yoy_start,
-- $yoy_end, $store, $region, $by (store | region), $by_field (channel: one row per channel).

with responses as (
    select 'current' as period, * from mk_surveys($start, $end, $store, $region, $by)
    union all
    select 'mom', * from mk_surveys($mom_start, $mom_end, $store, $region, $by)
    union all
    select 'yoy', * from mk_surveys($yoy_start, $yoy_end, $store, $region, $by)
),

unit_responses as (
    select *, case $by_field when 'channel' then channel else store_unit end as unit,
    from responses
),

-- One row per answered score: unpivot leaves out the blanks (not answered).
scores as (
    from unit_responses
    unpivot (score for label in (attitude, efficiency, quality, resolution, overall))
),

-- Per period and unit, and with a split over the whole scope (ALL), where a member surveyed
-- in two units counts once.
response_figures as (
    select
        period,
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        count(*) as responses,
        count(distinct member_id) as members,
    from unit_responses
    group by grouping sets ((period, unit), (period))
    having grouping(unit) = 0 or $by is not null or $by_field is not null
),

score_figures as (
    select
        period,
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        label,
        count(*) as answered,
        avg(score) as mean_score,
        count(*) filter (where score >= 4) as satisfied,
    from scores
    group by grouping sets ((period, unit, label), (period, label))
    having grouping(unit) = 0 or $by is not null or $by_field is not null
),

-- The form's dimensions, in its order.
dimensions as (
    select * from (values
        (1, 'attitude'), (2, 'efficiency'), (3, 'quality'), (4, 'resolution'), (5, 'overall')
    ) d(position, label)
),

-- Every store or region of the scope has a row, with or without responses, and so has each
-- of the four channels; a store known from surveys alone has one when it has responses.
units as (
    select unit from mk_scope_units($store, $region, $by) where $by_field is null
    union
    select coalesce($store, $region, 'ALL') where $by is null and $by_field is null
    union
    select unnest(['phone', 'sms', 'email', 'visit']) where $by_field = 'channel'
    union
    select scope from response_figures where period = 'current'
    union
    select 'ALL' where $by is not null or $by_field is not null
),

unit_dimensions as (
    select
        u.unit as scope,
        list(
            {
                'label': d.label,
                'answered': coalesce(f.answered, 0),
                'mean_score': f.mean_score,
                'satisfied_rate': mk_ratio(f.satisfied, f.answered),
            }
            order by d.position
        ) as dimensions,
    from units u
    cross join dimensions d
    left join score_figures f
        on f.period = 'current' and f.scope = u.unit and f.label = d.label
    group by u.unit
),

-- The mean overall score of each period (null: no overall score was given).
-- (filtered aggregates, one row each, rather than DuckDB's pivot statement, which Spark
-- does not have)
overall_means as (
    select
        scope,
        max(mean_score) filter (where period = 'current') as current,
        max(mean_score) filter (where period = 'mom') as mom,
        max(mean_score) filter (where period = 'yoy') as yoy,
    from score_figures
    where label = 'overall'
    group by scope
),

final as (
    select
        u.scope,
        coalesce(r.responses, 0) as responses,
        coalesce(r.members, 0) as members,
        u.dimensions,
        o.current - o.mom as overall_change_mom,
        o.current - o.yoy as overall_change_yoy,
    from unit_dimensions u
    left join response_figures r on r.period = 'current' and r.scope = u.scope
    left join overall_means o on o.scope = u.scope
)

select * from final
order by
    scope = 'ALL',
    case when $by_field = 'channel' then list_position(['phone', 'sms', 'email', 'visit'], scope) end,
    scope
