"""The member analyses against the plain-Python reference (tests/reference.py) on generated data.

Each example is a small chain: 2-4 stores in two regions, 5-30 members (some without a birth
date, gender or expiry date; birth dates on 29 February, after the period or over 120 years
ago), 0-80 transactions over 2024-2026 (refunds, also of earlier sales in later months,
zero-amount rows, tickets without a member, member ids missing from the members table, members
shopping away from their home store), targets for some stores and months, and no transaction at
all in July 2025. Every analysis runs for the company, one store, one region, by store, by
region and by store within a region, for one period per example: a month (any, one with
transactions, or the empty July 2025) or a year. Each example gets a fresh database file
(hypothesis does not reset fixtures).
"""

from __future__ import annotations

import math
import tempfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference as ref
from memberkit import db, summaries
from memberkit.periods import Scope, month, year
from memberkit.reports import analyses as a
from memberkit.reports import prepare_connection

STORE_IDS = ("S1", "S2", "S3", "S4")
REGIONS = ("华东", "华南")
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2026, 12, 31)
EMPTY_MONTH = (2025, 7)  # no transaction is generated in this month
UNKNOWN_IDS = ("X1", "X2")  # member ids that tickets carry but the members table lacks

SPEND_EDGES = ((100, 300, 500, 1000), (0, 250, 2000))
AGE_EDGES = ((20, 30, 40), (18, 65))
INACTIVE_DAYS = (30, 90, 180, 365)
EDGE_CENTS = (9_999, 10_000, 25_000, 30_000, 50_000, 100_000, 200_000)

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- generated data -------------------------------------------------------------------------


def _not_in_empty_month(day: date) -> bool:
    return (day.year, day.month) != EMPTY_MONTH


# any day but July 2025, often in February (29 February birthdays matter at its end)
days = st.one_of(
    st.dates(FIRST_DAY, LAST_DAY).filter(_not_in_empty_month),
    st.builds(date, st.sampled_from([2024, 2025, 2026]), st.just(2), st.integers(1, 28)),
)
times = st.one_of(
    st.sampled_from([time(0, 0, 0), time(23, 59, 59)]),
    st.times(),
).map(lambda t: t.replace(microsecond=0))
birth_dates = st.one_of(
    st.none(),
    st.dates(date(1930, 1, 1), date(2020, 12, 31)),
    st.sampled_from(
        [
            # a year older from 1 March in non-leap years: 30 on 1 March 2026, 18 on
            # 1 March 2026, 65 on 1 March 2025; 40 on 29 February 2024
            date(1996, 2, 29),
            date(2008, 2, 29),
            date(1960, 2, 29),
            date(1984, 2, 29),
            date(2006, 10, 31),  # 20 on the last day of October 2026
            date(2006, 11, 1),
            date(2026, 12, 15),  # after most periods' end
            date(1905, 11, 1),  # 120 at the end of October 2026, 121 by its end of year
            date(1890, 5, 1),  # over 120
        ]
    ),
)


@st.composite
def members_of(draw, store_ids: list[str]) -> list[dict]:
    rows = []
    for i in range(draw(st.integers(5, 30))):
        join = draw(st.dates(date(2022, 1, 1), LAST_DAY))
        rows.append(
            {
                "member_id": f"M{i:02d}",
                "name": f"会员{i}",
                "gender": draw(st.sampled_from(["M", "F", None])),
                "birth_date": draw(birth_dates),
                "phone": f"1380000{i:04d}",
                "store_id": draw(st.sampled_from(store_ids)),
                "join_date": join,
                "expiry_date": draw(
                    st.one_of(st.none(), st.dates(date(2023, 1, 1), date(2028, 12, 31)))
                ),
            }
        )
    return rows


