"""Finding a store: `info --stores`, and --store as an id in any case or a store's exact name
(with a clear error for nothing or an ambiguous match); expiring's --store and --region."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, write

STORES = (
    "store_id,store_name,region\n"
    "S001,徐汇店,华东\n"
    "S002,天河店,华南\n"
    "S003,天河店,华南\n"  # the same name twice: a name that cannot pick one store
    "Ab,西湖店,华东\n"
    "aB,西湖二店,华东\n"  # ids equal but for case
)
MEMBERS = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2024-01-01,2026-11-10\n"
    "M2,王芳,女,,13900001111,S002,2024-01-01,2026-11-20\n"
    "M3,李娜,女,,13900002222,S002,2024-01-01,2026-11-21\n"
    "M4,赵强,男,,13900003333,S003,2024-01-01,2026-11-22\n"
    "M5,钱多,男,,13900004444,Ab,2024-01-01,2026-11-23\n"
)
TICKETS = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S001,2026-10-03 10:00:00,M1,120.50,2\n"
    "T2,S002,2026-10-04 11:00:00,M2,80.00,5\n"
    "T3,S002,2026-10-05 12:00:00,,80.00,1\n"
    "T4,S002,2026-10-06 12:00:00,M2,-20.00,1\n"  # a refund is not a ticket
    "T5,S777,2026-10-05 12:00:00,,10.00,1\n"  # a store only tickets name
)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    db_file = tmp_path / "s.duckdb"
    for kind, text in (("stores", STORES), ("members", MEMBERS), ("transactions", TICKETS)):
        result = run_cli("--db", db_file, "load", kind, write(tmp_path / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


def test_info_stores_lists_every_store_with_its_members_and_tickets(shop):
    result = run_cli("--db", shop, "info", "--stores", "-f", "json")
    assert result.exit_code == 0, result.output
    listed = {s["store_id"]: s for s in json.loads(result.stdout)["stores"]}
    assert sorted(listed) == ["Ab", "S001", "S002", "S003", "S777", "aB"]
    assert (listed["S002"]["store_name"], listed["S002"]["region"]) == ("天河店", "华南")
    assert [listed[s]["members"] for s in ("S001", "S002", "S003", "S777")] == [1, 2, 1, 0]
    assert [listed[s]["tickets"] for s in ("S001", "S002", "S003", "S777")] == [1, 2, 0, 1]
    assert listed["S777"]["in_stores_table"] is False and listed["S001"]["in_stores_table"]


def test_info_stores_table_shows_ids_and_names_uncut(shop):
    result = run_cli("--db", shop, "info", "--stores")
    assert result.exit_code == 0
    for text in ("S001", "徐汇店", "华南", "S777", "not in the stores table"):
        assert text in result.stdout


def spend_bands(db_file: Path, *args: str):
    return run_cli("--db", db_file, "spend-bands", "--month", "2026-10", "-f", "json", *args)


@pytest.mark.parametrize("given", ["s001", "徐汇店", "S001"])
def test_store_takes_an_id_in_any_case_or_the_exact_name(shop, given):
    by_id = spend_bands(shop, "--store", "S001")
    result = spend_bands(shop, "--store", given)
    assert result.exit_code == 0, result.output
    assert result.stdout == by_id.stdout
    assert json.loads(result.stdout)["rows"][0]["scope"] == "S001"


def test_an_exact_id_wins_over_another_case(shop):
    # Ab and aB are two stores: each exact id is its own, another case of both is ambiguous
    assert [r["member_id"] for r in expiring(shop, "--store", "Ab")] == ["M5"]
    assert expiring(shop, "--store", "aB") == []
    result = spend_bands(shop, "--store", "AB")
    assert result.exit_code == 3 and "ambiguous" in result.stderr
    assert "Ab" in result.stderr and "aB" in result.stderr


def test_an_ambiguous_name_or_case_is_exit_3_naming_the_candidates(shop):
    result = spend_bands(shop, "--store", "天河店")
    assert result.exit_code == 3
    assert "ambiguous" in result.stderr and "S002" in result.stderr and "S003" in result.stderr
    assert "info --stores" in result.stderr
    result = run_cli("--db", shop, "churn", "--month", "2026-10", "--store", "西湖")
    assert result.exit_code == 3 and "no store '西湖'" in result.stderr
    assert "did you mean Ab (西湖店), aB (西湖二店)?" in result.stderr  # names holding it


def test_an_unknown_store_is_exit_3_with_close_matches(shop):
    result = spend_bands(shop, "--store", "S01")
    assert result.exit_code == 3
    assert "no store 'S01'" in result.stderr
    assert "did you mean" in result.stderr and "S001 (徐汇店)" in result.stderr
    result = spend_bands(shop, "--store", "QQQQQQ")
    assert result.exit_code == 3 and "did you mean" not in result.stderr
    assert "info --stores" in result.stderr


def expiring(db_file: Path, *args: str) -> list[dict]:
    result = run_cli("--db", db_file, "expiring", "--as-of", "2026-10-05", "-f", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_expiring_takes_store_and_region(shop):
    every = expiring(shop)
    assert [r["member_id"] for r in every] == ["M5", "M1", "M2", "M3", "M4"]  # by store id
    assert [r["member_id"] for r in expiring(shop, "--store", "s002")] == ["M2", "M3"]
    assert [r["member_id"] for r in expiring(shop, "--store", "徐汇店")] == ["M1"]
    assert [r["member_id"] for r in expiring(shop, "--region", "华南")] == ["M2", "M3", "M4"]
    assert [r["member_id"] for r in expiring(shop, "--region", "华东")] == ["M5", "M1"]


def test_expiring_refuses_an_unknown_region_and_both_options(shop):
    result = run_cli("--db", shop, "expiring", "--region", "华西")
    assert result.exit_code == 3 and "华西" in result.stderr
    result = run_cli("--db", shop, "expiring", "--region", "华南", "--store", "S001")
    assert result.exit_code == 2
