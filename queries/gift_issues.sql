-- 赠品发放登记汇总 (SPEC 5.6, form 8.3): gifts handed out in the period per unit and gift, and
-- the members who received them. Parameters: $start, $end, $store, $region, $by.

with scope_stores as (
    from mk_scope_stores($store, $region, $by)
),

issues as (
    select st.unit, m.gift_id, m.qty, m.member_id
    from gift_moves m
    join scope_stores st on st.store_id = m.location
    where m.kind = 'issue' and m.move_date between $start::date and $end::date
),

final as (
    select
        case when grouping(i.unit) = 1 then 'ALL' else i.unit end as scope,
        i.gift_id,
        g.gift_name,
        sum(i.qty) as issued,
        sum(i.qty) * g.unit_cost as issued_value,
        count(distinct i.member_id) as members,
        string_agg(distinct i.member_id, ' ' order by i.member_id) as member_ids,
    from issues i
    left join gifts g on g.gift_id = i.gift_id
    group by grouping sets ((i.unit, i.gift_id, g.gift_name, g.unit_cost),
                            (i.gift_id, g.gift_name, g.unit_cost))
    having grouping(i.unit) = 0 or $by is not null
)

select * from final
order by scope = 'ALL', scope, gift_id
