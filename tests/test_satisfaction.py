"""Satisfaction surveys (SPEC 5.12): hand-worked cases at the edges, through the command line.

October 2026 (base months: September 2026 and October 2025). Worked by hand:

S001 (华东): R09 M1 电话 attitude 5, efficiency 4, overall 5 (quality and resolution blank);
R02 M2 短信 overall 2 only; R03 no member 邮件 3/3/3/3 overall 1. September: B1 M9 overall 4
(M1 and M2 had no survey then): the change compares the store's means, not the same members.
S002 (华南): R00 M3 phone overall 2; R04 M1 线下访谈 非常满意/满意/一般/不满意/满意 = 5/4/3/2/4;
R05 M2 phone 2/2/2/2 overall 3; R06 M3 sms attitude 1 only. No September survey; October
2025: Y1 and Y2, overall 2 and 3. S003 (华东): no response at all.
November: N1 overall 1, outside the month. January 2027: Z1 of S009, a store known from
surveys alone.
"""

from __future__ import annotations

import csv
import io
import json
import os
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from conftest import run_cli, write

HEADER = (
    "调查编号,调查日期,门店编号,会员卡号,调查方式,"
    "服务态度,服务效率,服务质量,解决问题能力,总体满意度,意见建议"
)
SURVEYS = f"""{HEADER}
R09,2026-10-01,S001,M1,电话,5,4,,,5,
R02,2026-10-02,S001,M2,短信,,,,,2,结账排队太久
R03,2026-10-01,S001,,邮件,3,3,3,3,1,"没人理，
等了很久"
R00,2026-10-02,S002,M3,phone,,,,,2,
R04,2026-10-31,S002,M1,线下访谈,非常满意,满意,一般,不满意,满意,
R05,2026-10-15,S002,M2,phone,2,2,2,2,3,都不好
R06,2026-10-15,S002,M3,sms,1,,,,,
B1,2026-09-30,S001,M9,phone,,,,,4,
Y1,2025-10-01,S002,M2,phone,,,,,2,
Y2,2025-10-31,S002,M2,phone,,,,,3,
N1,2026-11-01,S001,M1,phone,,,,,1,
Z1,2027-01-05,S009,,visit,,,,,5,
"""
STORES = "门店编号,门店名称,区域\nS001,徐汇店,华东\nS002,天河店,华南\nS003,新开店,华东\n"
MEMBERS = (
    "member_id,name,phone,store_id,join_date\n"
    "M1,张伟,13812345678,S001,2024-01-01\n"
    "M2,王芳,13987654321,S002,2024-01-01\n"
    "M3,李娜,,S001,2024-01-01\n"
)
F = Fraction


def dims(*figures) -> list[dict]:
    """(answered, mean, satisfied) per dimension, in the form's order."""
    labels = ("attitude", "efficiency", "quality", "resolution", "overall")
    return [
        {
            "label": label,
            "answered": n,
            "mean_score": None if mean is None else float(mean),
            "satisfied_rate": None if rate is None else float(rate),
        }
        for label, (n, mean, rate) in zip(labels, figures, strict=True)
    ]


S001 = {
    "scope": "S001",
    "responses": 3,
    "members": 2,
    "dimensions": dims(
        (2, 4, F(1, 2)), (2, F(7, 2), F(1, 2)), (1, 3, 0), (1, 3, 0), (3, F(8, 3), F(1, 3))
    ),
    "overall_change_mom": float(F(8, 3) - 4),
    "overall_change_yoy": None,  # no survey of S001 in October 2025
}
S002 = {
    "scope": "S002",
    "responses": 4,
    "members": 3,
    "dimensions": dims(
        (3, F(8, 3), F(1, 3)), (2, 3, F(1, 2)), (2, F(5, 2), 0), (2, 2, 0), (3, 3, F(1, 3))
    ),
    "overall_change_mom": None,  # no survey of S002 in September
    "overall_change_yoy": float(3 - F(5, 2)),
}
S003 = {
    "scope": "S003",
    "responses": 0,
    "members": 0,
    "dimensions": dims(*[(0, None, None)] * 5),
    "overall_change_mom": None,
    "overall_change_yoy": None,
}
ALL = {
    "scope": "ALL",
    "responses": 7,
    "members": 3,  # M1 answered in S001 and S002: once
    "dimensions": dims(
        (5, F(16, 5), F(2, 5)),
        (4, F(13, 4), F(1, 2)),
        (3, F(8, 3), 0),
        (3, F(7, 3), 0),
        (6, F(17, 6), F(1, 3)),
    ),  # fmt: skip
    "overall_change_mom": float(F(17, 6) - 4),
    "overall_change_yoy": float(F(17, 6) - F(5, 2)),
}


