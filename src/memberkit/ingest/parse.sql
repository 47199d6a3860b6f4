-- Parsers for raw CSV text: every column is read as VARCHAR and typed here, so that a bad
-- value becomes a reject with its column and reason instead of failing the whole file.
-- Each returns null for "not a valid value"; the loader tells a missing value (blank after
-- trimming) from a bad one.
--
-- These run on every value of files with tens of millions of rows, so each parser tries the
-- common export format on the untouched value first, and only a value that fails it is
-- trimmed and tried against every accepted format.

-- Text without white space at either end (tabs and the full-width space of Chinese input
-- included); blank is null. Trimming with a character list is slow, so only values that
-- may need it take that path.
create or replace temp macro mk_text(x) as
    nullif(
        case
            when x = trim(x) and not contains(x, chr(9)) and not contains(x, chr(10))
                and not contains(x, chr(13)) and not contains(x, chr(12288))
                then x
            else trim(x, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
        end,
        ''
    );

-- The same for a file the loader has seen to hold no tab, quote, lone CR or full-width
-- space: only spaces can pad a value (strings compare bytewise: x >= '!' means the first
-- byte is neither a space nor a control character).
create or replace temp macro mk_text_plain(x) as
    nullif(case when x >= '!' and not ends_with(x, ' ') then x else trim(x) end, '');

-- The text cleaner the parsers below use; the loader points it at mk_text_plain for a
-- plain file.
create or replace temp macro mk_clean(x) as mk_text(x);

-- Parsers of trimmed text.

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

-- Satisfaction (满意度) in the notation it was written in: the handbook's words or a score
-- of 1-5. Degrees of a word fold into it ('非常满意' is '满意'); anything else is not valid.
create or replace temp macro mk_satisfaction(x) as
    case
        when regexp_full_match(x, '[1-5](\.0+)?分?') then left(x, 1)
        when lower(x) in ('满意', '非常满意', '很满意', '比较满意', 'satisfied', 'very satisfied')
            then '满意'
        when lower(x) in ('一般', 'neutral') then '一般'
        when lower(x) in (
            '不满意', '非常不满意', '很不满意', 'dissatisfied', 'very dissatisfied'
        ) then '不满意'
    end;

-- Parsers of the untouched value, as the loader calls them. The fast path for numbers is a
-- round trip: a value that casts and prints back exactly as written ('63.18', '7') is
-- plain; anything else ('63.1', '+7', ' 7', '3.5') takes the careful path above.

create or replace temp macro mk_raw_timestamp(x) as
    coalesce(try_strptime(x, '%Y-%m-%d %H:%M:%S'), mk_timestamp(mk_clean(x)));

create or replace temp macro mk_raw_date(x) as
    coalesce(try_strptime(x, '%Y-%m-%d')::date, mk_date(mk_clean(x)));

create or replace temp macro mk_raw_money(x) as
    case
        when try_cast(x as decimal(18, 2))::varchar = x then try_cast(x as decimal(18, 2))
        else mk_money(mk_clean(x))
    end;

create or replace temp macro mk_raw_int(x) as
    case
        when try_cast(x as integer)::varchar = x then try_cast(x as integer)
        else mk_int(mk_clean(x))
    end;

create or replace temp macro mk_raw_month(x) as mk_month(mk_clean(x));
create or replace temp macro mk_raw_gender(x) as mk_gender(mk_clean(x));
create or replace temp macro mk_raw_move_kind(x) as mk_move_kind(mk_clean(x));
create or replace temp macro mk_raw_satisfaction(x) as mk_satisfaction(mk_clean(x));
