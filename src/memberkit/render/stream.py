"""JSON and CSV of a long list written a chunk of rows at a time (churn-risk's millions of
members): the same text as to_json and to_csv, without holding it whole.

A report whose rows offer `column_chunks()` (reports/risk_rows.py) is read that way; any
other list is one chunk. Each chunk is formatted column by column by the functions to_json
uses, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from memberkit.files import defuse_formula
from memberkit.render import (
    _csv_value,
    _json_column,
    _json_money,
    _json_shown,
    _json_string,
    json_head,
)
from memberkit.render.templates import load_template
from memberkit.reports import Report


def _chunks(report: Report) -> Iterator[dict[str, list]]:
    if hasattr(report.rows, "array_chunks"):
        return  # _fast_lines writes them
    chunks = getattr(report.rows, "column_chunks", None)
    if chunks is not None:
        yield from chunks()
    elif report.rows:
        keys = list(report.rows[0])
        yield {k: [r[k] for r in report.rows] for k in keys}


def json_parts(report: Report, name: str) -> Iterator[str]:
    """to_json(report, name) + "\\n", in parts."""
    template = load_template(name)
    formats = {c.key: c.format for c in template.columns}
    groups = {g.key: {f.key: f.format for f in g.fields} for g in template.groups}
    yield json_head(report, name)
    label = _json_shown(report.scope.label if report.scope else "ALL")
    separator = '  "rows": [\n    '
    for lines in _fast_lines(report, "json"):
        yield separator + ",\n    ".join(lines)
        separator = ",\n    "
    for columns in _chunks(report):
        keys = list(columns)
        texts = [_json_column(columns[k], formats.get(k, "text"), groups.get(k)) for k in keys]
        if "scope" not in keys:  # SPEC 6: every row names its scope, lists' rows too
            keys.insert(0, "scope")
            texts.insert(0, [label] * len(texts[0]))
        layout = "{" + ", ".join(f"{_json_string(k).replace('%', '%%')}: %s" for k in keys) + "}"
        yield separator + ",\n    ".join([layout % values for values in zip(*texts, strict=True)])
        separator = ",\n    "
    yield '  "rows": []\n}\n' if separator.startswith("  ") else "\n  ]\n}\n"


def csv_parts(report: Report, name: str) -> Iterator[str]:
    """to_csv(report, name), in parts: a list's columns (no groups), English keys."""
    template = load_template(name)
    if template.groups:
        raise ValueError(f"{name}: a template with groups is written whole (to_csv)")
    keys = [c.key for c in template.columns]
    formats = [c.format for c in template.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # a value holding a lone CR is quoted with its whole row, as to_csv does
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(keys)
    for lines in _fast_lines(report, "csv"):
        buffer.write("".join(lines))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    for columns in _chunks(report):
        texts = [
            _csv_column(columns.get(k), f, len(next(iter(columns.values()))))
            for k, f in zip(keys, formats, strict=True)
        ]
        for row in zip(*texts, strict=True):
            if any("\r" in v for v in row):
                quoted.writerow(row)
            else:
                writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _csv_column(values: list[Any] | None, fmt: str, rows: int) -> list[str]:
    """_csv_value of each value, by one function picked for the column."""
    if values is None:
        return [""] * rows
    sample = next((v for v in values if v is not None), None)
    if fmt == "money" and isinstance(sample, float):
        convert = _json_money  # what str(money(v)) gives for a float, without Decimal
    elif isinstance(sample, str):
        convert = defuse_formula
    elif isinstance(sample, int | float) and not isinstance(sample, bool):
        convert = repr if isinstance(sample, float) else str
    else:
        return [_csv_value(v, fmt) for v in values]
    return ["" if v is None else convert(v) for v in values]


# churn-risk's figures as text by DuckDB, a chunk of members at once: its double -> varchar
# is Python's repr (shortest round trip; checked on a million values of every magnitude) but
# for -0.0, and printf's two decimals of a value rounded to cents is what money() writes
# below 1e13 (the double nearest a cent prints as that cent)
_FLOAT = "case when {v} = 0 and signbit({v}) then '-0.0' else {v}::varchar end"
_MONEY = (
    "case when {v} is null then {null} when {v} = 0 and signbit({v}) then '-0.00' "
    "else printf('%.2f', {v}) end"
)
_FIGURES = ("t_x", "T", "p_alive", "expected_purchases")
_JSON_FIGURES = "concat('\"x\": ', x::varchar, {floats}, ', \"value_at_risk\": ', {money})".format(
    floats=", ".join(f"', \"{k}\": ', {_FLOAT.format(v=k)}" for k in _FIGURES),
    money=_MONEY.format(v="value_at_risk", null="'null'"),
)
_CSV_FIGURES = "concat(x::varchar, {floats}, ',', {money})".format(
    floats=", ".join(f"',', {_FLOAT.format(v=k)}" for k in _FIGURES),
    money=_MONEY.format(v="value_at_risk", null="''"),
)
_CSV_SPECIAL = (",", '"', "\r", "\n")


def _fast_lines(report: Report, fmt: str) -> Iterator[list[str]]:
    """The lines of each chunk of churn-risk's rows (report.rows.array_chunks()); a chunk
    this cannot write exactly (an id CSV must quote, a value at risk of 1e13 or more) is
    written by the general functions instead."""
    chunks = getattr(report.rows, "array_chunks", None)
    if chunks is None:
        return
    import duckdb

    con = duckdb.connect()
    try:
        for arrays in chunks():
            lines = _chunk_lines(con, arrays, fmt)
            if lines is None:
                lines = _slow_lines(report, arrays, fmt)
            yield lines
    finally:
        con.close()


def _chunk_lines(con, arrays: dict[str, Any], fmt: str) -> list[str] | None:
    money = arrays["value_at_risk"]
    if np.any(np.abs(money[~np.isnan(money)]) >= 1e13):
        return None
    mk_chunk = pa.table(  # noqa: F841 (read by DuckDB by its name)
        {
            "x": arrays["x"],
            **{k: arrays[k] for k in _FIGURES},
            "value_at_risk": pa.array(money, from_pandas=True),  # NaN: null
        }
    )
    query = _JSON_FIGURES if fmt == "json" else _CSV_FIGURES
    relation = con.sql(f"select {query} from mk_chunk")
    figures = (getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table)()
    figures = figures.column(0).to_pylist()
    if fmt == "json":
        texts = [_json_column(arrays[k], "text", None) for k in ("scope", "member_id", "store_id")]
        return [
            f'{{"scope": {u}, "member_id": {m}, "store_id": {s}, {f}}}'
            for u, m, s, f in zip(*texts, figures, strict=True)
        ]
    member_ids = [defuse_formula(v) for v in arrays["member_id"]]
    store_ids = [defuse_formula(v) for v in arrays["store_id"]]
    joined = "".join(member_ids) + "".join(store_ids)
    if any(c in joined for c in _CSV_SPECIAL):
        return None
    return [f"{m},{s},{f}\n" for m, s, f in zip(member_ids, store_ids, figures, strict=True)]


def _slow_lines(report: Report, arrays: dict[str, Any], fmt: str) -> list[str]:
    """One chunk by the general path: as plain values, through json_parts or csv_parts."""
    columns = {k: v if isinstance(v, list) else v.tolist() for k, v in arrays.items()}
    columns["value_at_risk"] = [None if v != v else v for v in columns["value_at_risk"]]
    part = Report(report.name, report.period, report.scope, _Columns(columns))
    if fmt == "json":
        text = "".join(json_parts(part, "churn-risk"))
        body = text[text.index('"rows": [\n    ') + len('"rows": [\n    ') : -len("\n  ]\n}\n")]
        return [body]
    text = "".join(csv_parts(part, "churn-risk"))
    return [text[text.index("\n") + 1 :]]


class _Columns(list):
    """A chunk's columns, read by _chunks as one chunk."""

    def __init__(self, columns: dict[str, list]) -> None:
        super().__init__([None] * len(columns["member_id"]))
        self._columns = columns

    def column_chunks(self):
        yield self._columns
