"""Churn risk (SPEC 5.11): the per-member inputs aggregated in SQL (queries/
churn_risk_members.sql through member_histories) against a plain-Python computation on
generated tickets.

Each example is a small chain: 2-3 stores in two regions, 3-12 members, up to 60 tickets in
the weeks around E, crowded onto few days so that a member often has several tickets on one
day: sales, refunds (also on a day with a sale, also before a member's first purchase),
zero-amount rows with items (a purchase: points redemption) and without (not one), tickets
at 00:00:00 and 23:59:59 on E and on the day after it, tickets without a member and for
member ids missing from the members table, members shopping away from their home store.
Every scope is checked; each example gets a fresh database file (hypothesis does not reset
fixtures)."""

from __future__ import annotations

import math
import tempfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference as ref
from memberkit.periods import Scope
from memberkit.reports import churn_risk as cr
from test_analyses_reference import open_database

STORE_IDS = ("S1", "S2", "S3")
REGIONS = ("华东", "华南")
UNKNOWN_IDS = ("X1", "X2")
# month ends (the summaries alone) and days inside a month (E's month from its tickets)
AS_OF = (
    date(2026, 2, 28),
    date(2024, 2, 29),
    date(2025, 12, 31),
    date(2026, 3, 1),
    date(2025, 12, 17),
    date(2024, 3, 30),
)
TIMES = (time(0, 0, 0), time(23, 59, 59), time(12, 30, 0))

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def chains(draw) -> tuple[ref.Data, date]:
    end = draw(st.sampled_from(AS_OF))
    store_ids = list(STORE_IDS[: draw(st.integers(2, 3))])
    regions = [REGIONS[0], REGIONS[1], draw(st.sampled_from(REGIONS))][: len(store_ids)]
    stores = [
        {"store_id": s, "store_name": f"门店{s}", "region": r}
        for s, r in zip(store_ids, regions, strict=True)
    ]
    members = [
        {
            "member_id": f"M{i:02d}",
            "name": f"会员{i}",
            "gender": None,
            "birth_date": None,
            "phone": f"1380000{i:04d}",
            "store_id": draw(st.sampled_from(store_ids)),
            "join_date": date(2023, 1, 1),
            "expiry_date": None,
        }
        for i in range(draw(st.integers(3, 12)))
    ]
    member_ids = [m["member_id"] for m in members]
    # few days, so that tickets often share a member and a day; E and the day after it
    days = st.one_of(
        st.sampled_from([end, end + timedelta(days=1), end - timedelta(days=1)]),
        st.integers(0, 40).map(lambda n: end - timedelta(days=n)),
    )
    who = st.one_of(st.sampled_from(member_ids), st.sampled_from(UNKNOWN_IDS), st.none())
    transactions = []
    for _ in range(draw(st.integers(0, 60))):
        previous = transactions[-1] if transactions else None
        if previous is not None and draw(st.integers(0, 3)) == 0:
            # another ticket of the same member on the same day
            member_id, day = previous["member_id"], previous["txn_time"].date()
        else:
            member_id, day = draw(who), draw(days)
        kind = draw(st.sampled_from(["sale", "sale", "refund", "zero", "zero"]))
        if kind == "sale":
            cents, qty = draw(st.integers(1, 50_000)), draw(st.integers(1, 5))
        elif kind == "refund":
            cents, qty = -draw(st.integers(1, 50_000)), draw(st.integers(-3, 0))
        else:  # with items a points redemption, without them nothing handed over
            cents, qty = 0, draw(st.integers(-2, 2))
        transactions.append(
            {
                "txn_id": f"T{len(transactions):04d}",
                "store_id": draw(st.sampled_from(store_ids)),
                "txn_time": datetime.combine(
                    day, draw(st.one_of(st.sampled_from(TIMES), st.times()))
                ).replace(microsecond=0),
                "member_id": member_id,
                "amount": Decimal(cents) / 100,
                "item_qty": qty,
            }
        )
    return ref.Data(members=members, transactions=transactions, stores=stores), end


def histories(data: ref.Data, end: date, scope: Scope) -> dict[str, tuple]:
    """Per member of the members table with a purchase day up to `end`: (x, t_x days, T days,
    net amount per paid ticket or None, unit or None outside the scope). A purchase day has a
    ticket with amount > 0 or a zero-amount row with items; refunds count in the amount."""
    region_of = {s["store_id"]: s["region"] for s in data.stores}
    in_scope = ref.scope_stores(data, scope)
    result = {}
    for member in data.members:
        mine = [
            t
            for t in data.transactions
            if t["member_id"] == member["member_id"] and ref.txn_date(t) <= end
        ]
        days = {
            ref.txn_date(t)
            for t in mine
            if t["amount"] > 0 or (t["amount"] == 0 and t["item_qty"] > 0)
        }
        if not days:
            continue
        paid = sum(1 for t in mine if t["amount"] > 0)
        net = sum((t["amount"] for t in mine), Decimal(0))
        home = member["store_id"]
        if home not in in_scope:
            unit = None
        elif scope.by == "store":
            unit = home
        elif scope.by == "region":
            unit = region_of.get(home) or "(no region)"
        else:
            unit = scope.store or scope.region or "ALL"
        result[member["member_id"]] = (
            len(days) - 1,
            (max(days) - min(days)).days,
            (end - min(days)).days,
            float(net / paid) if paid else None,
            unit,
        )
    return result


def scopes(data: ref.Data) -> list[Scope]:
    stores = [s["store_id"] for s in data.stores]
    return [
        Scope(),
        *(Scope(store=s) for s in stores),
        *(Scope(region=r) for r in REGIONS),
        Scope(by="store"),
        Scope(by="region"),
        Scope(region=REGIONS[0], by="store"),
    ]


@pytest.mark.slow
@SETTINGS
@given(chain=chains())
def test_member_histories_match_reference(chain) -> None:
    data, end = chain
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            for scope in scopes(data):
                got = cr.member_histories(con, end, scope)
                ours = {
                    m: (int(x), int(t), int(big_t), None if math.isnan(a) else a, u)
                    for m, x, t, big_t, a, u in zip(
                        got["member_id"],
                        got["x"],
                        got["t_x_days"],
                        got["t_days"],
                        got["avg_ticket_amount"],
                        got["unit"],
                        strict=True,
                    )
                }
                expected = histories(data, end, scope)
                assert list(got["member_id"]) == sorted(expected), scope
                for member, want in expected.items():
                    have = ours[member]
                    assert have[:3] == want[:3] and have[4] == want[4], (member, scope)
                    if want[3] is None:
                        assert have[3] is None, (member, scope)
                    else:
                        assert math.isclose(have[3], want[3], rel_tol=1e-12), (member, scope)
        finally:
            con.close()
