-- 新会员资料管理 (SPEC 5.7): members who joined in the period, the same count a year earlier,
-- and how many of the new members bought within 30 days of joining.
-- Parameters: $start, $end, $yoy_start, $yoy_end (dates), $activation_days, $store, $region,
-- $by. Members count by home store; their tickets (amount > 0) count in any store, on or
-- after the join date and at most $activation_days days after it, wherever the data reaches:
-- tickets after $end count too, so a month's figure is final once the data reaches 30 days
-- past its end (the report says so when it does not yet).

with joined as (
    select m.member_id, m.join_date, st.unit,
        m.join_date between $start::date and $end::date as is_new,
    from members m
    join mk_scope_stores($store, $region, $by) st on st.store_id = m.store_id
    where m.join_date between $start::date and $end::date
       or m.join_date between $yoy_start::date and $yoy_end::date
),

activated_members as (
    select distinct j.member_id
    from joined j
    join transactions t on t.member_id = j.member_id
    where j.is_new
      and t.amount > 0
      and t.txn_time >= j.join_date::timestamp
      and t.txn_time < (j.join_date + $activation_days + 1)::timestamp
),

unit_figures as (
    select
        case when grouping(j.unit) = 1 then 'ALL' else j.unit end as scope,
        count(*) filter (where j.is_new) as new_members,
        count(*) filter (where not j.is_new) as new_members_year_ago,
        count(a.member_id) as activated,
    from joined j
    left join activated_members a on a.member_id = j.member_id
    group by grouping sets ((j.unit), ())
    having grouping(j.unit) = 0 or $by is not null
),

final as (
    select
        u.unit as scope,
        coalesce(f.new_members, 0) as new_members,
        coalesce(f.new_members_year_ago, 0) as new_members_year_ago,
        mk_growth(coalesce(f.new_members, 0), coalesce(f.new_members_year_ago, 0))
            as new_members_yoy,
        coalesce(f.activated, 0) as activated,
        mk_ratio(f.activated, f.new_members) as activation_rate,
    from mk_scope_units($store, $region, $by) u
    left join unit_figures f on f.scope = u.unit
)

select * from final
order by scope = 'ALL', scope
