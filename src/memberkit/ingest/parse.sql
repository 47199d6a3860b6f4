-- Parsers for raw CSV text: every column is read as VARCHAR and typed here, so that a bad
-- value becomes a reject with its column and reason instead of failing the whole file.
-- Each returns null for "not a valid value"; the loader tells a missing value (blank after
-- cleaning) from a bad one.
--
-- These run on every value of files with tens of millions of rows, so the loader reads each
-- value in up to three steps, each a separate projection: mk_fast_<type> tries the common
-- export format on the untouched value; only a value it cannot take is cleaned
-- (mk_clean_code), and the clean text goes to mk_<type>, which knows every accepted form
-- (SPEC 3.1). Each macro names its argument several times and DuckDB pastes macro
-- arguments in as they are: handing them a column, not an expression, keeps the query
-- small (and quick to plan) and each value cleaned once.

-- --- cleaning --------------------------------------------------------------------------

-- What pads a value and is never data at either end, as a regex class: white space (tab,
-- LF, CR, space), U+00A0 (no-break space), U+3000 (ideographic space), U+200B-U+200D
-- (zero-width space, non-joiner, joiner), U+2060 (word joiner) and U+FEFF (a BOM: where
-- exports were joined, one starts a line).
create or replace temp macro mk_pad() as '[\s\x{a0}\x{3000}\x{200b}-\x{200d}\x{2060}\x{feff}]';
-- The zero-width characters and U+FEFF: never data, so ids, codes, dates and numbers lose
-- them anywhere (ids that differ only by them are one id). Free text keeps inner ones.
create or replace temp macro mk_zero_width() as '[\x{200b}-\x{200d}\x{2060}\x{feff}]';

-- The core of a value: padding trimmed from both ends, and Excel's text guards unwrapped
-- (SPEC 3.1): a leading ' (Excel's text marker; memberkit's own CSV output writes it before
-- formula-like text) and ="..." (a formula giving text). One regex, naming t once: a macro
-- pastes its argument in as many times as it is named.
create or replace temp macro mk_core(t) as
    nullif(regexp_replace(t, replace(
        '(?s)^P*(?:''P*(.*?)|="P*(.*?)P*"|(.*?))P*$', 'P', mk_pad()), '\1\2\3'), '');

-- Is the value clean as it is? Strings compare bytewise: x >= '(' means the first byte is
-- not a space, control character, quote or '; below chr(128) (ASCII) or from chr(16384) up
-- to chr(61440) (most CJK) it is not the lead byte of U+00A0, U+200B-U+2060, U+3000 or
-- U+FEFF either. Other first characters just take the slow path. One regex looks at the end
-- (and, for codes, for zero-width characters anywhere).
create or replace temp macro mk_bare_start(x) as
    x >= '(' and (x < chr(128) or (x >= chr(16384) and x < chr(61440)))
    and not starts_with(x, '="');
create or replace temp macro mk_bare_text(x) as
    mk_bare_start(x) and not regexp_matches(x, mk_pad() || '$');
create or replace temp macro mk_bare_code_any(x) as
    mk_bare_start(x) and not regexp_matches(x, mk_zero_width() || '|' || mk_pad() || '$');

-- Free text (names): trimmed at both ends, unguarded; blank is null.
create or replace temp macro mk_text(x) as
    case when mk_bare_text(x) then x else mk_core(x) end;
-- Everything else (ids, codes, dates, numbers): zero-width characters removed anywhere too.
create or replace temp macro mk_code(x) as
    case when mk_bare_code_any(x) then x else mk_core(regexp_replace(x, mk_zero_width(), '', 'g')) end;

