-- 低满意度回访名单 (SPEC 5.12 --low): the period's responses with an overall score of at most
-- $low_overall (2), to follow up, with the member's name and phone where the member is on file.
-- Parameters: $start, $end, $store, $region, $low_overall.

with low as (
    from mk_surveys($start, $end, $store, $region, null)
    where overall <= $low_overall
),

final as (
    select
        l.response_id,
        l.survey_date,
        l.store_id,
        l.member_id,
        m.name,
        m.phone,
        l.overall,
        l.comment,
    from low l
    left join members m on m.member_id = l.member_id
)

select * from final
order by survey_date, response_id
