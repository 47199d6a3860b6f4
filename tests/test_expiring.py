"""Expiring members (SPEC 5.5, 到期会员名单) against a plain-Python reference of the rule.

The rule, as written in the SPEC: a member is listed when expiry_date falls in the month and the
member has NOT earned the fee waiver. The waiver is earned with at least min_visits tickets OR at
least min_spend net sales in the card year [expiry_date - 1 year, as_of], both ends included
(the date of txn_time), tickets in any store. A ticket is a transaction with amount > 0; net
sales are the sum of amount over all of the member's transactions in that window (refunds reduce
it; zero-amount rows count for nothing). 29 February - 1 year is 28 February. Members without an
expiry date are never listed. Rows: store_id (home store), member_id, name, phone, join_date,
expiry_date, visits, spend, visits_short, spend_short; ordered by store_id, expiry_date,
member_id.

`reference_rows` below is that rule in plain Python, with no SQL and no memberkit; every case
compares memberkit's rows with it (and checks a few figures by hand, so that the reference is
checked too).
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from memberkit import db, summaries
from memberkit.ingest.loader import LoadOptions, load_file
from memberkit.periods import Period, month
from memberkit.reports import prepare_connection

COLUMNS = [
    "store_id",
    "member_id",
    "name",
    "phone",
    "join_date",
    "expiry_date",
    "visits",
    "spend",
    "visits_short",
    "spend_short",
]
CENT = Decimal("0.01")
ZERO = Decimal(0)

# ---------------------------------------------------------------------------------------------
# The reference: the SPEC's rule in plain Python.
# ---------------------------------------------------------------------------------------------


def card_year_start(expiry: date) -> date:
    """expiry_date - 1 year; 29 February - 1 year is 28 February."""
    if (expiry.month, expiry.day) == (2, 29):
        return date(expiry.year - 1, 2, 28)
    return expiry.replace(year=expiry.year - 1)


def reference_rows(
    members: list[dict],
    tickets: list[dict],
    as_of: date,
    period: tuple[int, int],
    min_visits: int = 3,
    min_spend: Decimal | int = 1000,
) -> list[dict]:
    """members: member_id, name, phone, store_id, join_date, expiry_date (date or None);
    tickets: txn_id, store_id, txn_time (datetime), member_id (or None), amount (Decimal)."""
    min_spend = Decimal(min_spend)
    out = []
    for m in members:
        expiry = m["expiry_date"]
        if expiry is None or (expiry.year, expiry.month) != period:
            continue
        first = card_year_start(expiry)
        mine = [
            t
            for t in tickets
            if t["member_id"] == m["member_id"] and first <= t["txn_time"].date() <= as_of
        ]
        visits = sum(1 for t in mine if t["amount"] > 0)
        spend = sum((t["amount"] for t in mine), ZERO)
        if visits >= min_visits or spend >= min_spend:
            continue  # the fee waiver is earned
        out.append(
            {
                "store_id": m["store_id"],
                "member_id": m["member_id"],
                "name": m["name"],
                "phone": m["phone"],
                "join_date": m["join_date"],
                "expiry_date": expiry,
                "visits": visits,
                "spend": spend,
                "visits_short": max(0, min_visits - visits),
                "spend_short": max(ZERO, min_spend - spend),
            }
        )
    out.sort(key=lambda r: (r["store_id"], r["expiry_date"], r["member_id"]))
    return out


def test_reference_card_year_start() -> None:
    assert card_year_start(date(2028, 2, 29)) == date(2027, 2, 28)
    assert card_year_start(date(2028, 2, 28)) == date(2027, 2, 28)
    assert card_year_start(date(2028, 3, 1)) == date(2027, 3, 1)
    assert card_year_start(date(2026, 12, 31)) == date(2025, 12, 31)


# ---------------------------------------------------------------------------------------------
# Building a database from small hand-written cases.
# ---------------------------------------------------------------------------------------------

STORES = [("S001", "徐汇店", "华东"), ("S002", "天河店", "华南")]


@dataclass
class Data:
    members: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    stores: list[tuple[str, str, str]] = field(default_factory=lambda: list(STORES))

    def member(
        self,
        member_id: str,
        store_id: str,
        expiry: str | None,
        *,
        joined: str = "2020-01-01",
        phone: str | None = None,
        name: str | None = None,
    ) -> None:
        self.members.append(
            {
                "member_id": member_id,
                "name": name or f"姓名{member_id}",
                # 139 and the member's position: distinct, 11 digits
                "phone": phone or f"139{len(self.members):08d}",
                "store_id": store_id,
                "join_date": date.fromisoformat(joined),
                "expiry_date": date.fromisoformat(expiry) if expiry else None,
            }
        )

    def ticket(self, member_id: str | None, when: str, amount: str, store: str | None = None):
        """A transaction, by default in the member's home store, at noon unless a time is given."""
        home = {m["member_id"]: m["store_id"] for m in self.members}
        when = when if " " in when else f"{when} 12:00:00"
        self.tickets.append(
            {
                "txn_id": f"T{len(self.tickets):05d}",
                "store_id": store or home.get(member_id, "S001"),
                "txn_time": datetime.fromisoformat(when),
                "member_id": member_id,
                "amount": Decimal(amount),
            }
        )

    def expected(self, as_of: date, period: Period, **thresholds) -> list[dict]:
        key = (period.start.year, period.start.month)
        return reference_rows(self.members, self.tickets, as_of, key, **thresholds)


