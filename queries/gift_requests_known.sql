-- 礼品申请审批表 (SPEC 5.14): each gift request as known on day D, what was delivered for it
-- by D and its status. Loaded as a temporary macro by reports/gift_requests.py;
-- gift_requests.sql lists the requests, gift_requests_summary.sql totals them per location.
--
-- The versions of a request are the rows the loader replaced (gift_requests_history) and its
-- current row, in load order. The version that stands on D is the latest one whose decision
-- is not dated after D: a decision dated after D had not been made, so the version before it
-- stood (pending if that one had no decision). A version without a decision, or with a
-- decision but no approved_at, cannot be dated: it stands on every D. When every version's
-- decision is dated after D, the latest version stands, pending.
-- Delivered: transfers to the request's location, of its gift, whose ref is its id, dated on
-- or before D (a transfer to another location or of another gift is not this delivery).
create or replace temp macro mk_gift_requests(p_as_of, p_location, p_region) as table
    with versions as (
        select
            request_id, request_date, location, gift_id, requested_qty,
            approved_qty, approved_by, approved_at, load_id,
        from gift_requests_history
        union all
        select
            request_id, request_date, location, gift_id, requested_qty,
            approved_qty, approved_by, approved_at, load_id,
        from gift_requests
    ),

    dated as (
        select
            *,
            coalesce(approved_qty is not null and approved_at > p_as_of::date, false)
                as decided_later,
        from versions
    ),

    standing as (
        select
            * exclude (approved_qty, approved_at, decided_later),
            case when not decided_later then approved_qty end as approved_qty,
            case when not decided_later then approved_at end as approved_at,
        from dated
        qualify row_number() over (
            partition by request_id order by decided_later, load_id desc
        ) = 1
    ),

    requests as (
        from standing
        where request_date <= p_as_of::date
          and (p_location is null or location = p_location)
          and (p_region is null
               or location in (select store_id from stores where region = p_region))
    ),

    deliveries as (
        select ref as request_id, to_location as location, gift_id, sum(qty) as delivered_qty,
        from gift_moves
        where kind = 'transfer' and ref is not null and move_date <= p_as_of::date
        group by ref, to_location, gift_id
    ),

    delivered as (
        select r.*, coalesce(d.delivered_qty, 0) as delivered_qty,
        from requests r
        left join deliveries d
            on d.request_id = r.request_id
            and d.location = r.location
            and d.gift_id = r.gift_id
    )

    select
        r.request_id,
        r.request_date,
        r.location,
        r.gift_id,
        g.gift_name,
        r.requested_qty,
        r.approved_qty,
        r.approved_at,
        r.delivered_qty,
        -- nothing is outstanding on a request not decided yet
        case
            when r.approved_qty is not null then greatest(0, r.approved_qty - r.delivered_qty)
        end as outstanding,
        case
            when r.delivered_qty > 0 and coalesce(r.approved_qty, 0) = 0
                then 'unapproved_delivery'
            when r.approved_qty is null then 'pending'
            when r.approved_qty = 0 then 'refused'
            when r.delivered_qty < r.approved_qty then 'open'
            when r.delivered_qty = r.approved_qty then 'done'
            else 'over_delivered'
        end as status,
        case
            -- (date_diff: a date minus a date is an interval in Spark)
            when status in ('pending', 'open') then date_diff('day', r.request_date, p_as_of::date)
        end as days_waiting,
        g.unit_cost,
    from delivered r
    left join gifts g on g.gift_id = r.gift_id;
