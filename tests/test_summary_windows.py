"""Day windows over the ticket summaries (queries/common.sql): whole months from ticket_months,
the edge days from the tickets. Tickets written here fall on the days where a window's edge
can go wrong (month ends and firsts, the 2nd, 29 February, an as-of day and the day after, at
00:00:00 and 23:59:59, refunds among them) and are loaded in two files, so that a month has
summary rows from both loads; every figure is checked against a plain-Python computation over
the same rows (tests/reference*.py, or a sum written here)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import reference as ref
import reference_members as refm
from memberkit import db
from memberkit.ingest.loader import LoadOptions, load_file
from memberkit.periods import Period, Scope, month, year
from memberkit.reports import analyses as a
from memberkit.reports import members as mk
from memberkit.reports import prepare_connection
from memberkit.reports.expiring import expiring_members
from test_analyses_reference import assert_rows
from test_expiring import reference_rows

STORES = [
    {"store_id": "S1", "store_name": "一号店", "region": "华东"},
    {"store_id": "S2", "store_name": "二号店", "region": "华南"},
]

# the days windows start or end on, and their neighbours
EDGE_DAYS = [
    date(2023, 3, 1), date(2023, 3, 2), date(2023, 4, 1), date(2023, 4, 2), date(2023, 4, 30),
    date(2023, 10, 15), date(2023, 10, 16), date(2023, 11, 1), date(2023, 11, 14),
    date(2023, 11, 15), date(2023, 11, 30), date(2023, 12, 31), date(2024, 1, 1),
    date(2024, 1, 2), date(2024, 2, 1), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1),
    date(2024, 3, 2), date(2024, 3, 10), date(2024, 3, 31), date(2024, 4, 20),
    date(2024, 4, 21), date(2024, 5, 31), date(2024, 10, 15), date(2024, 10, 16),
    date(2024, 10, 31), date(2024, 11, 1), date(2025, 2, 28), date(2025, 3, 1),
    date(2025, 3, 31),
]  # fmt: skip
TIMES = ["00:00:00", "12:00:00", "23:59:59"]
AMOUNTS = ["120.50", "35.00", "980.00", "2100.00", "-35.00", "-120.50", "0.00", "5600.00"]


def build_rows() -> ref.Data:
    rng = random.Random(22)
    members = []
    for i in range(14):
        expiry = None
        if i % 3 == 0:  # expiring in November 2024, on a day near the card year's edges
            expiry = date(2024, 11, [1, 14, 15, 16, 30][i % 5])
        elif i % 3 == 1:
            expiry = date(2024, 3, [1, 2, 29, 31][i % 4])
        members.append(
            {
                "member_id": f"M{i:02d}",
                "name": f"会员{i}",
                "gender": "F",
                "birth_date": date(1990, 1, 1),
                "phone": f"139{i:08d}",
                "store_id": "S1" if i % 2 else "S2",
                "join_date": date(2022, 6, 1) if i != 5 else date(2024, 1, 10),
                "expiry_date": expiry,
            }
        )
    ids = [m["member_id"] for m in members] + ["X99", None]  # an id off file, no member
    transactions = []
    for n in range(400):
        day = rng.choice(EDGE_DAYS) + timedelta(days=rng.choice([0, 0, 0, -1, 1]))
        amount = Decimal(rng.choice(AMOUNTS))
        transactions.append(
            {
                "txn_id": f"T{n:04d}",
                "store_id": rng.choice(["S1", "S2"]),
                "txn_time": datetime.fromisoformat(f"{day} {rng.choice(TIMES)}"),
                "member_id": rng.choice(ids),
                "amount": amount,
                "item_qty": 1 if amount > 0 else (-1 if amount < 0 else 2),
            }
        )
    return ref.Data(members=members, transactions=transactions, stores=STORES)


def _csv(value) -> str:
    return "" if value is None else str(value)


def load(con, directory: Path, data: ref.Data) -> None:
    """The rows as export files, the tickets in two loads (each month summarised twice)."""
    half = len(data.transactions) // 2
    files = [
        ("stores", data.stores),
        ("members", data.members),
        ("transactions", data.transactions[:half]),
        ("transactions", data.transactions[half:]),
    ]
    for number, (kind, rows) in enumerate(files):
        path = directory / f"{number}-{kind}.csv"
        lines = [",".join(rows[0]), *(",".join(_csv(v) for v in row.values()) for row in rows)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = load_file(con, path, LoadOptions(kind))
        assert (result.status, result.rejected) == ("loaded", 0), path


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    data = build_rows()
    directory = tmp_path_factory.mktemp("windows")
    con = db.connect(directory / "w.duckdb")
    load(con, directory, data)
    prepare_connection(con)
    yield con, data
    con.close()


def test_the_summaries_are_read(chain) -> None:
    """The reports below read the stored summaries, one load's rows each."""
    con, data = chain
    loads = con.execute("select count(distinct load_id) from ticket_months").fetchone()[0]
    assert loads == 2


