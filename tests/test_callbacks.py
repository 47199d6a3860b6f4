"""Call-back lists (SPEC 5.9) against the plain-Python reference, hand-checked edge cases, and
the command end to end (formats, masking, workbook sheets, file modes, usage errors)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference as ref
import reference_callbacks as ref_cb
from conftest import run_cli, write
from memberkit.errors import UsageError
from memberkit.periods import Scope, month, year
from memberkit.reports import analyses as a
from memberkit.reports.callbacks import call_backs, parse_kinds
from test_analyses_reference import (
    INACTIVE_DAYS,
    SETTINGS,
    assert_matches,
    datasets,
    each_report,
    label,
    open_database,
)
from test_workbooks import table

MIN_AMOUNTS = (Decimal(0), Decimal(500), Decimal("999.99"), Decimal(1000), Decimal(2000))
PER_STORE = (None, 1, 2, 3)
KIND_CHOICES = (ref_cb.KINDS, ("after_sale",), ("new", "lapsed"))


def assert_list(actual: list[dict], expected: list[dict], where: str) -> None:
    """The same rows in the same order (the order is fully defined), every field equal."""
    keys = [(r["kind"], r["store_id"], r["member_id"]) for r in actual]
    assert keys == [(r["kind"], r["store_id"], r["member_id"]) for r in expected], where
    for got, want in zip(actual, expected, strict=True):
        assert list(got) == list(want), where  # the columns, in order
        assert_matches(got, want, f"{where} {want['kind']} {want['member_id']}")


# --- generated chains -----------------------------------------------------------------------


@pytest.mark.slow
@SETTINGS
@given(data=datasets(), choices=st.data())
def test_callbacks_match_reference(data: ref.Data, choices) -> None:
    min_amount = choices.draw(st.sampled_from(MIN_AMOUNTS))
    per_store = choices.draw(st.sampled_from(PER_STORE))
    inactive_days = choices.draw(st.sampled_from(INACTIVE_DAYS))
    kinds = choices.draw(st.sampled_from(KIND_CHOICES))
    # one list per scope: never split by store or region
    for con, period, scope in each_report(data, choices, split=False):
        report = call_backs(con, period, scope, min_amount, inactive_days, per_store, kinds)
        where = (
            label("callbacks", period, scope)
            + f" min={min_amount} N={inactive_days} per_store={per_store} kinds={kinds}"
        )
        expected = ref_cb.call_backs(
            data, period, scope, min_amount, inactive_days, per_store, kinds
        )
        assert_list(report.rows, expected, where)
        if per_store is None and "lapsed" in kinds:
            # the lapsed kind is exactly `memberkit churn --list`
            churn_list = a.churn_list(con, period, scope, inactive_days=inactive_days).rows
            lapsed = [r for r in report.rows if r["kind"] == "lapsed"]
            assert sorted(r["member_id"] for r in lapsed) == sorted(
                r["member_id"] for r in churn_list
            ), where


# --- hand-checked cases ---------------------------------------------------------------------

OCTOBER = month(2026, 10)
OLD = date(2020, 1, 1)  # joined long before: never a new member


def member(member_id: str, store_id: str = "S1", joined: date = OLD) -> dict:
    return {
        "member_id": member_id,
        "name": f"会员{member_id}",
        "gender": None,
        "birth_date": None,
        "phone": f"138{int.from_bytes(member_id.encode(), 'big') % 10**8:08d}",
        "store_id": store_id,
        "join_date": joined,
        "expiry_date": None,
    }


def ticket(txn_id: str, member_id: str | None, when: datetime, amount: str, store: str = "S1"):
    return {
        "txn_id": txn_id,
        "store_id": store,
        "txn_time": when,
        "member_id": member_id,
        "amount": Decimal(amount),
        "item_qty": 1,
    }


STORES = [
    {"store_id": "S1", "store_name": "一号店", "region": "华东"},
    {"store_id": "S2", "store_name": "二号店", "region": "华南"},
]
NEW = date(2026, 10, 1)


def chain(members: list[dict], transactions: list[dict]) -> ref.Data:
    return ref.Data(members=members, transactions=transactions, stores=STORES)


def listed(data: ref.Data, period=OCTOBER, scope: Scope | None = None, **options) -> list[dict]:
    """The query's rows, checked against the reference as well as by the caller."""
    scope = scope or Scope()
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            rows = call_backs(con, period, scope, **options).rows
        finally:
            con.close()
    expected = ref_cb.call_backs(data, period, scope, **options)
    assert_list(rows, expected, f"{period.label} {scope} {options}")
    return rows


