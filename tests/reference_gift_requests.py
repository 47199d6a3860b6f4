"""Plain-Python reference for 礼品申请审批表 (SPEC 5.14), written from the definitions.

No SQL and no memberkit here. A request version is a dict shaped like a gift_requests row
plus `load` (its load's order): request_id, request_date, location, gift_id, requested_qty,
approved_qty (None: not decided, 0: refused), approved_at (date or None). A move is a dict
shaped like a gift_moves row: move_date, kind, gift_id, qty, ref, to_location.

The rules, as the README states them:
- the version of a request that stands on D is the latest loaded one whose decision is not
  dated after D (a version without a decision, or without approved_at, always stands); if
  every version's decision is dated after D, the latest version stands without its decision;
- listed: the standing versions dated on or before D, at the location asked for (if any);
- delivered: transfers dated on or before D whose ref is the request id, to its location,
  of its gift;
- status, outstanding and days_waiting as SPEC 5.14 words them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal


def standing_version(versions: list[dict], as_of) -> dict:
    latest_first = sorted(versions, key=lambda v: v["load"], reverse=True)
    for version in latest_first:
        undated = version["approved_qty"] is None or version["approved_at"] is None
        if undated or version["approved_at"] <= as_of:
            return version
    # every decision was made after the day: the request as last loaded, not decided yet
    return {**latest_first[0], "approved_qty": None, "approved_at": None}


def delivered_qty(moves: list[dict], request: dict, as_of) -> int:
    total = 0
    for move in moves:
        if (
            move["kind"] == "transfer"
            and move["move_date"] <= as_of
            and move["ref"] == request["request_id"]
            and move["to_location"] == request["location"]
            and move["gift_id"] == request["gift_id"]
        ):
            total += move["qty"]
    return total


def status_of(approved: int | None, delivered: int) -> str:
    if delivered > 0 and not approved:  # pending (None) or refused (0)
        return "unapproved_delivery"
    if approved is None:
        return "pending"
    if approved == 0:
        return "refused"
    if delivered < approved:
        return "open"
    if delivered == approved:
        return "done"
    return "over_delivered"


def requests_list(versions: list[dict], moves: list[dict], as_of, location=None) -> list[dict]:
    by_id: dict[str, list[dict]] = defaultdict(list)
    for version in versions:
        by_id[version["request_id"]].append(version)
    out = []
    for request_id, its_versions in by_id.items():
        request = standing_version(its_versions, as_of)
        if request["request_date"] > as_of:
            continue
        if location is not None and request["location"] != location:
            continue
        delivered = delivered_qty(moves, request, as_of)
        approved = request["approved_qty"]
        status = status_of(approved, delivered)
        out.append(
            {
                "request_id": request_id,
                "request_date": request["request_date"],
                "location": request["location"],
                "gift_id": request["gift_id"],
                "requested_qty": request["requested_qty"],
                "approved_qty": approved,
                "approved_at": request["approved_at"],
                "delivered_qty": delivered,
                "outstanding": None if approved is None else max(0, approved - delivered),
                "status": status,
                "days_waiting": (as_of - request["request_date"]).days
                if status in ("pending", "open")
                else None,
            }
        )
    out.sort(key=lambda r: (r["location"], r["request_date"], r["request_id"]))
    return out


def summary(listed: list[dict], unit_costs: dict[str, Decimal]) -> dict[str, dict]:
    """Per location; a gift without a unit cost adds nothing to the values."""
    out: dict[str, dict] = {}
    for row in listed:
        total = out.setdefault(
            row["location"],
            {
                "requests": 0,
                "pending": 0,
                "refused": 0,
                "open": 0,
                "done": 0,
                "problems": 0,
                "requested_value": Decimal(0),
                "approved_value": Decimal(0),
            },
        )
        total["requests"] += 1
        if row["status"] in ("over_delivered", "unapproved_delivery"):
            total["problems"] += 1
        else:
            total[row["status"]] += 1
        cost = unit_costs.get(row["gift_id"], Decimal(0))
        total["requested_value"] += row["requested_qty"] * cost
        total["approved_value"] += (row["approved_qty"] or 0) * cost
    return out
