-- 会员消费水平分析 (SPEC 5.1): members on file, active members and their net spend bands.
-- Parameters: $start, $end (dates), $store, $region, $by, $edges (band edges, ascending).

with scope_stores as (
    from mk_scope_stores($store, $region, $by)
),

period_transactions as (
    select st.unit, t.member_id, t.amount
    from transactions t
    join scope_stores st on st.store_id = t.store_id
    where t.txn_time >= $start::timestamp
      and t.txn_time < $end::timestamp + interval 1 day
      and t.member_id is not null
),

-- Net spend per member and unit; with --by also per member over the whole scope (ALL).
member_spend as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as scope,
        member_id,
        sum(amount) as net_spend,
        count(*) filter (where amount > 0) as tickets,
    from period_transactions
    group by grouping sets ((unit, member_id), (member_id))
    having grouping(unit) = 0 or $by is not null
),

active_members as (
    select scope, member_id, mk_band(net_spend, $edges) as band
    from member_spend
    where tickets > 0
),

members_on_file as (
    select
        case when grouping(st.unit) = 1 then 'ALL' else st.unit end as scope,
        count(*) as members_total,
    from members m
    join scope_stores st on st.store_id = m.store_id
    where mk_on_file(m.join_date, m.expiry_date, $start::date, $end::date)
    group by grouping sets ((st.unit), ())
    having grouping(st.unit) = 0 or $by is not null
),

bands as (
    from mk_bands($edges)
),

band_counts as (
    select u.unit as scope, b.band, b.label, b.lower, b.upper, count(a.member_id) as members,
    from mk_scope_units($store, $region, $by) u
    cross join bands b
    left join active_members a on a.scope = u.unit and a.band = b.band
    group by all
),

scope_totals as (
    select scope, sum(members) as active_members from band_counts group by scope
),

final as (
    select
        c.scope,
        coalesce(f.members_total, 0) as members_total,
        t.active_members,
        mk_ratio(t.active_members, f.members_total) as active_share,
        list(
            {
                'label': c.label, 'lower': c.lower, 'upper': c.upper, 'members': c.members,
                'share': mk_ratio(c.members, t.active_members),
            }
            order by c.band
        ) as bands,
    from band_counts c
    join scope_totals t on t.scope = c.scope
    left join members_on_file f on f.scope = c.scope
    group by c.scope, f.members_total, t.active_members
)

select * from final
order by scope = 'ALL', scope
