-- 新会员资料管理 (SPEC 5.7): members who joined in the period, the same count a year earlier,
-- and how many of the new members bought within 30 days of joining.
-- Parameters: $start, $end, $yoy_start, $yoy_end (dates), $activation_days, $store, $region,
-- $by. Members count by home store; their tickets (amount > 0) count in any store, on or
-- after the join date and at most $activation_days days after it, wherever the data reaches:
-- tickets after $end count too, so a month's figure is final once the data reaches 30 days
-- past its end (the report says so when it does not yet). The period is whole months; the
-- tickets come from the month summaries' day masks (ticket_days), exact at day level.

with joined as (
    select m.member_id, m.join_date, st.unit,
        m.join_date between $start::date and $end::date as is_new,
    from members m
    join mk_scope_stores($store, $region, $by) st on st.store_id = m.store_id
    where m.join_date between $start::date and $end::date
       or m.join_date between $yoy_start::date and $yoy_end::date
),

new_member_keys as (
    select j.member_id, j.join_date, k.member_key,
    from joined j
    join member_keys k on k.member_id = j.member_id
    where j.is_new
),

-- A new member is activated by a ticket (amount > 0) from the join date to $activation_days
-- days after it: in each month the window touches, the days of the window within that month
-- as a mask of bits lo-1 .. hi-1, against the month's ticket days (any load's row).
activated_members as (
    select distinct n.member_id
    from new_member_keys n
    join ticket_months s on s.member_key = n.member_key
    where s.month between $start::date and $end::date + $activation_days
      and s.month between date_trunc('month', n.join_date) and n.join_date + $activation_days
      and s.ticket_days::bigint
          & ((1::bigint << day(least(n.join_date + $activation_days, last_day(s.month))))
             - (1::bigint << (day(greatest(n.join_date, s.month)) - 1))) <> 0
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
