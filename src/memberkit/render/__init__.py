"""Render a report from its template: terminal table, CSV or JSON (SPEC 6)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
                        f"{group.prefix}_{item['label']}_{field.key}",
                        f"{name} {field.label.in_(lang)}",
                        field.format,
                        item.get(field.key),
                    )
                )
    return cells


def money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_value(value: Any, fmt: Format, *, show_phone: bool = True) -> str:
    """How a value reads in a table: thousands separators, two decimals, 0.0%, — for null."""
    if value is None:
        return MISSING
    if fmt == "count":
        return f"{value:,}"
    if fmt == "money":
        return f"{money(value):,.2f}"
    if fmt == "ratio":
        return f"{value:.1%}"
    if fmt == "decimal":
        return f"{value:,.2f}"
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


def _json_value(value: Any, fmt: Format) -> Any:
    if value is None:
        return None
    if fmt == "money":
        return _Money(money(value))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class _Money:
    """An amount that json must write as a number with exactly two decimals."""

    def __init__(self, value: Decimal):
        self.value = value


_MONEY_MARK = "\x00memberkit-money:"


def _json_row(row: dict[str, Any], template: Template) -> dict[str, Any]:
    formats = {c.key: c.format for c in template.columns}
    out = {}
    for key, value in row.items():
        group = next((g for g in template.groups if g.key == key), None)
        if group is not None:
            field_formats = {f.key: f.format for f in group.fields}
            out[key] = [
                {k: _json_value(v, field_formats.get(k, "text")) for k, v in item.items()}
                for item in value
            ]
        else:
            out[key] = _json_value(value, formats.get(key, "text"))
    return out


def to_json(report: Report, name: str) -> str:
    """{"report", "period", "rows"}; amounts as numbers with two decimals, ratios unrounded."""
    template = load_template(name)
    document = {
        "report": name,
        "period": report.period.label,
        "rows": [_json_row(row, template) for row in report.rows],
    }

    def encode(value: Any) -> Any:
        if isinstance(value, _Money):
            return f"{_MONEY_MARK}{value.value}"
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    text = json.dumps(document, ensure_ascii=False, indent=2, default=encode)
    # The marked strings become bare numbers: "<mark>12.30" -> 12.30. The mark starts with
    # a NUL, which json writes as \u0000, so no string from the data can look like it.
    mark = re.escape(json.dumps(_MONEY_MARK)[1:-1])
    return re.sub(f'"{mark}(-?[0-9]+\\.[0-9]{{2}})"', r"\1", text)


def to_csv(report: Report, name: str) -> str:
    """English keys as the header; amounts with two decimals, ratios unrounded."""
    template = load_template(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header_written = False
    for row in report.rows:
        cells = flatten(row, template, "en")
        if not header_written:
            writer.writerow([c.key for c in cells])
            header_written = True
        writer.writerow([_csv_value(c.value, c.format) for c in cells])
    if not header_written:
        writer.writerow([c.key for c in template.columns])
    return buffer.getvalue()


def _csv_value(value: Any, fmt: Format) -> str:
    if value is None:
        return ""
    if fmt == "money":
        return str(money(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
