"""JSON and CSV of a long list written a chunk of rows at a time (churn-risk's millions of
members): the same text as to_json and to_csv, without holding it whole.

A report whose rows offer `column_chunks()` (reports/risk_rows.py) is read that way; any
other list is one chunk. Each chunk is formatted column by column by the functions to_json
uses, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from memberkit.files import defuse_formula
from memberkit.render import _csv_value, _json_column, _json_money, _json_shown, _json_string
from memberkit.render.templates import load_template
from memberkit.reports import Report


def _chunks(report: Report) -> Iterator[dict[str, list]]:
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
    extra = "".join(
        f"  {_json_string(k)}: {json.dumps(v, ensure_ascii=False)},\n"
        for k, v in report.extra.items()
    )
    yield (
        "{\n"
        f'  "report": {_json_string(name)},\n'
        f'  "period": {_json_string(report.period.label)},\n' + extra
    )
    label = _json_shown(report.scope.label if report.scope else "ALL")
    separator = '  "rows": [\n    '
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
