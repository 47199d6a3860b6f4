"""The call-back workbook (SPEC 5.9): every row, then a sheet per kind and a sheet per store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from memberkit.render.excel import write_workbook
from memberkit.render.excel_format import Sheet, WorkbookInfo
from memberkit.render.templates import Lang, load_template, load_words, with_code_labels
from memberkit.render.workbooks import rows_by_store, store_label, store_part
from memberkit.reports import Report


def with_kind_labels(report: Report, lang: Lang) -> Report:
    """The list as a table or a sheet shows it: each kind by its name, the handbook's (6.3)
    in zh (CSV and JSON keep the code)."""
    return with_code_labels(report, load_template("callbacks"), lang)


def callbacks_workbook(
    report: Report, path: Path, lang: Lang, info: WorkbookInfo, names: dict[str, str | None]
) -> None:
    """All call-backs; one sheet per kind asked for (empty ones too: nobody to call is an
    answer); one sheet per store with rows, in store id order, holding its rows of every kind.
    Phones in full: the file is the calling list (and readable by its owner only)."""
    # the rows keep their codes: a sheet shows each kind by its label (excel._write_sheet)
    sheets = [Sheet(report, "callbacks")]
    for kind in report.kinds:
        label = load_template("callbacks").show_code("kind", kind, lang)
        rows = [r for r in report.rows if r["kind"] == kind]
        where = load_words(lang)["aside"].format(label)
        part = replace(report, rows=rows, where=where)
        sheets.append(Sheet(part, "callbacks", name=label))
    for store, rows in sorted(rows_by_store(report).items()):
        sheets.append(
            Sheet(store_part(report, rows, store), "callbacks", name=store_label(store, names))
        )
    write_workbook(path, sheets, lang, info)
