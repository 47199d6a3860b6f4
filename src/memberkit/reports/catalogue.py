"""The report catalogue: one entry per report (SPEC 5, 6), and one way to run it.

An entry names the report as its command and its template spell it, the queries it runs,
its own options (a frozen dataclass whose fields are the command's option names with `_`
for `-`, typed: numbers, not the text a command line gives), whether its rows are one list
(no --by) and whether its sheet compares the month before and the year before. Every command,
the monthly workbook and the Python API run a report through `run`, and the comparison
periods through `comparison_bases`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from memberkit.errors import UsageError
from memberkit.periods import Period, Scope
from memberkit.reports import Report, analyses, callbacks, complaints, gifts, members
from memberkit.reports import callback_review as review
from memberkit.reports import satisfaction as survey
from memberkit.reports.gift_requests import GiftRequestsOptions, gift_requests
from memberkit.reports.stores import resolve_scope

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class NoOptions:
    """A report with no options of its own."""


@dataclass(frozen=True)
class SpendBandsOptions:
    bands: tuple[Decimal | int, ...] = analyses.DEFAULT_SPEND_EDGES


@dataclass(frozen=True)
class DemographicsOptions:
    age_bands: tuple[Decimal | int, ...] = analyses.DEFAULT_AGE_EDGES


@dataclass(frozen=True)
class ChurnOptions:
    inactive_days: int = analyses.DEFAULT_INACTIVE_DAYS


@dataclass(frozen=True)
class MemberProblemsOptions:
    all_members: bool = False


@dataclass(frozen=True)
class GradesOptions:
    grade_edges: tuple[Decimal | int, ...] = members.DEFAULT_GRADE_EDGES


@dataclass(frozen=True)
class ComplaintsOptions:
    by_field: str | None = None  # category or channel: one row each (store, region: the scope)


@dataclass(frozen=True)
class CallbacksOptions:
    min_amount: Decimal | float = callbacks.DEFAULT_MIN_AMOUNT
    inactive_days: int = analyses.DEFAULT_INACTIVE_DAYS
    per_store: int | None = None
    kinds: tuple[str, ...] = callbacks.KINDS


@dataclass(frozen=True)
class ExpiringOptions:
    as_of: date | None = None  # the day visits and spend are counted up to (None: today)
    min_visits: int = 3
    min_spend: Decimal | float = 1000


@dataclass(frozen=True)
class ChurnRiskOptions:
    as_of: date | None = None  # the day the model is fitted up to (None: the period's end)
    horizon_days: int = 90


@dataclass(frozen=True)
class GiftStockOptions:
    as_of: date | None = None  # (None: today)
    location: str | None = None  # HQ or a store id (None: every location)


@dataclass(frozen=True)
class GiftReconcileOptions:
    date: date | None = None  # the count date (None: each location's latest count)
    location: str | None = None  # HQ or a store id (None: every location)
    tolerance: int = 0  # |variance| up to this is a match


Compute = Callable[["duckdb.DuckDBPyConnection", Period, Scope, Any], Report]


@dataclass(frozen=True)
class Entry:
    name: str  # as the command and the template spell it
    compute: Compute  # (connection, period, scope, options) -> Report
    queries: tuple[str, ...]  # the files of queries/ it runs
    options: type = NoOptions
    one_list: bool = False  # its rows are one list: it takes no --by
    compares: bool = False  # its sheet charts the month before and the year before
    day: bool = False  # taken as of a day (options.as_of), not over a period
    # the tables whose rows it counts: an empty one is said (the load the user forgot)
    needs: tuple[str, ...] = ()


def _day(options) -> date:
    return options.as_of or date.today()


def _expiring(con, period: Period | None, scope: Scope, options: ExpiringOptions) -> Report:
    """到期会员名单: the members whose card expires in the period (default: the month after
    the day) without the fee waiver."""
    from memberkit.reports.expiring import expiring_members, month_after

    day = _day(options)
    period = period or month_after(day)
    return expiring_members(con, day, period, options.min_visits, options.min_spend, scope)


def _churn_risk(con, period, scope: Scope, options: ChurnRiskOptions) -> Report:
    """流失风险 (SPEC 5.11) as of E, the day options.as_of or else the period's end (by
    default the last complete month); split by store or region, the JSON also holds the
    units."""
    from memberkit.periods import last_complete_month
    from memberkit.reports.churn_risk import churn_risk, risk_by_unit

    if options.as_of is not None:
        period = Period("day", options.as_of, options.as_of)
    period = period or last_complete_month(date.today())
    report = churn_risk(con, period.end, scope, options.horizon_days, period)
    if scope.by is not None:  # SPEC 5.11: --by adds the expected active members per unit
        report.extra["units"] = risk_by_unit(report).rows
    return report


ENTRIES: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry(
            "spend-bands",
            lambda con, p, s, o: analyses.spend_bands(con, p, s, o.bands),
            ("spend_bands",),
            SpendBandsOptions,
            needs=("transactions", "members"),
        ),
        Entry(
            "demographics",
            lambda con, p, s, o: analyses.demographics(con, p, s, o.age_bands),
            ("demographics",),
            DemographicsOptions,
            needs=("transactions", "members"),
        ),
        Entry(
            "spending-power",
            lambda con, p, s, o: analyses.spending_power(con, p, s),
            ("spending_power",),
            compares=True,
            needs=("transactions",),
        ),
        Entry(
            "churn",
            lambda con, p, s, o: analyses.churn(con, p, s, o.inactive_days),
            ("churn",),
            ChurnOptions,
            needs=("transactions", "members"),
        ),
        Entry(
            "churn-list",
            lambda con, p, s, o: analyses.churn_list(con, p, s, o.inactive_days),
            ("churn_list",),
            ChurnOptions,
            one_list=True,
            needs=("transactions", "members"),
        ),
        Entry(
            "churn-list-risk",
            lambda con, p, s, o: analyses.churn_list(con, p, s, o.inactive_days, risk=True),
            ("churn_list", "churn_risk_members"),
            ChurnOptions,
            one_list=True,
            needs=("transactions", "members"),
        ),
        Entry(
            "new-members",
            lambda con, p, s, o: members.new_members(con, p, s),
            ("new_members",),
            needs=("members", "transactions"),
        ),
        Entry(
            "member-problems",
            lambda con, p, s, o: members.member_problems(con, p, s, o.all_members),
            ("member_problems",),
            MemberProblemsOptions,
            one_list=True,
            needs=("members",),
        ),
        Entry(
            "grades",
            lambda con, p, s, o: members.grades(con, p, s, o.grade_edges),
            ("grades",),
            GradesOptions,
            needs=("transactions", "members"),
        ),
        Entry(
            "grade-migration",
            lambda con, p, s, o: members.grade_migration(con, p, s, o.grade_edges),
            ("grade_migration",),
            GradesOptions,
            needs=("transactions", "members"),
        ),
        Entry(
            "complaints",
            lambda con, p, s, o: complaints.complaint_figures(con, p, s, o.by_field),
            ("complaints", "complaints_scoped"),
            ComplaintsOptions,
            needs=("complaints",),
        ),
        Entry(
            "complaints-overdue",
            lambda con, p, s, o: complaints.overdue_complaints(con, p, s),
            ("complaints_overdue", "complaints_scoped"),
            one_list=True,
            needs=("complaints",),
        ),
        # 满意度调查 (SPEC 5.12): the figures per store, region or channel, and --low
        Entry(
            "satisfaction",
            lambda con, p, s, o: survey.satisfaction(con, p, s, o.by_field),
            ("satisfaction", "satisfaction_scoped"),
            survey.SatisfactionOptions,
            needs=("surveys",),
        ),
        Entry(
            "satisfaction-low",
            lambda con, p, s, o: survey.low_responses(con, p, s),
            ("satisfaction_low", "satisfaction_scoped"),
            one_list=True,
            needs=("surveys",),
        ),
        Entry(
            "callbacks",
            lambda con, p, s, o: callbacks.call_backs(
                con, p, s, o.min_amount, o.inactive_days, o.per_store, o.kinds
            ),
            ("callbacks",),
            CallbacksOptions,
            one_list=True,
            needs=("transactions", "members"),
        ),
        Entry(
            "callback-counts",
            lambda con, p, s, o: callbacks.call_back_counts(con, p, s),
            ("callbacks",),
        ),
        Entry(
            "callback-review", review.compute_review, ("callback_review",), needs=("callback_log",)
        ),
        Entry(
            "callback-effect",
            review.compute_effect,
            ("callback_effect", "churn_members"),
            review.CallbackEffectOptions,
            needs=("callback_log", "transactions", "members"),
        ),
        Entry(
            "gift-issues",
            lambda con, p, s, o: gifts.issues(con, p, s),
            ("gift_issues",),
        ),
        Entry(
            "expiring",
            _expiring,
            ("expiring",),
            ExpiringOptions,
            one_list=True,
            day=True,
            needs=("members", "transactions"),
        ),
        # over a period like the analyses (E its end), or as of a day (options.as_of)
        Entry("churn-risk", _churn_risk, ("churn_risk_members",), ChurnRiskOptions),
        Entry(
            "gift-stock",
            lambda con, p, s, o: gifts.stock(con, _day(o), o.location),
            ("gift_stock",),
            GiftStockOptions,
            one_list=True,
            day=True,
        ),
        Entry(
            "gift-reconcile",
            lambda con, p, s, o: gifts.reconcile(con, o.location, o.date, o.tolerance),
            ("gift_reconcile",),
            GiftReconcileOptions,
            one_list=True,
            day=True,
        ),
        Entry(
            "gift-summary",
            lambda con, p, s, o: gifts.summary(
                gifts.reconcile(con, o.location, o.date, o.tolerance)
            ),
            ("gift_reconcile",),
            GiftReconcileOptions,
            one_list=True,
            day=True,
        ),
        # 礼品申请审批表 (SPEC 5.14), as of options.as_of (the monthly workbook: the month's end)
        Entry(
            "gift-requests",
            gift_requests,
            ("gift_requests", "gift_requests_known"),
            GiftRequestsOptions,
            one_list=True,
            day=True,
            needs=("gift_requests",),
        ),
        Entry(
            "gift-requests-summary",
            lambda con, p, s, o: gift_requests(con, p, s, o, summary=True),
            ("gift_requests_summary", "gift_requests_known"),
            GiftRequestsOptions,
            one_list=True,
            day=True,
            needs=("gift_requests",),
        ),
    )
}


def entry(name: str) -> Entry:
    try:
        return ENTRIES[name]
    except KeyError:
        raise UsageError(
            f"no report {name!r}", hint=f"reports: {', '.join(sorted(ENTRIES))}"
        ) from None


def run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    period: Period | None,
    scope: Scope,
    options=None,
) -> Report:
    """The report `name` over the period and scope, with its options (defaults if None). A
    report of a day takes its day from the options; expiring's period is the expiry month
    (None: the month after the day)."""
    report_entry = entry(name)
    scope = resolve_scope(con, scope)  # --store as a name or in another case: its id
    if report_entry.one_list and scope.by is not None:
        raise UsageError(f"{name} gives one list, not one row per {scope.by}")
    return report_entry.compute(con, period, scope, options or report_entry.options())


def comparison_bases(
    con: duckdb.DuckDBPyConnection, name: str, report: Report, options=None
) -> dict[str, Report]:
    """The same report a month and a year earlier, for a sheet that charts them ({} for a
    report that compares nothing; no month before a whole year)."""
    if not entry(name).compares:
        return {}
    bases: dict[str, Report] = {}
    previous = report.period.previous()
    if previous is not None:
        bases["mom"] = run(con, name, previous, report.scope, options)
    bases["yoy"] = run(con, name, report.period.years_back(1), report.scope, options)
    return bases
