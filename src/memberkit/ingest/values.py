"""The typed read of a file's values: one query that parses every value by its column's
type (parse.sql) and names the column and reason that make a row bad (SPEC 3, 3.1)."""

from __future__ import annotations

from memberkit.errors import UsageError, quoted
from memberkit.ingest.kinds import Kind
from memberkit.ingest.results import LoadOptions
from memberkit.ingest.source import PreparedFile

# What a bad value of each type is called in the rejects table, with the forms accepted
# (SPEC 3.1). "id" is a text column that is not free text (ids, phones, codes).
_DATES = "2026-10-05, 2026/10/05, 2026.10.05, 20261005, 2026年10月5日"


_MONEY = "accepted: 1234.50, 1,234.50, ¥1234.50, 1234.50元, RMB 1234.50, (5.00) for -5.00"


_BAD_VALUE = {
    "date": f"bad date (accepted: {_DATES})",
    "timestamp": "bad date/time (accepted: 2026-10-05 14:30:15, 2026/10/05 14:30, 2026.10.05, "
    "20261005, 2026年10月5日, 2026-10-05T14:30+08:00)",
    "month": "bad month (accepted: 2026-10, 2026/10, 202610, 2026年10月 or a date)",
    "money": "amount not a number",
    "int": "not a whole number",
    "move_kind": "unknown move kind (opening, receipt, transfer, issue or adjust)",
    "satisfaction": "unknown satisfaction (满意, 一般, 不满意 or a score of 1-5)",
    "score": "unknown score (1-5, or 非常满意, 满意, 一般, 不满意, 非常不满意)",
    "survey_channel": "unknown channel (电话, 短信, 邮件, 线下访谈 or phone, sms, email, visit)",
    "callback_kind": "unknown call-back kind (售后回访, 新会员回访, 流失会员回访, 投诉回访, "
    "到期提醒, 满意度回访 or after_sale, new, lapsed, complaint, expiring, survey)",
    "call_outcome": "unknown outcome (接通, 未接通, 拒访, 空号/错号 or reached, no_answer, "
    "refused, wrong_number)",
    "id": "a number in scientific notation (Excel damage): export this column as text",
}


# Sharper reasons, tried before the one above: (SQL test of the cleaned value `{v}`, reason).
_DATE_REASONS = (
    (
        "mk_needs_date_order({v}, $date_format)",
        "day and month order unknown (05/10/2026): pass --date-format dmy or mdy",
    ),
    ("mk_short_year({v})", f"two-digit year (accepted: {_DATES})"),
)


_WHY_BAD = {
    "date": _DATE_REASONS,
    "timestamp": _DATE_REASONS,
    "money": (("mk_money_too_precise({v})", f"more than two decimals ({_MONEY})"),),
}


_DATE_TYPES = ("date", "timestamp", "month")


# The types with a fast path for values in the common export format (mk_fast_<type>).
_FAST = ("id", "timestamp", "date", "money", "int")


DATE_FORMATS = ("dmy", "mdy")


_SQL_TYPE = {
    "text": "varchar",
    "move_kind": "varchar",
    "satisfaction": "varchar",
    "survey_channel": "varchar",
    "callback_kind": "varchar",
    "call_outcome": "varchar",
    "score": "integer",
    "gender": "varchar",
    "date": "date",
    "month": "date",
    "timestamp": "timestamp",
    "money": "decimal(18, 2)",
    "int": "integer",
}


# How each read treats rows DuckDB's reader cannot parse: the first read records them (with
# their record numbers), the second skips the same rows. It records them too, in tables
# nobody reads: with ignore_errors alone, duckdb 2.0's parallel reader drops every row after
# a misplaced quote that pairs with one on a later line, without saying so.
STORE_REJECTS = (
    "store_rejects = true, rejects_table = 'mk_reject_errors', rejects_scan = 'mk_reject_scans'"
)


REREAD_REJECTS = (
    "store_rejects = true, rejects_table = 'mk_reread_errors', rejects_scan = 'mk_reread_scans'"
)


def check_value_options(con, options: LoadOptions) -> None:
    """--timezone and --date-format are usage errors (exit 2) before any file is read."""
    if options.date_format not in (None, *DATE_FORMATS):
        raise UsageError(
            f"--date-format: {quoted(str(options.date_format))} is not dmy or mdy",
            hint="dmy reads 05/10/2026 as 5 October, mdy as May 10",
        )
    zone = options.timezone
    # ICU takes unknown names as "Etc/Unknown" (UTC) without a word: look the name up
    known = con.execute(
        "select count(*) from pg_timezone_names() where lower(name) = lower($zone)",
        {"zone": zone},
    ).fetchall()[0][0]
    if not known or zone.upper() == "CST":
        raise UsageError(
            f"--timezone: unknown time zone {quoted(zone)}"
            if known == 0
            else "--timezone: CST is US Central time in the time-zone database",
            hint="name a zone such as Asia/Shanghai (China) or UTC",
        )


