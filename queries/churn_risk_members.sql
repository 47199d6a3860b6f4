-- 流失风险 (SPEC 5.11): every member on file with a member key (an id seen on a ticket), in
-- member id order (ties of the report are in this order), and the member's unit of the scope
-- (null outside it). The model is fitted on all of them that have a purchase day up to E
-- (reports/risk_histories.py reads those days from churn_risk_months and churn_risk_edge).
-- Parameters: $store, $region, $by.
select
    k.member_key,
    m.member_id,
    m.store_id,
    s.unit,
from member_keys k
join members m on m.member_id = k.member_id
left join mk_scope_stores($store, $region, $by) s on s.store_id = m.store_id
order by m.member_id
