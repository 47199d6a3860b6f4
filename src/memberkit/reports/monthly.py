"""The monthly workbook's data (memberkit report): its analyses from the catalogue, the
churn-risk model per store, spending power per store and the cover's facts, computed here so
that the workbook's renderer receives data only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from memberkit.errors import InputRejected
from memberkit.periods import Period, Scope
from memberkit.reports import Report, catalogue, data_through

if TYPE_CHECKING:
    import duckdb

# The analyses, in sheet order: names of the report catalogue.
MONTHLY = (
    "spend-bands",
    "demographics",
    "spending-power",
    "churn",
    "new-members",
    "grades",
    "grade-migration",
    "complaints",
    "satisfaction",  # 满意度调查分析表 (SPEC 5.12)
    "callback-counts",
    "callback-review",  # 回访情况统计表 (its --effect needs W days after the month: not here)
)
MONTHLY_NEEDS = ("transactions", "members")  # an empty one is said, as for each report


@dataclass
class MonthlySheet:
    name: str  # the catalogue's (and template's) name
    report: Report
    bases: dict[str, Report] = field(default_factory=dict)  # mom/yoy for comparison charts
    # a breakdown by store of an analysis the workbook already has for the whole scope
    per_store: bool = False


@dataclass
class Monthly:
    period: Period
    scope: Scope
    sheets: list[MonthlySheet]  # the analyses, then churn risk and spending power per store
    risk_model: dict[str, Any] | None  # the fitted BG/NBD parameters, or None ...
    risk_refusal: str | None  # ... and why the model could not be fitted
    data_through: date | None
    facts: dict[str, Any]  # inventory.database_info: rows per table, the last loads


def monthly_reports(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Monthly:
    from memberkit.inventory import database_info

    sheets = []
    for name in MONTHLY:
        report = catalogue.run(con, name, period, scope)
        sheets.append(MonthlySheet(name, report, catalogue.comparison_bases(con, name, report)))
    # 礼品申请审批表 as of the month's last day: one list for the scope's stores
    requests = catalogue.run(con, "gift-requests", period, Scope(scope.store, scope.region))
    sheets.append(MonthlySheet("gift-requests", requests))
    risk_model = risk_refusal = None
    try:
        units, risk_model = _churn_risk_units(con, period, scope)
        sheets.append(MonthlySheet("churn-risk-units", units))
    except InputRejected as exc:  # too little history to fit: the reason goes on the cover
        risk_refusal = str(exc)
    if scope.store is None and scope.by != "store":
        by_store = Scope(store=None, region=scope.region, by="store")
        per_store = catalogue.run(con, "spending-power", period, by_store)
        sheets.append(MonthlySheet("spending-power", per_store, per_store=True))
    return Monthly(
        period=period,
        scope=scope,
        sheets=sheets,
        risk_model=risk_model,
        risk_refusal=risk_refusal,
        data_through=data_through(con),
        facts=database_info(con, last_loads=5),
    )


def _churn_risk_units(con, period: Period, scope: Scope) -> tuple[Report, dict[str, Any]]:
    """流失风险 (SPEC 5.11) per store as of the period's end, and the fitted model."""
    from memberkit.reports.churn_risk import churn_risk, risk_by_unit

    by = scope.by or (None if scope.store else "store")
    report = churn_risk(con, period.end, Scope(scope.store, scope.region, by), period=period)
    return risk_by_unit(report), report.model