def parsed_rows(
    prepared: PreparedFile, kind: Kind, positions: dict[str, int], options: LoadOptions
) -> tuple[str, dict]:
    """A query of the file's rows, typed, with the column and reason that make a row bad.

    The SQL is assembled from the kind's own column list (never from file contents); file
    headers are replaced by positional names c0, c1, ... so no header text reaches SQL.
    `{rejects}` is left for the caller: how the reader treats rows it cannot parse.

    A value cN is read in up to three steps (parse.sql): fN, the fast path on the untouched
    value; kN, the value cleaned, only where the fast path failed; then the careful parser
    of kN. A check of a row looks at kN, never at the raw value again."""
    fast, cleaned, values, checks, suspect = [], [], [], [], []
    for column in kind.columns:
        name = column.name
        if name not in positions:
            values.append(f"null::{_SQL_TYPE[column.type]} as {name}")
            continue
        i = positions[name]
        if column.free_text:  # names: trimmed and unguarded, inner characters kept
            values.append(f"mk_clean(c{i}) as {name}")
            if column.required:
                checks.append((f"{name} is null", name, "missing required value"))
                suspect.append(f"{name} is null")
            continue
        value_type = "id" if column.type == "text" else column.type
        args = ", $timezone, $date_format" if value_type in _DATE_TYPES else ""
        if value_type in _FAST:
            fast.append(f"mk_fast_{value_type}(c{i}) as f{i}")
            cleaned.append(
                f"case when f{i} is null and c{i} is not null then mk_clean_code(c{i}) end as k{i}"
            )
            values.append(f"coalesce(f{i}, mk_{value_type}(k{i}{args})) as {name}")
        else:
            cleaned.append(f"mk_clean_code(c{i}) as k{i}")
            values.append(f"mk_{value_type}(k{i}{args}) as {name}")
        # only a value that did not parse is looked at again
        if column.required:
            checks.append((f"{name} is null and k{i} is null", name, "missing required value"))
        for test, why in _WHY_BAD.get(value_type, ()):
            checks.append((f"{name} is null and {test.format(v=f'k{i}')}", name, why))
        if value_type in _BAD_VALUE:  # not gender: anything else is "unknown" (SPEC 2)
            checks.append((f"{name} is null and k{i} is not null", name, _BAD_VALUE[value_type]))
        # Most rows break no rule: a cheap test of the parsed values lets them skip the CASE
        # (an optional value that is null was blank in the file, or bad).
        if column.required:
            suspect.append(f"{name} is null")
        elif value_type in _BAD_VALUE:
            suspect.append(f"{name} is null and c{i} is not null")
    checks += list(kind.checks)
    # one CASE finds the first rule a row breaks; its column and reason are looked up
    problem = " ".join(f"when {cond} then {i}" for i, (cond, _, _) in enumerate(checks, 1))
    suspect += [f"({cond})" for cond, _, _ in kind.checks]
    blamed = ", ".join(f"'{col}'" for _, col, _ in checks)
    reasons = ", ".join("'{}'".format(why.replace("'", "''")) for _, _, why in checks)
    # new_line is left to DuckDB on purpose: with auto_detect off and strict mode on,
    # new_line='\\r\\n' makes duckdb 2.0 return no rows at all for a CRLF file.
    sql = f"""
        with raw as (
            select * from read_csv(
                $path, columns = $columns, header = true, delim = $delim, quote = '"',
                escape = '"', auto_detect = false, strict_mode = true,
                null_padding = false, encoding = 'utf-8', {{rejects}}
            )
        ),
        fast as (select *{"".join(", " + f for f in fast)} from raw),
        cleaned as (select *{"".join(", " + k for k in cleaned)} from fast),
        typed as (select *, {", ".join(values)} from cleaned),
        judged as (
            select *, case when {" or ".join(f"({s})" for s in suspect) or "false"}
                then case {problem} end end as problem
            from typed
        )
        select {", ".join(kind.column_names)},
            [{blamed}][problem] as bad_column,
            [{reasons}][problem] as reason
        from judged
        """
    params = {
        "path": str(prepared.csv_path),
        "columns": {f"c{i}": "VARCHAR" for i in range(len(prepared.header))},
        "delim": prepared.delimiter,
    }
    if any(kind.column(c).type in _DATE_TYPES for c in positions):  # DuckDB refuses extras
        params |= {"timezone": options.timezone, "date_format": options.date_format}
    return sql, params