def _csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def load(con, directory: Path, data: Data) -> None:
    """Load the case through the real loader (CSV files with English headers)."""
    member_lines = [
        ",".join(
            _csv(v)
            for v in (
                m["member_id"],
                m["name"],
                "M",
                "1990-01-01",
                m["phone"],
                m["store_id"],
                m["join_date"],
                m["expiry_date"],
            )
        )
        for m in data.members
    ]
    ticket_lines = [
        ",".join(
            _csv(v)
            for v in (
                t["txn_id"],
                t["store_id"],
                t["txn_time"],
                t["member_id"],
                t["amount"],
                1 if t["amount"] > 0 else (-1 if t["amount"] < 0 else 0),
            )
        )
        for t in data.tickets
    ]
    files = {
        "stores": ("store_id,store_name,region", [",".join(s) for s in data.stores]),
        "members": (
            "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date",
            member_lines,
        ),
        "transactions": ("txn_id,store_id,txn_time,member_id,amount,item_qty", ticket_lines),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for kind, (header, lines) in files.items():
        if not lines:
            continue
        path = directory / f"{kind}.csv"
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
        result = load_file(con, path, LoadOptions(kind))
        assert (result.status, result.loaded, result.rejected) == ("loaded", len(lines), 0)


def make_db(tmp_path: Path, data: Data) -> Path:
    """A database file for the CLI (closed again: reports open it read-only)."""
    path = tmp_path / "db" / "expiring.duckdb"
    con = db.connect(path)
    try:
        load(con, tmp_path / "csv", data)
    finally:
        con.close()
    return path


def norm(row: dict) -> dict:
    """Library or JSON values in comparable form: amounts as Decimal cents, dates as date."""
    out = {}
    for key, value in row.items():
        if key in ("spend", "spend_short") and value is not None:
            value = Decimal(str(value)).quantize(CENT)
        elif key in ("visits", "visits_short") and value is not None:
            assert value == int(value), (key, value)
            value = int(value)
        elif key in ("join_date", "expiry_date"):
            if isinstance(value, datetime):
                value = value.date()
            elif isinstance(value, str):
                value = date.fromisoformat(value)
        out[key] = value
    return out


def expiring(con, as_of: date, period: Period, **thresholds) -> list[dict]:
    from memberkit.reports.expiring import expiring_members

    prepare_connection(con)
    report = expiring_members(con, as_of, period, **thresholds)
    for row in report.rows:
        assert list(row) == COLUMNS
    return [norm(r) for r in report.rows]


def check(con, tmp_path: Path, data: Data, as_of: date, period: Period, **thresholds):
    """Load the case, run the library and compare every row (and the order) with the reference."""
    load(con, tmp_path, data)
    got = expiring(con, as_of, period, **thresholds)
    expected = [norm(r) for r in data.expected(as_of, period, **thresholds)]
    assert got == expected
    return {r["member_id"]: r for r in got}


# ---------------------------------------------------------------------------------------------
# Hand-worked cases on the library.
# ---------------------------------------------------------------------------------------------

FEB_2028 = month(2028, 2)
JAN_2027 = month(2027, 1)
DEC_2026 = month(2026, 12)


def test_29_february_card_year_starts_on_28_february(con, tmp_path: Path) -> None:
    data = Data()
    # A: expires 2028-02-29; the ticket on 2027-02-28 is the third of the card year -> waived
    data.member("A001", "S001", "2028-02-29")
    data.ticket("A001", "2027-02-28 00:00:00", "10")
    data.ticket("A001", "2027-06-01", "10")
    data.ticket("A001", "2027-12-01", "10")
    # B: same expiry, but the first ticket is on 2027-02-27, the day before -> 2 visits, listed
    data.member("B001", "S001", "2028-02-29")
    data.ticket("B001", "2027-02-27 23:59:59", "10")
    data.ticket("B001", "2027-06-01", "10")
    data.ticket("B001", "2027-12-01", "10")
    # C: the spend threshold reached only through a ticket on 2027-02-28 -> waived
    data.member("C001", "S001", "2028-02-29")
    data.ticket("C001", "2027-02-28 18:30:00", "1000.00")
    # D: 1000.00 on 2027-02-27 is outside the card year -> listed with spend 0
    data.member("D001", "S001", "2028-02-29")
    data.ticket("D001", "2027-02-27", "1000.00")
    # E: expires 2028-02-28: its card year also starts 2027-02-28 -> waived
    data.member("E001", "S002", "2028-02-28")
    data.ticket("E001", "2027-02-28", "1000.00")
    # F: expires 2028-03-01, not in February: never listed for February
    data.member("F001", "S002", "2028-03-01")
    rows = check(con, tmp_path, data, date(2028, 1, 5), FEB_2028)
    assert list(rows) == ["B001", "D001"]
    assert (rows["B001"]["visits"], rows["B001"]["visits_short"]) == (2, 1)
    assert rows["B001"]["spend"] == Decimal("20.00")
    assert (rows["D001"]["visits"], rows["D001"]["spend"]) == (0, Decimal("0.00"))
    assert rows["D001"]["spend_short"] == Decimal("1000.00")


def test_expiry_at_year_end(con, tmp_path: Path) -> None:
    data = Data()
    # expires 2026-12-31: card year [2025-12-31, as-of]
    data.member("Y001", "S001", "2026-12-31")
    data.ticket("Y001", "2025-12-31 00:00:01", "5")  # first day: counts
    data.ticket("Y001", "2025-12-30 23:59:59", "5")  # the day before: does not
    data.ticket("Y001", "2026-06-01", "5")
    data.member("Y002", "S001", "2026-12-31")
    data.ticket("Y002", "2025-12-31", "5")
    data.ticket("Y002", "2026-06-01", "5")
    data.ticket("Y002", "2026-11-30", "5")  # 3 visits: waived
    data.member("J001", "S001", "2027-01-01")
    data.member("J031", "S002", "2027-01-31")
    data.ticket("J031", "2026-01-31", "999.99")  # first day of its card year
    as_of = date(2026, 12, 5)
    december = check(con, tmp_path, data, as_of, DEC_2026)
    assert list(december) == ["Y001"]
    assert (december["Y001"]["visits"], december["Y001"]["spend"]) == (2, Decimal("10.00"))
    january = expiring(con, as_of, JAN_2027)
    assert january == [norm(r) for r in data.expected(as_of, JAN_2027)]
    assert [r["member_id"] for r in january] == ["J001", "J031"]
    assert january[1]["spend"] == Decimal("999.99")
    assert january[1]["spend_short"] == Decimal("0.01")


def test_member_without_tickets_is_listed_with_full_shortfall(con, tmp_path: Path) -> None:
    data = Data()
    data.member("N001", "S001", "2027-01-15", phone="13812345678", name="张伟")
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert rows["N001"] == {
        "store_id": "S001",
        "member_id": "N001",
        "name": "张伟",
        "phone": "13812345678",
        "join_date": date(2020, 1, 1),
        "expiry_date": date(2027, 1, 15),
        "visits": 0,
        "spend": Decimal("0.00"),
        "visits_short": 3,
        "spend_short": Decimal("1000.00"),
    }


def test_refunds_pull_spend_below_the_threshold(con, tmp_path: Path) -> None:
    data = Data()
    data.member("R001", "S001", "2027-01-10")
    data.ticket("R001", "2026-03-01", "1200.00")
    data.ticket("R001", "2026-03-05", "-300.00")  # a refund: reduces spend, is not a visit
    data.member("R002", "S001", "2027-01-10")
    data.ticket("R002", "2026-03-01", "1200.00")
    data.ticket("R002", "2025-12-01", "-300.00")  # before the card year: ignored -> waived
    data.member("R003", "S001", "2027-01-10")
    data.ticket("R003", "2026-03-01", "600.00")
    data.ticket("R003", "2026-04-01", "600.00")
    data.ticket("R003", "2026-05-01", "-200.00")
    data.ticket("R003", "2026-05-02", "-1.00")  # 999.00, 2 visits -> listed
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert list(rows) == ["R001", "R003"]
    assert (rows["R001"]["visits"], rows["R001"]["spend"]) == (1, Decimal("900.00"))
    assert rows["R001"]["spend_short"] == Decimal("100.00")
    assert (rows["R003"]["visits"], rows["R003"]["spend"]) == (2, Decimal("999.00"))


def test_thresholds_reached_exactly_earn_the_waiver(con, tmp_path: Path) -> None:
    data = Data()
    data.member("V003", "S001", "2027-01-20")  # exactly 3 visits: waived
    for day in ("2026-02-01", "2026-05-01", "2026-09-01"):
        data.ticket("V003", day, "1.00")
    data.member("V002", "S001", "2027-01-20")  # 2 visits: listed
    for day in ("2026-02-01", "2026-05-01"):
        data.ticket("V002", day, "1.00")
    data.member("P100", "S001", "2027-01-20")  # exactly 1,000.00 in two tickets: waived
    data.ticket("P100", "2026-02-01", "600.01")
    data.ticket("P100", "2026-03-01", "399.99")
    data.member("P099", "S001", "2027-01-20")  # 999.99: listed, 0.01 short
    data.ticket("P099", "2026-02-01", "999.99")
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert list(rows) == ["P099", "V002"]
    assert (rows["V002"]["visits_short"], rows["V002"]["spend_short"]) == (1, Decimal("998.00"))
    assert (rows["P099"]["visits_short"], rows["P099"]["spend_short"]) == (2, Decimal("0.01"))


def test_tickets_after_as_of_are_ignored(con, tmp_path: Path) -> None:
    data = Data()
    data.member("L001", "S001", "2027-01-20")
    data.ticket("L001", "2026-06-01", "10")
    data.ticket("L001", "2026-12-05 23:59:59", "10")  # on as-of: counts
    data.ticket("L001", "2026-12-06 00:00:00", "10")  # the day after: ignored
    data.member("L002", "S001", "2027-01-20")
    data.ticket("L002", "2026-12-06", "5000.00")  # after as-of: ignored
    data.member("L003", "S001", "2027-01-20")
    data.ticket("L003", "2026-12-05 00:00:00", "1000.00")  # on as-of: waived
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert list(rows) == ["L001", "L002"]
    assert (rows["L001"]["visits"], rows["L001"]["spend"]) == (2, Decimal("20.00"))
    assert (rows["L002"]["visits"], rows["L002"]["spend"]) == (0, Decimal("0.00"))


def test_tickets_in_other_stores_count(con, tmp_path: Path) -> None:
    data = Data()
    data.member("X001", "S001", "2027-01-20")
    data.ticket("X001", "2026-02-01", "10", store="S002")
    data.ticket("X001", "2026-03-01", "10", store="S002")
    data.ticket("X001", "2026-04-01", "10", store="S009")  # a store not in the stores table
    data.member("X002", "S001", "2027-01-20")
    data.ticket("X002", "2026-02-01", "400", store="S002")
    data.ticket("X002", "2026-03-01", "300", store="S001")
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert list(rows) == ["X002"]
    assert rows["X002"]["store_id"] == "S001"  # the home store, not where it shopped
    assert (rows["X002"]["visits"], rows["X002"]["spend"]) == (2, Decimal("700.00"))


def test_members_without_expiry_date_are_never_listed(con, tmp_path: Path) -> None:
    data = Data()
    data.member("E000", "S001", None)
    data.member("E001", "S001", "2027-01-31")
    data.ticket("E000", "2026-03-01", "1")
    data.ticket(None, "2026-03-01", "1")  # a non-member ticket
    data.ticket("Z999", "2026-03-01", "1")  # a member id not on file: no home store
    load(con, tmp_path, data)
    for period in (JAN_2027, DEC_2026, month(2026, 11), month(2027, 2)):
        got = expiring(con, date(2026, 12, 5), period)
        assert got == [norm(r) for r in data.expected(date(2026, 12, 5), period)]
        assert "E000" not in [r["member_id"] for r in got]
        assert "Z999" not in [r["member_id"] for r in got]
    assert [r["member_id"] for r in expiring(con, date(2026, 12, 5), JAN_2027)] == ["E001"]


def test_zero_amount_rows_are_not_visits(con, tmp_path: Path) -> None:
    data = Data()
    data.member("Z001", "S001", "2027-01-20")
    data.ticket("Z001", "2026-02-01", "10")
    data.ticket("Z001", "2026-03-01", "10")
    data.ticket("Z001", "2026-04-01", "0")
    data.ticket("Z001", "2026-05-01", "0.00")
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert (rows["Z001"]["visits"], rows["Z001"]["spend"]) == (2, Decimal("20.00"))


def test_ordering_by_store_then_expiry_then_member(con, tmp_path: Path) -> None:
    data = Data()
    data.stores.append(("S003", "珠江店", "华南"))
    for member_id, store, expiry in (
        ("K005", "S002", "2027-01-03"),
        ("K004", "S001", "2027-01-31"),
        ("K003", "S001", "2027-01-02"),
        ("K009", "S001", "2027-01-02"),
        ("K001", "S003", "2027-01-01"),
        ("K002", "S002", "2027-01-03"),
        ("K008", "S001", "2027-01-15"),
        ("K007", "S002", "2027-01-01"),
    ):
        data.member(member_id, store, expiry)
    rows = check(con, tmp_path, data, date(2026, 12, 5), JAN_2027)
    assert list(rows) == ["K003", "K009", "K008", "K004", "K007", "K002", "K005", "K001"]


def test_min_visits_and_min_spend_in_the_library(con, tmp_path: Path) -> None:
    data = Data()
    data.member("Q001", "S001", "2027-01-20")  # 2 visits, 600.00
    data.ticket("Q001", "2026-02-01", "300")
    data.ticket("Q001", "2026-03-01", "300")
    data.member("Q002", "S001", "2027-01-20")  # 3 visits, 30.00
    for day in ("2026-02-01", "2026-03-01", "2026-04-01"):
        data.ticket("Q002", day, "10")
    load(con, tmp_path, data)
    as_of = date(2026, 12, 5)
    for thresholds, listed in (
        ({}, ["Q001"]),
        ({"min_visits": 2}, []),
        ({"min_spend": 600}, []),
        ({"min_spend": 601}, ["Q001"]),
        ({"min_visits": 4}, ["Q001", "Q002"]),
        ({"min_visits": 4, "min_spend": 2000}, ["Q001", "Q002"]),
    ):
        got = expiring(con, as_of, JAN_2027, **thresholds)
        assert got == [norm(r) for r in data.expected(as_of, JAN_2027, **thresholds)]
        assert [r["member_id"] for r in got] == listed, thresholds
    (q1, q2) = expiring(con, as_of, JAN_2027, min_visits=4, min_spend=2000)
    assert (q1["visits_short"], q1["spend_short"]) == (2, Decimal("1400.00"))
    assert (q2["visits_short"], q2["spend_short"]) == (1, Decimal("1970.00"))


# ---------------------------------------------------------------------------------------------
# Property: random members and tickets around the window's edges.
# ---------------------------------------------------------------------------------------------

MONTHS = [(2028, 2), (2026, 12), (2027, 1), (2027, 3), (2029, 2)]
# Weighted towards the values that make thresholds reached exactly and zero-amount rows likely.
AMOUNTS = [
    Decimal(a)
    for a in ["0"] * 3
    + ["1.00", "500.00", "1000.00"] * 2
    + ["0.01", "-0.01", "100.00", "333.33", "333.34", "999.99", "-100.00", "-500.00", "1200.00"]
]
TIMES = ["00:00:00", "00:00:00", "12:00:00", "23:59:59"]
STORE_IDS = ["S1", "S2", "S3"]


@st.composite
def scenarios(draw):
    """A month, an as-of day around it, members expiring in it (or just outside it, or never)
    and tickets on and beside the edges of their card years: the first day, as-of, expiry."""
    y, m = draw(st.sampled_from(MONTHS))
    period = month(y, m)
    days = (period.end - period.start).days
    as_of = period.start + timedelta(days=draw(st.integers(-45, days + 5)))
    members, tickets = [], []
    for i in range(draw(st.integers(1, 8))):
        where = draw(st.sampled_from(["in", "in", "in", "in", "edge", "none", "far"]))
        if where == "in":
            expiry = period.start + timedelta(
                days=draw(st.sampled_from([0, days, draw(st.integers(0, days))]))
            )
        elif where == "edge":
            expiry = draw(
                st.sampled_from([period.start - timedelta(days=1), period.end + timedelta(days=1)])
            )
        elif where == "none":
            expiry = None
        else:
            expiry = period.start + timedelta(days=draw(st.sampled_from([-400, -30, 60, 400])))
        member_id = f"M{i:03d}"
        members.append(
            {
                "member_id": member_id,
                "name": f"会员{i}",
                "phone": f"138{i:08d}",
                "store_id": draw(st.sampled_from(STORE_IDS)),
                "join_date": date(2020, 1, 1),
                "expiry_date": expiry,
            }
        )
        first = card_year_start(expiry or period.end)
        anchors = [first, first, first, as_of, as_of, expiry or period.end, first + timedelta(180)]
        for _ in range(draw(st.integers(0, 6))):
            day = draw(st.sampled_from(anchors)) + timedelta(
                days=draw(st.sampled_from([0, 0, 0, -1, 1]))
            )
            at = datetime.fromisoformat(f"{day.isoformat()} {draw(st.sampled_from(TIMES))}")
            who = draw(st.sampled_from([member_id] * 10 + [None, "X999"]))
            tickets.append(
                {
                    "txn_id": f"T{len(tickets):05d}",
                    "store_id": draw(st.sampled_from(STORE_IDS)),
                    "txn_time": at,
                    "member_id": who,
                    "amount": draw(st.sampled_from(AMOUNTS)),
                }
            )
    min_visits = draw(st.sampled_from([1, 2, 3, 3]))
    min_spend = draw(st.sampled_from([1, 500, 1000, 1000]))
    return period, as_of, members, tickets, min_visits, min_spend


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@pytest.mark.slow
@given(scenarios())
def test_matches_the_reference_on_random_cases(scenario) -> None:
    period, as_of, members, tickets, min_visits, min_spend = scenario
    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "p.duckdb")
        try:
            con.executemany(
                "insert into stores values (?, ?, ?, 0)",
                [(s, f"店{s}", "华东") for s in STORE_IDS],
            )
            if members:
                con.executemany(
                    "insert into members values (?, ?, 'M', date '1990-01-01', ?, ?, ?, ?, 0)",
                    [
                        (
                            m["member_id"],
                            m["name"],
                            m["phone"],
                            m["store_id"],
                            m["join_date"],
                            m["expiry_date"],
                        )
                        for m in members
                    ],
                )
            if tickets:
                con.executemany(
                    "insert into transactions values (?, ?, ?, ?, ?, 1, 0)",
                    [
                        (t["txn_id"], t["store_id"], t["txn_time"], t["member_id"], t["amount"])
                        for t in tickets
                    ],
                )
                summaries.rebuild(con)  # as a load does: the report reads the summaries
            got = expiring(con, as_of, period, min_visits=min_visits, min_spend=min_spend)
        finally:
            con.close()
    key = (period.start.year, period.start.month)
    expected = reference_rows(members, tickets, as_of, key, min_visits, min_spend)
    assert got == [norm(r) for r in expected]


