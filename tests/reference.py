"""Plain-Python reference for the handbook's member analyses, written from the definitions.

No SQL and no memberkit here: the tests compare the report queries against these functions.

The data is four lists of dict rows shaped like the tables:
  members:      member_id, name, gender ('M' | 'F' | None), birth_date, phone, store_id (home
                store), join_date, expiry_date (date or None)
  transactions: txn_id, store_id, txn_time (datetime), member_id (str or None), amount (Decimal),
                item_qty (int)
  stores:       store_id, store_name, region
  targets:      month (date, first day of the month), store_id, target_amount (Decimal)
Every store id used by members or transactions is assumed to be in the stores table.

A period is anything with .kind ('month' | 'year'), .start and .end (inclusive dates); a scope
anything with .store, .region and .by. Rows come back as dicts in the report's shape, in the
report's order (one row per unit, then 'ALL' when split by store or region). Amounts are Decimal,
counts int, ratios float (computed from exact fractions) or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

ZERO = Decimal(0)


@dataclass
class Data:
    members: list[dict] = field(default_factory=list)
    transactions: list[dict] = field(default_factory=list)
    stores: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Span:
    """A period: a calendar month or year with inclusive start and end dates."""

    kind: str
    start: date
    end: date


def month_span(y: int, m: int) -> Span:
    following = date(y + (m == 12), m % 12 + 1, 1)
    return Span("month", date(y, m, 1), following - timedelta(days=1))


def year_span(y: int) -> Span:
    return Span("year", date(y, 1, 1), date(y, 12, 31))


def yoy_base(period) -> Span:
    """The same month or year one year earlier."""
    y = period.start.year - 1
    return month_span(y, period.start.month) if period.kind == "month" else year_span(y)


def mom_base(period) -> Span | None:
    """The previous month; a year has none."""
    if period.kind != "month":
        return None
    last = period.start - timedelta(days=1)
    return month_span(last.year, last.month)


# --- small rules ------------------------------------------------------------------------------


def ratio(numerator, denominator) -> float | None:
    """A ratio whose denominator is 0 or unknown is None, never 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(Fraction(numerator) / Fraction(denominator))


def growth(current, base) -> float | None:
    if current is None or base is None or base == 0:
        return None
    return float((Fraction(current) - Fraction(base)) / Fraction(base))


def txn_date(t: dict) -> date:
    return t["txn_time"].date()


def in_period(day: date, period) -> bool:
    return period.start <= day <= period.end


def is_ticket(t: dict) -> bool:
    return t["amount"] > 0


def is_member(t: dict) -> bool:
    return bool(t["member_id"])


def on_file(member: dict, period) -> bool:
    expiry = member["expiry_date"]
    return member["join_date"] <= period.end and (expiry is None or expiry >= period.start)


def total(values) -> Decimal:
    return sum(values, ZERO)


def scope_stores(data: Data, scope) -> set[str]:
    """The store ids of one store, of one region, or of the company."""
    region_of = {s["store_id"]: s["region"] for s in data.stores}
    known = set(region_of)
    known |= {t["store_id"] for t in data.transactions}
    known |= {m["store_id"] for m in data.members}
    return {
        s
        for s in known
        if (scope.store is None or s == scope.store)
        and (scope.region is None or region_of.get(s) == scope.region)
    }


def row_groups(data: Data, scope) -> list[tuple[str, set[str]]]:
    """The report's rows: (label, store ids counted in the row)."""
    region_of = {s["store_id"]: s["region"] for s in data.stores}
    stores = scope_stores(data, scope)
    if scope.by is None:
        return [(scope.store or scope.region or "ALL", stores)]
    unit_of = {s: s if scope.by == "store" else region_of[s] for s in stores}
    units = sorted(set(unit_of.values()))
    return [(u, {s for s in stores if unit_of[s] == u}) for u in units] + [("ALL", stores)]


def period_transactions(data: Data, stores: set[str], period) -> list[dict]:
    return [
        t for t in data.transactions if t["store_id"] in stores and in_period(txn_date(t), period)
    ]


def band_bounds(edges) -> list[tuple]:
    """Half-open bands [lower, upper): (None, e1), (e1, e2), ..., (en, None)."""
    bounds = [None, *edges, None]
    return list(zip(bounds, bounds[1:], strict=False))


