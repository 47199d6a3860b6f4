"""The workbooks as printed forms: sheet names, chart labels and axes, footnotes where a share
reads oddly, A4 landscape pages (issue 20)."""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from conftest import run_cli, write
from memberkit.db import asset_dir
from memberkit.reports.analyses import active_share_footnotes

STORES = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\nS003,福田店,华南\n"
# M1 (home S001) shops in S001 and S002 in October: S002 has one member on file and two
# active members, 200%
MEMBERS = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2025-01-01,\n"
    "M2,王芳,女,,13900001111,S002,2025-01-01,2027-01-01\n"
    "M3,李娜,女,1985-07-01,13700002222,S001,2024-01-01,\n"
    "M4,赵敏,女,1992-07-01,13700003333,S003,2024-01-01,\n"
)
TICKETS = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S001,2026-10-03 10:00:00,M1,120.50,2\n"
    "T2,S002,2026-10-04 11:00:00,M2,1200.00,5\n"
    "T3,S002,2026-10-05 12:00:00,M1,80.00,1\n"
    "T4,S001,2026-09-05 12:00:00,M1,450000.00,1\n"
    "T5,S001,2025-10-05 12:00:00,M1,10.00,1\n"
    "T6,S003,2026-10-05 12:00:00,M4,99.00,1\n"
)
NOTE_ZH = "注：消费会员按消费门店计"


@pytest.fixture(scope="module")
def shops_elsewhere(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    db_file = folder / "f.duckdb"
    for kind, text in (("stores", STORES), ("members", MEMBERS), ("transactions", TICKETS)):
        result = run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


def xlsx(db_file: Path, target: Path, *args: str) -> Path:
    result = run_cli(*args, "--db", db_file, "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    return target


def templates() -> dict[str, dict]:
    folder = asset_dir("templates")
    return {
        p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.toml"))
        if p.stem != "words"
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_names_its_sheet_within_excels_limit_and_uncut(lang):
    """A sheet name is the template's `sheet` (or title) whole: at most 31 characters, no
    {placeholder}, no character Excel refuses; so no name is ever cut mid-word."""
    from memberkit.render.sheet_names import unique_sheet_name
    from memberkit.render.templates import load_template

    for name, raw in templates().items():
        label = (raw.get("sheet") or raw["title"])[lang]
        assert len(label) <= 31, (name, label)
        assert not re.search(r"[{}\[\]:*?/\\]", label), (name, label)
        assert load_template(name).sheet_name(lang) == label
        assert unique_sheet_name(label, set()) == label


@pytest.mark.parametrize(
    ("lang", "per_store"),
    [("zh", "会员消费力分析表-门店"), ("en", "Member spending power by store")],
)
def test_monthly_sheet_names_are_unique_and_say_what_they_hold(
    shops_elsewhere, tmp_path, lang, per_store
):
    target = tmp_path / "m.xlsx"
    args = ("report", "--db", shops_elsewhere, "--month", "2026-10", "--lang", lang)
    assert run_cli(*args, "--output", target).exit_code == 0
    names = openpyxl.load_workbook(target).sheetnames
    assert len({n.casefold() for n in names}) == len(names)
    assert all(len(n) <= 31 and not re.search(r" \(\d+\)$", n) for n in names)
    assert names[-1] == per_store
    if lang == "en":
        assert "Gender and age" in names


def _chart_xml(path: Path) -> list[ElementTree.Element]:
    with zipfile.ZipFile(path) as book:
        files = sorted(n for n in book.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n))
        return [ElementTree.fromstring(book.read(n)) for n in files]


C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def test_pie_slices_read_value_and_percent(shops_elsewhere, tmp_path):
    """Each slice of the gender pie: 'members; share' with the share as a percent with one
    decimal, the report's own share (JSON), not a number format applied to both."""
    args = ("demographics", "--month", "2026-10")
    path = xlsx(shops_elsewhere, tmp_path / "d.xlsx", *args)
    pie = next(x for x in _chart_xml(path) if x.find(f".//{C}pieChart") is not None)
    labels = ["".join(t.text for t in label.iter(f"{A}t")) for label in pie.iter(f"{C}dLbl")]
    doc = json.loads(run_cli(*args, "--db", shops_elsewhere, "--format", "json").stdout)
    gender = doc["rows"][-1]["gender"]
    assert labels == [f"{g['members']}; {g['share'] * 100:.1f}%" for g in gender]
    assert labels[0] == "1; 33.3%"  # M1 of the three active members M1, M2, M4


def test_money_axes_and_labels_have_no_cents(shops_elsewhere, tmp_path):
    path = xlsx(shops_elsewhere, tmp_path / "s.xlsx", "spending-power", "--month", "2026-10")
    ws = openpyxl.load_workbook(path).worksheets[0]
    axes = {c.title.tx.rich.p[0].r[0].t: c.y_axis.numFmt.formatCode for c in ws._charts}
    assert axes == {"销售额": "#,##0", "会员销售额": "#,##0", "会员客单价": "#,##0"} | {
        "会员客单数": "#,##0"
    }
    for chart in _chart_xml(path):
        codes = {f.get("formatCode") for f in chart.iter(f"{C}numFmt")}
        assert codes == {"#,##0"}  # the axis and each series' data labels


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ({"S001": 0.5, "S002": 2.0, "ALL": 0.75}, ["active_where_shopped"]),  # over 100%
        ({"S001": 0.5, "S002": 0.6, "ALL": 0.4}, ["active_where_shopped"]),  # ALL below all
        ({"S001": 0.5, "S002": 0.6, "ALL": 0.55}, []),
        ({"S001": 0.5, "S002": 0.3, "ALL": 0.4}, []),
        ({"S001": 1.0, "ALL": 1.0}, []),  # exactly 100% and ALL equal: nothing to explain
        ({"ALL": 1.25}, ["active_where_shopped"]),  # one store without --by
        ({"S001": None, "S002": 0.6, "ALL": 0.4}, []),  # no member on file in S001
        ({"ALL": None}, []),
    ],
)
def test_active_share_footnote_only_where_a_share_reads_oddly(shares, expected):
    rows = [{"scope": scope, "active_share": share} for scope, share in shares.items()]
    assert active_share_footnotes(rows) == expected