def picked(rows: list[dict]) -> list[tuple]:
    return [(r["kind"], r["member_id"], r["reason_date"], str(r["reason_amount"])) for r in rows]


# Ties at a --per-store cut, in each kind: equal amounts, and equal amounts on equal dates.
TIES = chain(
    [
        *(member(m) for m in ("A", "B", "C", "D")),  # after-sale
        *(member(m, joined=NEW) for m in ("N1", "N2", "N3")),  # new
        *(member(m) for m in ("L1", "L2", "L3", "L4")),  # lapsed
    ],
    [
        ticket("T01", "A", datetime(2026, 10, 10, 9), "1500.00"),
        ticket("T02", "B", datetime(2026, 10, 10, 18), "1500.00"),
        ticket("T03", "C", datetime(2026, 10, 20, 12), "1500.00"),
        ticket("T04", "D", datetime(2026, 10, 25, 12), "1200.00"),
        ticket("T05", "N1", datetime(2026, 10, 5, 12), "300.00"),
        ticket("T06", "N2", datetime(2026, 10, 5, 8), "300.00"),
        ticket("T07", "N3", datetime(2026, 10, 6, 12), "300.00"),
        ticket("T08", "L1", datetime(2026, 3, 1, 12), "200.00"),
        ticket("T09", "L2", datetime(2026, 3, 1, 12), "200.00"),
        ticket("T10", "L3", datetime(2026, 3, 1, 12), "200.00"),
        ticket("T11", "L4", datetime(2026, 4, 1, 12), "200.00"),
    ],
)


def test_ties_at_the_per_store_cut_are_broken_by_latest_date_then_member_id() -> None:
    assert picked(listed(TIES, per_store=2)) == [
        ("after_sale", "C", date(2026, 10, 20), "1500.00"),  # the most recent of the 1500s
        ("after_sale", "A", date(2026, 10, 10), "1500.00"),  # same day as B: lower id
        ("new", "N3", date(2026, 10, 6), "300.00"),
        ("new", "N1", date(2026, 10, 5), "300.00"),
        ("lapsed", "L4", date(2026, 4, 1), "200.00"),
        ("lapsed", "L1", date(2026, 3, 1), "200.00"),
    ]
    assert [r["member_id"] for r in listed(TIES, per_store=1)] == ["C", "N3", "L4"]
    everyone = listed(TIES)
    assert [r["member_id"] for r in everyone] == [
        *("C", "A", "B", "D"),
        *("N3", "N1", "N2"),
        *("L4", "L1", "L2", "L3"),
    ]
    assert len(listed(TIES, per_store=3)) == 3 + 3 + 3


def test_per_store_caps_each_store_and_kind_separately() -> None:
    data = chain(
        [member("A"), member("B"), member("C", "S2"), member("D", "S2")],
        [
            ticket("T1", "A", datetime(2026, 10, 1, 10), "1100.00"),
            ticket("T2", "B", datetime(2026, 10, 2, 10), "1300.00"),
            # C shops at S1 but is called by its home store S2
            ticket("T3", "C", datetime(2026, 10, 3, 10), "1200.00"),
            ticket("T4", "D", datetime(2026, 10, 4, 10), "1000.00", store="S2"),
        ],
    )
    rows = listed(data, per_store=1)
    assert [(r["store_id"], r["member_id"]) for r in rows] == [("S1", "B"), ("S2", "C")]
    assert [r["member_id"] for r in listed(data, scope=Scope(store="S2"))] == ["C", "D"]
    assert [r["member_id"] for r in listed(data, scope=Scope(region="华东"))] == ["B", "A"]