# ---------------------------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------------------------


def cli_data() -> Data:
    """Three members listed in January 2027 in two stores (one not in the stores table), one
    waived, one without expiry, one expiring in December."""
    data = Data()
    data.member("C001", "S001", "2027-01-10", phone="13812345678", name="张伟")
    data.ticket("C001", "2026-05-01", "120.50")
    data.member("C002", "S002", "2027-01-05", phone="13900001111", name="王芳")
    data.member("C003", "S001", "2027-01-02", phone="13700002222", name="李娜")
    data.ticket("C003", "2026-02-01", "10", store="S002")
    data.ticket("C003", "2026-03-01", "10")
    data.member("C004", "S001", "2027-01-20", phone="13600003333", name="赵强")  # waived
    data.ticket("C004", "2026-02-01", "1000.00")
    data.member("C005", "S002", None, phone="13500004444")
    data.member("C006", "S002", "2026-12-31", phone="13400005555")
    return data


AS_OF = date(2026, 12, 5)


@pytest.fixture
def cli_db(tmp_path: Path) -> tuple[Path, Data]:
    data = cli_data()
    return make_db(tmp_path, data), data


def cli(db_file: Path, *args) -> object:
    return run_cli("expiring", "--db", db_file, *args)


def cli_json(db_file: Path, *args) -> dict:
    result = cli(db_file, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for row in doc["rows"]:  # SPEC 6: every row names its scope; the list is the company's
        assert next(iter(row)) == "scope" and row.pop("scope") == "ALL"
    return doc


def cells(path: Path) -> dict[str, list[list]]:
    """Every sheet of a workbook as lists of row values."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def texts(sheets: dict[str, list[list]]) -> list[str]:
    return [str(v) for rows in sheets.values() for row in rows for v in row if v is not None]


def test_cli_default_month_is_the_month_after_as_of(cli_db) -> None:
    db_file, data = cli_db
    doc = cli_json(db_file, "--as-of", "2026-12-05")
    assert doc["report"] == "expiring" and doc["period"] == "2027-01"
    expected = [norm(r) for r in data.expected(AS_OF, JAN_2027)]
    assert [list(r) for r in doc["rows"]] == [COLUMNS] * len(expected)
    assert [norm(r) for r in doc["rows"]] == expected
    assert [r["member_id"] for r in doc["rows"]] == ["C003", "C001", "C002"]
    assert cli_json(db_file, "--as-of", "2026-11-30")["period"] == "2026-12"
    assert cli_json(db_file, "--as-of", "2026-12-31")["period"] == "2027-01"
    december = cli_json(db_file, "--as-of", "2026-11-30")
    assert [r["member_id"] for r in december["rows"]] == ["C006"]


def test_cli_default_as_of_is_today(cli_db) -> None:
    db_file, _ = cli_db
    today = date.today()
    following = month(today.year + (today.month == 12), today.month % 12 + 1)
    assert cli_json(db_file)["period"] == following.label


def test_cli_json_amounts_have_two_decimals(cli_db) -> None:
    db_file, _ = cli_db
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "json")
    assert result.exit_code == 0, result.output
    assert re.search(r'"spend": 120\.50\b', result.stdout), result.stdout
    assert re.search(r'"spend": 0\.00\b', result.stdout), result.stdout
    assert re.search(r'"spend_short": 1000\.00\b', result.stdout), result.stdout
    assert re.search(r'"spend_short": 879\.50\b', result.stdout), result.stdout


def test_cli_month_and_thresholds(cli_db) -> None:
    db_file, data = cli_db
    args = ("--as-of", "2026-12-05", "--month", "2027-01")
    for extra, thresholds, listed in (
        ((), {}, ["C003", "C001", "C002"]),
        (("--min-visits", "2"), {"min_visits": 2}, ["C001", "C002"]),
        (("--min-visits", "1"), {"min_visits": 1}, ["C002"]),
        (("--min-spend", "120.50"), {"min_spend": Decimal("120.50")}, ["C003", "C002"]),
        (("--min-spend", "2000"), {"min_spend": 2000}, ["C003", "C001", "C004", "C002"]),
    ):
        doc = cli_json(db_file, *args, *extra)
        assert [r["member_id"] for r in doc["rows"]] == listed, extra
        assert [norm(r) for r in doc["rows"]] == [
            norm(r) for r in data.expected(AS_OF, JAN_2027, **thresholds)
        ], extra


def test_cli_csv_columns(cli_db) -> None:
    db_file, _ = cli_db
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert [line.split(",")[1] for line in lines[1:]] == ["C003", "C001", "C002"]
    assert "13812345678" in result.stdout  # files and CSV hold phones in full


def test_cli_table_masks_phones_unless_asked(cli_db) -> None:
    db_file, _ = cli_db
    masked = cli(db_file, "--as-of", "2026-12-05")
    assert masked.exit_code == 0, masked.output
    assert "138****5678" in masked.stdout and "13812345678" not in masked.stdout
    shown = cli(db_file, "--as-of", "2026-12-05", "--show-phone")
    assert shown.exit_code == 0, shown.output
    assert "13812345678" in shown.stdout


def test_cli_empty_list_is_exit_0(cli_db, tmp_path: Path) -> None:
    db_file, _ = cli_db
    doc = cli_json(db_file, "--as-of", "2026-12-05", "--month", "2030-06")
    assert doc == {"report": "expiring", "period": "2030-06", "rows": []}
    table = cli(db_file, "--as-of", "2026-12-05", "--month", "2030-06")
    assert table.exit_code == 0, table.output
    target = tmp_path / "empty" / "到期会员名单-{month}.xlsx"
    result = cli(
        db_file,
        "--as-of",
        "2026-12-05",
        "--month",
        "2030-06",
        "--format",
        "xlsx",
        "--output",
        target,
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "empty" / "到期会员名单-2030-06.xlsx"
    assert written.exists()
    assert any("《2030年06月到期会员名单》" in t for t in texts(cells(written)))
    assert re.search(r"2030-06: 0 members? in 0 stores?", result.stdout + result.stderr)


def test_cli_xlsx_sheets_phones_counts_and_title(cli_db, tmp_path: Path) -> None:
    db_file, data = cli_db
    target = tmp_path / "lists" / "到期会员名单-{month}.xlsx"
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    written = tmp_path / "lists" / "到期会员名单-2027-01.xlsx"
    assert written.exists() and not target.exists()
    assert written.stat().st_mode & 0o077 == 0
    summary = result.stdout + result.stderr
    assert re.search(r"2027-01: 3 members in 2 stores -> ", summary), summary
    assert str(written) in summary or written.name in summary
    sheets = cells(written)
    assert len(sheets) == 3  # S001, S002 and all stores
    everything = texts(sheets)
    assert any("《2027年01月到期会员名单》" in t for t in everything)
    assert "13812345678" in everything and "13900001111" in everything
    assert not any("****" in t for t in everything)
    expected = data.expected(AS_OF, JAN_2027)
    by_store = {"S001": ["C001", "C003"], "S002": ["C002"]}
    assert sorted(r["member_id"] for r in expected) == ["C001", "C002", "C003"]
    member_sheets = {
        title: {
            v
            for row in rows
            for v in row
            if isinstance(v, str) and v in {"C001", "C002", "C003", "C004"}
        }
        for title, rows in sheets.items()
    }
    # one sheet per store with exactly its members, and one sheet with all of them
    assert sorted(sorted(ids) for ids in member_sheets.values()) == [
        ["C001", "C002", "C003"],
        ["C001", "C003"],
        ["C002"],
    ]
    (all_title,) = [t for t, ids in member_sheets.items() if len(ids) == 3]
    for store, members in by_store.items():
        store_title = next(t for t, ids in member_sheets.items() if ids == set(members))
        assert store_title.startswith(store), (store, store_title)
        # its subtitle names the store as the scope, not the whole list's ALL
        subtitle = [v for row in sheets[store_title][:3] for v in row if isinstance(v, str)]
        assert any("范围" in v and store in v for v in subtitle), subtitle
        assert store_count_shown(sheets[all_title], store, len(members)), (store, all_title)


def store_count_shown(rows: list[list], store: str, count: int) -> bool:
    """A row of the all-stores sheet, not a member row, naming the store and its count."""
    member_ids = {"C001", "C002", "C003", "C004", "C005", "C006"}
    number = re.compile(rf"(?<![\d.]){count}(?![\d.])")
    for row in rows:
        values = [v for v in row if v is not None]
        if any(v in member_ids for v in values):
            continue
        joined = " ".join(str(v) for v in values)
        if store not in joined:
            continue
        if any(isinstance(v, int | float) and v == count for v in values):
            return True
        if number.search(joined.replace(store, " ")):
            return True
    return False


def test_cli_output_replaces_existing_file_atomically(cli_db, tmp_path: Path) -> None:
    db_file, _ = cli_db
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "到期会员名单-2027-01.xlsx"
    target.write_bytes(b"an old file, not a workbook")
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [target.name]  # no temporary left
    assert "C001" in texts(cells(target))
    assert target.stat().st_mode & 0o077 == 0
    csv_target = folder / "到期-{month}.csv"
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "csv", "--output", csv_target)
    assert result.exit_code == 0, result.output
    written = folder / "到期-2027-01.csv"
    assert written.read_bytes().startswith(b"\xef\xbb\xbfstore_id,member_id")
    assert written.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted([target.name, written.name])


def test_cli_split_by_store(cli_db, tmp_path: Path) -> None:
    db_file, _ = cli_db
    folder = tmp_path / "split"
    result = cli(db_file, "--as-of", "2026-12-05", "--split-by-store", folder)
    assert result.exit_code == 0, result.output
    files = sorted(folder.rglob("*.xlsx"))
    assert len(files) == 3, files  # S001, S002 and all stores
    for path in files:
        assert path.stat().st_mode & 0o077 == 0
    s1 = [p for p in files if "S001" in p.name]
    s2 = [p for p in files if "S002" in p.name]
    rest = [p for p in files if p not in s1 and p not in s2]
    assert len(s1) == len(s2) == len(rest) == 1, files
    assert "徐汇店" in s1[0].name and "天河店" in s2[0].name
    wanted = {"C001", "C002", "C003", "C004", "C005", "C006"}
    for path, members in ((s1[0], {"C001", "C003"}), (s2[0], {"C002"})):
        found = texts(cells(path))
        assert wanted & set(found) == members, path
        assert any("《2027年01月到期会员名单》" in t for t in found)
    everything = texts(cells(rest[0]))
    assert wanted & set(everything) == {"C001", "C002", "C003"}
    assert "13812345678" in everything
    assert re.search(r"2027-01: 3 members in 2 stores", result.stdout + result.stderr)


def test_cli_split_by_store_never_leaves_the_folder(tmp_path: Path) -> None:
    data = Data()
    data.member("U001", "../../etc", "2027-01-10")
    data.member("U002", "S001", "2027-01-11")
    data.member("U003", "..", "2027-01-12")
    data.member("U004", "a/b\\c", "2027-01-13")
    db_file = make_db(tmp_path / "data", data)
    folder = tmp_path / "x" / "y" / "z" / "split"
    before = set(tmp_path.rglob("*"))
    result = cli(db_file, "--as-of", "2026-12-05", "--split-by-store", folder)
    assert result.exit_code == 0, result.output
    created = [
        p
        for p in tmp_path.rglob("*")
        if p not in before and p.is_file() and not p.is_relative_to(tmp_path / "data")
    ]
    outside = [p for p in created if not p.resolve().is_relative_to(folder.resolve())]
    assert outside == []
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 5, files  # four stores and all stores
    found = {}
    for path in files:
        ids = {t for t in texts(cells(path)) if t in {"U001", "U002", "U003", "U004"}}
        found[path.name] = ids
    assert sorted(sorted(ids) for ids in found.values()) == [
        ["U001"],
        ["U001", "U002", "U003", "U004"],
        ["U002"],
        ["U003"],
        ["U004"],
    ]
    # and a single workbook with such store ids as sheets
    target = tmp_path / "one.xlsx"
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "xlsx", "--output", target)
    assert result.exit_code == 0, result.output
    assert len(cells(target)) == 5


def test_cli_split_by_store_gives_each_store_its_own_file(tmp_path: Path) -> None:
    """Store ids that clean to the same file name must not overwrite each other's lists."""
    data = Data()
    data.member("W001", "../../etc", "2027-01-10")
    data.member("W002", "etc", "2027-01-11")
    data.member("W003", "S/1", "2027-01-12")
    data.member("W004", "S_1", "2027-01-13")
    db_file = make_db(tmp_path / "data", data)
    folder = tmp_path / "split"
    result = cli(db_file, "--as-of", "2026-12-05", "--split-by-store", folder)
    assert result.exit_code == 0, result.output
    ids = {"W001", "W002", "W003", "W004"}
    found = sorted(sorted(ids & set(texts(cells(p)))) for p in folder.rglob("*") if p.is_file())
    assert found == [
        ["W001"],
        ["W001", "W002", "W003", "W004"],
        ["W002"],
        ["W003"],
        ["W004"],
    ]


def test_cli_min_spend_below_a_cent_is_not_rounded(tmp_path: Path) -> None:
    """999.99 is less than --min-spend 999.991: listed (or the option is refused), not waived."""
    data = Data()
    data.member("G001", "S001", "2027-01-10")
    data.ticket("G001", "2026-05-01", "999.99")
    db_file = make_db(tmp_path, data)
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "json", "--min-spend", "999.991")
    if result.exit_code == 2:
        assert "--min-spend" in result.stderr, result.stderr
        return  # refusing a threshold finer than a cent is fine too
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    expected = data.expected(AS_OF, JAN_2027, min_spend=Decimal("999.991"))
    assert [r["member_id"] for r in expected] == ["G001"]
    assert [r["member_id"] for r in rows] == ["G001"]


@pytest.mark.parametrize("threshold", ["1e17", "1e30", "inf"])
def test_cli_min_spend_beyond_the_money_range_is_a_usage_error(tmp_path: Path, threshold) -> None:
    data = Data()
    data.member("G001", "S001", "2027-01-10")
    db_file = make_db(tmp_path, data)
    result = cli(db_file, "--as-of", "2026-12-05", "--format", "json", "--min-spend", threshold)
    assert result.exit_code == 2, result.output
    assert "--min-spend" in result.stderr and "Traceback" not in result.stderr
