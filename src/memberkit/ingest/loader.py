"""Load one file into the database: prepare → map columns → stage → validate → merge.

Every data row read ends up loaded, skipped as an identical duplicate, or rejected with its
line, column and reason (SPEC 3). One transaction per file: a failure leaves no trace.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb

from memberkit import summaries
from memberkit.db import record_load, transaction, undo_interrupted_loads
from memberkit.errors import InputRejected, printable
from memberkit.ingest import lines, merge, rejects, values
from memberkit.ingest.headers import map_header, normalise_header, read_mapping
from memberkit.ingest.kinds import Kind, get_kind
from memberkit.ingest.quotes import check_quotes
from memberkit.ingest.records import stray_carriage_return
from memberkit.ingest.rejects import export_rejects
from memberkit.ingest.results import LoadOptions, LoadResult, RejectSample, too_many_rejects
from memberkit.ingest.source import PreparedFile, Progress, prepare, scan

__all__ = ["LoadOptions", "LoadResult", "RejectSample", "export_rejects", "load_file"]


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: LoadOptions,
    progress: Progress | None = None,
) -> LoadResult:
    kind = get_kind(options.kind)
    values.check_value_options(con, options)
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
    parsed, params = values.parsed_rows(prepared, kind, positions, options)
    columns = ", ".join(kind.column_names)
    # File order does not matter for the bulk rows (positions come from the second read),
    # and not keeping it lets DuckDB write the table in parallel with far less memory.
    con.execute("set preserve_insertion_order = false")
    try:
        inserted = con.execute(
            f"insert into {kind.table} ({columns}, load_id) "
            f"select {columns}, $load_id "
            f"from ({parsed.replace('{rejects}', values.STORE_REJECTS)}) "
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
    if kind.rolls_up_into:  # ticket lines: every line is kept, tickets are formed (3.2)
        result = lines.finish_load(
            con, prepared, kind, positions, options, load_id, parsed, params, inserted,
            parse_rejects, invalid,
            commit_bulk=lambda: _commit_bulk_rows(con, prepared, kind, load_id, started),
        )  # fmt: skip
        _summarise(con, kind, load_id, result)
        _write_ledger(con, prepared, kind, load_id, started, result)
        _drop_scratch(con)
        return result

    replace = kind.on_conflict == "replace"
    merge.find_clashes(con, kind, load_id, had_rows, inserted)
    # A column the file lacks keeps what is stored (SPEC 3.1 Partial files): a row that
    # replaces by key is compared, and replaces, on the file's own columns only.
    absent = [c for c in kind.column_names if c not in positions] if replace else []
    # Kinds with warnings are small and every loaded row of theirs may need its line; so
    # are movements, whose rows are all looked at (none is a duplicate within the file).
    every_row = bool(kind.warnings) or kind.movement_ref is not None
    if not every_row and (invalid or con.execute("select count(*) from mk_clash").fetchall()[0][0]):
        _commit_bulk_rows(con, prepared, kind, load_id, started)
    clash = merge.key_in_clash(kind, "t")
    located = None  # records found by the second read, for the rejects table
    if every_row or invalid or merge.clashes_differ(con, kind, absent):
        located = rejects.read_rows_needing_care(
            con,
            prepared,
            kind,
            parsed.replace("{rejects}", values.REREAD_REJECTS),
            params,
            every_row,
            [r[0] for r in parse_rejects],
            accepted=inserted + invalid,
        )
        found = con.execute("select count(*) from mk_rows where reason is not null").fetchall()
        if invalid < 0 or found[0][0] != invalid:
            raise rejects.rows_unaccounted(prepared, accounted + found[0][0])
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
    merge.keep_stored_values(con, kind, absent)

    merge.classify(con, kind)
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

    first_rejects = rejects.record_rejects(
        con, prepared, kind, positions, load_id, parse_rejects, located
    )
    warnings: list[RejectSample] = []
    if too_many:
        con.execute(f"delete from {kind.table} where load_id = $id", {"id": load_id})
    else:
        merge.merge(con, kind, load_id)
        warnings = merge.warnings(con, prepared, kind, load_id)
    result = LoadResult.of_load(
        prepared,
        kind.name,
        load_id,
        read=prepared.data_records,
        loaded=loaded,
        refusal=None
        if not too_many
        else (
            f"a {kind.name} file loads whole or not at all"
            if kind.refuse_on_any_reject
            and rejected / prepared.data_records <= options.max_reject_ratio
            else too_many_rejects(rejected, prepared.data_records, options.max_reject_ratio)
        ),
        replaced=0 if too_many or not replace else counts["old_diff"],
        duplicates=duplicates,
        rejected=rejected,
        first_rejects=first_rejects,
        warnings=warnings,
    )
    _summarise(con, kind, load_id, result)
    _write_ledger(con, prepared, kind, load_id, started, result)
    _drop_scratch(con)
    return result


def _summarise(con, kind: Kind, load_id: int, result: LoadResult) -> None:
    """Tickets kept by a load add their summary rows (memberkit/summaries.py)."""
    if result.status == "loaded" and "transactions" in (kind.table, kind.rolls_up_into):
        summaries.add_load(con, load_id)


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
    record_load(
        con,
        load_id,
        kind.name,
        name=prepared.name,
        path=printable(str(prepared.path.resolve())),
        status=result.status if result else "loading",
        started=started,
        sha256=prepared.sha256,
        size=prepared.size,
        encoding=prepared.encoding,
        delimiter=prepared.delimiter,
        read=result.rows_read if result else 0,
        loaded=result.loaded if result else 0,
        replaced=result.replaced if result else 0,
        duplicates=result.duplicates if result else 0,
        rejected=result.rejected if result else 0,
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
