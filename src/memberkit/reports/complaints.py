"""客户投诉处理 (SPEC 5.8): service levels of the complaints received in a period, and the
overdue complaints to follow up. The figures are defined in queries/complaints*.sql."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope_known_in, period_params, run_query
from memberkit.sql import query_text

if TYPE_CHECKING:
    import duckdb

# --by values beyond the shared store|region: one row per complaint category or channel.
BY_FIELDS = ("category", "channel")


def _prepare(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    con.execute(query_text("complaints_scoped"))  # the mk_complaints macro
    check_scope_known_in(con, scope, "complaints")


def complaint_figures(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, by_field: str | None = None
) -> Report:
    """One row per scope unit (or per category/channel with by_field), plus ALL when split."""
    if by_field not in (None, *BY_FIELDS):
        raise ValueError(f"by_field must be one of {BY_FIELDS}, not {by_field!r}")
    if by_field is not None and scope.by is not None:
        raise ValueError("split by store/region or by a complaint field, not both")
    _prepare(con, scope)
    rows = run_query(con, "complaints", {**period_params(period, scope), "by_field": by_field})
    return Report(name="complaints", period=period, scope=scope, rows=rows, split=by_field)


def overdue_complaints(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    """The period's complaints still open at the end of E, received over 48 hours before it."""
    _prepare(con, scope)
    rows = run_query(con, "complaints_overdue", period_params(period, scope))
    return Report(name="complaints_overdue", period=period, scope=scope, rows=rows)
