-- Shared by every report query: how stores map to the rows of a report, and the ratio rules.
-- Loaded once per connection as temporary macros (reports open the database read-only).

-- The stores a report covers and the row ("unit") each belongs to (SPEC 4, scope):
-- --store ID / --region NAME narrow the stores; --by store|region gives one row per store or
-- region, otherwise every store counts towards one row labelled with the scope.
-- Store ids that appear only in tickets or members (no stores row) belong to the company;
-- the loader keeps the tickets' store ids in ticket_stores.
create or replace temp macro mk_scope_stores(p_store, p_region, p_by) as table
    with known_ids as (
        select store_id from stores
        union select store_id from ticket_stores
        union select distinct store_id from members
    )
    select
        k.store_id,
        case p_by
            when 'store' then k.store_id
            when 'region' then coalesce(s.region, '(no region)')
            else coalesce(p_store, p_region, 'ALL')
        end as unit,
    from known_ids k
    left join stores s on s.store_id = k.store_id
    where (p_store is null or k.store_id = p_store)
      and (p_region is null or s.region = p_region);

-- The rows a report prints: every unit of the scope, plus the ALL total row with --by.
create or replace temp macro mk_scope_units(p_store, p_region, p_by) as table
    select distinct unit from mk_scope_stores(p_store, p_region, p_by)
    union all
    select 'ALL' where p_by is not null;

-- Records that belong to a store (complaints, surveys) may name a store known from them alone:
-- it belongs to the company, without a region. Such a record is in the scope when no region
-- is asked for (and it is the store asked for, if one is); scope_store_id is its store's row
-- of mk_scope_stores (null: none), scope_unit that row's unit. Its unit: the store itself with
-- --by store, '(no region)' with --by region, else the scope's.
create or replace temp macro mk_record_in_scope(scope_store_id, store_id, p_store, p_region) as
    scope_store_id is not null or (p_region is null and coalesce(store_id = p_store, true));

create or replace temp macro mk_record_unit(scope_unit, store_id, p_store, p_by) as
    coalesce(
        scope_unit,
        case p_by
            when 'store' then store_id
            when 'region' then '(no region)'
            else coalesce(p_store, 'ALL')
        end
    );

-- A ratio whose denominator is zero or unknown is null, never 0 (SPEC 4).
create or replace temp macro mk_ratio(numerator, denominator) as
    case when denominator is null or denominator = 0 then null
         else numerator::double / denominator::double end;

create or replace temp macro mk_growth(current_value, base_value) as
    mk_ratio(current_value - base_value, base_value);

-- Index of the band a value falls into, for half-open bands [edge_i, edge_i+1).
-- (array_length, not len: Spark's length is for text; engines/translate.py)
create or replace temp macro mk_band(value, edges) as
    array_length(list_filter(edges, lambda edge: edge <= value));

-- The bands that edges make, in order: index, label ('<100', '100–300', '≥1000') and bounds.
-- (the band numbers unnested from a list: Spark has no range(n) r(name) table function)
create or replace temp macro mk_bands(edges) as table
    select
        band,
        case
            when band = 0 then '<' || edges[1]::varchar
            when band = array_length(edges) then '≥' || edges[band]::varchar
            else edges[band]::varchar || '–' || edges[band + 1]::varchar
        end as label,
        case when band > 0 then edges[band] end as lower,
        case when band < array_length(edges) then edges[band + 1] end as upper,
    from (select unnest(generate_series(0, array_length(edges))) as band) r;

-- Age in completed years on a day; someone born on 29 February turns a year older on 1 March
-- in other years. Callers decide what is impossible (after the day, or over 120).
create or replace temp macro mk_age(birth_date, p_day) as
    year(p_day) - year(birth_date)
        - case when (month(p_day), day(p_day)) < (month(birth_date), day(birth_date))
               then 1 else 0 end;

-- A member's grade (SPEC 5.10) for a net spend: D below the first of three edges, then C, B,
-- A; an edge hit exactly goes up.
create or replace temp macro mk_grade_label(band) as ['D', 'C', 'B', 'A'][band + 1];
create or replace temp macro mk_grade(spend, edges) as mk_grade_label(mk_band(spend, edges));

-- Members on file for a period (SPEC 4): joined by its end, not expired before its start.
create or replace temp macro mk_on_file(join_date, expiry_date, p_start, p_end) as
    join_date <= p_end and (expiry_date is null or expiry_date >= p_start);

-- The gift ledger as entries per location (SPEC 5.6): a transfer leaves its location and
-- arrives at to_location; signed_qty is the move's effect on that location's book stock.
create or replace temp macro mk_gift_entries() as table
    select
        move_date, location, gift_id,
        case when kind = 'opening' then qty else 0 end as opening,
        case when kind = 'receipt' then qty else 0 end as qty_in,
        case when kind = 'transfer' then qty else 0 end as qty_out,
        case when kind = 'issue' then qty else 0 end as issued,
        case when kind = 'adjust' then qty else 0 end as adjusted,
        case when kind in ('transfer', 'issue') then -qty else qty end as signed_qty,
    from gift_moves
    union all
    select move_date, to_location, gift_id, 0, qty, 0, 0, 0, qty
    from gift_moves
    where kind = 'transfer';

-- Day windows over the ticket summaries (ticket_months, schema 7). A window [p_from, p_to]
-- (dates, both ends included) takes the months that lie wholly inside it from the summaries
-- and the days of the months it only partly covers (its edges) from the tickets: the same
-- sums as over every ticket, reading one month of tickets at most at each end.

-- The first day of the first month that starts on or after p_day.
create or replace temp macro mk_whole_months_from(p_day) as
    (date_trunc('month', p_day - 1) + interval 1 month)::date;

-- A summary month (its first day) lies wholly inside [p_from, p_to]: that month's sums are
-- the window's. p_from and p_to may differ per row (a member's own card year).
create or replace temp macro mk_whole_month(p_month, p_from, p_to) as
    p_month >= mk_whole_months_from(p_from) and p_month < date_trunc('month', p_to + 1)::date;

