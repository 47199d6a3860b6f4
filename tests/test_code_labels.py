"""Codes in Chinese forms (SPEC 6): with --lang zh, terminal tables and workbooks show every
code (a reconcile status, a member problem, the migration's `new`, a call-back kind, HQ, the
scope codes ALL, (no region), (none)) by its Chinese label; --lang en, CSV and JSON keep them.

The codes are gathered from the template files and SPEC 6 here, not from the renderer, and
each report's JSON must hold the codes its check is about, so that a check cannot pass on
data that has none."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path

import openpyxl
import pytest

from conftest import run_cli, write
from memberkit.db import asset_dir

# SPEC 6: a row's scope is a store id, a region name or ALL; stores without a region make
# the unit "(no region)", complaints without a category "(none)"
SCOPE_CODES = {"ALL", "(no region)", "(none)"}


def _template_codes() -> dict[str, dict[str, dict[str, str]]]:
    """template name -> column -> code -> its en label, from templates/*.toml."""
    found = {}
    for path in sorted(asset_dir("templates").glob("*.toml")):
        if path.stem != "words":
            codes = tomllib.loads(path.read_text(encoding="utf-8")).get("codes", {})
            found[path.stem] = {
                column: {code: label["en"] for code, label in labels.items()}
                for column, labels in codes.items()
            }
    return found


TEMPLATE_CODES = _template_codes()
ALL_CODES = SCOPE_CODES | {
    code for columns in TEMPLATE_CODES.values() for labels in columns.values() for code in labels
}


def test_the_code_list_holds_what_spec_6_names():
    """The codes the issue found in Chinese forms are declared, each with a Chinese label
    that is not itself a code."""
    assert {"match", "over", "short", "not_counted", "unknown_gift"} <= ALL_CODES
    assert {"gender_unknown", "phone_missing", "new", "after_sale", "HQ"} <= ALL_CODES
    for path in asset_dir("templates").glob("*.toml"):
        for labels in tomllib.loads(path.read_text(encoding="utf-8")).get("codes", {}).values():
            for label in labels.values():
                assert label["zh"] not in ALL_CODES and re.search(r"[\u4e00-\u9fff]", label["zh"])


def _as_code(code: str) -> re.Pattern[str]:
    """A code standing alone: 'A' in 'A', not in 'A级' or '现A级' (CJK letters are \\w)."""
    return re.compile(rf"(?<!\w){re.escape(code)}(?!\w)")


CODE_PATTERNS = {code: _as_code(code) for code in ALL_CODES}


def codes_in(text: str) -> set[str]:
    return {code for code, pattern in CODE_PATTERNS.items() if pattern.search(text)}


STORES = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\nS003,新开店,\n"
MEMBERS = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2026-10-02,\n"  # new; phone shared with M2
    "M2,王芳,女,1980-01-01,13812345678,S002,2025-01-01,2027-01-01\n"
    "M3,李娜,,2030-01-01,1381234567,S001,2025-10-09,2025-01-01\n"  # four problems
    "M4,赵敏,女,1985-05-05,,S003,2024-01-01,\n"  # no phone, a store without a region
    "M5,钱多,男,1975-07-07,13900001111,S009,2024-01-01,\n"  # a store not in the stores
)
TICKETS = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S001,2026-10-05 10:00:00,M1,1200.00,2\n"
    "T2,S002,2026-10-06 11:00:00,M2,50.00,1\n"
    "T3,S003,2026-03-01 12:00:00,M4,300.00,1\n"  # M4 lapses by October
    "T4,S002,2025-10-06 11:00:00,M2,6000.00,1\n"
    "T5,S003,2026-10-07 12:00:00,,80.00,1\n"
)
GIFTS = (
    "gift_id,gift_name,unit,unit_cost\nG01,保温杯,个,10.00\nG02,环保袋,个,5.00\nG03,雨伞,把,2.00\n"
)
MOVES = (
    "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"
    "2026-09-01,HQ,G01,opening,10,O1,,\n"
    "2026-09-01,HQ,G02,opening,10,O1,,\n"
    "2026-09-01,HQ,G03,opening,5,O1,,\n"
    "2026-09-01,S001,G01,opening,5,O1,,\n"
    "2026-10-10,S001,G01,issue,1,I1,,M1\n"
)
COUNTS = (
    "count_date,location,gift_id,counted_qty,counted_by\n"
    "2026-10-31,HQ,G01,10,吴刚\n"  # match
    "2026-10-31,HQ,G02,12,吴刚\n"  # over
    "2026-10-31,HQ,G99,1,吴刚\n"  # unknown_gift; G03 not counted
    "2026-10-31,S001,G01,3,黄磊\n"  # short
)
# 礼品申请单 in every status as of 2026-11-05: delivered on 11-02, after the counts above
REQUESTS = (
    "request_id,request_date,location,gift_id,requested_qty,approved_qty,approved_at\n"
    "Q1,2026-10-01,S001,G01,5,,\n"  # pending
    "Q2,2026-10-01,S001,G01,5,0,2026-10-02\n"  # refused
    "Q3,2026-10-02,S001,G01,5,5,2026-10-02\n"  # open
    "Q4,2026-10-02,S001,G02,2,2,2026-10-02\n"  # done
    "Q5,2026-10-02,S002,G01,1,1,2026-10-02\n"  # over_delivered
    "Q6,2026-10-02,S002,G02,1,,\n"  # unapproved_delivery
)
REQUEST_MOVES = (
    "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"
    "2026-11-02,HQ,G02,transfer,2,Q4,S001,\n"
    "2026-11-02,HQ,G01,transfer,3,Q5,S002,\n"
    "2026-11-02,HQ,G02,transfer,1,Q6,S002,\n"
)
COMPLAINTS = (
    "complaint_id,received_at,store_id,member_id,channel,category,content,replied_at,"
    "resolved_at,satisfaction\n"
    "C1,2026-10-03 10:00:00,S001,M1,电话,,没有类别,2026-10-03 12:00:00,,\n"
    "C2,2026-10-04 10:00:00,S002,M2,门店,服务态度,态度不好,2026-10-04 11:00:00,"
    "2026-10-04 15:00:00,满意\n"
)
CALLS = (  # M1's phone is a wrong number: a phone_wrong problem
    "member_id,called_at,kind,outcome\n"
    "M1,2026-10-10 10:00,new,wrong_number\n"
    "M2,2026-10-11 10:00,after_sale,reached\n"
    "M4,2026-10-12 10:00,lapsed,no_answer\n"
)

# 满意度调查表 (SPEC 5.12): every channel, so that --by channel holds each channel code
SURVEYS = (
    "调查编号,调查日期,门店编号,会员卡号,调查方式,服务态度,服务效率,服务质量,解决问题能力,总体满意度\n"
    "R1,2026-10-03,S001,M1,电话,5,4,,,2\n"
    "R2,2026-10-04,S002,M2,sms,,,,,4\n"
    "R3,2026-10-05,S001,,邮件,3,3,3,3,3\n"
    "R4,2026-10-06,S003,M4,visit,满意,一般,,,非常满意\n"
)


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    """A database whose reports hold every code of the templates and of SPEC 6."""
    folder = tmp_path_factory.mktemp("codes")
    db_file = folder / "codes.duckdb"
    for kind, text in (
        ("stores", STORES),
        ("members", MEMBERS),
        ("transactions", TICKETS),
        ("gifts", GIFTS),
        ("gift-moves", MOVES),
        ("gift-counts", COUNTS),
        ("complaints", COMPLAINTS),
        ("gift-requests", REQUESTS),
        ("gift-moves", REQUEST_MOVES),
        ("surveys", SURVEYS),
        ("callback-log", CALLS),
    ):
        result = run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


# (command, template, the codes its JSON must hold)
REPORTS = [
    (
        ("gifts", "reconcile"),
        "gift-reconcile",
        {"match", "over", "short", "not_counted", "unknown_gift", "HQ"},
    ),
    (("gifts", "reconcile", "--location", "HQ"), "gift-reconcile", {"HQ", "not_counted"}),
    (("gifts", "reconcile", "--summary"), "gift-summary", {"HQ"}),
    (("gifts", "stock", "--as-of", "2026-10-31"), "gift-stock", {"HQ"}),
    (
        ("new-members", "--month", "2026-10", "--problems", "--all-members"),
        "member-problems",
        set(TEMPLATE_CODES["member-problems"]["problem"]),
    ),
    (
        ("grades", "--month", "2026-10", "--migration", "--by", "region"),
        "grade-migration",
        {"A", "B", "C", "D", "new", "ALL", "(no region)"},
    ),
    (("grades", "--month", "2026-10", "--migration"), "grade-migration", {"new", "ALL"}),
    (("callbacks", "--month", "2026-10"), "callbacks", {"after_sale", "new", "lapsed"}),
    (
        ("complaints", "--month", "2026-10", "--by", "category"),
        "complaints",
        {"(none)", "ALL"},
    ),
    (("spend-bands", "--month", "2026-10", "--by", "region"), "spend-bands", {"(no region)"}),
    (
        ("satisfaction", "--month", "2026-10", "--by", "channel"),
        "satisfaction",
        {"phone", "sms", "email", "visit", "ALL"},
    ),
    (("satisfaction", "--month", "2026-10", "--by", "region"), "satisfaction", {"(no region)"}),
    (("demographics", "--month", "2026-10"), "demographics", {"ALL"}),
    (("spending-power", "--month", "2026-10", "--by", "store"), "spending-power", {"ALL"}),
    (("churn", "--month", "2026-10", "--by", "region"), "churn", {"ALL", "(no region)"}),
    (("new-members", "--month", "2026-10", "--by", "store"), "new-members", {"ALL"}),
    (("gifts", "issues", "--month", "2026-10", "--by", "store"), "gift-issues", {"ALL"}),
    (
        ("gifts", "requests", "--as-of", "2026-11-05"),
        "gift-requests",
        {"pending", "refused", "open", "done", "over_delivered", "unapproved_delivery"},
    ),
    (
        ("callback-review", "--month", "2026-10", "--by", "store"),
        "callback-review",
        set(TEMPLATE_CODES["callback-review"]["kind"]) | {"ALL"},
    ),
    (
        ("callback-review", "--month", "2026-11", "--effect", "--by", "region"),
        "callback-effect",
        {"ALL", "(no region)"},
    ),
]
IDS = [" ".join(args) for args, _, _ in REPORTS]


def _json_codes(doc: dict, keys: set[str] | None = None) -> set[str]:
    values = {
        v
        for row in doc["rows"]
        for k, v in row.items()
        if isinstance(v, str) and (keys is None or k in keys)
    }
    return values & ALL_CODES


@pytest.mark.parametrize(("args", "template", "codes"), REPORTS, ids=IDS)
def test_zh_tables_and_sheets_show_no_code(coded, tmp_path, args, template, codes):
    doc = json.loads(run_cli(*args, "--db", coded, "--format", "json").stdout)
    assert doc["report"] == template
    assert codes <= _json_codes(doc)  # the data holds the codes this check is about

    table = run_cli(*args, "--db", coded, "--lang", "zh")
    assert table.exit_code == 0, table.output
    assert codes_in(table.stdout) == set(), table.stdout

    target = tmp_path / "zh.xlsx"
    result = run_cli(*args, "--db", coded, "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    cells = [
        str(value)
        for ws in openpyxl.load_workbook(target).worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert {c for text in cells for c in codes_in(text)} == set()


@pytest.mark.parametrize(("args", "template", "codes"), REPORTS, ids=IDS)
def test_en_csv_and_json_keep_the_codes(coded, tmp_path, args, template, codes):
    """CSV and JSON hold the codes themselves; English tables and sheets their English
    labels, which are the codes (the call-back kinds read as words)."""
    doc = json.loads(run_cli(*args, "--db", coded, "--format", "json").stdout)
    found = _json_codes(doc)
    assert codes <= found

    header, *lines = csv.reader(io.StringIO(run_cli(*args, "--db", coded, "-f", "csv").stdout))
    cells = {cell for line in lines for cell in line}
    # a list's JSON rows name their scope, its CSV rows do not
    assert _json_codes(doc, keys=set(header)) <= cells

    english = {
        code: label
        for labels in TEMPLATE_CODES[template].values()
        for code, label in labels.items()
    }
    table = run_cli(*args, "--db", coded, "--lang", "en")
    assert table.exit_code == 0, table.output
    for code in found:
        assert _as_code(english.get(code, code)).search(table.stdout), (code, table.stdout)

    target = tmp_path / "en.xlsx"
    run_cli(*args, "--db", coded, "--format", "xlsx", "--output", target, "--lang", "en")
    sheet_text = "\n".join(
        str(v)
        for ws in openpyxl.load_workbook(target).worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    for code in found:
        assert _as_code(english.get(code, code)).search(sheet_text), code


def test_zh_labels_are_the_handbooks_words(coded):
    """The labels SPEC 6 names: 状态 一致/盘盈/盘亏/未盘点, 问题 手机号缺失, the row 新会员."""
    table = run_cli("gifts", "reconcile", "--db", coded).stdout
    for label in ("一致", "盘盈", "盘亏", "未盘点", "未知礼品", "总仓"):
        assert label in table
    problems = run_cli(
        "new-members", "--db", coded, "--month", "2026-10", "--problems", "--all-members"
    ).stdout
    assert "手机号缺失" in problems and "性别未知" in problems
    migration = run_cli("grades", "--db", coded, "--month", "2026-10", "--migration").stdout
    assert "新会员" in migration


# --- the gift forms' place: a code from the report layer, named by the renderer ---------------


def test_the_report_layer_gives_the_place_as_a_code():
    """reports/ holds no label: the place of a gift form is hq or store, and templates
    name it (总仓/门店, handbook forms 8.6-8.10)."""
    from memberkit.reports import gifts

    assert [gifts.form_place(p) for p in ("HQ", "S001", None)] == ["hq", "store", ""]


@pytest.mark.parametrize(
    ("location", "place"),
    [(("--location", "HQ"), "总仓"), (("--location", "S001"), "门店"), ((), "")],
)
@pytest.mark.parametrize(
    ("command", "form"),
    [
        (("gifts", "stock", "--as-of", "2026-10-31"), "礼品库存表"),
        (("gifts", "reconcile"), "礼品盘点表"),
        (("gifts", "reconcile", "--summary"), "礼品盘点汇总表"),
    ],
)
def test_gift_forms_are_titled_by_their_place(coded, tmp_path, location, place, command, form):
    table = run_cli(*command, *location, "--db", coded)
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].startswith(f"{place}{form} · ")
    target = tmp_path / "g.xlsx"
    assert run_cli(*command, *location, "--db", coded, "-f", "xlsx", "-o", target).exit_code == 0
    assert openpyxl.load_workbook(target).worksheets[0]["A1"].value == f"《{place}{form}》"
    english = run_cli(*command, *location, "--db", coded, "--lang", "en").stdout
    assert not re.search(r"[\u4e00-\u9fff]", english.splitlines()[0])


def test_call_back_sheets_keep_their_kind_in_the_title(coded, tmp_path):
    """{where} of a title is also text made by the renderer: a kind's sheet names its kind."""
    target = tmp_path / "cb.xlsx"
    result = run_cli("callbacks", "--db", coded, "--month", "2026-10", "-f", "xlsx", "-o", target)
    assert result.exit_code == 0, result.output
    titles = {ws.title: ws["A1"].value for ws in openpyxl.load_workbook(target).worksheets}
    assert titles["售后回访"] == "《会员回访名单（售后回访）》"
    assert titles["流失会员回访"] == "《会员回访名单（流失会员回访）》"
