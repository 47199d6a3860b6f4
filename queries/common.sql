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
create or replace temp macro mk_band(value, edges) as
    len(list_filter(edges, lambda edge: edge <= value));

-- The bands that edges make, in order: index, label ('<100', '100–300', '≥1000') and bounds.
create or replace temp macro mk_bands(edges) as table
    select
        band,
        case
            when band = 0 then '<' || edges[1]::varchar
            when band = len(edges) then '≥' || edges[band]::varchar
            else edges[band]::varchar || '–' || edges[band + 1]::varchar
        end as label,
        case when band > 0 then edges[band] end as lower,
        case when band < len(edges) then edges[band + 1] end as upper,
    from range(len(edges) + 1) r(band);

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
