"""The analysis commands end to end: options, output shapes (SPEC 6), exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import run_cli, write
from memberkit.cli.framework import write_atomically

STORES = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\n"
MEMBERS = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2025-01-01,\n"
    "M2,王芳,女,,13900001111,S002,2025-01-01,2027-01-01\n"
)
TICKETS = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S001,2026-10-03 10:00:00,M1,120.50,2\n"
    "T2,S002,2026-10-04 11:00:00,M2,1200.00,5\n"
    "T3,S002,2026-10-05 12:00:00,,80.00,1\n"
    "T4,S001,2026-09-05 12:00:00,M1,50.00,1\n"
    "T5,S001,2026-03-05 12:00:00,M1,10.00,1\n"
)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    db_file = tmp_path / "r.duckdb"
    for kind, text in (("stores", STORES), ("members", MEMBERS), ("transactions", TICKETS)):
        result = run_cli("--db", db_file, "load", kind, write(tmp_path / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


def report_json(db_file: Path, *args: str) -> dict:
    result = run_cli(*args, "--db", db_file, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_spend_bands_json_shape(loaded):
    doc = report_json(loaded, "spend-bands", "--month", "2026-10", "--by", "store")
    assert doc["report"] == "spend-bands" and doc["period"] == "2026-10"
    assert [r["scope"] for r in doc["rows"]] == ["S001", "S002", "ALL"]
    total = doc["rows"][-1]
    assert (total["members_total"], total["active_members"], total["active_share"]) == (2, 2, 1.0)
    assert [b["label"] for b in total["bands"]] == [
        "<100",
        "100–300",
        "300–500",
        "500–1000",
        "≥1000",
    ]
    assert total["bands"][0] == {
        "label": "<100",
        "lower": None,
        "upper": 100,
        "members": 0,
        "share": 0.0,
    }
    assert [b["members"] for b in total["bands"]] == [0, 1, 0, 0, 1]


def test_demographics_json_shape(loaded):
    doc = report_json(loaded, "demographics", "--month", "2026-10", "--store", "S002")
    (row,) = doc["rows"]
    assert row["scope"] == "S002"
    assert [g["label"] for g in row["gender"]] == ["M", "F", "unknown"]
    assert row["age_bands"][-1] == {
        "label": "unknown",
        "lower": None,
        "upper": None,
        "members": 1,
        "share": 1.0,
    }


def test_spending_power_amounts_have_two_decimals_and_year_has_no_mom(loaded):
    result = run_cli("spending-power", "--db", loaded, "--month", "2026-10", "--format", "json")
    assert '"sales": 1400.50' in result.stdout
    doc = json.loads(result.stdout)
    assert doc["rows"][0]["sales_mom"] == pytest.approx((1400.50 - 50) / 50)
    yearly = report_json(loaded, "spending-power", "--year", "2026")
    assert yearly["period"] == "2026"
    assert all(v is None for k, v in yearly["rows"][0].items() if k.endswith("_mom"))


def test_unknown_store_or_region_is_exit_3(loaded):
    for args in (["--store", "S404"], ["--region", "火星"]):
        result = run_cli("spend-bands", "--db", loaded, *args)
        assert result.exit_code == 3
        assert args[1] in result.stderr


def test_empty_period_prints_zeros_and_says_so(loaded):
    result = run_cli("spending-power", "--db", loaded, "--month", "2020-01", "--lang", "en")
    assert result.exit_code == 0
    assert "no transactions in 2020-01" in result.stderr
    assert "—" in result.stdout


def test_usage_errors(loaded):
    assert run_cli("spend-bands", "--db", loaded, "--month", "2026-13").exit_code == 2
    assert (
        run_cli("spend-bands", "--db", loaded, "--month", "2026-10", "--year", "2026").exit_code
        == 2
    )
    assert run_cli("spend-bands", "--db", loaded, "--bands", "300,100").exit_code == 2
    assert run_cli("churn", "--db", loaded, "--store", "S001", "--by", "store").exit_code == 2
    xlsx = run_cli("spend-bands", "--db", loaded, "--format", "xlsx")
    assert xlsx.exit_code == 2 and "xlsx" in xlsx.stderr


def test_churn_list_masks_phones_unless_asked(loaded):
    args = ("churn", "--db", loaded, "--month", "2026-10", "--list", "--inactive-days", "20")
    masked = run_cli(*args)
    assert masked.exit_code == 0, masked.output
    assert "139****1111" in masked.stdout and "13900001111" not in masked.stdout
    assert "13900001111" in run_cli(*args, "--show-phone").stdout


def test_csv_file_has_bom_and_private_list_files(loaded, tmp_path):
    target = tmp_path / "out" / "bands.csv"
    result = run_cli(
        "spend-bands", "--db", loaded, "--month", "2026-10", "--format", "csv", "--output", target
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbfscope,members_total")
    listing = tmp_path / "lapsed.csv"
    run_cli(
        "churn",
        "--db",
        loaded,
        "--list",
        "--format",
        "csv",
        "--output",
        listing,
        "--month",
        "2026-10",
        "--inactive-days",
        "20",
    )
    assert listing.stat().st_mode & 0o077 == 0
    stdout_csv = run_cli("spend-bands", "--db", loaded, "--format", "csv", "--month", "2026-10")
    assert stdout_csv.stdout.startswith("scope,")


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_text("old", encoding="utf-8")

    class Boom(Exception):
        pass

    def fail(*args, **kwargs):
        raise Boom

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(Boom):
        write_atomically(target, "new", bom=False, private=False)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_json_writes_every_value_exactly():
    """to_json writes its text itself (json.dumps cannot print 12.30 as a number): strings
    with quotes, backslashes, line breaks and Chinese, nulls, dates and amounts round-trip."""
    from datetime import date
    from decimal import Decimal

    from memberkit.periods import parse_month
    from memberkit.render import to_json
    from memberkit.reports import Report

    row = {
        "store_id": 'S"1\\',
        "member_id": "M1",
        "name": "张\n伟 %s",
        "phone": None,
        "join_date": date(2024, 2, 29),
        "expiry_date": date(2026, 11, 1),
        "visits": 2,
        "spend": Decimal("0.00"),
        "visits_short": 1,
        "spend_short": Decimal("-3.5"),
    }
    report = Report(name="expiring", period=parse_month("2026-11"), scope=None, rows=[row])
    text = to_json(report, "expiring")
    assert '"spend": 0.00' in text and '"spend_short": -3.50' in text
    (parsed,) = json.loads(text)["rows"]
    assert parsed == {
        "scope": "ALL",
        **row,
        "join_date": "2024-02-29",
        "expiry_date": "2026-11-01",
        "spend": 0.0,
        "spend_short": -3.5,
    }


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e17, max_value=1e17))
def test_float_amounts_in_json_are_what_money_rounds_them_to(value):
    """A float amount (churn-risk's value at risk) takes a shortcut when its repr has at most
    two decimals; it must write what the Decimal path writes."""
    from memberkit.render import _json_money, money

    for amount in (value, round(value, 2)):
        assert _json_money(amount) == str(money(amount))
