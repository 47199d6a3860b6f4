"""到期会员名单 (SPEC 5.5): members whose card expires in a month without the fee waiver."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from memberkit.periods import Period, Scope, month
from memberkit.reports import Report, check_scope, run_query
from memberkit.reports.options import money_threshold

if TYPE_CHECKING:
    import duckdb

DEFAULT_MIN_VISITS = 3
DEFAULT_MIN_SPEND = Decimal(1000)


def month_after(day: date) -> Period:
    return month(day.year + (day.month == 12), day.month % 12 + 1)


def expiring_members(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    period: Period,
    min_visits: int = DEFAULT_MIN_VISITS,
    min_spend: Decimal | int | float = DEFAULT_MIN_SPEND,
    scope: Scope | None = None,
) -> Report:
    """The list for the company, or the members whose home store is in `scope`."""
    threshold = money_threshold(min_spend, "min_spend", low=None)
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
