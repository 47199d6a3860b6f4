"""Complaints (SPEC 5.8): loading, the service-level edges named in issue 10, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from conftest import fingerprint, rows, run_cli, write
from memberkit import db
from test_real_values import BAD_TIME

HEADER = (
    "投诉编号,受理时间,投诉门店,会员卡号,投诉渠道,投诉类别,首次答复时间,处理完成时间,满意度,"
    "顾客姓名,投诉内容"
)
STORES = "门店编号,门店名称,区域\nS001,一店,华东\nS002,二店,华南\n"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"

# March 2026: E + 1 day 00:00 is 2026-04-01 00:00:00, 48 hours before it 2026-03-30 00:00:00.
EDGES = f"""{HEADER}
A,2026-03-10 10:00:00,S001,M1,电话,服务态度,2026-03-11 10:00:00,2026-03-12 10:00:00,满意,张三,慢
B,2026-03-10 10:00:00,S001,,电话,服务态度,2026-03-11 10:00:01,2026-03-12 10:00:01,4,李四,慢
C,2026-03-20 09:00:00,S002,,门店,商品质量,2026-03-20 12:00:00,2026-04-01 00:00:00,一般,,
D,2026-03-29 23:59:59,S002,,门店,,,,,,
E,2026-03-30 00:00:00,S002,,,商品质量,,,2,,
F,2026-03-31 08:00:00,S001,,门店,商品质量,,2026-03-31 23:59:59,非常满意,,
G,2026-02-20 08:00:00,S001,,门店,商品质量,,,,,
"""


def load(db_file: Path, kind: str, path: Path, *extra: str, code: int = 0):
    result = run_cli("--db", db_file, "load", kind, path, *extra)
    assert result.exit_code == code, result.output
    return result


def report(db_file: Path, *args: str, code: int = 0):
    result = run_cli("--db", db_file, "complaints", *args)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def edges_db(tmp_path: Path) -> Path:
    db_file = tmp_path / "c.duckdb"
    load(db_file, "stores", write(tmp_path / "stores.csv", STORES))
    load(db_file, "complaints", write(tmp_path / "c.csv", EDGES))
    return db_file


def figures(db_file: Path, *args: str) -> list[dict]:
    return json.loads(report(db_file, "--month", "2026-03", "-f", "json", *args).stdout)["rows"]


def test_service_level_edges(edges_db):
    (row,) = figures(edges_db)
    # A at exactly 24:00:00 and 48:00:00 is in time; B one second later is not. F's
    # resolution is its answer (no reply); C's reply came in 3 hours.
    assert row["complaints"] == 6  # G was received in February
    assert row["replied_24h"] == 3  # A, C, F
    assert row["resolved_48h"] == 2  # A, F (C resolved after 12 days)
    # medians of 3, 15:59:59, 24, 24:00:01 and of 15:59:59, 48, 48:00:01, 279 hours
    assert row["median_hours_to_reply"] == pytest.approx((16 - 1 / 3600 + 24) / 2)
    assert row["median_hours_to_resolve"] == pytest.approx(48 + 1 / 7200)
    # open at the end of March: C (resolved at 04-01 00:00, after E), D and E (never)
    assert row["open"] == 3
    # D was received 48 h + 1 s before the end of E, E exactly 48 h, C long before
    assert row["overdue"] == 2
    # satisfaction: 满意, 4, 一般, 2, 非常满意 (D blank)
    assert (row["rated"], row["satisfied"]) == (5, 3)
    assert row["satisfied_rate"] == pytest.approx(0.6)
    assert row["replied_24h_rate"] == pytest.approx(0.5)


def test_overdue_list(edges_db):
    listed = json.loads(report(edges_db, "--month", "2026-03", "--overdue", "-f", "json").stdout)
    assert listed["report"] == "complaints-overdue"
    assert [(r["complaint_id"], r["hours_open"]) for r in listed["rows"]] == [
        ("C", 279.0),
        ("D", pytest.approx(48 + 1 / 3600)),
    ]
    assert listed["rows"][0] == {
        "scope": "ALL",
        "complaint_id": "C",
        "store_id": "S002",
        "member_id": None,
        "channel": "门店",
        "category": "商品质量",
        "received_at": "2026-03-20 09:00:00",
        "hours_open": 279.0,
        "replied_at": "2026-03-20 12:00:00",
    }
    # February: G never resolved, received well before the end
    february = json.loads(report(edges_db, "--month", "2026-02", "--overdue", "-f", "json").stdout)
    assert [r["complaint_id"] for r in february["rows"]] == ["G"]


def test_by_category_channel_store(edges_db):
    by_category = {r["scope"]: r["complaints"] for r in figures(edges_db, "--by", "category")}
    assert by_category == {"(none)": 1, "商品质量": 3, "服务态度": 2, "ALL": 6}
    by_channel = {r["scope"]: r["complaints"] for r in figures(edges_db, "--by", "channel")}
    assert by_channel == {"(none)": 1, "门店": 3, "电话": 2, "ALL": 6}
    by_store = {r["scope"]: r["overdue"] for r in figures(edges_db, "--by", "store")}
    assert by_store == {"S001": 0, "S002": 2, "ALL": 2}
    by_region = [r["scope"] for r in figures(edges_db, "--by", "region")]
    assert by_region == ["华东", "华南", "ALL"]
    (south,) = figures(edges_db, "--region", "华南")
    assert (south["scope"], south["complaints"]) == ("华南", 3)


def test_empty_period(edges_db):
    (row,) = figures(edges_db, "--store", "S001")
    assert row["complaints"] == 3
    empty = json.loads(report(edges_db, "--month", "2025-01", "-f", "json").stdout)["rows"]
    assert empty == [
        {
            "scope": "ALL",
            "complaints": 0,
            "replied_24h": 0,
            "replied_24h_rate": None,
            "resolved_48h": 0,
            "resolved_48h_rate": None,
            "median_hours_to_reply": None,
            "median_hours_to_resolve": None,
            "open": 0,
            "overdue": 0,
            "rated": 0,
            "satisfied": 0,
            "satisfied_rate": None,
        }
    ]
    listed = json.loads(report(edges_db, "--month", "2025-01", "--overdue", "-f", "json").stdout)
    assert listed["rows"] == []
    by_store = figures(edges_db, "--by", "store")
    assert [r["scope"] for r in by_store] == ["S001", "S002", "ALL"]


def test_every_format(edges_db, tmp_path):
    table = report(edges_db, "--month", "2026-03", "--lang", "en").stdout
    assert "Complaint handling" in table and "Overdue" in table and "60.0%" in table
    assert "超时未处理" in report(edges_db, "--month", "2026-03").stdout
    text = report(edges_db, "--month", "2026-03", "-f", "csv", "--by", "category").stdout
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["scope"] for r in parsed] == ["(none)", "商品质量", "服务态度", "ALL"]
    assert parsed[-1]["overdue"] == "2" and parsed[-1]["satisfied_rate"] == "0.6"
    target = tmp_path / "c.csv"
    report(edges_db, "--month", "2026-03", "-f", "csv", "-o", target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbfscope,complaints,")
    for args, sheet_rows in (([], 2), (["--overdue"], 3)):
        book = tmp_path / f"c{len(args)}.xlsx"
        report(edges_db, "--month", "2026-03", "-f", "xlsx", "-o", book, *args)
        values = [
            [c for c in r if c is not None]
            for r in openpyxl.load_workbook(book).worksheets[0].iter_rows(values_only=True)
        ]
        # the company's row (ALL, named in words in a zh sheet) or an overdue complaint
        # (a single row lies on its side: 范围 | 全公司)
        rows = [r for r in values if r and (r[0] in ("C", "D") or r[:2] == ["范围", "全公司"])]
        assert len(rows) == sheet_rows - 1
    by_category = tmp_path / "by-category.xlsx"
    report(edges_db, "--month", "2026-03", "-f", "xlsx", "-o", by_category, "--by", "category")
    subtitle = openpyxl.load_workbook(by_category).worksheets[0]["A2"].value
    assert "按投诉类别" in subtitle, subtitle
    overdue = report(edges_db, "--month", "2026-03", "--overdue", "--lang", "en").stdout
    assert "Overdue complaints" in overdue and "2026-03-29 23:59:59" in overdue


def test_usage_errors(edges_db):
    result = report(edges_db, "--month", "2026-03", "--overdue", "--by", "category", code=2)
    assert "--overdue" in result.output
    report(edges_db, "--month", "2026-03", "--by", "grade", code=2)
    report(edges_db, "--month", "2026-03", "--store", "S001", "--by", "store", code=2)
    report(edges_db, "--month", "2026-03", "-f", "xlsx", code=2)
    report(edges_db, "--month", "2026-03", "--store", "S404", code=3)


def test_store_known_from_complaints_only(tmp_path):
    db_file = tmp_path / "c.duckdb"
    load(db_file, "stores", write(tmp_path / "stores.csv", STORES))
    text = f"{HEADER}\nX,2026-03-02 10:00:00,S777,,,,,,,,\n"
    load(db_file, "complaints", write(tmp_path / "c.csv", text))
    assert figures(db_file)[0]["complaints"] == 1  # the company
    assert figures(db_file, "--store", "S777")[0]["complaints"] == 1
    by_region = {r["scope"]: r["complaints"] for r in figures(db_file, "--by", "region")}
    assert by_region == {"(no region)": 1, "华东": 0, "华南": 0, "ALL": 1}
    assert figures(db_file, "--region", "华东")[0]["complaints"] == 0


def test_bad_rows_are_rejected_with_line_column_and_reason(tmp_path):
    db_file = tmp_path / "c.duckdb"
    text = (
        f"{HEADER}\n"
        "A,2026-03-10 10:00:00,S001,,,,2026-03-10 11:00:00,,满意,,\n"
        "B,2026-03-10 10:00:00,S001,,,,2026-03-10 09:59:59,,,,\n"
        "C,2026-03-10 10:00:00,S001,,,,,2026-03-09 10:00:00,,,\n"
        "D,2026-03-10 10:00:00,S001,,,,,,很好,,\n"
        "E,2026-03-10 10:00:00,S001,,,,,,6,,\n"
        "F,2026-03-32 10:00:00,S001,,,,,,,,\n"
    )
    bad = write(tmp_path / "bad.csv", text)
    result = load(db_file, "complaints", bad, "--max-reject-ratio", "1")
    assert "1 loaded" in result.output and "5 rejected" in result.output
    con = db.connect(db_file, read_only=True)
    try:
        rejects = rows(con, "select file_name, line, column_name, reason from rejects order by 2")
        unknown = "unknown satisfaction (满意, 一般, 不满意 or a score of 1-5)"
        assert rejects == [
            ("bad.csv", 3, "replied_at", "replied before the complaint was received"),
            ("bad.csv", 4, "resolved_at", "resolved before the complaint was received"),
            ("bad.csv", 5, "satisfaction", unknown),
            ("bad.csv", 6, "satisfaction", unknown),
            ("bad.csv", 7, "received_at", BAD_TIME),
        ]
    finally:
        con.close()
    # the default 1% refuses the file: nothing loaded, exit 3
    load(tmp_path / "other.duckdb", "complaints", bad, code=3)


def test_satisfaction_keeps_its_notation(tmp_path):
    db_file = tmp_path / "c.duckdb"
    values = ["满意", "非常满意", "很满意", "一般", "不满意", "非常不满意", "Satisfied"]
    values += ["NEUTRAL", "dissatisfied", "1", "5", "4.0", "3分", " 2 ", ""]
    lines = [f"C{i},2026-03-10 10:00:00,S001,,,,,,{v},," for i, v in enumerate(values)]
    load(db_file, "complaints", write(tmp_path / "s.csv", "\n".join([HEADER, *lines]) + "\n"))
    con = db.connect(db_file, read_only=True)
    try:
        stored = rows(con, "select satisfaction from complaints order by complaint_id")
    finally:
        con.close()
    assert len(stored) == len(values)
    # complaint ids C0..C14 sort as text: C0, C1, C10, ...
    expected = dict(
        zip(
            [f"C{i}" for i in range(len(values))],
            ["满意", "满意", "满意", "一般", "不满意", "不满意", "满意", "一般", "不满意"]
            + ["1", "5", "4", "3", "2", None],
            strict=True,
        )
    )
    assert [s[0] for s in stored] == [expected[k] for k in sorted(expected)]


def test_reload_changes_nothing_and_a_later_export_updates(tmp_path):
    db_file = tmp_path / "c.duckdb"
    first = write(
        tmp_path / "first.csv",
        f"{HEADER}\nA,2026-03-10 10:00:00,S001,,,,,,,,\nB,2026-03-11 10:00:00,S001,,,,,,,,\n",
    )
    load(db_file, "complaints", first)
    con = db.connect(db_file)
    before = fingerprint(con)
    con.close()
    assert "already loaded" in load(db_file, "complaints", first).output
    con = db.connect(db_file)
    assert fingerprint(con) == before
    con.close()
    (row,) = figures(db_file)
    assert (row["open"], row["overdue"], row["resolved_48h"]) == (2, 2, 0)
    # the next export: A answered and resolved, B unchanged, C new
    later = write(
        tmp_path / "later.csv",
        f"{HEADER}\n"
        "A,2026-03-10 10:00:00,S001,,,,2026-03-10 12:00:00,2026-03-11 09:00:00,5,,\n"
        "B,2026-03-11 10:00:00,S001,,,,,,,,\n"
        "C,2026-03-12 10:00:00,S001,,,,,,,,\n",
    )
    result = load(db_file, "complaints", later)
    assert "1 duplicate" in result.output
    (row,) = figures(db_file)
    assert (row["complaints"], row["open"], row["resolved_48h"], row["satisfied"]) == (3, 2, 1, 1)
    con = db.connect(db_file, read_only=True)
    try:
        assert rows(con, "select count(*) from complaints") == [(3,)]
        assert rows(con, "select rows_loaded, rows_replaced from loads order by load_id") == [
            (2, 0),
            (2, 1),
        ]
    finally:
        con.close()
    check = run_cli("--db", db_file, "check", "--format", "json")
    assert check.exit_code == 0, check.output


def test_schema_3_database_gets_the_table(tmp_path):
    db_file = tmp_path / "old.duckdb"
    con = db.connect(db_file)
    con.execute("drop table complaints")
    con.execute("update meta set value = '3' where key = 'schema_version'")
    con.close()
    con = db.connect(db_file, read_only=True)  # a reader has a writer upgrade it first
    try:
        version = rows(con, "select value from meta where key = 'schema_version'")
        assert version == [(db.SCHEMA_VERSION,)]
        assert rows(con, "select count(*) from complaints") == [(0,)]
    finally:
        con.close()


def test_sample_complaints_load_and_pass_check(tmp_path):
    db_file = tmp_path / "sample.duckdb"
    load(db_file, "stores", SAMPLE / "stores.csv")
    result = load(db_file, "complaints", SAMPLE / "complaints.csv")
    assert "600 read, 600 loaded, 0 duplicate, 0 rejected" in result.output
    assert "ignored" not in result.output.lower()  # 投诉内容 is a known form column
    check = run_cli("--db", db_file, "check", "--format", "json")
    assert check.exit_code == 0, check.output
    info = json.loads(run_cli("--db", db_file, "info", "--format", "json").stdout)
    assert info["rows"]["complaints"] == 600
    # realistic timing over the sample's 26 months, and the last month's backlog
    (total,) = figures_for(db_file, "--year", "2026")
    assert 0.7 < total["replied_24h_rate"] < 0.95 and 0.7 < total["resolved_48h_rate"] < 0.95
    assert 1 < total["median_hours_to_reply"] < 6 and total["median_hours_to_resolve"] < 48
    assert 0 < total["rated"] < total["complaints"]
    (october,) = figures_for(db_file, "--month", "2026-10")
    assert october["open"] > 0
    con = db.connect(db_file, read_only=True)
    try:
        notations = rows(
            con,
            "select count(*) filter (where satisfaction in ('满意', '一般', '不满意')), "
            "count(*) filter (where satisfaction in ('1', '2', '3', '4', '5')), "
            "count(*) filter (where satisfaction is null), "
            "count(*) filter (where resolved_at is null and received_at < '2026-10-01') "
            "from complaints",
        )[0]
    finally:
        con.close()
    assert all(n > 0 for n in notations), notations  # both notations, blanks, never resolved


def figures_for(db_file: Path, *args: str) -> list[dict]:
    return json.loads(report(db_file, "-f", "json", *args).stdout)["rows"]