-- The same in a file the loader has seen to hold no tab, quote, lone CR, no-break,
-- ideographic or zero-width space and no BOM after its start: only spaces can pad a value,
-- and only a leading ' can guard it (x >= '(' sends both to the slow path).
create or replace temp macro mk_bare_plain(x) as x >= '(' and not ends_with(x, ' ');
create or replace temp macro mk_text_plain(x) as
    case
        when mk_bare_plain(x) then x
        when trim(x) >= '(' then trim(x)
        else mk_core(x)
    end;

-- The cleaners the parsers below use; the loader points them at the plain versions for a
-- plain file.
create or replace temp macro mk_clean(x) as mk_text(x);
create or replace temp macro mk_clean_code(x) as mk_code(x);
create or replace temp macro mk_bare_code(x) as mk_bare_code_any(x);

-- --- ids and codes -------------------------------------------------------------------------

-- A number in scientific notation as Excel writes it (1.38E+10, 1E+11) or with a decimal
-- point (1.3800138e10): in an id, phone or code column its digits are lost. A code such as
-- 12E3 (no point, no exponent sign) is kept as written: it may be a real code.
create or replace temp macro mk_sci_pattern() as
    '[+-]?[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[+-]?[0-9]+[eE][+-][0-9]+';
-- mk_no_exponent: no e or E, so not that notation; two substring tests cost a fifth of the
-- regex on digit-only codes (barcodes, phones).
create or replace temp macro mk_no_exponent(t) as not (contains(t, 'e') or contains(t, 'E'));
create or replace temp macro mk_not_sci(t) as
    case
        when t < '+' or t >= ':' or mk_no_exponent(t)
            or not regexp_full_match(t, mk_sci_pattern()) then t
    end;

-- An id or code that is clean as it is; ids starting with a letter skip the notation test.
create or replace temp macro mk_fast_id(x) as
    case
        when mk_bare_code(x) and (x >= ':' or mk_no_exponent(x)
            or not regexp_full_match(x, mk_sci_pattern())) then x
    end;
-- A cleaned id or code, or null when it is a number in scientific notation (the loader tells
-- that from a blank).
create or replace temp macro mk_id(t) as mk_not_sci(t);

-- --- dates ---------------------------------------------------------------------------------

-- Accepted, year first: 2026-10-05, 2026/10/05, 2026.10.05, 2026-1-5, 20261005 and
-- 2026年10月5日, each with an optional time (14:30, 14:30:15, a fraction of a second) after
-- a space or T; the 14 digits of 20261005143015. The shape is checked before strptime,
-- whose %Y also takes years of one to three digits ('85-06-01' would be the year 85).
create or replace temp macro mk_time_pattern() as
    '[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?';
create or replace temp macro mk_ymd_pattern() as
    '[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|\.[0-9]{1,2}\.[0-9]{1,2}|[0-9]{4})'
    || '(?:(?: +|T)' || mk_time_pattern() || ')?'
    || '|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日(?: *' || mk_time_pattern() || ')?'
    || '|[0-9]{14}';
-- ISO 8601 with an offset from UTC: 2026-10-05T14:30:00Z, +08:00, +0800, +08.
create or replace temp macro mk_offset_pattern() as ' ?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)';
create or replace temp macro mk_iso_pattern() as
    '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?: +|T)' || mk_time_pattern() || mk_offset_pattern();
-- Day and month before the year (05/10/2026, 10-5-2026 14:30): read only in the order
-- --date-format names (dmy or mdy), refused as ambiguous without it.
create or replace temp macro mk_dm_pattern() as
    '[0-9]{1,2}(?:/[0-9]{1,2}/|-[0-9]{1,2}-|\.[0-9]{1,2}\.)[0-9]{4}'
    || '(?:(?: +|T)' || mk_time_pattern() || ')?';
-- A year of two digits, first or last (26-10-05, 02/03/26): never guessed.
create or replace temp macro mk_short_year_pattern() as
    '(?:[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2})'
    || '(?:(?: +|T)' || mk_time_pattern() || ')?';

-- What strptime reads once the date part is rewritten as 2026-10-05 (a trailing space is
-- ignored); date-only first, as date columns need it.
create or replace temp macro mk_ymd_formats() as [
    '%Y-%m-%d %H:%M:%S', '%Y-%m-%d', '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S.%n',
    '%Y-%m-%d %H%M%S'
];
create or replace temp macro mk_ymd(t) as
    try_strptime(
        regexp_replace(t, '^([0-9]{4})[-/.年]?([0-9]{1,2})[-/.月]?([0-9]{1,2})日? *T? *', '\1-\2-\3 '),
        mk_ymd_formats()
    );

-- A time with an offset, as wall time in the time zone tz: the offset is taken off to get
-- UTC, which timezone() turns into tz's local time.
create or replace temp macro mk_offset_minutes(t) as
    case
        when ends_with(t, 'Z') then 0
        else (case when regexp_matches(t, '-[0-9:]+$') then -1 else 1 end) * (
            60 * regexp_extract(t, '([0-9]{2}):?([0-9]{2})?$', 1)::integer
            + coalesce(nullif(regexp_extract(t, '([0-9]{2}):?([0-9]{2})?$', 2), '')::integer, 0)
        )
    end;
create or replace temp macro mk_offset_ts(t, tz) as
    case when abs(mk_offset_minutes(t)) <= 14 * 60 then timezone(tz, timezone('UTC',
        mk_ymd(regexp_replace(t, mk_offset_pattern() || '$', ''))
        - to_minutes(mk_offset_minutes(t))
    )) end;

create or replace temp macro mk_dm(t, date_order) as
    case
        when date_order = 'dmy' then
            mk_ymd(regexp_replace(t, '^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}) *T? *', '\3-\2-\1 '))
        when date_order = 'mdy' then
            mk_ymd(regexp_replace(t, '^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}) *T? *', '\3-\1-\2 '))
    end;

-- A cleaned date or date/time in any accepted form; tz and date_order come from the load's
-- options (--timezone, --date-format).
create or replace temp macro mk_timestamp(t, tz, date_order) as
    case
        when regexp_full_match(t, mk_ymd_pattern()) then mk_ymd(t)
        when regexp_full_match(t, mk_iso_pattern()) then mk_offset_ts(t, tz)
        when date_order is not null and regexp_full_match(t, mk_dm_pattern())
            then mk_dm(t, date_order)
    end;

-- A date column also takes a timestamp export's time part ('2026-10-05 00:00:00').
create or replace temp macro mk_date(t, tz, date_order) as mk_timestamp(t, tz, date_order)::date;

-- Months: 2026-10, 2026/10, 2026.10, 202610, 2026年10月, or any date in the month.
create or replace temp macro mk_month(t, tz, date_order) as
    date_trunc('month', case
        when regexp_full_match(t, '[0-9]{4}(?:[-/.][0-9]{1,2}|[0-9]{2}|年[0-9]{1,2}月)')
            then try_strptime(regexp_replace(t, '^([0-9]{4})[-/.年]?([0-9]{1,2})月?$', '\1-\2'), '%Y-%m')
        else mk_timestamp(t, tz, date_order)
    end)::date;

-- Why a date that did not parse was refused, where a sharper reason than "bad date" helps.
create or replace temp macro mk_needs_date_order(t, date_order) as
    date_order is null and regexp_full_match(t, mk_dm_pattern());
create or replace temp macro mk_short_year(t) as regexp_full_match(t, mk_short_year_pattern());

-- --- numbers -------------------------------------------------------------------------------

-- DuckDB's own casts round '3.5' to 4 and read '0x10' and '1_000': only plain digits count.
create or replace temp macro mk_int(x) as
    case when regexp_full_match(x, '[+-]?[0-9]{1,9}') then try_cast(x as integer) end;

-- Money: an optional sign; ¥, ￥ or RMB before the number, or 元 or RMB after it; thousands
-- separators in groups of three; (5.00) for -5.00 (accounting). At most two decimals
-- (trailing zeros allowed); a value within 1e-9 of a whole cent is that cent (a float that
-- went through a spreadsheet: 35.370000000000005), computed in decimals. Anything else is
-- refused, never silently rounded.
create or replace temp macro mk_money_shape() as replace(replace(replace(
    '\((?:CUR ?)?NUM(?: ?SUF)?\)|[+-]?(?:CUR ?)?[+-]?NUM(?: ?SUF)?',
    'NUM', '(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,15})(?:\.[0-9]*)?'),
    'CUR', '(?:[¥￥]|RMB)'), 'SUF', '(?:元|RMB)');
create or replace temp macro mk_cent(v) as
    case when abs(v - round(v, 2)) <= 0.000000001 then try_cast(round(v, 2) as decimal(18, 2)) end;
create or replace temp macro mk_money_number(n) as
    case
        when regexp_full_match(n, '[+-]?[0-9]+(?:\.[0-9]{0,2}0*)?') then try_cast(n as decimal(18, 2))
        else mk_cent(try_cast(n as decimal(38, 20)))
    end;
create or replace temp macro mk_money(x) as
    case
        when regexp_full_match(x, '[+-]?[0-9]{1,15}(?:\.[0-9]{0,2}0*)?') then try_cast(x as decimal(18, 2))
        when regexp_full_match(x, mk_money_shape()) then
            ((case when starts_with(x, '(') then -1 else 1 end)
            * mk_money_number(regexp_replace(x, '[¥￥,()元 ]|RMB', '', 'g')))::decimal(18, 2)
    end;
-- A money value refused for its third decimal rather than as "not a number".
create or replace temp macro mk_money_too_precise(x) as
    regexp_full_match(x, mk_money_shape()) and regexp_matches(x, '\.[0-9]{2}0*[1-9]');

-- --- codes ---------------------------------------------------------------------------------

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

-- Service records (SPEC 5.12-5.13): each code is stored in English, written in English or
-- as the forms name it.

-- A survey score on the five-point scale: 1-5, or the words from 非常满意 (5) down to
-- 非常不满意 (1). Unlike a complaint's satisfaction, the degrees are kept apart.
create or replace temp macro mk_score(x) as
    case
        when regexp_full_match(x, '[1-5](\.0+)?分?') then try_cast(left(x, 1) as integer)
        when lower(x) in ('非常满意', 'very satisfied') then 5
        when lower(x) in ('满意', 'satisfied') then 4
        when lower(x) in ('一般', 'neutral') then 3
        when lower(x) in ('不满意', 'dissatisfied') then 2
        when lower(x) in ('非常不满意', 'very dissatisfied') then 1
    end;

create or replace temp macro mk_survey_channel(x) as
    case
        when lower(x) in ('phone', '电话') then 'phone'
        when lower(x) in ('sms', '短信') then 'sms'
        when lower(x) in ('email', 'e-mail', '邮件', '电子邮件') then 'email'
        when lower(x) in ('visit', '线下访谈') then 'visit'
    end;

create or replace temp macro mk_callback_kind(x) as
    case
        when lower(x) in ('after_sale', '售后回访') then 'after_sale'
        when lower(x) in ('new', '新会员回访') then 'new'
        when lower(x) in ('lapsed', '流失会员回访') then 'lapsed'
        when lower(x) in ('complaint', '投诉回访') then 'complaint'
        when lower(x) in ('expiring', '到期提醒') then 'expiring'
        when lower(x) in ('survey', '满意度回访') then 'survey'
    end;

-- A wrong number is written 空号 (not in service), 错号 (someone else's) or as the form's
-- own "空号/错号".
create or replace temp macro mk_call_outcome(x) as
    case
        when lower(x) in ('reached', '接通') then 'reached'
        when lower(x) in ('no_answer', '未接通') then 'no_answer'
        when lower(x) in ('refused', '拒访') then 'refused'
        when lower(x) in ('wrong_number', '空号', '错号', '空号/错号') then 'wrong_number'
    end;

-- --- the fast paths, on the untouched value -------------------------------------------------

-- The common export format of a date/time. strptime's %Y takes 1-3 digit years too (and
-- white space around the value), so a result before the year 1000 goes the careful way
-- (nullif(greatest(...)) names the parsed value once).
create or replace temp macro mk_from_year_1000(ts) as
    nullif(greatest(ts, timestamp '1000-01-01'), timestamp '1000-01-01');
create or replace temp macro mk_fast_timestamp(x) as
    mk_from_year_1000(try_strptime(x, '%Y-%m-%d %H:%M:%S'));
create or replace temp macro mk_fast_date(x) as
    mk_from_year_1000(try_strptime(x, '%Y-%m-%d'))::date;

-- Numbers: a round trip. A value that casts and prints back exactly as written ('63.18',
-- '7') is plain; anything else ('63.1', '+7', ' 7', '3.5') is cleaned and read carefully.
create or replace temp macro mk_fast_money(x) as
    case when try_cast(x as decimal(18, 2))::varchar = x then try_cast(x as decimal(18, 2)) end;
create or replace temp macro mk_fast_int(x) as
    case when try_cast(x as integer)::varchar = x then try_cast(x as integer) end;
