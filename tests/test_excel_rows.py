"""Big sheets stream their rows as XML (render/excel_rows): the cells read back as xlsxwriter's
own cell-by-cell writing makes them, whatever the values hold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from memberkit.periods import Scope, month
from memberkit.render import excel
from memberkit.render.excel_format import Sheet, WorkbookInfo
from memberkit.reports import Report

INFO = WorkbookInfo(date(2026, 10, 31), datetime(2026, 11, 5, 9, 30))
AWKWARD = [
    "张　三",  # an ideographic space inside
    " leading",
    "trailing ",
    "a & b <c> \"d\" 'e'",
    "bell\x07 tab\t new\nline cr\r",
    "_x0041_ stays as typed",
    "\ufffe\uffff",
    "=1+1",
    "",
    "x" * 40_000,  # beyond Excel's 32,767 characters: cut as xlsxwriter cuts it
]


def rows() -> list[dict]:
    out = []
    for i, text in enumerate(AWKWARD * 3):
        out.append(
            {
                "store_id": f"S{i % 3:03d}",
                "member_id": f"M{i:05d}",
                "name": text if i % 4 else None,
                "phone": "13800000000" if i % 5 else text,
                "join_date": date(2020, 1, 1 + i % 28),
                "expiry_date": datetime(2026, 11, 1, 12, 30) if i == 7 else date(2026, 11, 2),
                "visits": i - 5,
                "spend": Decimal(f"{(i - 9) * 123.45:.2f}") if i % 6 else None,
                "visits_short": 1.5 if i == 3 else i,
                "spend_short": {4: Decimal("-0.00"), 5: Decimal("1E+3")}.get(
                    i, Decimal("1234567.89")
                ),
            }
        )
    return out


def cells(path) -> list[list[tuple]]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return [
        [
            (c.value, c.number_format, c.font.color and c.font.color.rgb, c.alignment.horizontal)
            for c in row
        ]
        for row in ws.iter_rows()
    ], {k: d.width for k, d in ws.column_dimensions.items()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_streamed_rows_read_as_xlsxwriter_writes_them(tmp_path, monkeypatch, lang):
    monkeypatch.setattr(excel, "CONSTANT_MEMORY_ROWS", 0)  # every sheet streams
    report = Report("expiring", month(2026, 11), Scope(), rows())
    streamed = tmp_path / "streamed.xlsx"
    excel.write_workbook(streamed, [Sheet(report, "expiring")], lang, INFO)
    monkeypatch.setattr(excel, "_streams", lambda report, template: False)
    by_cell = tmp_path / "by_cell.xlsx"
    excel.write_workbook(by_cell, [Sheet(report, "expiring")], lang, INFO)
    assert cells(streamed) == cells(by_cell)


def test_streamed_text_is_never_taken_for_markup(tmp_path, monkeypatch):
    """xlsxwriter writes a text that starts with <r> and ends with </r> as rich-text XML (a
    name reads empty, or breaks the file); streamed, it reads as written."""
    monkeypatch.setattr(excel, "CONSTANT_MEMORY_ROWS", 0)
    names = ["<r>x</r>", "<r><t>y</t></r>"]
    report = Report(
        "expiring",
        month(2026, 11),
        Scope(),
        [{**row, "name": name} for row, name in zip(rows(), names, strict=False)],
    )
    path = tmp_path / "w.xlsx"
    excel.write_workbook(path, [Sheet(report, "expiring")], "zh", INFO)
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert [ws.cell(row, 3).value for row in (5, 6)] == names


def test_a_code_column_streams_its_labels(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "CONSTANT_MEMORY_ROWS", 0)
    row = {"store_id": "S001", "member_id": "M1", "name": "王", "phone": "1"}
    row |= {"reason_date": date(2026, 10, 3), "reason_amount": Decimal("12.30")}
    kinds = ["after_sale", "new", "lapsed", "unknown_code"]
    report = Report("callbacks", month(2026, 10), Scope(), [{**row, "kind": k} for k in kinds])
    path = tmp_path / "c.xlsx"
    excel.write_workbook(path, [Sheet(report, "callbacks")], "zh", INFO)
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert [ws.cell(r, 1).value for r in range(5, 9)] == [
        "售后回访",
        "新会员回访",
        "流失会员回访",
        "unknown_code",
    ]
