"""Plain-Python reference for new members (SPEC 5.7) and grades (SPEC 5.10), written from the
definitions. No SQL and no memberkit here; the data and the small rules come from reference.py.

Unlike reference.py, a member's home store may be missing from the stores table (that is one
of the problems --problems finds): such a store belongs to the company and, with --by region,
to the unit '(no region)'.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import reference as ref

ACTIVATION_DAYS = 30
GRADE_LABELS = ("D", "C", "B", "A")  # band 0 (below the first edge) is D
NO_REGION = "(no region)"


def units(data: ref.Data, scope) -> list[tuple[str, set[str]]]:
    """The report's rows: (label, store ids counted in the row), ALL last with --by."""
    region_of = {s["store_id"]: s["region"] for s in data.stores}
    stores = ref.scope_stores(data, scope)
    if scope.by is None:
        return [(scope.store or scope.region or "ALL", stores)]
    unit_of = {s: s if scope.by == "store" else region_of.get(s, NO_REGION) for s in stores}
    labels = sorted(set(unit_of.values()))
    return [(u, {s for s in stores if unit_of[s] == u}) for u in labels] + [("ALL", stores)]


def joined_in(member: dict, period) -> bool:
    return period.start <= member["join_date"] <= period.end


# --- 5.7 new members --------------------------------------------------------------------------


def is_activated(data: ref.Data, member: dict, days: int = ACTIVATION_DAYS) -> bool:
    """A ticket (amount > 0) in any store from the join date to `days` days after it, both
    included, however far after the period that is."""
    first, last = member["join_date"], member["join_date"] + timedelta(days=days)
    return any(
        t["member_id"] == member["member_id"]
        and ref.is_ticket(t)
        and first <= ref.txn_date(t) <= last
        for t in data.transactions
    )


def new_members(data: ref.Data, period, scope) -> list[dict]:
    year_ago = ref.yoy_base(period)
    out = []
    for label, stores in units(data, scope):
        mine = [m for m in data.members if m["store_id"] in stores]
        new = [m for m in mine if joined_in(m, period)]
        base = sum(1 for m in mine if joined_in(m, year_ago))
        activated = sum(1 for m in new if is_activated(data, m))
        out.append(
            {
                "scope": label,
                "new_members": len(new),
                "new_members_year_ago": base,
                "new_members_yoy": ref.growth(len(new), base),
                "activated": activated,
                "activation_rate": ref.ratio(activated, len(new)),
            }
        )
    return out


def is_blank(phone: str | None) -> bool:
    return phone is None or phone.strip(" ") == ""


def member_problems(
    data: ref.Data, period, scope, all_members: bool = False, calls: list[dict] = ()
) -> list[dict]:
    """(member_id, store_id, problem, value, phone) rows ordered by store, member, problem;
    `calls` (member_id, called_at, kind, outcome): the call-back log (SPEC 5.13)."""
    wrong_calls: dict[str, list] = {}
    for c in calls:
        if c["outcome"] == "wrong_number":
            wrong_calls.setdefault(c["member_id"], []).append(c["called_at"].date())
    stores = ref.scope_stores(data, scope)
    holders: dict[str, int] = {}
    for m in data.members:  # every member of the database, not only the scope's
        if not is_blank(m["phone"]):
            holders[m["phone"]] = holders.get(m["phone"], 0) + 1
    known_stores = {s["store_id"] for s in data.stores}
    out = []
    for m in data.members:
        if m["store_id"] not in stores or not (all_members or joined_in(m, period)):
            continue
        phone, birth = m["phone"], m["birth_date"]
        found = []  # (problem, value, phone)
        if is_blank(phone):
            found.append(("phone_missing", None, None))
        else:
            if not re.fullmatch(r"1[0-9]{10}", phone):
                found.append(("phone_invalid", None, phone))
            if holders[phone] > 1:
                found.append(("phone_shared", None, phone))
        if birth is not None and ref.age_at(birth, period.end) is None:  # after E or over 120
            found.append(("birth_date_impossible", birth.isoformat(), None))
        if m["gender"] not in ("M", "F"):
            found.append(("gender_unknown", None, None))
        if known_stores and m["store_id"] not in known_stores:
            found.append(("store_unknown", m["store_id"], None))
        if m["expiry_date"] is not None and m["expiry_date"] < m["join_date"]:
            found.append(("expiry_before_join", m["expiry_date"].isoformat(), None))
        if m["member_id"] in wrong_calls:  # any date, any kind: the latest such call's day
            found.append(("phone_wrong", max(wrong_calls[m["member_id"]]).isoformat(), phone))
        for problem, value, shown in found:
            out.append(
                {
                    "member_id": m["member_id"],
                    "store_id": m["store_id"],
                    "problem": problem,
                    "value": value,
                    "phone": shown,
                }
            )
    return sorted(out, key=lambda r: (r["store_id"], r["member_id"], r["problem"]))


