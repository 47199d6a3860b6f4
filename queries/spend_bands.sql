-- 会员消费水平分析 (SPEC 5.1): members on file, active members and their net spend bands.
-- Parameters: $start, $end (dates: the first and last day of whole months), $store, $region,
-- $by, $edges (band edges, ascending).

with scope_stores as (
    from mk_scope_stores($store, $region, $by)
),

-- Net spend and tickets (amount > 0) per unit and member, from the month summaries: a
-- period is whole months, so summing their rows over loads and months is exact. A ticket
-- counts in its own store's unit.
unit_rows as materialized (
    select st.unit, s.member_key, s.net_amount, s.tickets,
    from ticket_months s
    join scope_stores st on st.store_id = s.store_id
    where s.month between $start::date and $end::date
      and s.member_key is not null
),

member_unit_spend as (
    select unit, member_key, sum(net_amount) as net_spend, sum(tickets) as tickets,
    from unit_rows
    group by unit, member_key
),

-- With --by, also per member over the whole scope (ALL), summed from the units' figures.
member_spend as (
    select unit as scope, member_key, net_spend, tickets from member_unit_spend
    union all
    select 'ALL', member_key, sum(net_spend), sum(tickets)
    from member_unit_spend
    where $by is not null
    group by member_key
),

unit_members_on_file as (
    select st.unit as scope, count(*) as members_total,
    from members m
    join scope_stores st on st.store_id = m.store_id
    where mk_on_file(m.join_date, m.expiry_date, $start::date, $end::date)
    group by st.unit
),

members_on_file as (
    from unit_members_on_file
    union all
    select 'ALL', sum(members_total) from unit_members_on_file where $by is not null
    having count(*) > 0
),

bands as (
    from mk_bands($edges)
),

-- Active members (a ticket in the period) per unit and band [lower, upper): a range join
-- with the few bands, then one count per unit and band.
band_members as (
    select s.scope, b.band, count(*) as members,
    from member_spend s
    join bands b
        on (b.lower is null or s.net_spend >= b.lower)
        and (b.upper is null or s.net_spend < b.upper)
    where s.tickets > 0
    group by all
),

band_counts as (
    select u.unit as scope, b.band, b.label, b.lower, b.upper, coalesce(m.members, 0) as members,
    from mk_scope_units($store, $region, $by) u
    cross join bands b
    left join band_members m on m.scope = u.unit and m.band = b.band
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
