"""满意度调查 (SPEC 5.12): the satisfaction survey figures of a period per store, region or
channel, and the responses with a low overall score to follow up. The figures are defined in
queries/satisfaction*.sql."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope_known_in, period_params, run_query
from memberkit.sql import query_text

if TYPE_CHECKING:
    import duckdb

# --by values beyond the shared store|region: one row per survey channel.
BY_FIELDS = ("channel",)
DIMENSIONS = ("attitude", "efficiency", "quality", "resolution", "overall")
LOW_OVERALL = 2  # --low lists the responses whose overall score is at most this


@dataclass(frozen=True)
class SatisfactionOptions:
    by_field: str | None = None  # channel: one row per channel (store, region: the scope)


def _prepare(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    con.execute(query_text("satisfaction_scoped"))  # the mk_surveys macro
    check_scope_known_in(con, scope, "surveys")


def satisfaction(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, by_field: str | None = None
) -> Report:
    """One row per scope unit (or per channel with by_field), plus ALL when split."""
    if by_field not in (None, *BY_FIELDS):
        raise ValueError(f"by_field must be one of {BY_FIELDS}, not {by_field!r}")
    if by_field is not None and scope.by is not None:
        raise ValueError("split by store/region or by channel, not both")
    _prepare(con, scope)
    year_ago, month_before = period.years_back(1), period.previous()
    params = {
        **period_params(period, scope),
        "by_field": by_field,
        "mom_start": month_before.start if month_before else None,
        "mom_end": month_before.end if month_before else None,
        "yoy_start": year_ago.start,
        "yoy_end": year_ago.end,
    }
    rows = run_query(con, "satisfaction", params)
    return Report(name="satisfaction", period=period, scope=scope, rows=rows, split=by_field)


def low_responses(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    """The period's responses with an overall score of LOW_OVERALL or less, by date."""
    _prepare(con, scope)
    params = {**period_params(period, scope), "low_overall": LOW_OVERALL}
    rows = run_query(con, "satisfaction_low", params)
    return Report(name="satisfaction_low", period=period, scope=scope, rows=rows)