def test_workbook_and_terminal_say_why_a_share_passes_100(shops_elsewhere, tmp_path):
    args = ("spend-bands", "--month", "2026-10", "--by", "store")
    doc = json.loads(run_cli(*args, "--db", shops_elsewhere, "--format", "json").stdout)
    assert max(r["active_share"] for r in doc["rows"]) > 1  # S002: 2 active, 1 on file
    path = xlsx(shops_elsewhere, tmp_path / "b.xlsx", *args)
    cells = [c for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for c in row]
    notes = [c for c in cells if str(c.value or "").startswith(NOTE_ZH)]
    assert len(notes) == 1 and notes[0].row == 4 + len(doc["rows"]) + 1  # under the table
    words = tomllib.loads((asset_dir("templates") / "spend-bands.toml").read_text())
    note = words["footnotes"]["active_where_shopped"]
    assert notes[0].value == f"注：{note['zh']}"
    terminal = run_cli(*args, "--db", shops_elsewhere, "--lang", "en")
    assert terminal.exit_code == 0
    assert " ".join(terminal.stdout.split()).find(" ".join(note["en"].split()[:8])) >= 0


def test_no_footnote_where_shares_read_plainly(shops_elsewhere, tmp_path):
    args = ("spend-bands", "--month", "2026-10", "--store", "S003")
    path = xlsx(shops_elsewhere, tmp_path / "p.xlsx", *args)
    cells = [c.value for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for c in row]
    assert not any(str(v or "").startswith("注：") for v in cells)
    assert NOTE_ZH not in run_cli(*args, "--db", shops_elsewhere).stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sheet_prints_on_a4_landscape(shops_elsewhere, tmp_path, lang):
    target = tmp_path / "m.xlsx"
    args = ("report", "--db", shops_elsewhere, "--month", "2026-10", "--lang", lang)
    assert run_cli(*args, "--output", target).exit_code == 0
    for ws in openpyxl.load_workbook(target).worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title


