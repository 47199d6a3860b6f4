-- 礼品盘点表 (SPEC 5.6): counted against book stock at the count date, per location and gift.
-- Parameters: $location, $count_date (null: each location's latest count), $tolerance.

with count_lines as (
    select *
    from gift_counts
    where ($location is null or location = $location)
      and ($count_date is null or count_date = $count_date::date)
    qualify count_date = max(count_date) over (partition by location)
),

sheets as (
    select distinct location, count_date from count_lines
),

-- book stock of every gift at each counted location on its count date (moves that day count)
book as (
    select s.location, s.count_date, e.gift_id, sum(e.signed_qty) as book_qty,
    from sheets s
    join mk_gift_entries() e on e.location = s.location and e.move_date <= s.count_date
    group by s.location, s.count_date, e.gift_id
),

lines as (
    select
        coalesce(c.location, b.location) as location,
        coalesce(c.count_date, b.count_date) as count_date,
        coalesce(c.gift_id, b.gift_id) as gift_id,
        coalesce(b.book_qty, 0) as book_qty,
        c.counted_qty,
        c.counted_by,
        c.gift_id is not null as counted,
    from count_lines c
    full outer join book b
        on b.location = c.location and b.count_date = c.count_date and b.gift_id = c.gift_id
),

final as (
    select
        l.location,
        l.count_date,
        l.gift_id,
        g.gift_name,
        l.book_qty,
        l.counted_qty,
        l.counted_qty - l.book_qty as variance,
        (l.counted_qty - l.book_qty) * g.unit_cost as variance_value,
        case
            when g.gift_id is null then 'unknown_gift'
            when not l.counted then 'not_counted'
            when abs(l.counted_qty - l.book_qty) <= $tolerance then 'match'
            when l.counted_qty > l.book_qty then 'over'
            else 'short'
        end as status,
        l.counted_by,
    from lines l
    left join gifts g on g.gift_id = l.gift_id
    -- a known gift nobody counted matters only if the book says it should be there
    where l.counted or (l.book_qty <> 0 and g.gift_id is not null)
)

select * from final
order by location <> 'HQ', location, gift_id
