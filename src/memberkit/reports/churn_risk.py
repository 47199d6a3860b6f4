"""Churn risk (SPEC 5.11): the BG/NBD model (reports/bgnbd.py) fitted by maximum likelihood
on the members' purchase days, and the report built from it.

queries/churn_risk_members.sql aggregates the tickets to one row per member (x repeat
purchase days, t_x and T in whole days up to E); this module turns those rows into weeks,
fits the model on the whole chain and assembles the rows per member and per unit.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, data_through, missing_history, query_relation
from memberkit.reports.bgnbd import (
    MIN_REPEATERS,
    BgNbdFit,
    expected_purchases,
    fit_bgnbd,
    library_warnings,
    p_alive,
)

# Re-exported: the model's tests reach it through this module.
from memberkit.reports.bgnbd import _distinct_histories as _distinct_histories
from memberkit.reports.bgnbd import log_likelihood as log_likelihood
from memberkit.reports.bgnbd import log_likelihood_gradient as log_likelihood_gradient

if TYPE_CHECKING:
    import duckdb

DEFAULT_HORIZON_DAYS = 90


def member_histories(
    con: duckdb.DuckDBPyConnection, as_of: date, scope: Scope
) -> dict[str, np.ndarray]:
    """One entry per member with a purchase day up to `as_of` (all members: the model is
    fitted on the whole chain); `unit` is None outside the scope."""
    relation = query_relation(con, "churn_risk_members", {"end": as_of, **scope.params()})
    return {name.lower(): _unmasked(values) for name, values in relation.fetchnumpy().items()}


def _unmasked(values: np.ndarray) -> np.ndarray:
    """DuckDB hands columns with nulls over as masked arrays: nulls become NaN in numbers and
    None otherwise, so they cannot be read as whatever the masked slot happens to hold."""
    if not isinstance(values, np.ma.MaskedArray):
        return np.asarray(values)
    if values.dtype.kind == "f":
        return values.filled(np.nan)
    return np.array(
        [None if m else v for v, m in zip(values.data, values.mask, strict=True)], dtype=object
    )


def churn_risk(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    scope: Scope,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    period: Period | None = None,
) -> Report:
    """Fit on every member's purchase days up to `as_of` (E, the end of `period` when given);
    rows are the scope's members, highest value at risk first."""
    data, fit, figures, notes = _fitted(con, as_of, scope, horizon_days)
    in_scope = np.flatnonzero(np.array([u is not None for u in data["unit"]], dtype=bool))
    return Report(
        name="churn_risk",
        period=period or Period("day", as_of, as_of),
        scope=scope,
        rows=report_rows(data, figures, in_scope),
        notes=notes,
        model=fit.as_dict(),
        extra={"model": fit.as_dict()},
        units=_unit_rows(
            data["unit"][in_scope],
            figures["p_alive"][in_scope],
            figures["value_at_risk"][in_scope],
            scope,
        ),
        options={"horizon_days": horizon_days, "fit_seconds": fit.seconds},
    )


def _fitted(con, as_of: date, scope: Scope, horizon_days: int):
    """The members' histories, the model fitted on them, each member's figures, and notes
    on what makes them doubtful (in words: never a library's warning)."""
    check_scope(con, scope)
    data = member_histories(con, as_of, scope)
    if np.count_nonzero(data["x"] > 0) < MIN_REPEATERS and (why := missing_history(con, as_of)):
        raise why  # a missing table or period, not a short history, is the cause
    fit = fit_bgnbd(*history_weeks(data))
    with library_warnings():  # a non-finite figure is counted below instead
        figures = member_figures(fit, data, horizon_days)
    notes = [*_past_the_data(con, as_of), *fit.notes]
    unknown = np.count_nonzero(~np.isfinite(figures["p_alive"] + figures["expected_purchases"]))
    if unknown:
        notes.append(f"p_alive or expected purchases could not be computed for {unknown:,} members")
    return data, fit, figures, notes


def _past_the_data(con, as_of: date) -> list[str]:
    """E after the last ticket: the days between count as days without a purchase, so every
    member looks less likely to be active than the data says."""
    through = data_through(con)
    if through is None or as_of <= through:
        return []
    days = (as_of - through).days
    return [
        f"E ({as_of}) is {days} day{'s' if days > 1 else ''} after the last ticket ({through}): "
        "those days count as days without purchases, so members look less active than they "
        "are; choose a --month or --as-of the data covers"
    ]