-- A ticket inside [p_from, p_to] on a day of a month the window only partly covers.
create or replace temp macro mk_edge_ticket(txn_time, p_from, p_to) as
    txn_time >= p_from::timestamp
    and txn_time < (p_to + 1)::timestamp
    and not mk_whole_month(date_trunc('month', txn_time)::date, p_from, p_to);

-- Per member key, the net amount (refunds included) and the tickets (amount > 0) of the
-- window's edge days. Only the edge days' tickets are read: the window's first partial month
-- from p_from, its last from the first day after its whole months (bounds the zone maps of
-- the time-ordered tickets use to skip every other month; a window of whole months has an
-- empty range on both sides, which the optimizer drops with the join to the keys).
create or replace temp macro mk_window_edges(p_from, p_to) as table
    with edge_tickets as (
        select member_id, amount,
        from transactions
        where member_id is not null
          and txn_time >= p_from::timestamp
          and txn_time < least(mk_whole_months_from(p_from), p_to + 1)::timestamp
        union all
        -- (a window without whole months has its days in the branch above)
        select member_id, amount,
        from transactions
        where member_id is not null
          and txn_time >= greatest(
              date_trunc('month', p_to + 1)::date, mk_whole_months_from(p_from)
          )::timestamp
          and txn_time < (p_to + 1)::timestamp
    ),
    -- by member id first, then each member's key: fewer rows to join than tickets
    edge_sums as (
        select member_id, sum(amount) as net_amount, count(*) filter (where amount > 0) as tickets,
        from edge_tickets
        group by member_id
    )
    select k.member_key, e.net_amount, e.tickets,
    from edge_sums e
    join member_keys k on k.member_id = e.member_id;

-- Per member key with a ticket or a refund in [p_from, p_to]: net amount and tickets there,
-- whole months from the summaries plus the edge days from the tickets.
create or replace temp macro mk_window_sums(p_from, p_to) as table
    select member_key, sum(net_amount) as net_amount, sum(tickets) as tickets,
    from (
        select member_key, net_amount, tickets,
        from ticket_months
        where member_key is not null and mk_whole_month(month, p_from, p_to)
        union all
        select member_key, net_amount, tickets, from mk_window_edges(p_from, p_to)
    )
    group by member_key;

-- Days in the summaries' masks (ticket_days, purchase_days: bit d-1 for day d of the month).
-- The bits of the days of p_month (its first day) on or before p_day, and on or after it;
-- p_day is the same for every row, so only p_day's own month needs a shift.
create or replace temp macro mk_days_upto(p_month, p_day) as
    case when p_month < date_trunc('month', p_day)::date then 2147483647
         when p_month > p_day then 0
         else 2147483647 >> (31 - day(p_day)) end;

create or replace temp macro mk_days_from(p_month, p_day) as
    case when p_month >= p_day then 2147483647
         when p_month < date_trunc('month', p_day)::date then 0
         else 2147483647 - ((1 << (day(p_day) - 1)) - 1) end;

-- A member's latest (or earliest) day over many summary rows, in one max (min) per member:
-- the month's day number since 0001-01-01 in the high bits and the days in the low 32, so
-- that the latest month wins and, within it, the mask with the highest day (the highest bit
-- of the largest mask is the highest of them all). Null when the mask is empty.
-- (date_diff, not a date minus a date: that is a number of days here, an interval in Spark)
create or replace temp macro mk_day_key(p_month, mask) as
    case when mask <> 0
        then date_diff('day', date '0001-01-01', p_month)::bigint * 4294967296 + mask end;

-- The earliest day only ever needs the lowest bit of each mask (min then keeps the lowest).
create or replace temp macro mk_first_day_key(p_month, mask) as mk_day_key(p_month, mask & -mask);

-- The date a key stands for: its month plus the highest (latest) or lowest (earliest) day
-- of its mask. The highest set bit's index is the length of the mask in binary less one
-- (bin() is the same on both engines; Spark has no bit strings).
create or replace temp macro mk_key_last_date(key) as
    date '0001-01-01' + (key // 4294967296)::integer
        + (length(bin(key % 4294967296)) - 1)::integer;

create or replace temp macro mk_key_first_date(key) as
    date '0001-01-01' + (key // 4294967296)::integer
        + bit_count(((key % 4294967296) & -(key % 4294967296)) - 1)::integer;
