"""到期会员名单 (SPEC 5.5): members whose card expires in a month without the fee waiver."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from memberkit.errors import UsageError
from memberkit.periods import Period, Scope, month
from memberkit.reports import Report, check_scope, run_query

if TYPE_CHECKING:
    import duckdb

DEFAULT_MIN_VISITS = 3
DEFAULT_MIN_SPEND = Decimal(1000)


def month_after(day: date) -> Period:
    return month(day.year + (day.month == 12), day.month % 12 + 1)


def spend_threshold(min_spend: Decimal | int | float, option: str = "--min-spend") -> Decimal:
    """The net spend that earns the waiver, in cents; errors name the option as given."""
    threshold = Decimal(str(min_spend))
    if not threshold.is_finite() or threshold >= Decimal("1e16"):
        # the comparison is in decimal(18, 2)
        raise UsageError(f"{option} must be below 10,000,000,000,000,000, not {min_spend}")
    if threshold != threshold.quantize(Decimal("0.01")):
        # the comparison is in cents: a finer threshold would be rounded without a word
        raise UsageError(f"{option} has at most two decimals, not {min_spend}")
    return threshold


def expiring_members(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    period: Period,
    min_visits: int = DEFAULT_MIN_VISITS,
    min_spend: Decimal | int | float = DEFAULT_MIN_SPEND,
    scope: Scope | None = None,
) -> Report:
    """The list for the company, or the members whose home store is in `scope`."""
    threshold = spend_threshold(min_spend)
    scope = scope or Scope()
    check_scope(con, scope)
    params = {
        "store": scope.store,
        "region": scope.region,
        "start": period.start,
        "end": period.end,
        "as_of": as_of,
        "min_visits": min_visits,
        "min_spend": threshold,
    }
    rows = run_query(con, "expiring", params)
    return Report(
        name="expiring",
        period=period,
        scope=scope,
        rows=rows,
        options={"as_of": as_of, "min_visits": min_visits, "min_spend": min_spend},
    )


def store_names(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    return dict(con.execute("select store_id, store_name from stores").fetchall())
