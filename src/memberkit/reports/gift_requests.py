"""礼品申请审批表 (SPEC 5.14): the gift requests as known on a day, with their deliveries and
status, and their totals per location. The figures are defined in queries/gift_requests*.sql."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from memberkit.errors import UsageError
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, run_query
from memberkit.reports.gifts import check_location
from memberkit.sql import query_text

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class GiftRequestsOptions:
    as_of: date | None = None  # (None: the period's last day, else today)
    location: str | None = None  # HQ or a store id (None: every location of the scope)


def gift_requests(
    con: duckdb.DuckDBPyConnection,
    period: Period | None,
    scope: Scope,
    options: GiftRequestsOptions,
    *,
    summary: bool = False,
) -> Report:
    """The list (or with summary, one row per location) as of options.as_of, else the
    period's last day (the monthly workbook's month), else today. A store scope is a
    location, a region scope its stores."""
    day = options.as_of or (period.end if period is not None else date.today())
    location = options.location or scope.store
    if options.location and scope.store and options.location != scope.store:
        raise UsageError(f"location {options.location!r} and store {scope.store!r} differ")
    if options.location is not None:  # --location: HQ or a store of the stores table
        check_location(con, options.location)
    check_scope(con, Scope(scope.store, scope.region))  # the monthly workbook's store
    con.execute(query_text("gift_requests_known"))  # the mk_gift_requests macro
    name = "gift-requests-summary" if summary else "gift-requests"
    query = "gift_requests_summary" if summary else "gift_requests"
    rows = run_query(con, query, {"as_of": day, "location": location, "region": scope.region})
    return Report(name, Period("day", day, day), Scope(store=location, region=scope.region), rows)
