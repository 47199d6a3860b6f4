"""The handbook's member analyses (SPEC 5.1-5.4): one query each, rows as the JSON shape."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

from memberkit.errors import UsageError
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, has_transactions, period_params, run_query
from memberkit.reports.summarised import check_whole_months

DEFAULT_SPEND_EDGES = (100, 300, 500, 1000)
DEFAULT_AGE_EDGES = (20, 30, 40)
DEFAULT_INACTIVE_DAYS = 180


def _edges(values) -> list:
    """Keep whole numbers as ints (labels read '100', not '100.0'); others as Decimal."""
    parsed = [Decimal(str(v)) for v in values]
    if not all(v.is_finite() for v in parsed):  # nan compares false: every band would shift
        raise UsageError(f"band edges are finite numbers, not {list(values)}")
    if all(v == v.to_integral_value() for v in parsed):
        return [int(v) for v in parsed]
    return parsed


# The reports whose queries read the month summaries instead of the tickets.
FROM_SUMMARIES = ("spend_bands", "demographics", "spending_power")


def _run(con, name: str, period: Period, scope: Scope, **extra) -> Report:
    check_scope(con, scope)
    params = {**period_params(period, scope), **extra}
    if name in FROM_SUMMARIES:
        check_whole_months(period)
    rows = run_query(con, name, params)
    empty = not has_transactions(con, period, scope)
    return Report(name=name, period=period, scope=scope, rows=rows, empty=empty, options=extra)


def spend_bands(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, edges=DEFAULT_SPEND_EDGES
) -> Report:
    report = _run(con, "spend_bands", period, scope, edges=_edges(edges))
    report.footnotes = active_share_footnotes(report.rows)
    return report


def active_share_footnotes(rows: list[dict]) -> list[str]:
    """['active_where_shopped'] where SPEC 5.1's definitions give a share a manager would
    question: active members count in every store they shopped in, members on file in their
    home store only, so a store's share can pass 100% and the ALL share can fall below every
    store's or region's. The form then says why; elsewhere it says nothing."""
    shares = [r["active_share"] for r in rows if r.get("active_share") is not None]
    over = any(share > 1 for share in shares)
    total = next((r["active_share"] for r in rows if r.get("scope") == "ALL"), None)
    units = [r["active_share"] for r in rows if r.get("scope") != "ALL"]
    below = (
        total is not None
        and len(units) > 0
        and all(share is not None and total < share for share in units)
    )
    return ["active_where_shopped"] if over or below else []


def demographics(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, age_edges=DEFAULT_AGE_EDGES
) -> Report:
    return _run(con, "demographics", period, scope, edges=_edges(age_edges))


def spending_power(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    yoy, mom = period.years_back(1), period.previous()
    return _run(
        con,
        "spending_power",
        period,
        scope,
        yoy_start=yoy.start,
        yoy_end=yoy.end,
        mom_start=mom.start if mom else None,
        mom_end=mom.end if mom else None,
    )


def churn(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope,
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
) -> Report:
    return _run(con, "churn", period, scope, inactive_days=inactive_days)


def churn_list(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope,
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
    risk: bool = False,
) -> Report:
    """The lapsed members to call; with `risk`, each with the churn-risk model's p_alive and
    value at risk as of E (SPEC 5.11), ordered by the value at risk (then as without)."""
    check_scope(con, scope)
    params = {**period_params(period, scope), "inactive_days": inactive_days}
    rows = run_query(con, "churn_list", params)
    model = None
    if risk:
        from memberkit.reports.churn_risk import risk_of_members

        fit, risks = risk_of_members(con, period.end, [r["member_id"] for r in rows])
        for row, (alive, at_risk) in zip(rows, risks, strict=True):
            row["p_alive"], row["value_at_risk"] = alive, at_risk
        # a stable sort keeps the list's own order among equal values
        rows.sort(key=lambda r: (r["value_at_risk"] is None, -(r["value_at_risk"] or 0)))
        model = fit.as_dict()
    return Report(
        name="churn_list",
        period=period,
        scope=scope,
        rows=rows,
        model=model,
        notes=list(fit.notes) if risk else [],  # what makes the model's figures doubtful
        options={"inactive_days": inactive_days},
    )
