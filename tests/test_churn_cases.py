"""Churn (SPEC 5.4) on small cases worked by hand.

Every case is October 2026 with N = 90 inactive days, so:
  S = 2026-10-01, E = 2026-10-31, E - N = 2026-08-02, S - N = 2026-07-03,
  the 365-day window is [E - 364, E] = [2025-11-01, 2026-10-31].
Members belong to their home store; their tickets count in any store. Stores: S1 (华东) and
S2 (华南). Members join on 2020-01-01 and never expire unless a case says otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memberkit.ingest.loader import LoadOptions, load_file
from memberkit.periods import Scope, month
from memberkit.reports import analyses as a
from memberkit.reports import prepare_connection

OCTOBER = month(2026, 10)
N = 90
E_MINUS_N = date(2026, 8, 2)
S_MINUS_N = date(2026, 7, 3)
WINDOW_START = date(2025, 11, 1)


def test_the_dates_of_the_cases() -> None:
    assert OCTOBER.start - timedelta(days=N) == S_MINUS_N
    assert OCTOBER.end - timedelta(days=N) == E_MINUS_N
    assert OCTOBER.end - timedelta(days=364) == WINDOW_START


def build(con, directory: Path, members: list[tuple], tickets: list[tuple]) -> None:
    """members: (id, home store[, join date, expiry date]);
    tickets: (member, 'YYYY-MM-DD[ HH:MM:SS]', amount[, store]), by default in the home store."""
    home = {}
    member_lines = []
    for i, (member_id, store_id, *dates) in enumerate(members):
        joined = dates[0] if dates else "2020-01-01"
        expiry = dates[1] if len(dates) > 1 and dates[1] else ""
        home[member_id] = store_id
        member_lines.append(  # the phone number is 139 and the member's position
            f"{member_id},姓名{member_id},M,1990-01-01,139{i:08d},{store_id},{joined},{expiry}"
        )
    ticket_lines = []
    for i, (member_id, when, amount, *store) in enumerate(tickets):
        store_id = store[0] if store else home[member_id]
        when = when if " " in when else f"{when} 12:00:00"
        qty = 1 if Decimal(amount) >= 0 else -1
        ticket_lines.append(f"T{i:04d},{store_id},{when},{member_id},{amount},{qty}")
    files = {
        "stores": ("store_id,store_name,region", ["S1,一号店,华东", "S2,二号店,华南"]),
        "members": (
            "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date",
            member_lines,
        ),
        "transactions": ("txn_id,store_id,txn_time,member_id,amount,item_qty", ticket_lines),
    }
    for kind, (header, lines) in files.items():
        path = directory / f"{kind}.csv"
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
        result = load_file(con, path, LoadOptions(kind))
        assert (result.status, result.loaded, result.rejected) == ("loaded", len(lines), 0)
    prepare_connection(con)


COMPANY = Scope()


def churn_row(con, scope: Scope = COMPANY) -> dict:
    (row,) = a.churn(con, OCTOBER, scope, inactive_days=N).rows
    return row


def call_back(con, scope: Scope = COMPANY) -> list[dict]:
    return a.churn_list(con, OCTOBER, scope, inactive_days=N).rows


def test_last_ticket_exactly_n_days_before_end_is_lapsed(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("A001", "S1"), ("B001", "S1")],
        [("A001", "2026-08-02", "80"), ("B001", "2026-08-03", "80")],  # E-N and E-N+1
    )
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (2, 1)
    assert row["churn_rate"] == 0.5
    assert [(r["member_id"], r["days_since"]) for r in call_back(con)] == [("A001", 90)]


def test_tickets_after_the_period_are_ignored(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("C001", "S1"), ("D001", "S1"), ("F001", "S1")],
        [
            ("C001", "2026-06-01", "100"),
            ("C001", "2026-11-05", "500"),  # after E: C001 still lapsed, last ticket 1 June
            ("D001", "2026-11-01 00:00:00", "70"),  # only a ticket after E: not a base member
            ("F001", "2026-10-31 23:59:59", "30"),  # the last second of E counts
        ],
    )
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (2, 1)
    (c,) = call_back(con)
    assert c["member_id"] == "C001"
    assert c["last_ticket_date"] == date(2026, 6, 1)
    assert c["days_since"] == 152
    assert (c["spend_365d"], c["tickets_365d"]) == (Decimal("100.00"), 1)


def test_member_with_only_refunds_is_not_a_base_member(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("R001", "S1"), ("R002", "S1"), ("B001", "S1")],
        [
            ("R001", "2026-03-01", "-50"),  # a refund is not a ticket
            ("R002", "2026-04-01", "0"),  # nor is a zero-amount row
            ("R002", "2026-04-02", "-10"),
            ("B001", "2026-01-15", "60"),
        ],
    )
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (1, 1)
    assert [r["member_id"] for r in call_back(con)] == ["B001"]


def test_newly_lapsed_at_the_window_edges(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("L001", "S1"), ("L002", "S1"), ("L003", "S1"), ("L004", "S1")],
        [
            ("L001", "2026-07-02", "10"),  # S-N-1: lapsed before the period
            ("L002", "2026-01-05", "10"),
            ("L002", "2026-07-03", "10"),  # S-N: newly lapsed
            ("L003", "2026-08-02", "10"),  # E-N: newly lapsed
            ("L004", "2026-08-03", "10"),  # E-N+1: not lapsed
        ],
    )
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"], row["newly_lapsed"]) == (4, 3, 2)


def test_returned_after_a_gap_of_more_than_n_days(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [
            ("G001", "S1"),
            ("H001", "S1"),
            ("I001", "S1"),
            ("J001", "S1"),
            ("K001", "S1"),
            ("L001", "S1"),
            ("M001", "S2"),
        ],
        [
            ("G001", "2026-07-06", "10"),
            ("G001", "2026-10-05", "10"),  # 91 days after: returned
            ("H001", "2026-07-07", "10"),
            ("H001", "2026-10-05", "10"),  # exactly 90 days: not returned
            ("I001", "2026-10-10", "10"),  # first ticket ever: not returned
            ("J001", "2026-07-01", "10", "S2"),  # previous ticket in another store
            ("J001", "2026-10-05", "10"),  # 96 days after: returned
            ("J001", "2026-10-20", "10"),
            ("K001", "2026-06-01", "10"),
            ("K001", "2026-09-15", "-10"),  # a refund is not a ticket
            ("K001", "2026-10-05", "10"),  # 126 days after 1 June: returned
            ("L001", "2026-09-30", "10"),
            ("L001", "2026-10-02", "10"),  # 2 days: not returned
            ("M001", "2026-06-01", "10", "S1"),  # home store S2: not in S1's figures
            ("M001", "2026-10-05", "10", "S1"),
        ],
    )
    assert churn_row(con, Scope(store="S1"))["returned"] == 3
    assert churn_row(con, Scope(store="S2"))["returned"] == 1
    assert churn_row(con)["returned"] == 4


def test_members_not_on_file_are_not_base_members(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [
            ("P001", "S1", "2026-11-01", None),  # joined after E
            ("Q001", "S1", "2020-01-01", "2026-09-30"),  # expired before S
            ("R001", "S1", "2020-01-01", "2026-10-01"),  # expires on S: on file
            ("T001", "S1", "2026-10-31", None),  # joins on E: on file
        ],
        [(m, "2026-05-01", "10") for m in ("P001", "Q001", "R001", "T001")],
    )
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (2, 2)
    assert sorted(r["member_id"] for r in call_back(con)) == ["R001", "T001"]


def test_lapsed_spend_share_counts_refunds_in_the_365_days(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("A001", "S1"), ("B001", "S1")],
        [
            ("A001", "2025-10-31", "1000"),  # a day before the window
            ("A001", "2025-11-01", "50"),  # first day of the window
            ("A001", "2026-03-01", "300"),  # last ticket: lapsed
            ("A001", "2026-04-01", "-150"),  # refund in the window: A001 spent 200
            ("B001", "2026-10-10", "700", "S2"),  # any store counts
            ("B001", "2026-10-12", "-100"),  # B001 spent 600
        ],
    )
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (2, 1)
    assert row["lapsed_spend_share"] == pytest.approx(200 / 800, rel=1e-12)
    (lapsed,) = call_back(con)
    assert lapsed["member_id"] == "A001"
    assert (lapsed["spend_365d"], lapsed["tickets_365d"]) == (Decimal("200.00"), 2)
    assert (lapsed["last_ticket_date"], lapsed["days_since"]) == (date(2026, 3, 1), 244)


def test_lapsed_spend_share_is_zero_without_lapsed_members(con, tmp_path: Path) -> None:
    """No lapsed member: they spent 0 of the base's 600, a share of 0 (not unknown)."""
    build(con, tmp_path, [("B001", "S1")], [("B001", "2026-10-10", "600")])
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (1, 0)
    assert row["churn_rate"] == 0.0
    assert row["lapsed_spend_share"] == 0.0