def test_largest_ticket_threshold_ties_and_refunds() -> None:
    data = chain(
        [member(m) for m in ("TWICE", "EXACT", "BELOW", "REFUNDED", "BIGREFUND")],
        [
            # two equal largest tickets: the earlier one, though its txn id is higher
            ticket("T9", "TWICE", datetime(2026, 10, 5, 23, 59, 59), "1500.00"),
            ticket("T1", "TWICE", datetime(2026, 10, 20, 0, 0, 0), "1500.00"),
            ticket("T2", "TWICE", datetime(2026, 10, 21, 0, 0, 0), "20.00"),
            ticket("T3", "EXACT", datetime(2026, 10, 7, 10), "1000.00"),  # exactly qualifies
            ticket("T4", "BELOW", datetime(2026, 10, 7, 10), "999.99"),
            # a refund is not a ticket: -1500 does not make the largest ticket
            ticket("T5", "REFUNDED", datetime(2026, 10, 8, 10), "800.00"),
            ticket("T6", "REFUNDED", datetime(2026, 10, 9, 10), "-1500.00"),
            # the ticket counts whole even when a later refund takes most of it back
            ticket("T7", "BIGREFUND", datetime(2026, 10, 10, 10), "1200.00"),
            ticket("T8", "BIGREFUND", datetime(2026, 10, 11, 10), "-1100.00"),
            # zero-amount rows are not tickets either
            ticket("T10", "BELOW", datetime(2026, 10, 12, 10), "0.00"),
        ],
    )
    assert picked(listed(data)) == [
        ("after_sale", "TWICE", date(2026, 10, 5), "1500.00"),
        ("after_sale", "BIGREFUND", date(2026, 10, 10), "1200.00"),
        ("after_sale", "EXACT", date(2026, 10, 7), "1000.00"),
    ]
    assert [r["member_id"] for r in listed(data, min_amount=Decimal("999.99"))] == [
        "TWICE",
        "BIGREFUND",
        "EXACT",
        "BELOW",
    ]
    assert [r["member_id"] for r in listed(data, min_amount=Decimal("1000.01"))] == [
        "TWICE",
        "BIGREFUND",
    ]


def test_new_members_first_ticket_of_the_period() -> None:
    data = chain(
        [
            member("FIRST", joined=date(2026, 10, 31)),  # joined on E
            member("BEFORE", joined=NEW),  # its only ticket is before the period
            member("REFUND", joined=NEW),  # only a refund and a zero row in the period
            member("OLDER", joined=date(2026, 9, 30)),  # joined the day before S
            member("BOTH", joined=NEW),  # new, and a large purchase: in both kinds
        ],
        [
            ticket("T5", "FIRST", datetime(2026, 10, 3, 9, 0), "50.00"),
            ticket("T2", "FIRST", datetime(2026, 10, 3, 9, 0), "70.00"),  # same time: lower id
            ticket("T3", "FIRST", datetime(2026, 10, 2, 23, 0), "-10.00"),  # a refund
            ticket("T4", "BEFORE", datetime(2026, 9, 30, 23, 59, 59), "80.00"),
            ticket("T6", "REFUND", datetime(2026, 10, 3, 9, 0), "-80.00"),
            ticket("T7", "REFUND", datetime(2026, 10, 4, 9, 0), "0.00"),
            ticket("T8", "OLDER", datetime(2026, 10, 4, 9, 0), "80.00"),
            ticket("T9", "BOTH", datetime(2026, 10, 4, 9, 0), "100.00"),
            ticket("T10", "BOTH", datetime(2026, 10, 6, 9, 0), "3000.00"),
        ],
    )
    assert picked(listed(data)) == [
        ("after_sale", "BOTH", date(2026, 10, 6), "3000.00"),
        ("new", "BOTH", date(2026, 10, 4), "100.00"),
        ("new", "FIRST", date(2026, 10, 3), "70.00"),
    ]
    assert picked(listed(data, kinds=("new",))) == picked(listed(data))[1:]


def test_members_missing_from_the_members_table_are_never_listed() -> None:
    data = chain(
        [member("M1", joined=NEW)],
        [
            ticket("T1", "X1", datetime(2026, 10, 3, 9), "5000.00"),
            ticket("T2", "X1", datetime(2025, 10, 3, 9), "5000.00"),  # would be lapsed
            ticket("T3", None, datetime(2026, 10, 3, 9), "5000.00"),
            ticket("T4", "M1", datetime(2026, 10, 3, 9), "5000.00", store="S2"),
        ],
    )
    assert {r["member_id"] for r in listed(data)} == {"M1"}
    assert listed(data, scope=Scope(store="S2")) == []  # scoped by home store