def test_a_single_row_wider_than_a_page_lies_on_its_side(shops_elsewhere, tmp_path):
    """spend-bands for the company: one line per figure (label, value), the values those
    of the JSON, in the template's order (columns, then each band's members and share)."""
    args = ("spend-bands", "--month", "2026-10")
    ws = openpyxl.load_workbook(xlsx(shops_elsewhere, tmp_path / "w.xlsx", *args)).worksheets[0]
    assert [ws.cell(row=4, column=c).value for c in (1, 2)] == ["指标", "数值"]
    lines = [(r[0], r[1]) for r in ws.iter_rows(min_row=5, max_col=2, values_only=True)]
    lines = lines[: next((i for i, (label, _) in enumerate(lines) if label is None), None)]
    (row,) = json.loads(run_cli(*args, "--db", shops_elsewhere, "--format", "json").stdout)["rows"]
    company = {"ALL": "全公司"}.get(row["scope"], row["scope"])  # a zh sheet names its scope
    expected = [company, row["members_total"], row["active_members"], row["active_share"]]
    expected += [v for band in row["bands"] for v in (band["members"], band["share"])]
    assert [value for _, value in lines] == [pytest.approx(v) for v in expected]
    assert lines[1][0] == "会员总数" and lines[4][0] == "消费<100元 人数"


def test_charts_keep_their_data_when_rows_stream_to_disk(shops_elsewhere, tmp_path, monkeypatch):
    """In constant-memory mode a row once left is written: the chart-data block goes under
    the table, never beside rows already written, and the charts still find their values."""
    from memberkit.render import excel

    monkeypatch.setattr(excel, "CONSTANT_MEMORY_ROWS", 0)
    args = ("spending-power", "--month", "2026-10", "--store", "S001")
    path = xlsx(shops_elsewhere, tmp_path / "c.xlsx", *args)
    wb = openpyxl.load_workbook(path)
    doc = json.loads(run_cli(*args, "--db", shops_elsewhere, "--format", "json").stdout)
    sales = next(c for c in wb.worksheets[0]._charts if c.title.tx.rich.p[0].r[0].t == "销售额")
    ref = sales.series[0].val.numRef.f
    sheet, cell = ref.rsplit("!", 1)
    assert wb[sheet.strip("'")][cell.replace("$", "")].value == doc["rows"][0]["sales"]


def test_count_sheet_prints_on_a4_landscape_with_room_to_write(tmp_path):
    from datetime import date

    from memberkit.render.workbooks import count_sheet

    path = tmp_path / "count.xlsx"
    gifts = [{"gift_id": "G01", "gift_name": "保温杯", "unit": "个"}]
    count_sheet(path, "HQ", date(2026, 10, 31), gifts, "zh")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.row_dimensions[5].height >= 20  # the gift's line, filled in by hand
    assert ws["A2"].value.startswith("地点：总仓")  # not the code HQ
    assert ws["B5"].value == "HQ"  # the data column keeps the code: the sheet loads back


def test_a_years_workbook_is_an_annual_report_compared_with_last_year(shops_elsewhere, tmp_path):
    """--year: the cover says 年报, and the comparison has this year and last year only (a
    year has no previous month), under a title that says so."""
    target = tmp_path / "y.xlsx"
    assert (
        run_cli("report", "--db", shops_elsewhere, "--year", "2026", "--output", target).exit_code
        == 0
    )
    wb = openpyxl.load_workbook(target)
    assert wb["封面"]["A1"].value == "2026年 会员数据分析年报"
    ws = wb["会员消费力分析表"]
    captions = [c.value for row in ws.iter_rows() for c in row if str(c.value).startswith("图表")]
    assert captions == ["图表数据：本年与去年对比"]
    for chart in ws._charts:
        assert [referenced_text(wb, s.tx.strRef.f) for s in chart.series] == ["本期", "去年同期"]


def referenced_text(wb, ref: str):
    sheet, cell = ref.rsplit("!", 1)
    return wb[sheet.strip("'")][cell.replace("$", "")].value
