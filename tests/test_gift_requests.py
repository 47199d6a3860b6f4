"""礼品申请审批表 (SPEC 5.14): `memberkit gifts requests` and its --summary.

A plain-Python reference (tests/reference_gift_requests.py) is checked against the SQL on
random requests, versions and transfers (hypothesis); hand-worked cases loaded through the
real loader pin the edges: two transfers, refused then delivered, approved after D, a
transfer after D, a transfer to another location, approved 0, a request changed by a later
file, and the summary's values.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_gift_requests as ref
from conftest import run_cli, write
from memberkit import db
from memberkit.periods import Scope
from memberkit.reports import catalogue, prepare_connection

STORES = ("S001", "S002", "S003")
GIFTS = {"G01": Decimal("35.50"), "G02": Decimal("6.80"), "G03": Decimal("0.00")}
LIST_KEYS = {
    "scope",
    "request_id",
    "request_date",
    "location",
    "gift_id",
    "gift_name",
    "requested_qty",
    "approved_qty",
    "approved_at",
    "delivered_qty",
    "outstanding",
    "status",
    "days_waiting",
}
SUMMARY_KEYS = {
    "scope",
    "location",
    "requests",
    "pending",
    "refused",
    "open",
    "done",
    "problems",
    "requested_value",
    "approved_value",
}


def run(con, as_of: date, location=None, *, summary=False, scope=Scope()):
    name = "gift-requests-summary" if summary else "gift-requests"
    options = catalogue.entry(name).options(as_of, location)
    return catalogue.run(con, name, None, scope, options)


# --------------------------------------------------------------------------- hypothesis

START = date(2026, 9, 1)
day_st = st.integers(0, 60).map(lambda n: START + timedelta(days=n))
REQUEST_IDS = [f"R{i}" for i in range(1, 7)]


@st.composite
def version_st(draw):
    approved = draw(st.one_of(st.none(), st.just(0), st.integers(1, 20)))
    return {
        "request_date": draw(day_st),
        "location": draw(st.sampled_from(STORES)),
        "gift_id": draw(st.sampled_from([*GIFTS, "GX"])),  # GX: no such gift, no cost
        "requested_qty": draw(st.integers(1, 20)),
        "approved_qty": approved,
        # a decision may come without its date; a date without a decision is kept as given
        "approved_at": draw(st.one_of(st.none(), day_st)),
    }


@st.composite
def requests_st(draw):
    versions = []
    for request_id in draw(st.lists(st.sampled_from(REQUEST_IDS), unique=True, max_size=6)):
        for load in range(1, draw(st.integers(1, 3)) + 1):
            versions.append({**draw(version_st()), "request_id": request_id, "load": load})
    return versions


@st.composite
def moves_st(draw, versions):
    """Transfers and issues, most of them for a request (its ref, to one of its versions'
    locations, of one of its gifts), some to another place or of another gift."""
    moves = []
    for _ in range(draw(st.integers(0, 20))):
        target = draw(st.sampled_from(versions)) if versions else None
        aimed = target is not None and draw(st.integers(0, 3)) > 0
        moves.append(
            {
                "move_date": draw(day_st),
                "kind": draw(st.sampled_from(["transfer", "transfer", "transfer", "issue"])),
                "gift_id": target["gift_id"] if aimed else draw(st.sampled_from([*GIFTS, "GX"])),
                "qty": draw(st.integers(1, 15)),
                "ref": target["request_id"]
                if aimed
                else draw(st.sampled_from([*REQUEST_IDS, None])),
                "to_location": target["location"] if aimed else draw(st.sampled_from(STORES)),
            }
        )
    return moves


@st.composite
def ledger_st(draw):
    versions = draw(requests_st())
    return versions, draw(moves_st(versions))


def seed(con, versions, moves) -> None:
    for store in STORES:
        con.execute("insert into stores values ($s, $s, 'east', 1)", {"s": store})
    for gift, cost in GIFTS.items():
        con.execute("insert into gifts values ($g, $g, '个', $c, 1)", {"g": gift, "c": cost})
    last = {}
    for version in versions:
        last[version["request_id"]] = max(last.get(version["request_id"], 0), version["load"])
    for v in versions:
        current = v["load"] == last[v["request_id"]]
        table = "gift_requests" if current else "gift_requests_history"
        replaced = () if current else (v["load"] + 1,)
        marks = ", ".join(["?"] * (11 + len(replaced)))
        con.execute(
            f"insert into {table} values ({marks})",
            [
                v["request_id"],
                v["request_date"],
                v["location"],
                v["gift_id"],
                v["requested_qty"],
                None,  # purpose
                None,  # requested_by
                v["approved_qty"],
                None,  # approved_by
                v["approved_at"],
                v["load"],
                *replaced,
            ],
        )
    for m in moves:
        con.execute(
            "insert into gift_moves values (?, 'HQ', ?, ?, ?, ?, ?, null, 9)",
            [m["move_date"], m["gift_id"], m["kind"], m["qty"], m["ref"], m["to_location"]],
        )
    prepare_connection(con)


HYP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@HYP
@given(
    ledger=ledger_st(),
    days=st.lists(day_st, min_size=1, max_size=3),
    location=st.sampled_from([None, *STORES]),
)
def test_list_and_summary_match_reference(ledger, days, location):
    versions, moves = ledger
    # the days things happen on are the edges: a decision or a transfer on D counts
    edges = [v["approved_at"] for v in versions[:2] if v["approved_at"]]
    edges += [v["request_date"] for v in versions[:1]] + [m["move_date"] for m in moves[:2]]
    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "h.duckdb")
        try:
            seed(con, versions, moves)
            for day in [*days, *edges]:
                want = ref.requests_list(versions, moves, day, location)
                got = run(con, day, location).rows
                keys = want[0].keys() if want else ()
                assert [{k: r[k] for k in keys} for r in got] == want, day
                totals = ref.summary(want, GIFTS)
                got_summary = run(con, day, location, summary=True).rows
                assert [r["location"] for r in got_summary] == sorted(totals)
                for row in got_summary:
                    assert {k: row[k] for k in totals[row["location"]]} == totals[row["location"]]
        finally:
            con.close()
