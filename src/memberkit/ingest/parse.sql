-- Parsers for raw CSV text: every column is read as VARCHAR and typed here, so that a bad
-- value becomes a reject with its column and reason instead of failing the whole file.
-- Each returns null for "not a valid value"; the loader compares with the raw text to tell
-- a missing value from a bad one.

-- Trimming with a character list is slow, so only values that start or end with white space
-- (tabs and the full-width space of Chinese input included) take that path.
create or replace temp macro mk_text(x) as
    nullif(
        case
            when regexp_matches(x, '^[\s\x{3000}]|[\s\x{3000}]$')
                then trim(x, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
            else x
        end,
        ''
    );

create or replace temp macro mk_timestamp(x) as
    try_strptime(x, [
        '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S',
        '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y%m%d %H:%M:%S', '%Y%m%d%H%M%S',
        '%Y-%m-%d', '%Y/%m/%d', '%Y%m%d'
    ]);

-- A date column also takes a timestamp export's midnight time part ('2026-10-05 00:00:00').
create or replace temp macro mk_date(x) as
    coalesce(try_strptime(x, ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d']), mk_timestamp(x))::date;

create or replace temp macro mk_month(x) as
    date_trunc('month', coalesce(
        try_strptime(x, ['%Y-%m', '%Y/%m', '%Y%m', '%Y年%m月']), mk_timestamp(x)
    ))::date;

-- DuckDB's own casts round '3.5' to 4 and read '0x10' and '1_000': only plain digits count.
create or replace temp macro mk_int(x) as
    case when regexp_full_match(x, '[+-]?[0-9]{1,9}') then try_cast(x as integer) end;

-- Money: optional sign and ¥, thousands separators in groups of three, at most two decimals
-- (trailing zeros allowed). Anything else is "not a number", never silently rounded.
create or replace temp macro mk_money(x) as
    case when regexp_full_match(
        x, '[+-]?[¥￥]?[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]{1,15})(\.[0-9]{0,2}0*)?'
    ) then try_cast(regexp_replace(x, '[¥￥,]', '', 'g') as decimal(18, 2)) end;

create or replace temp macro mk_gender(x) as
    case
        when lower(x) in ('m', 'male', '男', '男性') then 'M'
        when lower(x) in ('f', 'female', '女', '女性') then 'F'
    end;

-- Gift move kinds, in English or as the handbook's forms name them.
create or replace temp macro mk_move_kind(x) as
    case
        when lower(x) in ('opening', '期初') then 'opening'
        when lower(x) in ('receipt', '入库', '收货') then 'receipt'
        when lower(x) in ('transfer', '调拨', '调出') then 'transfer'
        when lower(x) in ('issue', '发放', '赠送') then 'issue'
        when lower(x) in ('adjust', '调整', '盘点调整') then 'adjust'
    end;