def band_label(lower, upper) -> str:
    if lower is None:
        return f"<{upper}"
    if upper is None:
        return f"≥{lower}"
    return f"{lower}–{upper}"


def in_band(value, lower, upper) -> bool:
    return (lower is None or value >= lower) and (upper is None or value < upper)


def bands(values: list, edges, active: int) -> list[dict]:
    out = []
    for lower, upper in band_bounds(edges):
        n = sum(1 for v in values if v is not None and in_band(v, lower, upper))
        out.append(
            {
                "label": band_label(lower, upper),
                "lower": lower,
                "upper": upper,
                "members": n,
                "share": ratio(n, active),
            }
        )
    return out


# --- 5.1 spend bands --------------------------------------------------------------------------


def spend_bands(data: Data, period, scope, edges=(100, 300, 500, 1000)) -> list[dict]:
    out = []
    for label, stores in row_groups(data, scope):
        txns = [t for t in period_transactions(data, stores, period) if is_member(t)]
        active = {t["member_id"] for t in txns if is_ticket(t)}
        net = [total(t["amount"] for t in txns if t["member_id"] == m) for m in active]
        members_total = sum(
            1 for m in data.members if m["store_id"] in stores and on_file(m, period)
        )
        out.append(
            {
                "scope": label,
                "members_total": members_total,
                "active_members": len(active),
                "active_share": ratio(len(active), members_total),
                "bands": bands(net, edges, len(active)),
            }
        )
    return out


# --- 5.2 demographics -------------------------------------------------------------------------


def birthday_in(birth: date, y: int) -> date:
    """The birthday in year y; 29 February falls on 1 March in a non-leap year."""
    try:
        return birth.replace(year=y)
    except ValueError:
        return date(y, 3, 1)


def age_at(birth: date | None, day: date) -> int | None:
    """Completed years at `day`; None for a missing birth date, one after `day`, or age > 120."""
    if birth is None or birth > day:
        return None
    age = day.year - birth.year
    if day < birthday_in(birth, day.year):
        age -= 1
    return age if age <= 120 else None


def demographics(data: Data, period, scope, age_edges=(20, 30, 40)) -> list[dict]:
    by_id = {m["member_id"]: m for m in data.members}
    out = []
    for label, stores in row_groups(data, scope):
        active = {
            t["member_id"]
            for t in period_transactions(data, stores, period)
            if is_member(t) and is_ticket(t)
        }
        n = len(active)
        genders = [(by_id.get(m) or {}).get("gender") or "unknown" for m in active]
        ages = [age_at((by_id.get(m) or {}).get("birth_date"), period.end) for m in active]
        unknown = sum(1 for a in ages if a is None)
        out.append(
            {
                "scope": label,
                "active_members": n,
                "gender": [
                    {"label": g, "members": genders.count(g), "share": ratio(genders.count(g), n)}
                    for g in ("M", "F", "unknown")
                ],
                "age_bands": bands(ages, age_edges, n)
                + [
                    {
                        "label": "unknown",
                        "lower": None,
                        "upper": None,
                        "members": unknown,
                        "share": ratio(unknown, n),
                    }
                ],
            }
        )
    return out


# --- 5.3 spending power -----------------------------------------------------------------------


def base_figures(data: Data, stores: set[str], period) -> dict:
    txns = period_transactions(data, stores, period)
    member_txns = [t for t in txns if is_member(t)]
    member_tickets = [t for t in member_txns if is_ticket(t)]
    targets = [
        g["target_amount"]
        for g in data.targets
        if g["store_id"] in stores and in_period(g["month"], period)
    ]
    figures = {
        "sales": total(t["amount"] for t in txns),
        "member_sales": total(t["amount"] for t in member_txns),
        "tickets": sum(1 for t in txns if is_ticket(t)),
        "member_tickets": len(member_tickets),
        "active_members": len({t["member_id"] for t in member_tickets}),
        "member_items": sum(t["item_qty"] for t in member_txns),
        "target": total(targets) if targets else None,
    }
    tickets = figures["member_tickets"]
    # exact, so that the growth of the basket value is exact too
    figures["basket"] = Fraction(figures["member_sales"]) / tickets if tickets else None
    return figures


