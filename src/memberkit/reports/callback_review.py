"""回访档案 / 回访评估 (SPEC 5.13): what the logged call-backs reached, per home store and kind
(queries/callback_review.sql), and whether calling the lapsed members brought them back
(queries/callback_effect.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from memberkit.errors import UsageError, counted, option
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, data_through, period_params, run_query
from memberkit.reports.analyses import DEFAULT_INACTIVE_DAYS
from memberkit.reports.options import MAX_DAYS

if TYPE_CHECKING:
    import duckdb

KINDS = ("after_sale", "new", "lapsed", "complaint", "expiring", "survey")  # the log's kinds
DEFAULT_WINDOW_DAYS = 90
CALL_DAYS = 30  # a lapsed call counts when dated in [E0 + 1, E0 + 30]


@dataclass(frozen=True)
class CallbackEffectOptions:
    window_days: int = DEFAULT_WINDOW_DAYS  # W: a return is a ticket in [E0 + 1, E0 + W]
    inactive_days: int = DEFAULT_INACTIVE_DAYS  # the base list's, as churn's


def callback_review(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    """Per unit and kind (and over all kinds): calls, members called, reached and with a
    wrong number, over the calls dated in the period."""
    check_scope(con, scope)
    rows = run_query(con, "callback_review", period_params(period, scope))
    return Report(
        name="callback_review",
        period=period,
        scope=scope,
        rows=rows,
        notes=_unknown_members_note(con, period),
    )


def _unknown_members_note(con: duckdb.DuckDBPyConnection, period: Period) -> list[str]:
    """Calls of the period to member ids the members table lacks have no home store, so no
    row counts them: say how many, rather than let them vanish."""
    calls, members = con.execute(
        """
        select count(*), count(distinct c.member_id)
        from callback_log c
        anti join members m on m.member_id = c.member_id
        where c.called_at >= $start::date::timestamp
          and c.called_at < $end::date::timestamp + interval 1 day
        """,
        {"start": period.start, "end": period.end},
    ).fetchall()[0]
    if not calls:
        return []
    return [
        f"{counted(calls, 'call')} in {period.label} to {counted(members, 'member id')} not in "
        "the members table are left out: they have no home store"
    ]


def callback_effect(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope,
    window_days: int = DEFAULT_WINDOW_DAYS,
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
) -> Report:
    """The lapsed call-backs of the period judged: the base is `churn --list` of the month
    before (E0 its last day); per unit the called and not-called members, how many came back
    within W days of E0 and spent what, and the uplift with its 95% interval."""
    if period.kind != "month":
        raise UsageError(
            f"the call-back effect judges one month's calls: give {option('month')}, "
            f"not {option('year')}"
        )
    for name, days in (("window_days", window_days), ("inactive_days", inactive_days)):
        if not 1 <= days <= MAX_DAYS:
            raise UsageError(f"{option(name)} must be from 1 to {MAX_DAYS:,}, not {days}")
    check_scope(con, scope)
    base = period.previous()
    e0 = base.end
    params = {
        **scope.params(),
        "base_start": base.start,
        "base_end": e0,
        "inactive_days": inactive_days,
        "window_days": window_days,
    }
    rows = run_query(con, "callback_effect", params)
    window_end = e0 + timedelta(days=window_days)
    notes = []
    through = data_through(con)
    if through is not None and through < window_end:
        notes.append(
            f"the return window runs to {window_end} but tickets reach only {through}: "
            "members may still come back"
        )
    return Report(
        name="callback_effect",
        period=period,
        scope=scope,
        rows=rows,
        notes=notes,
        footnotes=["not_randomised"],
        extra={
            "base_month": base.label,
            "calls_from": str(e0 + timedelta(days=1)),
            "calls_to": str(e0 + timedelta(days=CALL_DAYS)),
            "returns_to": str(window_end),
        },
        options={"window_days": window_days, "inactive_days": inactive_days},
    )


def compute_review(con, period: Period, scope: Scope, options) -> Report:
    """The catalogue's callback-review (it has no options of its own)."""
    return callback_review(con, period, scope)


def compute_effect(con, period: Period, scope: Scope, options: CallbackEffectOptions) -> Report:
    """The catalogue's callback-effect."""
    return callback_effect(con, period, scope, options.window_days, options.inactive_days)
