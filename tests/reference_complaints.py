"""Plain-Python reference for 客户投诉处理 (SPEC 5.8), written from the definitions.

No SQL and no memberkit here. Complaints are dicts shaped like the table, with the raw text
of satisfaction as the file had it: complaint_id, received_at (datetime), store_id,
member_id, channel, category (str or None), replied_at, resolved_at (datetime or None),
satisfaction (raw str or None). `regions` maps each store id of the stores table to its
region; a complaint's store missing from it belongs to the company only (no region).

The rules, as the README states them:
- a complaint counts in the period it was received in ([S, E], by received_at's date);
- its answer is the earlier of its reply and its resolution (resolving answers it);
- replied within 24 hours / resolved within 48: at most 24:00:00 / 48:00:00 after receipt,
  whenever that was (also after E);
- open: not resolved before the end of E (E + 1 day, 00:00); overdue: open and received
  more than 48 hours before the end of E;
- satisfied: 满意 (and its degrees) or a score of 4-5, over the complaints with a value.
"""

from __future__ import annotations

import re
import statistics
from datetime import datetime, time, timedelta

from reference import ratio

SATISFACTION_WORDS = {
    "满意": "满意",
    "非常满意": "满意",
    "很满意": "满意",
    "比较满意": "满意",
    "satisfied": "满意",
    "very satisfied": "满意",
    "一般": "一般",
    "neutral": "一般",
    "不满意": "不满意",
    "非常不满意": "不满意",
    "很不满意": "不满意",
    "dissatisfied": "不满意",
    "very dissatisfied": "不满意",
}
SATISFIED = {"满意", "4", "5"}


def satisfaction(raw: str | None) -> str | None:
    """The stored value of a satisfaction cell; ValueError for one the loader rejects."""
    text = (raw or "").strip()
    if not text:
        return None
    if re.fullmatch(r"[1-5](\.0+)?分?", text):  # a score: 4, 4.0, 4分
        return text[0]
    if text.lower() in SATISFACTION_WORDS:
        return SATISFACTION_WORDS[text.lower()]
    raise ValueError(f"not a satisfaction: {raw!r}")


def end_of(period) -> datetime:
    return datetime.combine(period.end + timedelta(days=1), time())


def _hours(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def answered_at(c: dict) -> datetime | None:
    times = [t for t in (c["replied_at"], c["resolved_at"]) if t is not None]
    return min(times) if times else None


def is_open(c: dict, period) -> bool:
    return c["resolved_at"] is None or c["resolved_at"] >= end_of(period)


def is_overdue(c: dict, period) -> bool:
    return is_open(c, period) and c["received_at"] < end_of(period) - timedelta(hours=48)


def _in_scope(c: dict, regions: dict, scope) -> bool:
    if scope.store is not None:
        return c["store_id"] == scope.store
    if scope.region is not None:
        return regions.get(c["store_id"]) == scope.region
    return True


def received_in(complaints: list[dict], regions: dict, period, scope) -> list[dict]:
    return [
        c
        for c in complaints
        if period.start <= c["received_at"].date() <= period.end and _in_scope(c, regions, scope)
    ]


def _unit(c: dict, regions: dict, scope, by_field: str | None) -> str:
    if by_field is not None:
        return c[by_field] or "(none)"
    if scope.by == "store":
        return c["store_id"]
    if scope.by == "region":
        return regions.get(c["store_id"]) or "(no region)"
    return scope.store or scope.region or "ALL"


def figures(scope_label: str, group: list[dict], period) -> dict:
    answered = [(c, answered_at(c)) for c in group]
    reply_hours = [_hours(a, c["received_at"]) for c, a in answered if a is not None]
    resolve_hours = [
        _hours(c["resolved_at"], c["received_at"]) for c in group if c["resolved_at"] is not None
    ]
    replied_24h = sum(1 for c, a in answered if a is not None and a - c["received_at"] <= DAY)
    resolved_48h = sum(
        1
        for c in group
        if c["resolved_at"] is not None and c["resolved_at"] - c["received_at"] <= TWO_DAYS
    )
    values = [satisfaction(c["satisfaction"]) for c in group]
    rated = sum(1 for v in values if v is not None)
    satisfied = sum(1 for v in values if v in SATISFIED)
    return {
        "scope": scope_label,
        "complaints": len(group),
        "replied_24h": replied_24h,
        "replied_24h_rate": ratio(replied_24h, len(group)),
        "resolved_48h": resolved_48h,
        "resolved_48h_rate": ratio(resolved_48h, len(group)),
        "median_hours_to_reply": statistics.median(reply_hours) if reply_hours else None,
        "median_hours_to_resolve": statistics.median(resolve_hours) if resolve_hours else None,
        "open": sum(1 for c in group if is_open(c, period)),
        "overdue": sum(1 for c in group if is_overdue(c, period)),
        "rated": rated,
        "satisfied": satisfied,
        "satisfied_rate": ratio(satisfied, rated),
    }


DAY = timedelta(hours=24)
TWO_DAYS = timedelta(hours=48)


def complaint_figures(
    complaints: list[dict], regions: dict, period, scope, by_field: str | None = None
) -> list[dict]:
    """The report's rows: one per unit, then ALL when split. Every store (or region) of the
    scope has a row even without complaints; categories and channels are those received."""
    group = received_in(complaints, regions, period, scope)
    if scope.by is None and by_field is None:
        return [figures(scope.store or scope.region or "ALL", group, period)]
    units = {_unit(c, regions, scope, by_field) for c in group}
    if by_field is None:
        in_scope = [s for s in regions if scope.region is None or regions[s] == scope.region]
        units |= {s if scope.by == "store" else regions[s] or "(no region)" for s in in_scope}
    rows = [
        figures(u, [c for c in group if _unit(c, regions, scope, by_field) == u], period)
        for u in sorted(units)
    ]
    return rows + [figures("ALL", group, period)]


def _text(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def overdue_list(complaints: list[dict], regions: dict, period, scope) -> list[dict]:
    """The overdue complaints of the period, oldest first."""
    rows = [
        {
            "complaint_id": c["complaint_id"],
            "store_id": c["store_id"],
            "member_id": c["member_id"],
            "channel": c["channel"],
            "category": c["category"],
            "received_at": _text(c["received_at"]),
            "hours_open": _hours(end_of(period), c["received_at"]),
            "replied_at": _text(c["replied_at"]),
        }
        for c in received_in(complaints, regions, period, scope)
        if is_overdue(c, period)
    ]
    return sorted(rows, key=lambda r: (r["received_at"], r["complaint_id"]))
