-- 新会员资料问题清单 (SPEC 5.7 --problems): one row per problem in a member record.
-- Parameters: $start, $end (dates), $all_members (check every member of the scope, not only
-- those who joined in the period), $store, $region.
-- Phones are compared as stored. A shared phone is looked up among ALL members of the
-- database, not only the scope's. Phone problems carry the phone in `phone` (masked in the
-- terminal); the other problems carry what is wrong in `value`. phone_wrong (SPEC 5.13: a
-- call-back logged as 空号/错号, whatever its date or kind) carries the phone and, in
-- `value`, the day of the latest such call.

with checked as (
    select m.*
    from members m
    join mk_scope_stores($store, $region, null) st on st.store_id = m.store_id
    where $all_members or m.join_date between $start::date and $end::date
),

shared_phones as (
    select phone
    from members
    where trim(phone) <> ''
    group by phone
    having count(*) > 1
),

wrong_numbers as (
    select member_id, max(called_at)::date as last_wrong_call,
    from callback_log
    where outcome = 'wrong_number'
    group by member_id
),

-- an empty stores table means the stores were never loaded: no store is "unknown" then
known_stores as (
    select store_id from stores
),

problems as (
    select member_id, store_id, 'phone_missing' as problem, null as value, null as phone,
    from checked
    where phone is null or trim(phone) = ''
    union all
    select member_id, store_id, 'phone_invalid', null, phone,
    from checked
    where trim(phone) <> '' and not regexp_full_match(phone, '1[0-9]{10}')
    union all
    select c.member_id, c.store_id, 'phone_shared', null, c.phone,
    from checked c
    semi join shared_phones s on s.phone = c.phone
    union all
    select c.member_id, c.store_id, 'phone_wrong', strftime(w.last_wrong_call, '%Y-%m-%d'), c.phone,
    from checked c
    join wrong_numbers w on w.member_id = c.member_id
    union all
    select member_id, store_id, 'birth_date_impossible', strftime(birth_date, '%Y-%m-%d'), null,
    from checked
    where birth_date > $end::date
       -- older than 120 in completed years at $end (as demographics reads ages)
       or mk_age(birth_date, $end::date) > 120
    union all
    select member_id, store_id, 'gender_unknown', null, null,
    from checked
    where gender is null or gender not in ('M', 'F')
    union all
    select member_id, store_id, 'store_unknown', store_id, null,
    from checked
    where exists (from known_stores)
      and store_id not in (from known_stores)
    union all
    select member_id, store_id, 'expiry_before_join', strftime(expiry_date, '%Y-%m-%d'), null,
    from checked
    where expiry_date < join_date
),

final as (
    select
        member_id, store_id, problem, value::varchar as value, phone::varchar as phone,
    from problems
)

select * from final
order by store_id, member_id, problem
