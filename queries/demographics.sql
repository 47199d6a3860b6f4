-- 消费会员性别年龄分析 (SPEC 5.2): gender and age of active members.
-- Parameters: $start, $end (dates: the first and last day of whole months), $store, $region,
-- $by, $edges (age band edges, ascending).
-- Age is in completed years at $end; someone born on 29 February turns a year older on
-- 1 March in other years. A birth date after $end or an age over 120 counts as unknown.

with scope_stores as (
    from mk_scope_stores($store, $region, $by)
),

-- Members with a ticket (amount > 0) in the unit in the period, from the month summaries
-- (whole months: exact); tickets is a count, so a row with tickets > 0 is one such ticket.
active_member_units as (
    select distinct st.unit as scope, s.member_key,
    from ticket_months s
    join scope_stores st on st.store_id = s.store_id
    where s.month between $start::date and $end::date
      and s.member_key is not null
      and s.tickets > 0
),

-- Each active member of a unit with gender and age; member ids seen only on tickets (no
-- members row) are active members of unknown gender and age.
unit_profiles as materialized (
    select a.scope, a.member_key, coalesce(m.gender, 'unknown') as gender,
        mk_age(m.birth_date, $end::date) as age,
    from active_member_units a
    join member_keys k on k.member_key = a.member_key
    left join members m on m.member_id = k.member_id
),

-- with --by, the ALL row counts each member once however many units they bought in
active_members as (
    select scope, gender, age from unit_profiles
    union all
    select 'ALL', gender, age
    from (select distinct member_key, gender, age from unit_profiles where $by is not null)
),

-- members per scope, gender and age (few rows), then each age's band
classified as (
    select scope, gender, case when age is not null then mk_band(age, $edges) end as age_band,
        members,
    from (
        select scope, gender, case when age between 0 and 120 then age end as age,
            count(*) as members,
        from active_members
        group by all
    )
),

totals as (
    select u.unit as scope, coalesce(sum(c.members), 0) as active_members,
    from mk_scope_units($store, $region, $by) u
    left join classified c on c.scope = u.unit
    group by u.unit
),

genders as (
    select * from (values (0, 'M'), (1, 'F'), (2, 'unknown')) g(position, label)
),

gender_counts as (
    select t.scope, g.position, g.label, coalesce(sum(c.members), 0) as members,
        mk_ratio(coalesce(sum(c.members), 0), t.active_members) as share,
    from totals t
    cross join genders g
    left join classified c on c.scope = t.scope and c.gender = g.label
    group by t.scope, t.active_members, g.position, g.label
),

age_bands as (
    from mk_bands($edges)
    union all
    select array_length($edges) + 1, 'unknown', null, null
),

age_counts as (
    select t.scope, b.band, b.label, b.lower, b.upper, coalesce(sum(c.members), 0) as members,
        mk_ratio(coalesce(sum(c.members), 0), t.active_members) as share,
    from totals t
    cross join age_bands b
    left join classified c
        on c.scope = t.scope
        and coalesce(c.age_band, array_length($edges) + 1) = b.band
    group by t.scope, t.active_members, b.band, b.label, b.lower, b.upper
),

final as (
    select
        t.scope,
        t.active_members,
        (select list({'label': g.label, 'members': g.members, 'share': g.share}
                     order by g.position)
         from gender_counts g where g.scope = t.scope) as gender,
        (select list({'label': a.label, 'lower': a.lower, 'upper': a.upper,
                      'members': a.members, 'share': a.share} order by a.band)
         from age_counts a where a.scope = t.scope) as age_bands,
    from totals t
)

select * from final
order by scope = 'ALL', scope
