-- 门店/总仓礼品库存表 (SPEC 5.6): book stock per location and gift on a day, from the ledger.
-- Parameters: $as_of (moves dated on or before it count), $location (null: every location).

with entries as (
    from mk_gift_entries()
    where move_date <= $as_of::date
      and ($location is null or location = $location)
),

final as (
    select
        e.location,
        e.gift_id,
        g.gift_name,
        g.unit,
        sum(e.opening) as opening,
        sum(e.qty_in) as "in",
        sum(e.qty_out) as out,
        sum(e.issued) as issued,
        sum(e.adjusted) as adjusted,
        sum(e.signed_qty) as closing,
        sum(e.signed_qty) * g.unit_cost as closing_value,
    from entries e
    left join gifts g on g.gift_id = e.gift_id
    group by e.location, e.gift_id, g.gift_name, g.unit, g.unit_cost
)

select * from final
order by location <> 'HQ', location, gift_id