def test_lapsed_spend_share_is_unknown_when_the_base_spent_nothing(con, tmp_path: Path) -> None:
    """The only base member's tickets are all older than 365 days: 0 / 0 is None."""
    build(con, tmp_path, [("A001", "S1")], [("A001", "2025-06-01", "90")])
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"]) == (1, 1)
    assert row["churn_rate"] == 1.0
    assert row["lapsed_spend_share"] is None


def test_no_base_members_gives_unknown_rates(con, tmp_path: Path) -> None:
    build(con, tmp_path, [("A001", "S1")], [("A001", "2026-11-03", "90")])
    row = churn_row(con)
    assert (row["base_members"], row["lapsed_members"], row["newly_lapsed"]) == (0, 0, 0)
    assert row["churn_rate"] is None
    assert row["lapsed_spend_share"] is None
    assert call_back(con) == []


def test_call_back_list_biggest_spenders_first(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("X001", "S1"), ("Y001", "S1"), ("Z001", "S1"), ("W001", "S2"), ("V001", "S1")],
        [
            ("X001", "2026-05-01", "500"),
            ("Y001", "2026-07-15", "50"),
            ("Z001", "2026-02-10", "1300"),
            ("Z001", "2026-03-01", "-100"),  # Z001 spent 1,200
            ("W001", "2026-05-20", "800", "S1"),  # home store S2
            ("V001", "2026-10-02", "5000"),  # active: not on the list
        ],
    )
    rows = call_back(con, Scope(store="S1"))
    assert [(r["member_id"], r["spend_365d"], r["days_since"]) for r in rows] == [
        ("Z001", Decimal("1200.00"), 263),
        ("X001", Decimal("500.00"), 183),
        ("Y001", Decimal("50.00"), 108),
    ]
    assert rows[0]["last_ticket_date"] == date(2026, 2, 10)
    assert (rows[0]["name"], rows[0]["phone"], rows[0]["store_id"]) == (
        "姓名Z001",
        "13900000002",
        "S1",
    )
    assert rows[0]["tickets_365d"] == 1
    everyone = call_back(con)
    assert [r["member_id"] for r in everyone] == ["Z001", "W001", "X001", "Y001"]
    assert [r["member_id"] for r in call_back(con, Scope(region="华南"))] == ["W001"]


def test_churn_by_store_follows_the_home_store(con, tmp_path: Path) -> None:
    build(
        con,
        tmp_path,
        [("A001", "S1"), ("B001", "S2"), ("C001", "S2")],
        [
            ("A001", "2026-10-03", "40", "S2"),
            ("B001", "2026-04-03", "40", "S1"),  # lapsed, counted at S2 (home store)
            ("C001", "2026-10-09", "40", "S1"),
        ],
    )
    rows = a.churn(con, OCTOBER, Scope(by="store"), inactive_days=N).rows
    figures = {r["scope"]: (r["base_members"], r["lapsed_members"]) for r in rows}
    assert [r["scope"] for r in rows] == ["S1", "S2", "ALL"]
    assert figures == {"S1": (1, 0), "S2": (2, 1), "ALL": (3, 1)}
    by_region = a.churn(con, OCTOBER, Scope(by="region"), inactive_days=N).rows
    assert {r["scope"]: r["churn_rate"] for r in by_region} == {
        "华东": 0.0,
        "华南": 0.5,
        "ALL": pytest.approx(1 / 3),
    }
