"""Workbooks: every figure equals the JSON of the same report, with labels, formats,
frozen header, charts on the right ranges, and outside text kept as text."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from conftest import run_cli, write

STORES = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\n"
MEMBERS = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    'M1,"=HYPERLINK(""http://x"",""y"")",男,1990-03-01,13812345678,S001,2025-01-01,\n'
    "M2,王芳,女,,13900001111,S002,2025-01-01,2027-01-01\n"
    "M3,李娜,女,1985-07-01,13700002222,S001,2024-01-01,\n"
)
TICKETS = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S001,2026-10-03 10:00:00,M1,120.50,2\n"
    "T2,S002,2026-10-04 11:00:00,M2,1200.00,5\n"
    "T3,S002,2026-10-05 12:00:00,,80.00,1\n"
    "T4,S001,2026-09-05 12:00:00,M1,50.00,1\n"
    "T5,S001,2025-10-05 12:00:00,M1,10.00,1\n"
    "T6,S001,2026-01-05 12:00:00,M3,99.00,1\n"
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wb")
    db_file = folder / "w.duckdb"
    for kind, text in (("stores", STORES), ("members", MEMBERS), ("transactions", TICKETS)):
        assert (
            run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text)).exit_code
            == 0
        )
    return db_file


def workbook(db_file: Path, tmp_path: Path, *args: str) -> openpyxl.Workbook:
    target = tmp_path / "out.xlsx"
    result = run_cli(*args, "--db", db_file, "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(target)


def as_json(db_file: Path, *args: str) -> dict:
    result = run_cli(*args, "--db", db_file, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def table(ws) -> tuple[list[str], list[list]]:
    header = []
    for c in ws[4]:  # up to the first empty cell: a chart-data block may stand beside it
        if c.value is None:
            break
        header.append(c.value.replace("\n", ""))  # a long label is on two lines
    rows = []
    for row in ws.iter_rows(min_row=5, max_col=len(header), values_only=True):
        if row[0] is None or str(row[0]).startswith(("图表数据", "Chart data")):
            break
        rows.append(list(row))
    return header, rows


# SPEC 6: a zh sheet shows codes in words; the total row of a split is 合计 (the scope codes'
# words are in templates/words.toml, a column's codes in its template's [codes.COLUMN])
TOTAL = "合计"


def shown(value, column: str = "scope", template: str | None = None):
    """A JSON value as a zh sheet shows it: a code by its Chinese label."""
    if column == "scope":
        return TOTAL if value == "ALL" else value
    import tomllib

    from memberkit.db import asset_dir

    text = (asset_dir("templates") / f"{template}.toml").read_text(encoding="utf-8")
    label = tomllib.loads(text).get("codes", {}).get(column, {}).get(value)
    return value if label is None else label["zh"]


def test_spend_bands_sheet_matches_json(loaded, tmp_path):
    args = ("spend-bands", "--month", "2026-10", "--by", "store")
    wb = workbook(loaded, tmp_path, *args)
    ws = wb.worksheets[0]
    assert ws.title == "会员消费水平分析表"
    assert ws["A1"].value == "《会员消费水平分析表》"
    assert "期间：2026-10" in ws["A2"].value and "数据截至：2026-10-05" in ws["A2"].value
    header, rows = table(ws)
    assert header[:4] == ["范围", "会员总数", "消费会员数", "消费占比"]
    assert header[4] == "消费<100元 人数"
    doc = as_json(loaded, *args)
    for row, expected in zip(rows, doc["rows"], strict=True):
        assert row[0] == shown(expected["scope"])
        assert row[1:3] == [expected["members_total"], expected["active_members"]]
        share = expected["active_share"]
        assert row[3] == (pytest.approx(share) if share is not None else "—")
        flat = [v for band in expected["bands"] for v in (band["members"], band["share"])]
        assert row[4:] == [pytest.approx(v) if v is not None else "—" for v in flat]
    assert ws.freeze_panes == "B5"
    assert ws.auto_filter.ref.startswith("A4:")
    assert ws["D5"].number_format == "0.0%" and ws["B5"].number_format == "#,##0"
    assert ws.page_setup.orientation == "landscape"
    # seventeen columns: fitted to two pages wide at a readable size, the scope on each
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 2 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_cols == "$A:$A" and ws.print_title_rows == "$4:$4"
    assert ws.page_setup.pageOrder == "overThenDown"  # the table's halves, then its chart


def test_english_labels(loaded, tmp_path):
    ws = workbook(loaded, tmp_path, "spend-bands", "--month", "2026-10", "--lang", "en")
    ws = ws.worksheets[0]
    assert ws["A1"].value == "Member spend bands"
    # one row wider than a page: one line per figure
    header, rows = table(ws)
    assert header == ["Figure", "Value"]
    assert [r[0] for r in rows[:4]] == [
        "Scope",
        "Members on file",
        "Active members",
        "Active share",
    ]


def referenced(wb, ref: str) -> list:
    """The values of the cells a chart's formula names, e.g. 'Sheet'!$D$6:$D$10."""
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [
        ws.cell(row=r, column=c).value
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def test_charts_point_at_their_data(loaded, tmp_path):
    wb = workbook(loaded, tmp_path, "spend-bands", "--month", "2026-10")
    (chart,) = wb.worksheets[0]._charts
    series = chart.series[0]
    # the chart-data block: five band names and the ALL row's members
    names = referenced(wb, series.cat.strRef.f)
    values = referenced(wb, series.val.numRef.f)
    assert names[0] == "消费<100元" and names[-1] == "消费≥1000元" and len(names) == 5
    doc = as_json(loaded, "spend-bands", "--month", "2026-10")
    assert values == [band["members"] for band in doc["rows"][-1]["bands"]]


@pytest.mark.parametrize("monthly", [False, True])
def test_comparison_charts_have_three_series_of_this_period_and_its_bases(
    loaded, tmp_path, monthly
):
    """Each figure's chart: one series each for 本期, 上月 and 去年同期, named by the block's
    header and holding the same report run over those periods (JSON of --month 2026-09 and
    2025-10 for the store): in the report's workbook, and in the monthly workbook's
    会员消费力分析表 (the bases Monthly carries)."""
    args = ("spending-power", "--store", "S001")
    if monthly:
        target = tmp_path / "month.xlsx"
        made = run_cli(
            "report", "--db", loaded, "--month", "2026-10", "--store", "S001", "--output", target
        )
        assert made.exit_code == 0, made.output
        wb = openpyxl.load_workbook(target)
        charts = wb["会员消费力分析表"]._charts
    else:
        wb = workbook(loaded, tmp_path, *args, "--month", "2026-10")
        charts = wb.worksheets[0]._charts
    assert len(charts) == 4  # sales, member sales, member basket, member tickets
    months = {"本期": "2026-10", "上月": "2026-09", "去年同期": "2025-10"}
    docs = {name: as_json(loaded, *args, "--month", m)["rows"][-1] for name, m in months.items()}
    keys = {"销售额": "sales", "会员销售额": "member_sales", "会员客单价": "member_basket_value"}
    keys["会员客单数"] = "member_tickets"
    seen = set()
    for chart in charts:
        assert len(chart.series) == 3
        names = [referenced(wb, s.tx.strRef.f)[0] for s in chart.series]
        assert names == list(months)
        (figure,) = referenced(wb, chart.series[0].cat.strRef.f)
        seen.add(figure)
        for name, series in zip(names, chart.series, strict=True):
            (value,) = referenced(wb, series.val.numRef.f)
            expected = docs[name][keys[figure]]
            assert value == (pytest.approx(expected) if expected is not None else "—")
    assert seen == set(keys)
    assert docs["上月"]["sales"] == 50.0 and docs["去年同期"]["sales"] == 10.0  # not all alike


def test_call_list_workbook_is_private_with_phones_in_full(loaded, tmp_path):
    target = tmp_path / "lapsed.xlsx"
    result = run_cli(
        "churn",
        "--db",
        loaded,
        "--list",
        "--month",
        "2026-10",
        "--inactive-days",
        "30",
        "--format",
        "xlsx",
        "--output",
        target,
    )
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o077 == 0
    ws = openpyxl.load_workbook(target).worksheets[0]
    phone = next(c for row in ws.iter_rows() for c in row if c.value == "13700002222")
    assert phone.data_type == "s"  # text: the leading digits and length are kept


def test_name_that_looks_like_a_formula_is_a_string(loaded, tmp_path):
    target = tmp_path / "m.xlsx"
    run_cli(
        "churn",
        "--db",
        loaded,
        "--list",
        "--month",
        "2026-10",
        "--inactive-days",
        "1",
        "--format",
        "xlsx",
        "--output",
        target,
    )
    ws = openpyxl.load_workbook(target).worksheets[0]
    names = {c.value: c.data_type for row in ws.iter_rows() for c in row}
    assert names['=HYPERLINK("http://x","y")'] == "s"


def test_monthly_report_workbook(loaded, tmp_path):
    target = tmp_path / "month.xlsx"
    result = run_cli("report", "--db", loaded, "--month", "2026-10", "--output", target)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == [
        "封面",
        "会员消费水平分析表",
        "消费会员性别年龄分析表",
        "会员消费力分析表",
        "会员流失分析表",
        "新会员入会情况表",
        "会员分级表",
        "会员分级变动表",
        "客户投诉处理统计表",
        "满意度调查分析表",
        "会员回访名单汇总",
        "回访情况统计表",
        "礼品申请审批表",
        "会员消费力分析表-门店",
    ]
    cover = {row[0]: row[1] for row in wb["封面"].iter_rows(min_row=3, values_only=True)}
    assert cover["期间"] == "2026-10" and cover["小票行数"] == 6 and cover["会员资料行数"] == 3
    # six tickets cannot fit the churn-risk model: no sheet, and the cover says why
    assert cover["流失风险模型"].startswith("未能拟合：有重复消费的会员太少")
    assert all("loaded" not in str(v) for v in cover.values())
    loads = [row[1] for row in wb["封面"].iter_rows(values_only=True) if row[0] == "最近载入"]
    assert any(
        line.endswith("会员资料\u3000members.csv：载入 3 行，拒收 0 行（已载入）") for line in loads
    )


@pytest.mark.parametrize("monthly", [True, False])
def test_spending_power_by_store_lies_on_its_side(loaded, tmp_path, monthly):
    """Spending power per store (the monthly workbook's 会员消费力分析表-门店, or the report
    --by store): one line per figure, one column per store and ALL, each figure equal to the
    JSON of spending-power --by store. The monthly one has no charts (the company sheet
    charts the same ALL figures)."""
    import tomllib

    from memberkit.db import asset_dir

    args = ("spending-power", "--month", "2026-10", "--by", "store")
    if monthly:
        target = tmp_path / "month.xlsx"
        made = run_cli("report", "--db", loaded, "--month", "2026-10", "--output", target)
        assert made.exit_code == 0
        ws = openpyxl.load_workbook(target)["会员消费力分析表-门店"]
    else:
        ws = workbook(loaded, tmp_path, *args).worksheets[0]
    header, rows = table(ws)
    assert header == ["指标", "S001", "S002", TOTAL]
    template = tomllib.loads((asset_dir("templates") / "spending-power.toml").read_text())
    labels = {c["label"]["zh"]: c["key"] for c in template["columns"]}
    doc = as_json(loaded, *args)
    assert [r[0] for r in rows] == [c["label"]["zh"] for c in template["columns"][1:]]
    for row in rows:
        expected = [store[labels[row[0]]] for store in doc["rows"]]
        assert row[1:] == [pytest.approx(v) if v is not None else "—" for v in expected]
    assert len(ws._charts) == (0 if monthly else 4)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9


def test_xlsx_needs_an_output_file(loaded):
    result = run_cli("spend-bands", "--db", loaded, "--format", "xlsx")
    assert result.exit_code == 2 and "--output" in result.stderr


def _json_values(row: dict, template_name: str) -> list:
    """A JSON row's figures in sheet order: the template's columns, then each list item's
    fields (written here from the template file, not with the renderer's own flatten)."""
    import tomllib

    from memberkit.db import asset_dir

    template = tomllib.loads((asset_dir("templates") / f"{template_name}.toml").read_text())
    values = [shown(row[c["key"]], c["key"], template_name) for c in template["columns"]]
    for group in template.get("groups", []):
        for item in row[group["key"]]:
            values += [item[f["key"]] for f in group["fields"]]
    return values


@pytest.mark.parametrize(
    "args",
    [
        ("demographics", "--month", "2026-10", "--by", "region"),
        ("churn", "--month", "2026-10", "--by", "store", "--inactive-days", "30"),
        ("churn", "--month", "2026-10", "--list", "--inactive-days", "1"),
        ("new-members", "--month", "2026-10", "--by", "store"),
        ("new-members", "--year", "2026", "--problems", "--all-members"),
        ("grades", "--month", "2026-10", "--by", "region", "--grade-edges", "10,50,100"),
        ("grades", "--month", "2026-10", "--by", "store", "--migration"),
        ("complaints", "--month", "2026-10", "--by", "store"),
    ],
)
def test_every_figure_in_the_sheet_equals_the_json(loaded, tmp_path, args):
    variants = {"--list": "churn-list", "--problems": "member-problems"}
    variants["--migration"] = "grade-migration"
    name = next((variants[a] for a in args if a in variants), args[0])
    ws = workbook(loaded, tmp_path, *args).worksheets[0]
    _, rows = table(ws)
    doc = as_json(loaded, *args)
    assert len(rows) == len(doc["rows"])
    for sheet_row, json_row in zip(rows, doc["rows"], strict=True):
        expected = _json_values(json_row, name)
        assert len(sheet_row) == len(expected)
        for got, want in zip(sheet_row, expected, strict=True):
            if want is None:
                assert got == "—"
            elif isinstance(want, float | int) and not isinstance(want, bool):
                assert got == pytest.approx(want)
            elif hasattr(got, "date"):
                assert got.date().isoformat() == want
            else:
                assert str(got) == str(want)


def test_big_sheets_stream_in_constant_memory_mode(loaded, tmp_path, monkeypatch):
    from memberkit.render import excel

    monkeypatch.setattr(excel, "CONSTANT_MEMORY_ROWS", 1)
    args = ("spend-bands", "--month", "2026-10", "--by", "store")
    ws = workbook(loaded, tmp_path, *args).worksheets[0]
    _, rows = table(ws)
    assert [r[0] for r in rows] == ["S001", "S002", TOTAL]
    assert rows[-1][1] == as_json(loaded, *args)["rows"][-1]["members_total"]


def test_monthly_workbook_has_the_churn_risk_sheet(sample_chain, tmp_path):
    """With history enough to fit, 流失风险 holds the churn-risk report's units per store,
    and the cover the fitted model."""
    _, db_file = sample_chain
    target = tmp_path / "month.xlsx"
    result = run_cli("report", "--db", db_file, "--month", "2026-10", "--output", target)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[-2:] == ["流失风险", "会员消费力分析表-门店"]
    cover = {row[0]: row[1] for row in wb["封面"].iter_rows(min_row=3, values_only=True)}
    doc = as_json(db_file, "churn-risk", "--as-of", "2026-10-31", "--by", "store")
    model = doc["model"]
    assert f"r {model['r']:.4f}，alpha {model['alpha']:.4f}" in cover["流失风险模型"]
    _, rows = table(wb["流失风险"])
    assert [r[0] for r in rows] == [shown(u["scope"]) for u in doc["units"]]
    for sheet_row, unit in zip(rows, doc["units"], strict=True):
        assert sheet_row[1:] == [
            unit["members"],
            pytest.approx(unit["expected_active"]),
            pytest.approx(unit["expected_active_share"]),
            pytest.approx(unit["value_at_risk"]),
        ]


def test_every_word_of_the_forms_is_in_both_languages_and_used():
    """templates/words.toml: each word in zh and in en, and each one used by render code
    (a label left in Python, or a word nothing reads, is a defect of the layout)."""
    import re
    import tomllib

    from memberkit.db import asset_dir
    from memberkit.render.templates import load_words

    words = tomllib.loads((asset_dir("templates") / "words.toml").read_text(encoding="utf-8"))
    assert set(words["zh"]) == set(words["en"]) == set(load_words("zh"))
    render = asset_dir("templates").parent / "src" / "memberkit" / "render"
    code = "".join(p.read_text(encoding="utf-8") for p in render.glob("*.py"))
    # read as words["key"] or load_words(lang)["key"]; by a variable: the split (words[by])
    # and the comparison periods of a chart (words[p])
    used = set(re.findall(r"""(?:words|\))\[["'](\w+)["']\]""", code))
    dynamic = {"store", "region", "category", "channel"}
    dynamic |= {"current", "mom", "yoy"}
    # the cover's table names, load kinds and load statuses: table_members, kind_gift_moves
    dynamic |= {w for w in words["zh"] if w.startswith(("table_", "kind_", "status_"))}
    dynamic |= {"cover_title_month", "cover_title_year"}  # by the period's kind
    assert set(words["zh"]) - used - dynamic == set()
