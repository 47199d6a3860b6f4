"""Load one file into the database: prepare → map columns → stage → validate → merge.

Every data row read ends up loaded, skipped as an identical duplicate, or rejected with its
line, column and reason (SPEC 3). One transaction per file: a failure leaves no trace.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from memberkit.db import frame, transaction, undo_interrupted_loads
from memberkit.errors import InputRejected, UsageError, printable, quoted
from memberkit.files import SPREADSHEET_FORMULA, atomic_output
from memberkit.ingest.kinds import Kind, get_kind, map_header, normalise_header, read_mapping
from memberkit.ingest.quotes import check_quotes
from memberkit.ingest.records import MAX_RAW_CHARS, locate, stray_carriage_return
from memberkit.ingest.source import PreparedFile, Progress, prepare, scan

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
    "gender": "varchar",
    "date": "date",
    "month": "date",
    "timestamp": "timestamp",
    "money": "decimal(18, 2)",
    "int": "integer",
}
_PARSE_ERRORS = {
    "TOO MANY COLUMNS": "too many columns",
    "MISSING COLUMNS": "too few columns",
    "UNQUOTED VALUE": "misplaced or unbalanced quote",
    "INVALID UNICODE": "invalid characters for the file's encoding",
    "LINE SIZE OVER MAXIMUM": "line too long",
}


@dataclass
class LoadOptions:
    kind: str
    encoding: str | None = None
    delimiter: str | None = None
    mapping: Path | None = None
    max_reject_ratio: float = 0.01
    # Times with a UTC offset (ISO ...T14:30+08:00) become wall time in this zone.
    timezone: str = "Asia/Shanghai"
    # The order of day and month in dates written 05/10/2026: dmy, mdy or None (refused).
    date_format: str | None = None
    sheets: list[str] | None = None  # XLSX: read only these sheets (--sheet)


@dataclass
class RejectSample:
    line: int | None
    column: str | None
    reason: str
    sheet: str | None = None  # a workbook's sheet, when rows come from several


@dataclass
class LoadResult:
    file: str
    kind: str
    status: str  # loaded | refused | already_loaded
    load_id: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    loaded: int = 0
    replaced: int = 0
    duplicates: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    first_rejects: list[RejectSample] = field(default_factory=list)
    warnings: list[RejectSample] = field(default_factory=list)  # loaded rows worth a look
    refusal: str | None = None  # why a refused file was refused
    previous_load_id: int | None = None
    previous_loaded_at: datetime | None = None
    notes: list[str] = field(default_factory=list)  # about the file: title lines skipped, ...

    @property
    def reject_ratio(self) -> float:
        return self.rejected / self.rows_read if self.rows_read else 0.0


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: LoadOptions,
    progress: Progress | None = None,
) -> LoadResult:
    kind = get_kind(options.kind)
    _check_options(con, options)
    extra_aliases = read_mapping(options.mapping, kind)
    # A file loaded before is recognised by its hash, before any decoding or parsing. The
    # file stays open from here on: what is read is what was hashed (SPEC 3.1).
    scanned = scan(path, progress)
    try:
        result = _load_scanned(con, path, scanned, kind, extra_aliases, options, progress)
        result.file = printable(str(path))
        return result
    finally:
        if scanned.source is not None:
            scanned.source.close()


def _load_scanned(con, path, scanned, kind: Kind, extra_aliases, options, progress) -> LoadResult:
    picking = bool(options.sheets) and scanned.is_sheet
    if not picking and (previous := _previous_load(con, scanned.sha256, kind, None)):
        return previous
    if progress:
        progress.phase("reading the file")
    prepared = prepare(
        path,
        scanned,
        kind=kind,
        extra=extra_aliases,
        encoding=options.encoding,
        delimiter=options.delimiter,
        sheets=options.sheets,
    )
    try:
        # a workbook loaded with --sheet is known by its hash and the sheets picked
        if picking and (previous := _previous_load(con, prepared.sha256, kind, prepared.encoding)):
            return previous
        positions, ignored = map_header(prepared.header, kind, prepared.label, extra_aliases)
        if prepared.has_quote:
            # quoted values may span lines only in free-text columns (or ones not read)
            strict = {i for name, i in positions.items() if not kind.column(name).free_text}
            free = set(range(len(prepared.header))) - strict
            check_quotes(
                prepared.csv_path,
                prepared.label,
                prepared.header,
                prepared.delimiter,
                free,
                prepared.line_offset,
            )
        started = datetime.now()
        if progress:
            progress.phase("loading into the database")
        try:
            with transaction(con):
                result = _load_prepared(con, prepared, kind, positions, options, started)
                prepared.check_unchanged()  # else the rows may not be the ones hashed
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # if the bulk insert failed
                con.execute("set preserve_insertion_order = true")
            undo_interrupted_loads(con)  # the first part, if the load had committed one
            raise
        informational = {normalise_header(h) for h in kind.informational}
        result.ignored_columns = [
            h for h in ignored if h and normalise_header(h) not in informational
        ]
        result.notes = prepared.notes
        return result
    finally:
        prepared.cleanup()


def _check_options(con, options: LoadOptions) -> None:
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


def _previous_load(con, sha256: str, kind: Kind, picked: str | None) -> LoadResult | None:
    """The load of this file that counts: all of it, or (picked) the same sheets of it."""
    previous = con.execute(
        "select load_id, finished_at, encoding, delimiter from loads "
        "where sha256 = $sha and kind = $kind and status = 'loaded' "
        "and ($picked is null and not starts_with(encoding, 'xlsx [') "
        "or encoding in ('xlsx', $picked)) "
        "order by load_id limit 1",
        {"sha": sha256, "kind": kind.name, "picked": picked},
    ).fetchall()
    if not previous:
        return None
    load_id, finished_at, encoding, delimiter = previous[0]
    return LoadResult(
        file="",
        kind=kind.name,
        status="already_loaded",
        encoding=encoding,
        delimiter=delimiter,
        previous_load_id=load_id,
        previous_loaded_at=finished_at,
    )


def _load_prepared(
    con,
    prepared: PreparedFile,
    kind: Kind,
    positions: dict[str, int],
    options: LoadOptions,
    started: datetime,
) -> LoadResult:
    """Insert the file's valid rows in one streaming pass, then sort out the few that need
    care: rejected rows, and ids the file repeats or the database already holds.

    Those few are read again with their position in the file (mk_rows, with `ord`, the
    0-based position among the rows DuckDB's reader accepted) and classified and merged as
    before; everything else is already in place. Where a repeated id has the same content
    everywhere, no line numbers are needed and the second read is skipped."""
    con.execute(resources.files("memberkit.ingest").joinpath("parse.sql").read_text("utf-8"))
    if prepared.plain:
        con.execute(
            "create or replace temp macro mk_clean(x) as mk_text_plain(x);"
            "create or replace temp macro mk_clean_code(x) as mk_text_plain(x);"
            "create or replace temp macro mk_bare_code(x) as mk_bare_plain(x)"
        )
    _drop_scratch(con)
    load_id = con.execute("select nextval('load_ids')").fetchall()[0][0]
    had_rows = con.execute(f"select count(*) > 0 from {kind.table}").fetchall()[0][0]
    parsed, params = _parsed_rows(prepared, kind, positions, options)
    columns = ", ".join(kind.column_names)
    # File order does not matter for the bulk rows (positions come from the second read),
    # and not keeping it lets DuckDB write the table in parallel with far less memory.
    con.execute("set preserve_insertion_order = false")
    try:
        inserted = con.execute(
            f"insert into {kind.table} ({columns}, load_id) "
            f"select {columns}, $load_id from ({parsed.replace('{rejects}', _STORE_REJECTS)}) "
            "where reason is null",
            params | {"load_id": load_id},
        ).fetchall()[0][0]
    except duckdb.InvalidInputException as exc:
        raise _reader_failed(prepared, exc) from None
    # A global setting: back to its default (load_file does it if the insert failed: no
    # statement runs in a failed transaction).
    con.execute("set preserve_insertion_order = true")
    parse_rejects = con.execute(
        "select line, column_name, error_type, error_message from mk_reject_errors "
        "qualify row_number() over (partition by line order by column_idx) = 1"
    ).fetchall()
    accounted = inserted + len(parse_rejects)
    if accounted != prepared.data_records:
        prepared.count_records()
    invalid = prepared.data_records - accounted

    replace = kind.on_conflict == "replace"
    _find_clashes(con, kind, load_id, had_rows)
    # A column the file lacks keeps what is stored (SPEC 3.1 Partial files): a row that
    # replaces by key is compared, and replaces, on the file's own columns only.
    absent = [c for c in kind.column_names if c not in positions] if replace else []
    # Kinds with warnings are small and every loaded row of theirs may need its line; so
    # are movements, whose rows are all looked at (none is a duplicate within the file).
    every_row = bool(kind.warnings) or kind.movement_ref is not None
    if not every_row and (invalid or con.execute("select count(*) from mk_clash").fetchall()[0][0]):
        _commit_bulk_rows(con, prepared, kind, load_id, started)
    clash = _key_in_clash(kind, "t")
    located = None  # records found by the second read, for the rejects table
    if every_row or invalid or _clashes_differ(con, kind, absent):
        located = _read_rows_needing_care(
            con,
            prepared,
            kind,
            parsed.replace("{rejects}", _REREAD_REJECTS),
            params,
            every_row,
            [r[0] for r in parse_rejects],
            accepted=inserted + invalid,
        )
        found = con.execute("select count(*) from mk_rows where reason is not null").fetchall()
        if invalid < 0 or found[0][0] != invalid:
            raise _rows_unaccounted(prepared, accounted + found[0][0])
    else:
        # every repeat is identical: any copy may stand for the others, no lines needed
        con.execute(
            f"""
            create temp table mk_rows as
            select rowid as ord, {columns}, null::varchar as bad_column,
                null::varchar as reason
            from {kind.table} t where load_id = $load_id and {clash}
            """,
            {"load_id": load_id},
        )
    con.execute(
        f"delete from {kind.table} t where load_id = $load_id and {'true' if every_row else clash}",
        {"load_id": load_id},
    )
    _keep_stored_values(con, kind, absent)

    _classify(con, kind)
    counts = dict(
        zip(
            ("invalid", "dup_same", "dup_diff", "old_same", "old_diff"),
            con.execute(
                "select (select count(*) from mk_rows where reason is not null),"
                " (select count(*) from mk_dupes where identical),"
                " (select count(*) from mk_dupes where not identical),"
                " (select count(*) from mk_existing where identical),"
                " (select count(*) from mk_existing where not identical)"
            ).fetchall()[0],
            strict=True,
        )
    )
    rejected = len(parse_rejects) + counts["invalid"] + counts["dup_diff"]
    rejected += 0 if replace else counts["old_diff"]
    duplicates = counts["dup_same"] + counts["old_same"]
    loaded = prepared.data_records - rejected - duplicates
    too_many = prepared.data_records > 0 and (
        rejected / prepared.data_records > options.max_reject_ratio
        or (kind.refuse_on_any_reject and rejected > 0)
    )

    first_rejects = _record_rejects(con, prepared, kind, positions, load_id, parse_rejects, located)
    warnings: list[RejectSample] = []
    if too_many:
        con.execute(f"delete from {kind.table} where load_id = $id", {"id": load_id})
    else:
        _merge(con, kind, load_id)
        warnings = _warnings(con, prepared, kind, load_id)
    result = LoadResult(
        file=prepared.label,
        kind=kind.name,
        load_id=load_id,
        status="refused" if too_many else "loaded",
        encoding=prepared.encoding,
        delimiter=prepared.delimiter,
        rows_read=prepared.data_records,
        loaded=0 if too_many else loaded,
        replaced=0 if too_many or not replace else counts["old_diff"],
        duplicates=duplicates,
        rejected=rejected,
        first_rejects=first_rejects,
        warnings=warnings,
        refusal=None
        if not too_many
        else (
            f"a {kind.name} file loads whole or not at all"
            if kind.refuse_on_any_reject
            and rejected / prepared.data_records <= options.max_reject_ratio
            else f"{rejected / prepared.data_records:.1%} of its rows were rejected, more "
            f"than --max-reject-ratio {options.max_reject_ratio:.1%}"
        ),
    )
    _write_ledger(con, prepared, kind, load_id, started, result)
    _drop_scratch(con)
    return result


def _reader_failed(prepared: PreparedFile, exc: Exception) -> InputRejected:
    """DuckDB's reader gave up on the whole file instead of rejecting rows: say where."""
    line = stray_carriage_return(prepared.csv_path, prepared.delimiter)
    if line is not None:
        line += prepared.line_offset
        return InputRejected(
            f"{prepared.label}: line {line} holds a carriage return (CR) outside quotes, which "
            "the CSV reader cannot place; nothing was loaded",
            hint="remove it or quote the value that holds it (a file whose lines all end in "
            "CR alone loads as it is)",
        )
    # DuckDB's first line says what went wrong; quoted parts may be values from the file
    reason = re.sub(r"'[^']*'|\"[^\"]*\"", "…", str(exc).strip().split("\n")[0])[:200]
    return InputRejected(
        f"{prepared.label}: the CSV reader cannot read the file ({reason}); nothing was loaded",
        hint="check its quoting and line endings, or export it again",
    )


def _commit_bulk_rows(
    con, prepared: PreparedFile, kind: Kind, load_id: int, started: datetime
) -> None:
    """Commit the bulk rows under a ledger row saying 'loading', and go on in a second
    transaction. Rows that must go again (repeats, or all of a refused file) are deleted
    there: deleting rows inserted in the same transaction makes DuckDB rewrite them all at
    commit (6 s for a 10M-ticket file with a few repeats). If the process dies in between,
    db.undo_interrupted_loads removes the committed part on the next open."""
    _write_ledger(con, prepared, kind, load_id, started, None)
    con.execute("commit")
    con.execute("begin transaction")


def _write_ledger(
    con,
    prepared: PreparedFile,
    kind: Kind,
    load_id: int,
    started: datetime,
    result: LoadResult | None,
) -> None:
    """The loads row: the outcome, or (result None) 'loading' while a load is under way."""
    con.execute(
        "insert or replace into loads values ($id, $kind, $name, $path, $sha, $size, $enc, "
        "$delim, $read, $loaded, $replaced, $dup, $rej, $status, $started, $finished)",
        {
            "id": load_id,
            "kind": kind.name,
            "name": prepared.name,
            "path": printable(str(prepared.path.resolve())),
            "sha": prepared.sha256,
            "size": prepared.size,
            "enc": prepared.encoding,
            "delim": prepared.delimiter,
            "read": result.rows_read if result else 0,
            "loaded": result.loaded if result else 0,
            "replaced": result.replaced if result else 0,
            "dup": result.duplicates if result else 0,
            "rej": result.rejected if result else 0,
            "status": result.status if result else "loading",
            "started": started,
            "finished": datetime.now(),
        },
    )


def _drop_scratch(con) -> None:
    for table in (
        "mk_rows",
        "mk_new_keys",
        "mk_clash",
        "mk_dupes",
        "mk_existing",
        "mk_reject_errors",
        "mk_reject_scans",
        "mk_reread_errors",
        "mk_reread_scans",
    ):
        con.execute(f"drop table if exists {table}")


# How each read treats rows DuckDB's reader cannot parse: the first read records them (with
# their record numbers), the second skips the same rows. It records them too, in tables
# nobody reads: with ignore_errors alone, duckdb 2.0's parallel reader drops every row after
# a misplaced quote that pairs with one on a later line, without saying so.
_STORE_REJECTS = (
    "store_rejects = true, rejects_table = 'mk_reject_errors', rejects_scan = 'mk_reject_scans'"
)
_REREAD_REJECTS = (
    "store_rejects = true, rejects_table = 'mk_reread_errors', rejects_scan = 'mk_reread_scans'"
)


def _parsed_rows(
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


def _same_content(kind: Kind, a: str, b: str) -> str:
    return " and ".join(f"{a}.{c} is not distinct from {b}.{c}" for c in kind.column_names)


def _key_match(kind: Kind, a: str, b: str) -> str:
    """Rows with the same key; a key column may be optional (a move's ref), so null = null."""
    return " and ".join(
        f"{a}.{k} = {b}.{k}" if kind.column(k).required else f"{a}.{k} is not distinct from {b}.{k}"
        for k in kind.key
    )


def _read_rows_needing_care(
    con,
    prepared: PreparedFile,
    kind: Kind,
    parsed: str,
    params,
    every_row: bool,
    reader_rejects: list[int],
    accepted: int,
) -> tuple[dict, dict]:
    """mk_rows: the file's rejected rows and the rows of keys in mk_clash (every row if
    every_row), typed, with `ord`, their position among the rows DuckDB's reader accepted
    (its own rejects, by record number, are skipped).

    One read of the whole file numbered by row_number() runs on one thread (8 s for 10M
    tickets). Instead a parallel read that keeps file order notes each row's validity and
    key hash (row ids are then positions; nothing in that read may reorder rows, so the
    keys are matched afterwards); the records needed are copied, as they are, to a small
    file that the same query reads, numbers and filters exactly."""
    key_hash = f"hash({', '.join(kind.key)})"
    con.execute(
        f"create temp table mk_marks as "
        f"select reason is not null as invalid, {key_hash} as key_hash from ({parsed})",
        params,
    )
    marked = con.execute("select count(*) from mk_marks").fetchall()[0][0]
    if marked != accepted:  # this read must see the rows the first one did, no fewer
        raise _rows_unaccounted(prepared, marked + len(reader_rejects))
    wanted = "true" if every_row else f"invalid or key_hash in (select {key_hash} from mk_clash)"
    ords = [
        r[0]
        for r in con.execute(
            f"select rowid - (select min(rowid) from mk_marks) from mk_marks where {wanted} "
            "order by 1"
        ).fetchall()
    ]
    con.execute("drop table mk_marks")
    located = locate(
        prepared.csv_path, reader_rejects, ords, whole=True, delimiter=prepared.delimiter
    )
    found = located[1]
    exact = "true" if every_row else f"reason is not null or {_key_in_clash(kind, 't')}"
    with tempfile.TemporaryDirectory(prefix="memberkit-") as folder:
        small = Path(folder) / "rows.csv"
        with open(small, "w", encoding="utf-8", newline="") as out:
            out.write("header\n" + "".join(found[o].raw + "\n" for o in ords))
        con.execute(
            f"""
            create temp table mk_rows as
            select o.ord, t.* exclude (i)
            from (select row_number() over () as i, * from ({parsed})) t
            join (select unnest($ords) as ord, unnest(range(1, len($ords) + 1)) as i) o
                using (i)
            where {exact}
            """,
            params | {"path": str(small), "ords": ords},
        )
    return located


def _rows_unaccounted(prepared: PreparedFile, counted: int) -> InputRejected:
    """DuckDB's reader skipped rows without saying so: refuse rather than lose them."""
    return InputRejected(
        f"{prepared.label}: the CSV reader accounted for {counted} of "
        f"{prepared.count_records()} rows; nothing was loaded",
        hint="check the line endings and quoting, or re-export the file",
    )


def _find_clashes(con, kind: Kind, load_id: int, had_rows: bool) -> None:
    """mk_clash: the keys of this load that occur more than once in the table, within the
    file or beside an earlier load's row (only looked for if the table had rows)."""
    key = ", ".join(kind.key)
    within_file = f"""
        select {key} from {kind.table} where load_id = $load_id
        group by {key} having count(*) > 1
    """
    params: dict = {"load_id": load_id}
    earlier = ""
    if had_rows:
        # The load's distinct keys in a table of known size, so that the join builds its
        # hash table on them; and their range on each required key column, so that zone
        # maps skip older row groups (ticket numbers and dates rise with time): the cost
        # follows the new rows, not the size of the database.
        con.execute(
            f"create temp table mk_new_keys as "
            f"select distinct {key} from {kind.table} where load_id = $load_id",
            params,
        )
        ranged = [k for k in kind.key if kind.column(k).required]
        bounds = con.execute(
            f"select {', '.join(f'min({k}), max({k})' for k in ranged)} from mk_new_keys"
        ).fetchall()[0]
        for i in range(len(ranged)):
            params |= {f"lo{i}": bounds[2 * i], f"hi{i}": bounds[2 * i + 1]}
        in_range = " and ".join(f"o.{k} between $lo{i} and $hi{i}" for i, k in enumerate(ranged))
        earlier = f"""
        union
        select {", ".join(f"n.{k}" for k in kind.key)}
        from mk_new_keys n join {kind.table} o on {_key_match(kind, "n", "o")}
        where o.load_id <> $load_id and {in_range or "true"}
        """
    con.execute(f"create temp table mk_clash as {within_file} {earlier}", params)


def _key_in_clash(kind: Kind, alias: str) -> str:
    return f"exists (select 1 from mk_clash c where {_key_match(kind, alias, 'c')})"


def _clashes_differ(con, kind: Kind, absent: list[str]) -> bool:
    """Does any repeated key come with more than one content (the table's rows), on the
    columns the file has?"""
    content = ", ".join(f"t.{c}" for c in kind.column_names if c not in absent)
    differing = con.execute(
        f"""
        select 1 from mk_clash c join {kind.table} t on {_key_match(kind, "t", "c")}
        group by {", ".join(f"c.{k}" for k in kind.key)}
        having count(distinct row({content})) > 1
        limit 1
        """
    ).fetchall()
    return bool(differing)


def _keep_stored_values(con, kind: Kind, absent: list[str]) -> None:
    """Give the file's rows whose key is stored that row's values in the columns the file
    lacks: a later row then replaces only what its file says, and is identical (skipped)
    when it agrees on those columns. Run once the load's own rows of these keys are out of
    the table, so the only rows a key matches are earlier loads' (one each)."""
    if not absent:
        return
    stored = ", ".join(f"{c} = t.{c}" for c in absent)
    con.execute(
        f"update mk_rows s set {stored} from {kind.table} t "
        f"where s.reason is null and {_key_match(kind, 's', 't')}"
    )


def _classify(con, kind: Kind) -> None:
    """Find later rows of an id within the file, and rows whose id is already loaded.

    Movements (gift moves) have no repeats within a file, and only rows with a ref are
    matched against earlier loads; several stored rows may hold such a key (two lines of
    one document), and a row is the same as the stored one if it equals any of them."""
    key = ", ".join(kind.key)
    key_match = _key_match(kind, "v", "f")
    con.execute(
        f"""
        create temp table mk_dupes as
        with valid as (select * from mk_rows where reason is null),
        firsts as (
            select {key}, min(ord) as first_ord from valid
            group by {key} having count(*) > 1
        )
        select v.ord, f.first_ord, {_same_content(kind, "v", "first")} as identical
        from valid v
        join firsts f on {key_match}
        join valid first on first.ord = f.first_ord
        where {"false" if kind.movement_ref else "v.ord <> f.first_ord"}
        """
    )
    same = _same_content(kind, "s", "t")
    movement = kind.movement_ref
    con.execute(
        f"""
        create temp table mk_existing as
        select s.ord, {f"bool_or({same})" if movement else same} as identical
        from (select * from mk_rows where reason is null) s
        join {kind.table} t on {_key_match(kind, "s", "t")}
        where s.ord not in (select ord from mk_dupes)
        {f"and s.{movement} is not null group by s.ord" if movement else ""}
        """
    )


def _merge(con, kind: Kind, load_id: int) -> None:
    columns = ", ".join(kind.column_names)
    if kind.on_conflict == "replace":
        # The later row wins; the version it replaces is kept where the kind keeps history.
        old_match = _key_match(kind, "t", "s")
        replaced = (
            f"exists (select 1 from mk_rows s join mk_existing e on s.ord = e.ord "
            f"where not e.identical and {old_match})"
        )
        if kind.history_table:
            con.execute(
                f"insert into {kind.history_table} "
                f"select t.*, $load_id from {kind.table} t where {replaced}",
                {"load_id": load_id},
            )
        con.execute(f"delete from {kind.table} t where {replaced}")
        skip = "select ord from mk_existing where identical"
    else:
        skip = "select ord from mk_existing"
    con.execute(
        f"""
        insert into {kind.table} ({columns}, load_id)
        select {columns}, $load_id from mk_rows
        where reason is null
          and ord not in (select ord from mk_dupes)
          and ord not in ({skip})
        """,
        {"load_id": load_id},
    )
    if kind.lists_stores:
        con.execute(
            f"insert into ticket_stores select distinct store_id from {kind.table} "
            "where load_id = $load_id and store_id not in (select store_id from ticket_stores)",
            {"load_id": load_id},
        )


def _warnings(con, prepared: PreparedFile, kind: Kind, load_id: int) -> list[RejectSample]:
    """Loaded rows that match the kind's warning rules, with the line they came from."""
    if not kind.warnings:
        return []
    # the tables' macros (mk_gift_entries) live with the report queries
    from memberkit.reports import prepare_connection

    prepare_connection(con)
    found = []
    for condition, column, message in kind.warnings:
        ords = con.execute(
            f"""
            select r.ord from mk_rows r
            where r.reason is null
              and r.ord not in (select ord from mk_dupes)
              and r.ord not in (select ord from mk_existing)
              and ({condition})
            order by r.ord
            """,
            {"load_id": load_id} if "$load_id" in condition else {},
        ).fetchall()
        found += [(o[0], column, message) for o in ords]
    if not found:
        return []
    _, by_ordinal = locate(
        prepared.csv_path, [], [o for o, _, _ in found], delimiter=prepared.delimiter
    )
    samples = []
    for ordinal, column, message in sorted(found):
        where = by_ordinal.get(ordinal)
        line = prepared.line_of_record(where.record, where.line) if where else None
        samples.append(RejectSample(line, column, message))
    return samples


def _record_rejects(
    con,
    prepared: PreparedFile,
    kind: Kind,
    positions: dict[str, int],
    load_id: int,
    parse_rejects: list[tuple],
    located: tuple[dict, dict] | None,
) -> list[RejectSample]:
    """Store every rejected row with its line, column, reason and raw text (`located`: the
    records the second read found already, so the file is not scanned again)."""
    key_name = "/".join(kind.key)
    row_rejects = con.execute(
        f"""
        select ord, bad_column, reason, null::bigint from mk_rows where reason is not null
        union all
        select ord, '{key_name}', 'duplicate {key_name} with different content', first_ord
        from mk_dupes where not identical
        """
        + (
            ""
            if kind.on_conflict == "replace"
            else f"""union all
            select ord, '{key_name}', '{key_name} already loaded with different content', null
            from mk_existing where not identical"""
        )
    ).fetchall()
    if not parse_rejects and not row_rejects:
        return []
    first_ords = [r[3] for r in row_rejects if r[3] is not None]
    wanted = [r[0] for r in row_rejects] + first_ords
    if located is not None and all(o in located[1] for o in wanted):
        by_record, by_ordinal = located
    else:
        by_record, by_ordinal = locate(
            prepared.csv_path,
            (r[0] for r in parse_rejects),
            wanted,
            delimiter=prepared.delimiter,
        )
    canonical = {index: name for name, index in positions.items()}
    converted = prepared.sheets.rejects if prepared.sheets else {}
    rows = []

    def place(where) -> tuple:
        """line, file name (with the sheet for a workbook of several), sheet order"""
        if where is None:
            return None, prepared.name, 0
        book = prepared.sheets
        return (
            prepared.line_of_record(where.record, where.line),
            prepared.name_of_record(where.record),
            book.record_sheets[where.record - 1] if book and where.record >= 1 else 0,
        )

    for record_no, column, error_type, message in parse_rejects:
        where = by_record.get(record_no)
        reason = _PARSE_ERRORS.get(error_type, error_type.lower())
        detail = (
            message.replace("Expected Number of Columns:", "expected").replace(" Found:", ", found")
            if "Columns" in (message or "")
            else ""
        )
        if limit := re.search(r"Maximum line size of (\d+) bytes", message or ""):
            detail = f"over {int(limit.group(1)):,} bytes"
        if column and column.startswith("c") and column[1:].isdigit():
            # positional name back to ours (or, for a column we do not read, the file's)
            index = int(column[1:])
            column = canonical.get(index, prepared.header[index])
        raw = where.raw[:MAX_RAW_CHARS] if where else None
        reason = f"{reason} ({detail})" if detail else reason
        column = column if error_type != "TOO MANY COLUMNS" else None
        if where is not None and where.record in converted:
            # a workbook row the conversion rejected (written a field too long on purpose)
            column, reason, raw = converted[where.record]
        rows.append((*place(where), column, reason, raw))
    for ordinal, column, reason, first_ord in row_rejects:
        where = by_ordinal.get(ordinal)
        if first_ord is not None and first_ord in by_ordinal:
            line, name, _ = place(by_ordinal[first_ord])
            sheet = f" of {name.removeprefix(prepared.name).strip()}" if prepared.sheets else ""
            reason = f"{reason} (first at line {line}{sheet if name != prepared.name else ''})"
        rows.append((*place(where), column, reason, where.raw[:MAX_RAW_CHARS] if where else None))
    frame = pl.DataFrame(
        rows,
        schema={
            "line": pl.Int64,
            "file_name": pl.Utf8,
            "sheet": pl.Int64,
            "column_name": pl.Utf8,
            "reason": pl.Utf8,
            "raw": pl.Utf8,
        },
        orient="row",
    ).sort("sheet", "line", nulls_last=True)
    con.register("mk_new_rejects", frame)
    try:
        con.execute(
            "insert into rejects select $load_id, $kind, file_name, line, column_name, reason, "
            "raw from mk_new_rejects",
            {"load_id": load_id, "kind": kind.name},
        )
    finally:
        con.unregister("mk_new_rejects")
    named = prepared.sheets is not None and prepared.sheets.name_sheets
    return [
        RejectSample(r[0], r[3], r[4], r[1].removeprefix(prepared.name).strip() if named else None)
        for r in frame.head(5).iter_rows()
    ]


def export_rejects(con, load_ids: list[int], target: Path) -> int:
    """Write the rejects of these loads as CSV (with a BOM, so Excel reads the Chinese); a
    text cell a spreadsheet would run gets a leading ' (files.defuse_formula's rule, applied
    to whole columns), the line number stays a number."""
    rejected = frame(
        con,
        "select file_name as file, line, column_name as column, reason, raw "
        "from rejects where list_contains($ids, load_id) order by load_id, line",
        {"ids": load_ids},
    )
    text_columns = [c for c, t in rejected.schema.items() if t == pl.String]
    rejected = rejected.with_columns(
        pl.when(pl.col(c).str.contains(SPREADSHEET_FORMULA))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text_columns
    )
    with atomic_output(target, private=True) as tmp:  # raw rows hold names and phones
        rejected.write_csv(tmp, include_bom=True)
    return rejected.height
