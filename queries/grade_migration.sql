-- 会员分级变动 (SPEC 5.10 --migration): each member's grade at $end one year earlier (rows)
-- against the grade at $end (columns), per unit of the member's current home store.
-- Parameters: $start, $end, $prev_start, $prev_end (the same period one year earlier; 29
-- February goes to 28 February), $edges, $store, $region, $by.
-- Row `new`: not on file in the year-earlier period (joined later, or joined but off file
-- then). Column `left`: on file then but not now (beyond SPEC's columns, so that last year's
-- A members can be traced). Members on file in neither period are not counted.

with scope_members as (
    select * from (
        select k.member_key, st.unit,
            mk_on_file(m.join_date, m.expiry_date, $start::date, $end::date) as on_file_now,
            mk_on_file(m.join_date, m.expiry_date, $prev_start::date, $prev_end::date)
                as on_file_before,
        from members m
        join mk_scope_stores($store, $region, $by) st on st.store_id = m.store_id
        left join member_keys k on k.member_id = m.member_id
    )
    where on_file_now or on_file_before
),

-- net spend over the 365 days up to each end: the whole months of both windows in one pass
-- over the summaries, then each window's edge days from the tickets
whole_months as (
    select
        member_key,
        sum(net_amount) filter (where mk_whole_month(month, $end::date - 364, $end::date))
            as now_months,
        sum(net_amount) filter (
            where mk_whole_month(month, $prev_end::date - 364, $prev_end::date)
        ) as before_months,
    from ticket_months
    where member_key is not null
      and month >= date_trunc('month', $prev_end::date - 364)::date
      and month <= $end::date
    group by member_key
),

spend as (
    select
        w.member_key,
        coalesce(w.now_months, 0) + coalesce(n.net_amount, 0) as spend_now,
        coalesce(w.before_months, 0) + coalesce(b.net_amount, 0) as spend_before,
    from whole_months w
    left join mk_window_edges($end::date - 364, $end::date) n on n.member_key = w.member_key
    left join mk_window_edges($prev_end::date - 364, $prev_end::date) b
        on b.member_key = w.member_key
),

moves as (
    select
        s.unit,
        case when s.on_file_before
            then mk_grade(coalesce(p.spend_before, 0), $edges)
            else 'new' end as grade_year_ago,
        case when s.on_file_now
            then mk_grade(coalesce(p.spend_now, 0), $edges)
            else 'left' end as grade_now,
    from scope_members s
    left join spend p on p.member_key = s.member_key
),

unit_moves as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        grade_year_ago,
        count(*) filter (where grade_now = 'A') as "A",
        count(*) filter (where grade_now = 'B') as "B",
        count(*) filter (where grade_now = 'C') as "C",
        count(*) filter (where grade_now = 'D') as "D",
        count(*) filter (where grade_now = 'left') as "left",
        count(*) as total,
    from moves
    group by grouping sets ((unit, grade_year_ago), (grade_year_ago))
    having grouping(unit) = 0 or $by is not null
),

matrix_rows as (
    select * from (values (0, 'A'), (1, 'B'), (2, 'C'), (3, 'D'), (4, 'new'))
        r(position, grade_year_ago)
),

final as (
    select
        u.unit as scope,
        r.grade_year_ago,
        coalesce(m."A", 0) as "A",
        coalesce(m."B", 0) as "B",
        coalesce(m."C", 0) as "C",
        coalesce(m."D", 0) as "D",
        coalesce(m."left", 0) as "left",
        coalesce(m.total, 0) as total,
        r.position,
    from mk_scope_units($store, $region, $by) u
    cross join matrix_rows r
    left join unit_moves m on m.scope = u.unit and m.grade_year_ago = r.grade_year_ago
)

select * exclude (position) from final
order by scope = 'ALL', scope, position