def test_lapsed_rows_are_the_churn_list() -> None:
    data = chain(
        [member("L1"), member("L2", "S2"), member("ACTIVE")],
        [
            ticket("T1", "L1", datetime(2026, 4, 1, 9), "300.00"),
            ticket("T2", "L1", datetime(2025, 9, 1, 9), "900.00"),  # before the 365 days
            ticket("T3", "L1", datetime(2026, 6, 1, 9), "-50.00"),  # a refund counts in spend
            ticket("T4", "L2", datetime(2026, 5, 4, 9), "10.00"),  # E - 180 exactly
            ticket("T5", "ACTIVE", datetime(2026, 5, 5, 9), "10.00"),  # E - 179: not lapsed
        ],
    )
    rows = listed(data)
    assert picked(rows) == [
        ("lapsed", "L1", date(2026, 4, 1), "250.00"),
        ("lapsed", "L2", date(2026, 5, 4), "10.00"),
    ]
    yearly = listed(data, period=year(2026), inactive_days=30)
    assert [r["member_id"] for r in yearly] == ["L1", "ACTIVE", "L2"]  # S1 first, then S2


def test_empty_period_is_an_empty_list() -> None:
    assert listed(TIES, period=month(2020, 1)) == []


def test_parse_kinds() -> None:
    assert parse_kinds(None) == ref_cb.KINDS
    assert parse_kinds(["lapsed,after_sale"]) == ("after_sale", "lapsed")
    assert parse_kinds(["new", "new"]) == ("new",)
    with pytest.raises(UsageError):
        parse_kinds(["after-sale"])


# --- the command ----------------------------------------------------------------------------

STORES_CSV = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\n"
MEMBERS_CSV = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2025-01-01,\n"
    "M2,王芳,女,,13900001111,S002,2026-10-02,\n"
    "M3,李娜,女,1985-07-01,13700002222,S001,2024-01-01,\n"
    "M4,赵强,男,1980-01-01,13600003333,S002,2024-01-01,\n"
)
TICKETS_CSV = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S001,2026-10-03 10:00:00,M1,1500.00,2\n"  # M1 after-sale
    "T2,S002,2026-10-04 11:00:00,M2,1200.00,5\n"  # M2 new and after-sale
    "T3,S001,2026-03-05 12:00:00,M3,99.00,1\n"  # M3 lapsed
    "T4,S002,2026-01-05 12:00:00,M4,45.50,1\n"  # M4 lapsed
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("callbacks")
    db_file = folder / "c.duckdb"
    for kind, text in (
        ("stores", STORES_CSV),
        ("members", MEMBERS_CSV),
        ("transactions", TICKETS_CSV),
    ):
        result = run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


def cli(db_file: Path, *args) -> object:
    result = run_cli("callbacks", "--db", db_file, "--month", "2026-10", *args)
    assert result.exit_code == 0, result.output
    return result


EXPECTED = [  # kind, store, member, amount
    ("after_sale", "S001", "M1", 1500.0),
    ("after_sale", "S002", "M2", 1200.0),
    ("new", "S002", "M2", 1200.0),
    ("lapsed", "S001", "M3", 99.0),
    ("lapsed", "S002", "M4", 45.5),
]


def test_json(loaded):
    text = cli(loaded, "-f", "json").stdout
    assert '"reason_amount": 1500.00' in text
    doc = json.loads(text)
    assert (doc["report"], doc["period"]) == ("callbacks", "2026-10")
    got = [(r["kind"], r["store_id"], r["member_id"], r["reason_amount"]) for r in doc["rows"]]
    assert got == EXPECTED
    assert doc["rows"][0] == {
        "scope": "ALL",
        "kind": "after_sale",
        "store_id": "S001",
        "member_id": "M1",
        "name": "张伟",
        "phone": "13812345678",
        "reason_date": "2026-10-03",
        "reason_amount": 1500.0,
    }
    kept = json.loads(cli(loaded, "-f", "json", "--kind", "new,lapsed", "--per-store", "1").stdout)
    assert [(r["kind"], r["member_id"]) for r in kept["rows"]] == [
        ("new", "M2"),
        ("lapsed", "M3"),
        ("lapsed", "M4"),
    ]
    higher = json.loads(cli(loaded, "-f", "json", "--min-amount", "1200.01").stdout)
    assert [r["member_id"] for r in higher["rows"] if r["kind"] == "after_sale"] == ["M1"]