# --- 5.10 grades ------------------------------------------------------------------------------


def spend_365d(data: ref.Data, member_id: str, end) -> Decimal:
    """Net spend over [end - 364, end]: every transaction in any store, refunds included."""
    first = end - timedelta(days=364)
    return ref.total(
        t["amount"]
        for t in data.transactions
        if t["member_id"] == member_id and first <= ref.txn_date(t) <= end
    )


def grade_of(spend, edges) -> str:
    for label, (lower, upper) in zip(GRADE_LABELS, ref.band_bounds(edges), strict=True):
        if ref.in_band(spend, lower, upper):
            return label
    raise AssertionError("bands cover every value")


def grades(data: ref.Data, period, scope, edges=(500, 2000, 5000)) -> list[dict]:
    bounds = dict(zip(GRADE_LABELS, ref.band_bounds(edges), strict=True))
    out = []
    for label, stores in units(data, scope):
        spends = [
            spend_365d(data, m["member_id"], period.end)
            for m in data.members
            if m["store_id"] in stores and ref.on_file(m, period)
        ]
        unit_spend = ref.total(spends)
        items = []
        for grade in reversed(GRADE_LABELS):  # A first
            mine = [s for s in spends if grade_of(s, edges) == grade]
            spend = ref.total(mine)
            items.append(
                {
                    "label": grade,
                    "lower": bounds[grade][0],
                    "upper": bounds[grade][1],
                    "members": len(mine),
                    "share": ref.ratio(len(mine), len(spends)),
                    "spend": spend,
                    "spend_share": ref.ratio(spend, unit_spend),
                }
            )
        out.append(
            {"scope": label, "members": len(spends), "spend_365d": unit_spend, "grades": items}
        )
    return out


def grade_migration(data: ref.Data, period, scope, edges=(500, 2000, 5000)) -> list[dict]:
    """Rows A, B, C, D, new (grade a year earlier) per unit; columns A-D, left, total."""
    year_ago = ref.yoy_base(period)  # 29 February's month a year back ends on 28 February
    out = []
    for label, stores in units(data, scope):
        matrix = {
            before: dict.fromkeys(("A", "B", "C", "D", "left"), 0)
            for before in ("A", "B", "C", "D", "new")
        }
        for m in data.members:
            if m["store_id"] not in stores:
                continue
            now, then = ref.on_file(m, period), ref.on_file(m, year_ago)
            if not (now or then):
                continue
            before = (
                grade_of(spend_365d(data, m["member_id"], year_ago.end), edges) if then else "new"
            )
            after = grade_of(spend_365d(data, m["member_id"], period.end), edges) if now else "left"
            matrix[before][after] += 1
        for before, counts in matrix.items():
            out.append(
                {
                    "scope": label,
                    "grade_year_ago": before,
                    **counts,
                    "total": sum(counts.values()),
                }
            )
    return out
