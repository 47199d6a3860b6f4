"""Rows that need their line: the second read of rejected and repeated rows, the rejects
table with file, line, column, reason and raw text, and the --rejects file."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import polars as pl

from memberkit.db import frame
from memberkit.errors import InputRejected
from memberkit.files import SPREADSHEET_FORMULA, atomic_output
from memberkit.ingest import merge
from memberkit.ingest.kinds import Kind
from memberkit.ingest.records import MAX_RAW_CHARS, locate
from memberkit.ingest.results import RejectSample
from memberkit.ingest.source import PreparedFile

_PARSE_ERRORS = {
    "TOO MANY COLUMNS": "too many columns",
    "MISSING COLUMNS": "too few columns",
    "UNQUOTED VALUE": "misplaced or unbalanced quote",
    "INVALID UNICODE": "invalid characters for the file's encoding",
    "LINE SIZE OVER MAXIMUM": "line too long",
}


def read_rows_needing_care(
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
    (its own rejects, by record number, are skipped)."""
    key_hash = f"hash({', '.join(kind.key)})"
    return read_again(
        con, prepared, parsed, params,
        key_hash=key_hash,
        wanted="true" if every_row else f"invalid or key_hash in (select {key_hash} from mk_clash)",
        exact="true" if every_row else f"reason is not null or {merge.key_in_clash(kind, 't')}",
        reader_rejects=reader_rejects, accepted=accepted,
    )  # fmt: skip


def read_again(
    con,
    prepared: PreparedFile,
    parsed: str,
    params,
    *,
    key_hash: str,
    wanted: str,
    exact: str,
    reader_rejects: list[int],
    accepted: int,
) -> tuple[dict, dict]:
    """mk_rows: the rows `wanted` (a condition on mk_marks' `invalid` and `key_hash`, the
    hash of their key), typed, with `ord`, kept if `exact` (a condition on the typed row:
    hashes may meet by chance); returns where they lie in the file (records.locate).

    One read of the whole file numbered by row_number() runs on one thread (8 s for 10M
    tickets). Instead a parallel read that keeps file order notes each row's validity and
    key hash (row ids are then positions; nothing in that read may reorder rows, so the
    keys are matched afterwards); the records needed are copied, as they are, to a small
    file that the same query reads, numbers and filters exactly."""
    con.execute(
        "create or replace temp table mk_marks as "
        f"select reason is not null as invalid, {key_hash} as key_hash from ({parsed})",
        params,
    )
    marked = con.execute("select count(*) from mk_marks").fetchall()[0][0]
    if marked != accepted:  # this read must see the rows the first one did, no fewer
        raise rows_unaccounted(prepared, marked + len(reader_rejects))
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
    with tempfile.TemporaryDirectory(prefix="memberkit-") as folder:
        small = Path(folder) / "rows.csv"
        with open(small, "w", encoding="utf-8", newline="") as out:
            out.write("header\n" + "".join(found[o].raw + "\n" for o in ords))
        con.execute(
            f"""
            create or replace temp table mk_rows as
            select o.ord, t.* exclude (i)
            from (select row_number() over () as i, * from ({parsed})) t
            join (select unnest($ords) as ord, unnest(range(1, len($ords) + 1)) as i) o
                using (i)
            where {exact}
            """,
            params | {"path": str(small), "ords": ords},
        )
    return located


def rows_unaccounted(prepared: PreparedFile, counted: int) -> InputRejected:
    """DuckDB's reader skipped rows without saying so: refuse rather than lose them."""
    return InputRejected(
        f"{prepared.label}: the CSV reader accounted for {counted} of "
        f"{prepared.count_records()} rows; nothing was loaded",
        hint="check the line endings and quoting, or re-export the file",
    )


def record_rejects(
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
