-- 回访情况统计表 (SPEC 5.13): per scope unit (the member's home store) and kind of call, the
-- calls dated in the period and whom they reached.
-- Parameters: $start, $end, $store, $region, $by (store | region).
-- A call belongs to the unit of its member's home store; a call to a member id not in the
-- members table has no home store and no unit (reports/callback_review.py says how many).
-- Every unit has a row per kind, zeros included, and a row over all kinds ('all': a member
-- called for two kinds is one member there); with --by, ALL rows total the units.

with calls as (
    select c.member_id, c.kind, c.outcome, st.unit,
    from callback_log c
    join members m on m.member_id = c.member_id
    join mk_scope_stores($store, $region, $by) st on st.store_id = m.store_id
    where c.called_at >= $start::date::timestamp
      and c.called_at < $end::date::timestamp + interval 1 day
),

-- one row per member, unit and kind, and the same over all kinds and over all units
member_calls as (
    select
        case when grouping(unit) = 1 then 'ALL' else unit end as unit,
        case when grouping(kind) = 1 then 'all' else kind end as kind,
        member_id,
        count(*) as calls,
        bool_or(outcome = 'reached') as reached,
        bool_or(outcome = 'wrong_number') as wrong_number,
    from calls
    group by grouping sets ((unit, kind, member_id), (unit, member_id), (kind, member_id), (member_id))
    having grouping(unit) = 0 or $by is not null
),

figures as (
    select
        unit,
        kind,
        sum(calls) as calls,
        count(*) as members_called,
        count(*) filter (where reached) as members_reached,
        count(*) filter (where wrong_number) as wrong_numbers,
    from member_calls
    group by unit, kind
),

units as (
    select unit from mk_scope_units($store, $region, $by)
    union
    select coalesce($store, $region, 'ALL') where $by is null
),

kinds as (
    from (values
        (1, 'after_sale'), (2, 'new'), (3, 'lapsed'), (4, 'complaint'), (5, 'expiring'),
        (6, 'survey'), (7, 'all')
    ) k(position, kind)
),

final as (
    select
        u.unit as scope,
        k.kind,
        coalesce(f.calls, 0) as calls,
        coalesce(f.members_called, 0) as members_called,
        coalesce(f.members_reached, 0) as members_reached,
        mk_ratio(f.members_reached, f.members_called) as reach_rate,
        coalesce(f.wrong_numbers, 0) as wrong_numbers,
        k.position,
    from units u
    cross join kinds k
    left join figures f on f.unit = u.unit and f.kind = k.kind
)

select * exclude (position) from final
order by scope = 'ALL', scope, position