def risk_of_members(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    member_ids: list[str],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> tuple[BgNbdFit, list[tuple[float | None, float | None]]]:
    """The fitted model (with churn_risk's notes) and (p_alive, value_at_risk) of the given
    members, as churn_risk reports them (None for a member without a purchase day), without
    a row per fitted member: `churn --list --risk` needs a few thousand of a million."""
    data, fit, figures, notes = _fitted(con, as_of, Scope(), horizon_days)
    fit = replace(fit, notes=tuple(notes))  # E past the data too, for the caller to say
    position = {member: i for i, member in enumerate(data["member_id"].tolist())}
    alive, at_risk = figures["p_alive"], figures["value_at_risk"]
    found = []
    for member in member_ids:
        i = position.get(member)
        if i is None:
            found.append((None, None))
        else:
            value = float(at_risk[i])
            found.append((float(alive[i]), None if math.isnan(value) else round(value, 2)))
    return fit, found


def history_weeks(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x and T in weeks from member_histories' whole days."""
    return (
        data["x"].astype(float),
        data["t_x_days"].astype(float) / 7.0,
        data["t_days"].astype(float) / 7.0,
    )


def member_figures(
    fit: BgNbdFit, data: dict[str, np.ndarray], horizon_days: int
) -> dict[str, np.ndarray]:
    """Per member: x, t_x, T (weeks), p_alive, expected purchases in the horizon and the
    value at risk (NaN without a paid ticket)."""
    x, t_x, T = history_weeks(data)
    weeks = horizon_days / 7.0
    alive = p_alive(fit, x, t_x, T)
    # purchases in the horizon if still active: the posterior mean rate (r+x)/(α+T) × weeks
    at_risk = (1.0 - alive) * (fit.r + x) / (fit.alpha + T) * weeks * data["avg_ticket_amount"]
    return {
        "x": x,
        "t_x": t_x,
        "T": T,
        "p_alive": alive,
        "expected_purchases": expected_purchases(fit, x, t_x, T, weeks),
        "value_at_risk": at_risk,
    }


def report_rows(
    data: dict[str, np.ndarray], figures: dict[str, np.ndarray], members: np.ndarray
) -> list[dict[str, Any]]:
    """The rows of the members at the given positions, highest value at risk first, unknown
    value at risk last, ties by member id (member_histories' order, kept by the stable
    sort). Built column by column: a million rows in about a second."""
    at_risk = figures["value_at_risk"][members]
    unknown = np.isnan(at_risk)
    members = members[np.lexsort((-np.where(unknown, 0.0, at_risk), unknown))]
    columns = (
        data["unit"][members].tolist(),
        data["member_id"][members].tolist(),
        data["store_id"][members].tolist(),
        figures["x"][members].astype(np.int64).tolist(),
        figures["t_x"][members].tolist(),
        figures["T"][members].tolist(),
        figures["p_alive"][members].tolist(),
        figures["expected_purchases"][members].tolist(),
        [
            None if math.isnan(v) else round(v, 2)
            for v in figures["value_at_risk"][members].tolist()
        ],
    )
    # a dict display per row: four times faster than dict(zip(keys, values))
    return [
        {
            "scope": scope,
            "member_id": member_id,
            "store_id": store_id,
            "x": x,
            "t_x": t_x,
            "T": T,
            "p_alive": alive,
            "expected_purchases": expected,
            "value_at_risk": at_risk,
        }
        for scope, member_id, store_id, x, t_x, T, alive, expected, at_risk in zip(
            *columns, strict=True
        )
    ]


def _unit_rows(
    units: np.ndarray, alive: np.ndarray, at_risk: np.ndarray, scope: Scope
) -> list[dict[str, Any]]:
    """Per unit of the scope (and ALL with --by): members with a purchase day, the expected
    number still active (the sum of their p_alive), its share, and the value at risk (members
    without a paid ticket add none)."""
    names, unit_of = np.unique(units.astype(str), return_inverse=True)
    counts = np.bincount(unit_of, minlength=len(names))
    expected = np.bincount(unit_of, weights=alive, minlength=len(names))
    risk = np.bincount(unit_of, weights=np.nan_to_num(at_risk), minlength=len(names))
    columns = (names.tolist(), counts.tolist(), expected.tolist(), risk.tolist())
    groups = list(zip(*columns, strict=True))
    if scope.by is not None:
        groups.append(("ALL", len(units), float(alive.sum()), float(np.nansum(at_risk))))
    return [
        {
            "scope": name,
            "members": int(count),
            "expected_active": float(active),
            "expected_active_share": float(active) / count if count else None,
            "value_at_risk": round(float(value), 2),
        }
        for name, count, active, value in groups
    ]


def risk_by_unit(report: Report) -> Report:
    """流失风险汇总: the churn-risk report's units, as a report of their own."""
    return Report("churn_risk_units", report.period, report.scope, report.units or [])