@pytest.fixture(scope="module")
def surveyed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("surveys")
    db_file = folder / "s.duckdb"
    for kind, text in (("stores", STORES), ("members", MEMBERS), ("surveys", SURVEYS)):
        result = run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


def report(db_file: Path, *args: str) -> dict:
    result = run_cli("satisfaction", "--db", db_file, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def close(actual, expected) -> None:
    """Rows equal, floats within 1e-12 (the query divides doubles)."""
    assert type(actual) is type(expected) or isinstance(expected, float), (actual, expected)
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            close(actual[key], expected[key])
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            close(a, e)
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, abs=1e-12), (actual, expected)
    else:
        assert actual == expected


def test_by_store_worked_by_hand(surveyed):
    """Only some dimensions answered (R09, R02, R06), a store without a response in the
    month (S003: zeros and nulls), a store without a base-period survey (null change), a
    member surveyed in two stores counted once in ALL."""
    doc = report(surveyed, "--month", "2026-10", "--by", "store")
    assert doc["report"] == "satisfaction" and doc["period"] == "2026-10"
    close(doc["rows"], [S001, S002, S003, ALL])


def test_the_company_and_a_region(surveyed):
    close(report(surveyed, "--month", "2026-10")["rows"], [ALL])
    east = report(surveyed, "--month", "2026-10", "--region", "华东")["rows"]
    close(east, [{**S001, "scope": "华东"}])  # S003 adds nothing
    by_region = report(surveyed, "--month", "2026-10", "--by", "region")["rows"]
    close(by_region, [{**S001, "scope": "华东"}, {**S002, "scope": "华南"}, ALL])


def test_channel_split(surveyed):
    """One row per channel in the form's order (电话, 短信, 邮件, 线下访谈), whichever notation
    the file used, then ALL."""
    rows = report(surveyed, "--month", "2026-10", "--by", "channel")["rows"]
    assert [r["scope"] for r in rows] == ["phone", "sms", "email", "visit", "ALL"]
    phone, sms, email, visit, total = rows
    # phone: R09 (overall 5), R00 (2) and R05 (3); September B1 (4); October 2025 Y1, Y2 (2, 3)
    assert (phone["responses"], phone["members"]) == (3, 3)
    close(phone["dimensions"][4], dims(*[(0, None, None)] * 4, (3, F(10, 3), F(1, 3)))[4])
    assert phone["overall_change_mom"] == pytest.approx(float(F(10, 3) - 4))
    assert phone["overall_change_yoy"] == pytest.approx(float(F(10, 3) - F(5, 2)))
    # sms: R02 (overall 2) and R06 (attitude only); no sms survey in either base
    assert (sms["responses"], sms["members"]) == (2, 2)
    assert [d["answered"] for d in sms["dimensions"]] == [1, 0, 0, 0, 1]
    assert sms["overall_change_mom"] is None and sms["overall_change_yoy"] is None
    assert (email["responses"], email["members"]) == (1, 0)  # R03 has no member id
    assert visit["dimensions"][4]["mean_score"] == 4.0
    close(total, ALL)


def test_a_year_has_no_month_before(surveyed):
    """2026: the nine responses of September, October and November; 2025 only Y1 and Y2."""
    (row,) = report(surveyed, "--year", "2026")["rows"]
    assert row["responses"] == 9
    assert row["overall_change_mom"] is None
    # overall 2026: 4 (B1), 5, 2, 1, 2, 4, 3 (October), 1 (N1) = 22 / 8
    assert row["overall_change_yoy"] == pytest.approx(float(F(22, 8) - F(5, 2)))


def test_a_month_without_surveys(surveyed):
    (row,) = report(surveyed, "--month", "2026-08")["rows"]
    close(row, {**S003, "scope": "ALL"})


