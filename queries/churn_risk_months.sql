-- 流失风险 (SPEC 5.11): the summary rows of the whole months from $from_month up to (not
-- including) $to_month, one per load, store, member and month: purchase days as a bit mask
-- (bit d-1 for day d: a ticket, or a zero-amount sale that handed over goods), paid tickets
-- and the net amount in cents (refunds included). Months are counted from $first_month.
-- Parameters: $first_month, $from_month, $to_month.
select
    member_key,
    datediff('month', $first_month::date, month)::integer as month_index,
    purchase_days as days,
    tickets,
    (net_amount * 100)::bigint as net_cents,
from ticket_months
where member_key is not null and month >= $from_month::date and month < $to_month::date
