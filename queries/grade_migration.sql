-- 会员分级变动 (SPEC 5.10 --migration): each member's grade at $end one year earlier (rows)
-- against the grade at $end (columns), per unit of the member's current home store.
-- Parameters: $start, $end, $prev_start, $prev_end (the same period one year earlier; 29
-- February goes to 28 February), $edges, $store, $region, $by.
-- Row `new`: not on file in the year-earlier period (joined later, or joined but off file
-- then). Column `left`: on file then but not now (beyond SPEC's columns, so that last year's
-- A members can be traced). Members on file in neither period are not counted.

with scope_members as (
    select * from (
        select m.member_id, st.unit,
            mk_on_file(m.join_date, m.expiry_date, $start::date, $end::date) as on_file_now,
            mk_on_file(m.join_date, m.expiry_date, $prev_start::date, $prev_end::date)
                as on_file_before,
        from members m
        join mk_scope_stores($store, $region, $by) st on st.store_id = m.store_id
    )
    where on_file_now or on_file_before
),

-- net spend over the 365 days up to each end, in one pass over the tickets
spend as (
    select
        member_id,
        coalesce(sum(amount) filter (where txn_time >= ($end::date - 364)::timestamp), 0)
            as spend_now,
        coalesce(sum(amount) filter (where txn_time < $prev_end::timestamp + interval 1 day), 0)
            as spend_before,
    from transactions
    where member_id is not null
      and txn_time >= ($prev_end::date - 364)::timestamp
      and txn_time < $end::timestamp + interval 1 day
    group by member_id
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
    left join spend p on p.member_id = s.member_id
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