WINDOWS = [
    (date(2023, 4, 2), date(2024, 3, 31)),  # 365 days with 29 February: starts on the 2nd
    (date(2023, 3, 2), date(2024, 2, 29)),
    (date(2024, 1, 2), date(2024, 12, 31)),
    (date(2024, 3, 1), date(2025, 2, 28)),  # whole months only
    (date(2023, 11, 15), date(2024, 10, 15)),  # mid-month at both ends
    (date(2023, 11, 14), date(2024, 10, 16)),
    (date(2024, 2, 29), date(2024, 2, 29)),  # one day
    (date(2024, 3, 2), date(2024, 3, 30)),  # inside one month
    (date(2024, 2, 28), date(2024, 3, 1)),  # two partial months, none whole
    (date(2024, 3, 1), date(2024, 3, 31)),
    (date(2024, 4, 21), date(2024, 4, 20)),  # empty
]


@pytest.mark.parametrize(("first", "last"), WINDOWS)
def test_window_sums_match_the_tickets(chain, first: date, last: date) -> None:
    con, data = chain
    expected: dict[str, list] = {}
    for t in data.transactions:
        if t["member_id"] and first <= t["txn_time"].date() <= last:
            sums = expected.setdefault(t["member_id"], [Decimal(0), 0])
            sums[0] += t["amount"]
            sums[1] += t["amount"] > 0
    rows = con.execute(
        "select k.member_id, w.net_amount, w.tickets from mk_window_sums($first, $last) w "
        "join member_keys k using (member_key)",
        {"first": first, "last": last},
    ).fetchall()
    assert {m: [s, int(n)] for m, s, n in rows} == expected
    assert expected or first > last or first.month == 2  # the rows put tickets in windows


PERIODS = [
    month(2024, 3),  # [2023-04-02, 2024-03-31]
    month(2024, 2),  # E = 29 February: [2023-03-02, 2024-02-29]
    month(2025, 2),  # [2024-03-01, 2025-02-28]
    month(2024, 10),
    year(2024),  # [2024-01-02, 2024-12-31]
    # not a calendar month (the library accepts any Period): mid-month start and end
    Period("month", date(2024, 3, 10), date(2024, 4, 20)),
    Period("month", date(2023, 10, 16), date(2024, 10, 15)),
]
SCOPES = [Scope(), Scope(by="store"), Scope(store="S1")]


@pytest.mark.parametrize("period", PERIODS, ids=str)
@pytest.mark.parametrize("inactive_days", [30, 180])
def test_churn_on_window_edges(chain, period: Period, inactive_days: int) -> None:
    con, data = chain
    for scope in SCOPES:
        where = f"churn {period} {scope} N={inactive_days}"
        report = a.churn(con, period, scope, inactive_days=inactive_days)
        assert_rows(report.rows, ref.churn(data, period, scope, inactive_days), where)
        listed = a.churn_list(con, period, scope, inactive_days=inactive_days).rows
        expected = ref.churn_list(data, period, scope, inactive_days)
        key = lambda r: r["member_id"]  # noqa: E731 (equal spends have no defined order)
        assert sorted(listed, key=key) == sorted(expected, key=key), where
    facts = ref.churn_facts(data, {"S1", "S2"}, period, inactive_days)
    assert any(f["returned"] for f in facts) or inactive_days == 180 or period.kind == "year"


@pytest.mark.parametrize("period", PERIODS, ids=str)
def test_grades_on_window_edges(chain, period: Period) -> None:
    con, data = chain
    edges = (100, 1000, 3000)
    for scope in SCOPES:
        where = f"grades {period} {scope}"
        assert_rows(
            mk.grades(con, period, scope, edges).rows,
            refm.grades(data, period, scope, edges),
            where,
        )
        if period.kind == "month" and period.start.day == 1:
            migration = mk.grade_migration(con, period, scope, edges).rows
            assert migration == refm.grade_migration(data, period, scope, edges), where


@pytest.mark.parametrize(
    ("as_of", "expiry_month"),
    [
        (date(2024, 10, 15), (2024, 11)),  # as-of mid-month, card years from November 2023
        (date(2024, 10, 16), (2024, 11)),
        (date(2024, 10, 31), (2024, 11)),
        (date(2024, 2, 29), (2024, 3)),  # card years from March 2023, as-of a leap day
        (date(2024, 2, 28), (2024, 3)),
        (date(2023, 11, 14), (2024, 11)),  # as-of before most card years start
    ],
)
@pytest.mark.parametrize(("min_visits", "min_spend"), [(3, 1000), (100, 10**6)])
def test_expiring_on_window_edges(chain, as_of, expiry_month, min_visits, min_spend) -> None:
    con, data = chain
    got = expiring_members(
        con, as_of, month(*expiry_month), min_visits=min_visits, min_spend=min_spend
    ).rows
    expected = reference_rows(
        data.members, data.transactions, as_of, expiry_month, min_visits, min_spend
    )
    assert got == expected
    assert expected or min_visits == 3