def test_low_list_order_and_the_edge_at_2(surveyed):
    """Overall 2 is listed, 3 is not (R05, however low its other scores), nor a response
    without an overall score (R06, attitude 1) nor one after the month (N1). By date, then
    id: R03 (1 October) before R00 and R02 (2 October)."""
    doc = run_cli("satisfaction", "--db", surveyed, "--month", "2026-10", "--low", "-f", "json")
    assert doc.exit_code == 0, doc.output
    rows = json.loads(doc.stdout)["rows"]
    assert [(r["response_id"], r["overall"]) for r in rows] == [("R03", 1), ("R00", 2), ("R02", 2)]
    r03, r00, r02 = rows
    assert r03 == {
        "scope": "ALL",
        "response_id": "R03",
        "survey_date": "2026-10-01",
        "store_id": "S001",
        "member_id": None,
        "name": None,
        "phone": None,
        "overall": 1,
        "comment": "没人理，\n等了很久",
    }
    assert (r00["name"], r00["phone"]) == ("李娜", None)
    assert (r02["name"], r02["phone"], r02["comment"]) == ("王芳", "13987654321", "结账排队太久")
    store = run_cli(
        "satisfaction",
        "--db",
        surveyed,
        "--month",
        "2026-10",
        "--low",
        "--store",
        "S002",
        "-f",
        "json",
    )
    assert [r["response_id"] for r in json.loads(store.stdout)["rows"]] == ["R00"]


def test_low_list_masks_phones_and_its_files_are_private(surveyed, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    args = ("satisfaction", "--db", surveyed, "--month", "2026-10", "--low")
    table = run_cli(*args)
    assert "139****4321" in table.stdout and "13987654321" not in table.stdout
    assert "13987654321" in run_cli(*args, "--show-phone").stdout
    for suffix in ("csv", "json", "xlsx"):
        target = tmp_path / f"low.{suffix}"
        assert run_cli(*args, "--output", target).exit_code == 0
        assert os.stat(target).st_mode & 0o077 == 0, suffix


def test_csv_spreads_the_dimensions(surveyed):
    result = run_cli(
        "satisfaction", "--db", surveyed, "--month", "2026-10", "--by", "store", "-f", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [r["scope"] for r in rows] == ["S001", "S002", "S003", "ALL"]
    assert rows[0]["dim_attitude_answered"] == "2" and rows[0]["dim_overall_answered"] == "3"
    assert rows[2]["dim_overall_mean_score"] == ""  # S003: no response
    assert "dim_resolution_satisfied_rate" in rows[0]


def test_zh_table_and_sheet_read_chinese(surveyed, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    args = ("satisfaction", "--db", surveyed, "--month", "2026-10", "--by", "channel")
    table = run_cli(*args).stdout
    assert table.startswith("满意度调查分析表 · 2026-10 · 全公司（按渠道）")
    for word in ("电话", "短信", "邮件", "线下访谈", "合计", "服务态度 均分", "总体满意度 满意率"):
        assert word in table, word
    target = tmp_path / "s.xlsx"
    assert run_cli(*args, "--output", target).exit_code == 0
    ws = openpyxl.load_workbook(target).worksheets[0]
    assert ws.title == "满意度调查分析表"
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "线下访谈" in cells and not {"phone", "sms", "email", "visit", "ALL"} & set(cells)


def test_a_store_known_from_surveys_alone(surveyed):
    """S009 is in no stores, members or tickets file: it can be asked for, belongs to the
    company and has no region."""
    (row,) = report(surveyed, "--month", "2027-01", "--store", "S009")["rows"]
    assert (row["scope"], row["responses"], row["dimensions"][4]["mean_score"]) == ("S009", 1, 5.0)
    by_region = report(surveyed, "--month", "2027-01", "--by", "region")["rows"]
    assert [(r["scope"], r["responses"]) for r in by_region] == [
        ("(no region)", 1), ("华东", 0), ("华南", 0), ("ALL", 1),
    ]  # fmt: skip
    (east,) = report(surveyed, "--month", "2027-01", "--region", "华东")["rows"]
    assert east["responses"] == 0


def test_options_that_do_not_go_together(surveyed):
    low_by = run_cli("satisfaction", "--db", surveyed, "--low", "--by", "store")
    assert low_by.exit_code == 2 and "--low gives one list" in low_by.output
    limit = run_cli("satisfaction", "--db", surveyed, "--month", "2026-10", "--limit", "3")
    assert limit.exit_code == 2 and "--low" in limit.output
    channel_store = run_cli("satisfaction", "--db", surveyed, "--by", "channel", "--store", "S001")
    assert channel_store.exit_code == 0  # a store's responses by channel
    nowhere = run_cli("satisfaction", "--db", surveyed, "--store", "S404")
    assert nowhere.exit_code == 3 and "S404" in nowhere.output


def test_the_monthly_workbook_has_the_sheet(surveyed, tmp_path):
    target = tmp_path / "m.xlsx"
    result = run_cli("report", "--db", surveyed, "--month", "2026-10", "--output", target)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(target)["满意度调查分析表"]
    values = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}
    assert values["调查份数"] == 7 and values["总体满意度 作答数"] == 6
