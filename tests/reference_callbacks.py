"""Plain-Python reference of the call-back lists (SPEC 5.9), written from the definition.

Same data and period/scope conventions as tests/reference.py; the lapsed kind is that module's
churn_list. No SQL and no memberkit here.
"""

from __future__ import annotations

from decimal import Decimal

import reference as ref

KINDS = ("after_sale", "new", "lapsed")


def _row(kind: str, member: dict, day, amount) -> dict:
    return {
        "kind": kind,
        "store_id": member["store_id"],
        "member_id": member["member_id"],
        "name": member["name"],
        "phone": member["phone"],
        "reason_date": day,
        "reason_amount": amount,
    }


def _rank(row: dict) -> tuple:
    """Highest amount first, then the most recent date, then the lowest member id."""
    return (-row["reason_amount"], -row["reason_date"].toordinal(), row["member_id"])


def call_backs(
    data: ref.Data,
    period,
    scope,
    min_amount=Decimal(1000),
    inactive_days: int = 180,
    per_store: int | None = None,
    kinds=KINDS,
) -> list[dict]:
    stores = ref.scope_stores(data, scope)
    members = {m["member_id"]: m for m in data.members if m["store_id"] in stores}
    tickets: dict[str, list[dict]] = {}  # each listed member's tickets of the period, any store
    for t in data.transactions:
        if (
            t["member_id"] in members
            and ref.is_ticket(t)
            and ref.in_period(ref.txn_date(t), period)
        ):
            tickets.setdefault(t["member_id"], []).append(t)

    rows = []
    for member_id, mine in tickets.items():
        member = members[member_id]
        largest = min(mine, key=lambda t: (-t["amount"], t["txn_time"], t["txn_id"]))
        if largest["amount"] >= min_amount:
            rows.append(_row("after_sale", member, ref.txn_date(largest), largest["amount"]))
        if ref.in_period(member["join_date"], period):
            first = min(mine, key=lambda t: (t["txn_time"], t["txn_id"]))
            rows.append(_row("new", member, ref.txn_date(first), first["amount"]))
    for lapsed in ref.churn_list(data, period, scope, inactive_days):
        member = members[lapsed["member_id"]]
        rows.append(_row("lapsed", member, lapsed["last_ticket_date"], lapsed["spend_365d"]))

    rows = [r for r in rows if r["kind"] in kinds]
    if per_store is not None:
        lists: dict[tuple, list[dict]] = {}
        for r in rows:
            lists.setdefault((r["kind"], r["store_id"]), []).append(r)
        rows = [r for group in lists.values() for r in sorted(group, key=_rank)[:per_store]]
    return sorted(rows, key=lambda r: (KINDS.index(r["kind"]), r["store_id"], *_rank(r)))
