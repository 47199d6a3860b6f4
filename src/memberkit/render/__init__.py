"""Render a report from its template: terminal table, CSV or JSON (SPEC 6)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from memberkit.files import defuse_formula
from memberkit.render.templates import Format, Lang, Template, load_template
from memberkit.reports import Report

MISSING = "—"


@dataclass(frozen=True)
class Cell:
    key: str  # English key for CSV
    label: str  # heading in the chosen language
    format: Format
    value: Any


def flatten(row: dict[str, Any], template: Template, lang: Lang) -> list[Cell]:
    """One row as cells in template order, lists spread into one cell per item and field."""
    cells = [Cell(c.key, c.label.in_(lang), c.format, row.get(c.key)) for c in template.columns]
    for group in template.groups:
        for item in row.get(group.key) or []:
            name = group.item_name(item["label"], lang)
            for field in group.fields:
                cells.append(
                    Cell(
                        f"{group.prefix}_{ascii_label(item['label'])}_{field.key}",
                        f"{name} {field.label.in_(lang)}",
                        field.format,
                        item.get(field.key),
                    )
                )
    return cells


# Band labels as CSV keys spell their edges in ASCII (SPEC 6): <100 lt100, 100–300 100_300,
# ≥1000 ge1000; a spreadsheet formula or a script names the column without typing – or ≥.
_LABEL_ASCII = str.maketrans({"<": "lt", "≥": "ge", ">": "gt", "≤": "le", "–": "_", "-": "_"})


def ascii_label(label: str) -> str:
    """An item label (a band '100–300', a grade 'A', 'unknown') as part of a CSV key."""
    key = str(label).translate(_LABEL_ASCII)
    if not key.isascii():  # a label nobody foresaw must not slip into a key unnoticed
        raise ValueError(f"no ASCII CSV key for the label {label!r}")
    return key


_CENT = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return value  # DuckDB's decimal(18, 2) already is
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def half_up(value: Any, step: str) -> Decimal:
    """A number rounded as a spreadsheet shows it, half away from zero (3.625 -> 3.63), from
    its shortest decimal form: Python's own formatting rounds a half to even (3.62), so a
    table and the workbook would read differently."""
    return Decimal(str(value)).quantize(Decimal(step), rounding=ROUND_HALF_UP)


def format_value(value: Any, fmt: Format, *, show_phone: bool = True) -> str:
    """How a value reads in a table: thousands separators, two decimals, 0.0%, — for null."""
    if value is None:
        return MISSING
    if fmt == "count":
        return f"{value:,}"
    if fmt == "money":
        return f"{money(value):,.2f}"
    if fmt == "ratio":
        return f"{half_up(Decimal(str(value)) * 100, '0.1'):.1f}%"
    if fmt == "decimal":
        return f"{half_up(value, '0.01'):,.2f}"
    if fmt == "phone":
        return str(value) if show_phone else mask_phone(str(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number, not enough to call it."""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * len(phone)


# json's own string quoting (C-accelerated), without building an encoder per value
_json_string = json.encoder.encode_basestring


def _json_shown(text: str) -> str:
    """A str from data as JSON that is safe on a screen: besides what json escapes, DEL, C1,
    bidi and other non-printable characters (but spaces such as U+3000) as \\u escapes. A
    JSON reader gets the same value; a terminal gets nothing it would act on."""
    quoted = _json_string(text)
    if quoted.isprintable():
        return quoted
    return "".join(
        c if c.isprintable() or unicodedata.category(c) == "Zs" else json.dumps(c)[1:-1]
        for c in quoted
    )


