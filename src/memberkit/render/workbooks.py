"""Workbooks of reports: one report's sheet, or the whole monthly workbook (memberkit report)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from memberkit.files import atomic_output
from memberkit.periods import Scope
from memberkit.render.excel import write_workbook
from memberkit.render.excel_format import Sheet, WorkbookInfo
from memberkit.render.sheet_names import unique_sheet_name
from memberkit.render.templates import Lang, load_template, load_words, scope_name
from memberkit.reports import Report
from memberkit.reports.monthly import Monthly, MonthlySheet


def workbook_info(through: date | None) -> WorkbookInfo:
    """What a workbook says of its data: the day of the latest ticket (reports.data_through),
    and when it was made (now)."""
    return WorkbookInfo(data_through=through, generated_at=datetime.now().replace(microsecond=0))


def monthly_workbook(monthly: Monthly, lang: Lang, path: Path, info: WorkbookInfo) -> list[Sheet]:
    """Cover, one sheet per analysis, churn risk and spending power per store."""
    words = load_words(lang)
    sheets = [_monthly_sheet(s, lang) for s in monthly.sheets]
    period, scope, facts = monthly.period, monthly.scope, monthly.facts
    by = words["aside"].format(words["by"].format(words[scope.by])) if scope.by else ""
    cover: list[tuple[str, object]] = [
        # a whole year's workbook is an annual report (年报), a month's a monthly one (月报)
        ("", words["cover_title_" + period.kind].format(period=period.label)),
        (words["period"], period.label),
        (words["scope"], scope_name(scope, lang) + by),
        (words["through"], info.data_through),
        (words["generated"], info.generated_at.strftime("%Y-%m-%d %H:%M")),
    ]
    for table, count in facts["rows"].items():
        if table in ("members", "transactions", "stores", "targets"):
            cover.append((words["table_rows"].format(table=words[f"table_{table}"]), count))
    cover.append((words["risk_model"], _model_line(monthly, lang)))
    for load in facts["last_loads"]:
        kind, status = load["kind"], load["status"]
        line = words["load_line"].format(
            when=load["finished_at"].strftime("%Y-%m-%d %H:%M"),
            kind=words["kind_" + kind.replace("-", "_")],  # every kind has its words
            file=load["file_name"],
            loaded=load["rows_loaded"],
            rejected=load["rows_rejected"],
            status=words.get(f"status_{status}", status),
        )
        cover.append((words["recent_load"], line))
    write_workbook(path, sheets, lang, info, cover=cover)
    return sheets


def _monthly_sheet(sheet: MonthlySheet, lang: Lang) -> Sheet:
    """A sheet of the monthly workbook. The breakdown by store is named as such and has no
    charts: the whole scope's sheet before it charts the same figures (its ALL column), and a
    chart per store would not fit."""
    if not sheet.per_store:
        return Sheet(report=sheet.report, template=sheet.name, bases=sheet.bases)
    words = load_words(lang)
    name = words["sheet_by"].format(
        sheet=load_template(sheet.name).sheet_name(lang), by=words["store"]
    )
    return Sheet(sheet.report, sheet.name, name=name, charts=False)


def _model_line(monthly: Monthly, lang: Lang) -> str:
    """The churn-risk model's line of the cover, or why it could not be fitted."""
    words = load_words(lang)
    if monthly.risk_model is None:
        return words["risk_not_fitted"].format(reason=monthly.risk_refusal or "")
    return words["risk_model_line"].format(**monthly.risk_model)


def store_label(store_id: str, names: dict[str, str | None]) -> str:
    name = names.get(store_id)
    return f"{store_id} {name}" if name else store_id


def rows_by_store(report: Report) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in report.rows:  # rows come ordered by store
        groups.setdefault(row["store_id"], []).append(row)
    return groups


def store_part(report: Report, rows: list[dict], store: str) -> Report:
    """One store's rows of the list, titled with that store as its scope."""
    return replace(report, scope=Scope(store=store), rows=rows)