@st.composite
def transactions_of(draw, store_ids: list[str], member_ids: list[str]) -> list[dict]:
    who = st.one_of(
        st.sampled_from(member_ids),
        st.sampled_from(member_ids),
        st.sampled_from(UNKNOWN_IDS),
        st.none(),
    )
    rows = []

    def add(store_id, day, member_id, cents, qty):
        rows.append(
            {
                "txn_id": f"T{len(rows):04d}",
                "store_id": store_id,
                "txn_time": datetime.combine(day, draw(times)),
                "member_id": member_id,
                "amount": Decimal(cents) / 100,
                "item_qty": qty,
            }
        )

    for _ in range(draw(st.integers(0, 80))):
        store_id, day, member_id = draw(st.sampled_from(store_ids)), draw(days), draw(who)
        kind = draw(st.sampled_from(["sale", "sale", "sale", "refund", "zero"]))
        if kind == "sale":
            cents = draw(  # often exactly on a band edge
                st.one_of(st.integers(1, 200_000), st.sampled_from(EDGE_CENTS))
            )
            add(store_id, day, member_id, cents, draw(st.integers(1, 5)))
            if draw(st.integers(0, 5)) == 0:  # refunded (in part) in a later month
                later = day + timedelta(days=draw(st.integers(20, 90)))
                if later <= LAST_DAY and _not_in_empty_month(later):
                    add(store_id, later, member_id, -draw(st.integers(1, cents)), -1)
        elif kind == "refund":
            add(store_id, day, member_id, -draw(st.integers(1, 100_000)), draw(st.integers(-3, 0)))
        else:
            add(store_id, day, member_id, 0, draw(st.integers(-2, 2)))
    return rows


@st.composite
def datasets(draw) -> ref.Data:
    store_ids = list(STORE_IDS[: draw(st.integers(2, 4))])
    regions = list(REGIONS) + [draw(st.sampled_from(REGIONS)) for _ in store_ids[2:]]
    stores = [
        {"store_id": s, "store_name": f"门店{s}", "region": r}
        for s, r in zip(store_ids, draw(st.permutations(regions)), strict=True)
    ]
    members = draw(members_of(store_ids))
    transactions = draw(transactions_of(store_ids, [m["member_id"] for m in members]))
    all_months = [date(y, m, 1) for y in (2024, 2025, 2026) for m in range(1, 13)]
    targets = []
    for s in store_ids:
        if draw(st.booleans()):  # some stores have no target at all
            for first in draw(st.lists(st.sampled_from(all_months), unique=True, max_size=14)):
                cents = draw(st.integers(1, 5_000_000))
                targets.append(
                    {"month": first, "store_id": s, "target_amount": Decimal(cents) / 100}
                )
    return ref.Data(members=members, transactions=transactions, stores=stores, targets=targets)


def open_database(directory: str, data: ref.Data):
    con = db.connect(Path(directory) / "reference.duckdb")
    tables = {
        "stores": [(s["store_id"], s["store_name"], s["region"]) for s in data.stores],
        "members": [
            (
                m["member_id"],
                m["name"],
                m["gender"],
                m["birth_date"],
                m["phone"],
                m["store_id"],
                m["join_date"],
                m["expiry_date"],
            )
            for m in data.members
        ],
        "transactions": [
            (t["txn_id"], t["store_id"], t["txn_time"], t["member_id"], t["amount"], t["item_qty"])
            for t in data.transactions
        ],
        "targets": [(g["month"], g["store_id"], g["target_amount"]) for g in data.targets],
    }
    for table, values in tables.items():
        if values:  # one statement per table: executemany is slow per row
            marks = "(" + ", ".join("?" * len(values[0])) + ", 1)"
            con.execute(
                f"insert into {table} values " + ", ".join([marks] * len(values)),
                [v for row in values for v in row],
            )
    summaries.rebuild(con)  # as a load does: reports read the summaries of the tickets
    prepare_connection(con)
    return con


@st.composite
def periods(draw, data: ref.Data) -> list:
    """One period per example (each report call costs tens of milliseconds): a month with
    transactions, any month, the empty month, or a year."""
    candidates = [
        month(draw(st.integers(2024, 2026)), draw(st.integers(1, 12))),
        month(draw(st.integers(2024, 2026)), 2),
        month(*EMPTY_MONTH),
        year(draw(st.sampled_from([2024, 2025, 2026]))),
    ]
    if data.transactions:
        day = draw(st.sampled_from(data.transactions))["txn_time"]
        candidates += [month(day.year, day.month), year(day.year)]
    return [draw(st.sampled_from(candidates))]