def test_csv_file_is_private_with_bom(loaded, tmp_path):
    target = tmp_path / "calls-{month}.csv"
    cli(loaded, "-f", "csv", "-o", target)
    written = tmp_path / "calls-2026-10.csv"
    data = written.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfkind,store_id,member_id,name,phone,reason_date,")
    assert b"after_sale,S001,M1,\xe5\xbc\xa0\xe4\xbc\x9f,13812345678,2026-10-03,1500.00" in data
    assert len(data.decode("utf-8-sig").splitlines()) == 1 + len(EXPECTED)
    assert os.stat(written).st_mode & 0o777 == 0o600
    json_file = tmp_path / "calls.json"
    cli(loaded, "-f", "json", "-o", json_file)
    assert os.stat(json_file).st_mode & 0o777 == 0o600
    assert len(json.loads(json_file.read_text())["rows"]) == len(EXPECTED)


def test_table_masks_phones_and_names_kinds(loaded):
    masked = cli(loaded).stdout
    assert "138****5678" in masked and "13812345678" not in masked
    assert "售后回访" in masked and "新会员回访" in masked and "流失会员回访" in masked
    shown = cli(loaded, "--show-phone", "--lang", "en").stdout
    assert "13812345678" in shown and "After-sale" in shown and "Lapsed members" in shown


def test_workbook_sheets_per_kind_and_per_store(loaded, tmp_path):
    result = cli(loaded, "-f", "xlsx", "-o", tmp_path / "回访-{month}.xlsx")
    target = tmp_path / "回访-2026-10.xlsx"
    assert "5 calls in 2 stores" in result.stderr
    assert os.stat(target).st_mode & 0o777 == 0o600
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == [
        "全部回访",
        "售后回访",
        "新会员回访",
        "流失会员回访",
        "S001 徐汇店",
        "S002 天河店",
    ]
    counts = {ws.title: len(table(ws)[1]) for ws in wb.worksheets}
    assert counts == {
        "全部回访": 5,
        "售后回访": 2,
        "新会员回访": 1,
        "流失会员回访": 2,
        "S001 徐汇店": 2,
        "S002 天河店": 3,
    }
    header, rows = table(wb["S002 天河店"])
    assert header == ["回访类型", "开卡门店", "会员卡号", "姓名", "手机号", "事由日期", "事由金额"]
    assert [(r[0], r[2], r[4], r[6]) for r in rows] == [
        ("售后回访", "M2", "13900001111", 1200.0),  # phones in full
        ("新会员回访", "M2", "13900001111", 1200.0),
        ("流失会员回访", "M4", "13600003333", 45.5),
    ]
    assert wb["新会员回访"]["A1"].value == "《会员回访名单（新会员回访）》"
    assert "范围：S002" in wb["S002 天河店"]["A2"].value


def test_workbook_in_english_keeps_empty_kind_sheets(loaded, tmp_path):
    target = tmp_path / "cb.xlsx"
    cli(loaded, "-f", "xlsx", "-o", target, "--lang", "en", "--min-amount", "5000")
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == [
        "All call-backs",
        "After-sale",
        "New members",
        "Lapsed members",
        "S001 徐汇店",
        "S002 天河店",
    ]
    assert table(wb["After-sale"])[1] == []


def test_empty_period_exit_0(loaded):
    result = run_cli("callbacks", "--db", loaded, "--month", "2020-01", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == []


@pytest.mark.parametrize(
    "args",
    [
        ("--by", "store"),
        ("--by", "region"),
        ("--kind", "vip"),
        ("-f", "xlsx"),  # needs --output
        ("--per-store", "0"),
        ("--min-amount", "10.001"),
    ],
)
def test_usage_errors(loaded, args):
    result = run_cli("callbacks", "--db", loaded, "--month", "2026-10", *args)
    assert result.exit_code == 2, result.output


def test_unknown_store_is_rejected(loaded):
    assert run_cli("callbacks", "--db", loaded, "--store", "S404").exit_code == 3