def spending_power(data: Data, period, scope) -> list[dict]:
    out = []
    for label, stores in row_groups(data, scope):
        c = base_figures(data, stores, period)
        y = base_figures(data, stores, yoy_base(period))
        previous = mom_base(period)
        m = base_figures(data, stores, previous) if previous else {}
        out.append(
            {
                "scope": label,
                **{k: v for k, v in c.items() if k != "basket"},
                "sales_completion_rate": ratio(c["sales"], c["target"]),
                "sales_yoy": growth(c["sales"], y["sales"]),
                "sales_mom": growth(c["sales"], m.get("sales")),
                "member_sales_share": ratio(c["member_sales"], c["sales"]),
                "member_sales_yoy": growth(c["member_sales"], y["member_sales"]),
                "member_sales_mom": growth(c["member_sales"], m.get("member_sales")),
                "member_basket_value": ratio(c["member_sales"], c["member_tickets"]),
                "member_basket_value_yoy": growth(c["basket"], y["basket"]),
                "member_basket_value_mom": growth(c["basket"], m.get("basket")),
                "member_ticket_share": ratio(c["member_tickets"], c["tickets"]),
                "member_tickets_yoy": growth(c["member_tickets"], y["member_tickets"]),
                "member_tickets_mom": growth(c["member_tickets"], m.get("member_tickets")),
                "member_frequency": ratio(c["member_tickets"], c["active_members"]),
                "member_attach_rate": ratio(c["member_items"], c["member_tickets"]),
            }
        )
    return out


# --- 5.4 churn --------------------------------------------------------------------------------


def churn_facts(data: Data, stores: set[str], period, inactive_days: int) -> list[dict]:
    """One dict per member whose home store is in `stores`; tickets in any store count."""
    s, e = period.start, period.end
    n = timedelta(days=inactive_days)
    window_start = e - timedelta(days=364)
    facts = []
    for member in data.members:
        if member["store_id"] not in stores:
            continue
        mine = [
            t
            for t in data.transactions
            if t["member_id"] == member["member_id"] and txn_date(t) <= e
        ]
        ticket_dates = sorted(txn_date(t) for t in mine if is_ticket(t))
        last = ticket_dates[-1] if ticket_dates else None
        base = on_file(member, period) and last is not None
        returned = False
        in_period_dates = [d for d in ticket_dates if d >= s]
        if in_period_dates:
            first = in_period_dates[0]
            before = [d for d in ticket_dates if d < first]
            returned = bool(before) and (first - before[-1]).days > inactive_days
        window = [t for t in mine if txn_date(t) >= window_start]
        facts.append(
            {
                "member_id": member["member_id"],
                "name": member["name"],
                "phone": member["phone"],
                "store_id": member["store_id"],
                "last_ticket_date": last,
                "days_since": (e - last).days if last else None,
                "spend_365d": total(t["amount"] for t in window),
                "tickets_365d": sum(1 for t in window if is_ticket(t)),
                "base": base,
                "lapsed": base and last <= e - n,
                "newly_lapsed": base and s - n <= last <= e - n,
                "returned": returned,
            }
        )
    return facts


def churn(data: Data, period, scope, inactive_days: int = 180) -> list[dict]:
    out = []
    for label, stores in row_groups(data, scope):
        facts = churn_facts(data, stores, period, inactive_days)
        base = [f for f in facts if f["base"]]
        lapsed = [f for f in base if f["lapsed"]]
        out.append(
            {
                "scope": label,
                "base_members": len(base),
                "lapsed_members": len(lapsed),
                "churn_rate": ratio(len(lapsed), len(base)),
                "lapsed_spend_share": ratio(
                    total(f["spend_365d"] for f in lapsed), total(f["spend_365d"] for f in base)
                ),
                "newly_lapsed": sum(1 for f in base if f["newly_lapsed"]),
                "returned": sum(1 for f in facts if f["returned"]),
            }
        )
    return out


LIST_FIELDS = (
    "member_id",
    "name",
    "phone",
    "store_id",
    "last_ticket_date",
    "days_since",
    "spend_365d",
    "tickets_365d",
)


def churn_list(data: Data, period, scope, inactive_days: int = 180) -> list[dict]:
    """Lapsed members, biggest 365-day spend first (the order of equal spends is not defined)."""
    stores = scope_stores(data, scope)  # the list is never split by store or region
    lapsed = [f for f in churn_facts(data, stores, period, inactive_days) if f["lapsed"]]
    lapsed.sort(key=lambda f: f["spend_365d"], reverse=True)
    return [{k: f[k] for k in LIST_FIELDS} for f in lapsed]