@st.composite
def scopes(draw, data: ref.Data) -> list[Scope]:
    store = draw(st.sampled_from([s["store_id"] for s in data.stores]))
    region = draw(st.sampled_from(REGIONS))
    return [
        Scope(),
        Scope(store=store),
        Scope(region=region),
        Scope(by="store"),
        Scope(by="region"),
        Scope(region=region, by="store"),
    ]


# --- comparison -----------------------------------------------------------------------------


def assert_matches(actual, expected, where: str) -> None:
    """Counts and labels equal, amounts equal as Decimal, ratios close (None exactly)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not a dict"
        for key, value in expected.items():
            assert key in actual, f"{where}: no {key!r} in {sorted(actual)}"
            assert_matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not a list"
        assert len(actual) == len(expected), f"{where}: {len(actual)} != {len(expected)} items"
        for i, (x, y) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(x, y, f"{where}[{i}]")
    elif expected is None:
        assert actual is None, f"{where}: {actual!r}, expected None"
    elif isinstance(expected, float):
        # Ratios: SQL divides doubles, the reference exact fractions. The absolute tolerance
        # only matters for growth figures near 0 computed from two close double basket values.
        assert actual is not None, f"{where}: None, expected {expected!r}"
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (
            f"{where}: {actual!r}, expected {expected!r}"
        )
    elif isinstance(expected, Decimal):
        assert isinstance(actual, Decimal), f"{where}: {actual!r} is not a Decimal"
        assert actual == expected, f"{where}: {actual!r}, expected {expected!r}"
    else:
        assert actual == expected, f"{where}: {actual!r}, expected {expected!r}"


def assert_rows(actual: list[dict], expected: list[dict], where: str) -> None:
    assert [r["scope"] for r in actual] == [r["scope"] for r in expected], where
    for got, want in zip(actual, expected, strict=True):
        assert_matches(got, want, f"{where} scope {want['scope']}")


def label(analysis: str, period, scope: Scope) -> str:
    return f"{analysis} {period.label} {scope}"


def each_report(data: ref.Data, choices, *, split: bool = True):
    """(connection, period, scope) for the periods and scopes hypothesis draws, on one
    database holding `data`; split=False leaves out the --by scopes."""
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            for period in choices.draw(periods(data)):
                for scope in choices.draw(scopes(data)):
                    if split or scope.by is None:
                        yield con, period, scope
        finally:
            con.close()


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.slow
@SETTINGS
@given(data=datasets(), choices=st.data())
def test_spend_bands_match_reference(data: ref.Data, choices) -> None:
    edges = choices.draw(st.sampled_from(SPEND_EDGES))
    for con, period, scope in each_report(data, choices):
        report = a.spend_bands(con, period, scope, edges=edges)
        where = label("spend_bands", period, scope) + f" edges {edges}"
        assert_rows(report.rows, ref.spend_bands(data, period, scope, edges), where)
        stores = ref.scope_stores(data, scope)
        assert report.empty == (not ref.period_transactions(data, stores, period))


@pytest.mark.slow
@SETTINGS
@given(data=datasets(), choices=st.data())
def test_demographics_match_reference(data: ref.Data, choices) -> None:
    edges = choices.draw(st.sampled_from(AGE_EDGES))
    for con, period, scope in each_report(data, choices):
        report = a.demographics(con, period, scope, age_edges=edges)
        where = label("demographics", period, scope) + f" edges {edges}"
        assert_rows(report.rows, ref.demographics(data, period, scope, edges), where)


@pytest.mark.slow
@SETTINGS
@given(data=datasets(), choices=st.data())
def test_spending_power_matches_reference(data: ref.Data, choices) -> None:
    for con, period, scope in each_report(data, choices):
        report = a.spending_power(con, period, scope)
        where = label("spending_power", period, scope)
        assert_rows(report.rows, ref.spending_power(data, period, scope), where)


@pytest.mark.slow
@SETTINGS
@given(data=datasets(), choices=st.data())
def test_churn_matches_reference(data: ref.Data, choices) -> None:
    inactive_days = choices.draw(st.sampled_from(INACTIVE_DAYS))
    for con, period, scope in each_report(data, choices):
        report = a.churn(con, period, scope, inactive_days=inactive_days)
        where = label("churn", period, scope) + f" N={inactive_days}"
        assert_rows(report.rows, ref.churn(data, period, scope, inactive_days), where)


@pytest.mark.slow
@SETTINGS
@given(data=datasets(), choices=st.data())
def test_churn_list_matches_reference(data: ref.Data, choices) -> None:
    inactive_days = choices.draw(st.sampled_from(INACTIVE_DAYS))
    # the call-back list is never split by store or region
    for con, period, scope in each_report(data, choices, split=False):
        report = a.churn_list(con, period, scope, inactive_days=inactive_days)
        where = label("churn_list", period, scope) + f" N={inactive_days}"
        expected = ref.churn_list(data, period, scope, inactive_days)
        # biggest spenders first; the order of equal spends is not defined
        spends = [r["spend_365d"] for r in report.rows]
        assert spends == sorted(spends, reverse=True), where
        by_id = sorted(report.rows, key=lambda r: r["member_id"])
        want = sorted(expected, key=lambda r: r["member_id"])
        assert [r["member_id"] for r in by_id] == [r["member_id"] for r in want], where
        for got, row in zip(by_id, want, strict=True):
            assert_matches(got, row, f"{where} {row['member_id']}")


# --- fixed cases at the edges, checked by hand as well as against the reference ---------------


def test_reference_age_rules() -> None:
    assert ref.age_at(date(1996, 2, 29), date(2026, 2, 28)) == 29  # 30 only from 1 March
    assert ref.age_at(date(1996, 2, 29), date(2026, 3, 1)) == 30
    assert ref.age_at(date(1984, 2, 29), date(2024, 2, 29)) == 40
    assert ref.age_at(date(2006, 11, 1), date(2026, 10, 31)) == 19
    assert ref.age_at(date(1906, 2, 28), date(2026, 2, 28)) == 120
    assert ref.age_at(date(1905, 2, 28), date(2026, 2, 28)) is None  # 121
    assert ref.age_at(date(2026, 3, 1), date(2026, 2, 28)) is None  # born after the end
    assert ref.age_at(None, date(2026, 2, 28)) is None


def test_demographics_age_edges_in_february() -> None:
    """February 2026 (E = 28 February, not a leap year), age edges 20/30/40."""
    births = {
        "M01": date(1996, 2, 29),  # 29: 20-30
        "M02": date(2008, 2, 29),  # 17: <20
        "M03": date(2006, 2, 28),  # 20 today: 20-30
        "M04": date(1906, 2, 28),  # 120: >=40
        "M05": date(1905, 2, 28),  # 121: unknown
        "M06": date(2026, 3, 1),  # born after E: unknown
        "M07": None,  # unknown
    }
    genders = {"M01": "M", "M02": "F", "M03": None}
    data = ref.Data(
        stores=[{"store_id": "S1", "store_name": "一号店", "region": "华东"}],
        members=[
            {
                "member_id": member_id,
                "name": member_id,
                "gender": genders.get(member_id, "M"),
                "birth_date": birth,
                "phone": None,
                "store_id": "S1",
                "join_date": date(2020, 1, 1),
                "expiry_date": None,
            }
            for member_id, birth in births.items()
        ],
        transactions=[
            {
                "txn_id": f"T{i}",
                "store_id": "S1",
                "txn_time": datetime(2026, 2, 28, 23, 59, 59),
                "member_id": member_id,
                "amount": Decimal("10.00"),
                "item_qty": 1,
            }
            for i, member_id in enumerate([*births, "X1"])  # X1 is not in the members table
        ],
    )
    expected = ref.demographics(data, month(2026, 2), Scope())
    (row,) = expected
    assert [(g["label"], g["members"]) for g in row["gender"]] == [
        ("M", 5),
        ("F", 1),
        ("unknown", 2),
    ]
    assert [(b["label"], b["members"]) for b in row["age_bands"]] == [
        ("<20", 1),
        ("20–30", 2),
        ("30–40", 0),
        ("≥40", 1),
        ("unknown", 4),
    ]
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            report = a.demographics(con, month(2026, 2), Scope())
            assert_rows(report.rows, expected, "demographics 2026-02 edges")
        finally:
            con.close()