def _json_text(value: Any, fmt: Format) -> str:
    """One value as JSON text; an amount as a number with exactly two decimals."""
    if value is None:
        return "null"
    if fmt == "money":
        return str(money(value))
    if isinstance(value, str):
        return _json_shown(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return repr(float(value))
    if isinstance(value, datetime | date):
        return f'"{value.isoformat()}"'
    return _json_shown(str(value))


def _json_money(value: Any) -> str:
    """An amount that is not a Decimal (a float from numpy): two decimals as money() rounds
    them. A float that already has at most two decimals is written straight from its repr."""
    if isinstance(value, float):
        text = repr(value)
        whole, dot, cents = text.partition(".")
        if dot and len(cents) <= 2 and "e" not in text:
            return f"{whole}.{cents:0<2}"
    return str(money(value))


def _json_object(item: dict[str, Any], formats: dict[str, Format]) -> str:
    fields = (
        f"{_json_string(key)}: {_json_text(value, formats.get(key, 'text'))}"
        for key, value in item.items()
    )
    return "{" + ", ".join(fields) + "}"


def _json_column(values: list[Any], fmt: Format, fields: dict[str, Format] | None) -> list[str]:
    """A column's values as JSON texts, converted by one function picked for the column
    (a list of 50,000 members is 500,000 values)."""
    if fields is not None:  # a group: a list of objects per row
        return ["[" + ", ".join(_json_object(v, fields) for v in vs) + "]" for vs in values]
    sample = next((v for v in values if v is not None), None)
    if fmt == "money" and isinstance(sample, Decimal):
        convert = lambda v: str(money(v))  # noqa: E731
    elif fmt == "money":
        convert = _json_money
    elif isinstance(sample, str):
        # one C-speed test for the whole column; escapes only where a value needs them
        printable = "".join(filter(None, values)).isprintable()
        convert = _json_string if printable else _json_shown
    elif isinstance(sample, int) and not isinstance(sample, bool):
        convert = str
    elif isinstance(sample, float):
        convert = float.__repr__  # what _json_text writes for a float, without its dispatch
    elif isinstance(sample, date):  # datetime too
        convert = lambda v: f'"{v.isoformat()}"'  # noqa: E731
    else:
        convert = lambda v: _json_text(v, fmt)  # noqa: E731
    return ["null" if v is None else convert(v) for v in values]


def to_json(report: Report, name: str) -> str:
    """{"report", "period", "rows"}, one row per line; amounts as numbers with two decimals,
    ratios unrounded. Written directly (not by json.dumps) because json cannot print 12.30
    as a number, and because a list of 50,000 members must not take seconds."""
    template = load_template(name)
    formats = {c.key: c.format for c in template.columns}
    groups = {g.key: {f.key: f.format for f in g.fields} for g in template.groups}
    lines = []
    if report.rows:
        keys = list(report.rows[0])
        columns = [
            _json_column([r[k] for r in report.rows], formats.get(k, "text"), groups.get(k))
            for k in keys
        ]
        if "scope" not in keys:  # SPEC 6: every row names its scope, lists' rows too
            keys.insert(0, "scope")
            label = report.scope.label if report.scope else "ALL"
            columns.insert(0, [_json_shown(label)] * len(report.rows))
        # one %-template per row shape: the keys are written once, the values filled in
        layout = "{" + ", ".join(f"{_json_string(k).replace('%', '%%')}: %s" for k in keys) + "}"
        lines = [layout % values for values in zip(*columns, strict=True)]
    rows = ",\n    ".join(lines)
    return (
        json_head(report, name)
        + (f'  "rows": [\n    {rows}\n  ]\n' if rows else '  "rows": []\n')
        + "}"
    )


def json_head(report: Report, name: str) -> str:
    """The JSON's keys before its rows: report, period, and the keys a report adds beside its
    rows (churn-risk's "model"), plain JSON values."""
    extra = "".join(
        f"  {_json_string(k)}: {json.dumps(v, ensure_ascii=False)},\n"
        for k, v in report.extra.items()
    )
    return (
        "{\n"
        f'  "report": {_json_string(name)},\n'
        f'  "period": {_json_string(report.period.label)},\n' + extra
    )


def to_csv(report: Report, name: str) -> str:
    """English keys as the header; amounts with two decimals, ratios unrounded; text that a
    spreadsheet would run as a formula with a leading ' (SPEC 6)."""
    text = _csv(report, load_template(name), quote_cr=False)
    # csv quotes a value holding "\n" but not one holding a lone "\r" (a name typed with one,
    # kept in quotes by the loader), which every reader takes for the end of the row: a file
    # with a CR anywhere is written again, quoting every value of the rows that hold one
    return _csv(report, load_template(name), quote_cr=True) if "\r" in text else text


def _csv(report: Report, template: Template, *, quote_cr: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    header_written = False
    for row in report.rows:
        cells = flatten(row, template, "en")
        if not header_written:
            writer.writerow([c.key for c in cells])
            header_written = True
        values = [_csv_value(c.value, c.format) for c in cells]
        if quote_cr and any("\r" in v for v in values):
            quoted.writerow(values)
        else:
            writer.writerow(values)
    if not header_written:
        writer.writerow([c.key for c in template.columns])
    return buffer.getvalue()


def _csv_value(value: Any, fmt: Format) -> str:
    """A cell's CSV text. An amount, count or ratio is written as a number, however negative;
    a str is text from outside (a name, an id, a phone as written) and is guarded."""
    if value is None:
        return ""
    if fmt == "money":
        return str(money(value))
    if isinstance(value, str):
        return defuse_formula(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
