-- 会员分级 (SPEC 5.10): members on file graded A/B/C/D on their net spend in the last 365 days.
-- Parameters: $start, $end (dates), $edges (three ascending edges: D below the first, then C,
-- B, A; an edge hit exactly goes up), $store, $region, $by.
-- Members count by home store; their spend over [$end - 364, $end] counts all transactions
-- in any store, refunds included, so spend may be zero or negative (grade D). It comes from
-- the summaries by member key (whole months) and the tickets of the window's edge days.

with graded_members as (
    select k.member_key, st.unit,
    from members m
    join mk_scope_stores($store, $region, $by) st on st.store_id = m.store_id
    left join member_keys k on k.member_id = m.member_id
    where mk_on_file(m.join_date, m.expiry_date, $start::date, $end::date)
),

spend_365d as (
    select member_key, net_amount as spend,
    from mk_window_sums($end::date - 364, $end::date)
),

graded as (
    select g.unit, coalesce(s.spend, 0) as spend, mk_band(coalesce(s.spend, 0), $edges) as band,
    from graded_members g
    left join spend_365d s on s.member_key = g.member_key
),

unit_grades as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        band,
        count(*) as members,
        sum(spend) as spend,
    from graded
    group by grouping sets ((unit, band), (band))
    having grouping(unit) = 0 or $by is not null
),

-- band 0 is D (below the first edge) ... band 3 is A
grades as (
    select band, mk_grade_label(band) as label, lower, upper,
    from mk_bands($edges)
),

cells as (
    select
        u.unit as scope, g.band, g.label, g.lower, g.upper,
        coalesce(x.members, 0) as members,
        coalesce(x.spend, 0) as spend,
    from mk_scope_units($store, $region, $by) u
    cross join grades g
    left join unit_grades x on x.scope = u.unit and x.band = g.band
),

unit_totals as (
    select scope, sum(members) as members, sum(spend) as spend_365d,
    from cells
    group by scope
),

final as (
    select
        c.scope,
        t.members,
        t.spend_365d,
        list(
            {
                'label': c.label, 'lower': c.lower, 'upper': c.upper,
                'members': c.members, 'share': mk_ratio(c.members, t.members),
                'spend': c.spend, 'spend_share': mk_ratio(c.spend, t.spend_365d),
            }
            order by c.band desc
        ) as grades,
    from cells c
    join unit_totals t on t.scope = c.scope
    group by c.scope, t.members, t.spend_365d
)

select * from final
order by scope = 'ALL', scope
