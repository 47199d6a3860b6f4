"""Plain-Python reference of the call-back review (SPEC 5.13), written from the definition.

Same data and period/scope conventions as tests/reference.py and reference_members.py; calls
are dicts member_id, called_at (datetime), kind, outcome. The effect's base is the lapsed list
of reference.churn_facts for the month before the period. No SQL and no memberkit here.
"""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction

import reference as ref
import reference_members as refm

KINDS = ("after_sale", "new", "lapsed", "complaint", "expiring", "survey")
CALL_DAYS = 30


def review(data: ref.Data, calls: list[dict], period, scope) -> list[dict]:
    """Per unit, per kind and over all kinds: the calls dated in the period to members on file
    in the unit (by home store)."""
    home = {m["member_id"]: m["store_id"] for m in data.members}
    dated = [
        c for c in calls if c["member_id"] in home and ref.in_period(c["called_at"].date(), period)
    ]
    out = []
    for label, stores in refm.units(data, scope):
        mine = [c for c in dated if home[c["member_id"]] in stores]
        for kind in (*KINDS, "all"):
            these = [c for c in mine if kind in ("all", c["kind"])]
            called = {c["member_id"] for c in these}
            reached = {c["member_id"] for c in these if c["outcome"] == "reached"}
            wrong = {c["member_id"] for c in these if c["outcome"] == "wrong_number"}
            out.append(
                {
                    "scope": label,
                    "kind": kind,
                    "calls": len(these),
                    "members_called": len(called),
                    "members_reached": len(reached),
                    "reach_rate": ref.ratio(len(reached), len(called)),
                    "wrong_numbers": len(wrong),
                }
            )
    return out


def _group(data: ref.Data, members: list[str], first, last) -> dict:
    """members, returned (a ticket in [first, last]) and net spend there."""
    chosen = set(members)
    window = [
        t
        for t in data.transactions
        if t["member_id"] in chosen and first <= ref.txn_date(t) <= last
    ]
    returned = {t["member_id"] for t in window if ref.is_ticket(t)}
    return {
        "members": len(chosen),
        "returned": len(returned),
        "return_rate": ref.ratio(len(returned), len(chosen)),
        "spend": ref.total(t["amount"] for t in window),
    }


def uplift(called: dict, not_called: dict) -> tuple:
    """(uplift, low, high): the difference of return rates and its 95% normal interval."""
    n1, n2 = called["members"], not_called["members"]
    if not n1 or not n2:
        return None, None, None
    p1 = Fraction(called["returned"], n1)
    p2 = Fraction(not_called["returned"], n2)
    margin = 1.96 * math.sqrt(float(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
    diff = float(p1 - p2)
    return diff, diff - margin, diff + margin


def effect(
    data: ref.Data, calls: list[dict], period, scope, window_days=90, inactive_days=180
) -> list[dict]:
    base_month = ref.mom_base(period)
    e0 = base_month.end
    first_call, last_call = e0 + timedelta(days=1), e0 + timedelta(days=CALL_DAYS)
    outcomes: dict[str, set[str]] = {}  # each member's lapsed calls in the 30 days
    for c in calls:
        if c["kind"] == "lapsed" and first_call <= c["called_at"].date() <= last_call:
            outcomes.setdefault(c["member_id"], set()).add(c["outcome"])
    window_last = e0 + timedelta(days=window_days)
    out = []
    for label, stores in refm.units(data, scope):
        base = [
            f["member_id"]
            for f in ref.churn_facts(data, stores, base_month, inactive_days)
            if f["lapsed"]
        ]
        called = [m for m in base if "reached" in outcomes.get(m, ())]
        not_called = [m for m in base if m not in outcomes]
        groups = {
            "called": _group(data, called, first_call, window_last),
            "not_called": _group(data, not_called, first_call, window_last),
        }
        row = {"scope": label, "base_members": len(base)}
        for name, figures in groups.items():
            row.update({f"{name}_{key}": value for key, value in figures.items()})
        row["attempted_members"] = len(base) - len(called) - len(not_called)
        row["uplift"], row["uplift_low"], row["uplift_high"] = uplift(*groups.values())
        out.append(row)
    return out