def expiring_workbook(
    report: Report, path: Path, lang: Lang, info: WorkbookInfo, names: dict[str, str | None]
) -> None:
    """The all-stores sheet with a count per store, then one sheet per store."""
    groups = rows_by_store(report)
    counts = [(store_label(s, names), len(rows)) for s, rows in groups.items()]
    sheets = [Sheet(report, "expiring", counts=counts)]
    sheets += [
        Sheet(store_part(report, rows, store), "expiring", name=store_label(store, names))
        for store, rows in groups.items()
    ]
    write_workbook(path, sheets, lang, info)


def safe_filestore_part(text: str) -> str:
    """A store id or name as part of a file name: letters, digits, CJK, '-' and '_' only,
    so that an id like '../../etc' can never leave the folder it is written to. Where
    cleaning changed the text, a short hash of the original keeps two ids that clean alike
    ('S/1' and 'S_1') from sharing a file."""
    import hashlib

    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text).strip("._")
    if cleaned != text or not cleaned:
        cleaned = f"{cleaned or 'store'}_{hashlib.sha1(text.encode()).hexdigest()[:6]}"
    return cleaned


def split_expiring(
    report: Report, folder: Path, lang: Lang, info: WorkbookInfo, names: dict[str, str | None]
) -> list[Path]:
    """One workbook per store (named by store id and name) plus the all-stores workbook."""
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    written = []
    all_stores = root / load_words(lang)["all_stores_file"].format(period=report.period.label)
    expiring_workbook(report, all_stores, lang, info, names)
    written.append(all_stores)
    for store, rows in rows_by_store(report).items():
        parts = [safe_filestore_part(store)]
        if names.get(store):
            parts.append(safe_filestore_part(names[store]))
        parts.append(report.period.label)
        target = (root / ("-".join(parts) + ".xlsx")).resolve()
        if target.parent != root:  # belt and braces: never write outside the folder
            raise ValueError(f"refusing to write outside {root}: {target}")
        write_workbook(
            target,
            [Sheet(store_part(report, rows, store), "expiring", name=store_label(store, names))],
            lang,
            info,
        )
        written.append(target)
    return written


def count_sheet(path: Path, location: str, day, gifts: list[dict], lang: Lang) -> None:
    """门店/总仓礼品盘点表: a blind count sheet (no book quantities) that loads back as-is
    with `memberkit load gift-counts`: its header row uses the loader's own column names."""
    import xlsxwriter

    words = load_words(lang)
    where = words["hq"] if location == "HQ" else words["store"]  # handbook forms 8.10, 8.7
    title = words["count_title"].format(where=where, location=location)
    place = words["hq"] if location == "HQ" else location
    note = words["count_note"].format(location=place, day=day.isoformat())
    # the loader's own (Chinese) column names, whatever the language: the sheet loads back
    header = ["盘点日期", "盘点地点", "礼品编号", "礼品名称", "单位", "实盘数量", "盘点人"]
    with atomic_output(path, private=False, suffix=".xlsx") as tmp:
        book = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = book.add_worksheet(unique_sheet_name(words["count_sheet"], set()))
        bold = book.add_format({"bold": True, "font_size": 14})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        cell = book.add_format({"border": 1})
        when = book.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        blank = book.add_format({"border": 1, "bg_color": "#FFF2CC"})  # to fill in
        ws.write_string(0, 0, title, bold)
        ws.write_string(1, 0, note)
        ws.write_row(3, 0, header, head)
        moment = datetime(day.year, day.month, day.day)
        for r, gift in enumerate(gifts, start=4):
            ws.write_datetime(r, 0, moment, when)
            ws.write_string(r, 1, location, cell)
            ws.write_string(r, 2, gift["gift_id"], cell)
            ws.write_string(r, 3, gift.get("gift_name") or "", cell)
            ws.write_string(r, 4, gift.get("unit") or "", cell)
            ws.write_blank(r, 5, None, blank)
            ws.write_blank(r, 6, None, blank)
        for r in range(4, 4 + len(gifts)):
            ws.set_row(r, 22)  # room to write in by hand
        for col, width in enumerate((13, 11, 11, 24, 7, 13, 13)):
            ws.set_column(col, col, width)
        ws.freeze_panes(4, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4, like every form
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(3)
        book.close()
