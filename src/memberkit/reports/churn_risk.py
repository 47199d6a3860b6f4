"""Churn risk (SPEC 5.11): the BG/NBD model (reports/bgnbd.py) fitted by maximum likelihood
on the members' purchase days, and the report built from it.

reports/risk_histories.py reads one history per member from the summaries (x repeat
purchase days, t_x and T in whole days up to E) as numpy and arrow arrays; this module turns
them into weeks, fits the model on the whole chain, and orders the members of the scope for
reports/risk_rows.py, which builds their rows a chunk at a time when they are read.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from memberkit.errors import counted
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, data_through, missing_history
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
from memberkit.reports.risk_histories import Histories, as_arrays, read_histories
from memberkit.reports.risk_rows import RiskRows, risk_order

if TYPE_CHECKING:
    import duckdb

DEFAULT_HORIZON_DAYS = 90


def member_histories(
    con: duckdb.DuckDBPyConnection, as_of: date, scope: Scope
) -> dict[str, np.ndarray]:
    """One entry per member with a purchase day up to `as_of` (all members: the model is
    fitted on the whole chain); `unit` is None outside the scope. Ids as Python objects:
    for the tests and small chains (the report keeps them in arrow arrays)."""
    return as_arrays(read_histories(con, as_of, scope))


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
    in_scope = np.flatnonzero(data.unit.is_valid().to_numpy(zero_copy_only=False))
    return Report(
        name="churn_risk",
        period=period or Period("day", as_of, as_of),
        scope=scope,
        rows=report_rows(_strings(data), figures, in_scope),
        notes=notes,
        model=fit.as_dict(),
        extra={"model": fit.as_dict()},
        units=_unit_rows(
            data.unit.take(pa.array(in_scope)),
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
    data = read_histories(con, as_of, scope)
    if np.count_nonzero(data.x > 0) < MIN_REPEATERS and (why := missing_history(con, as_of)):
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
        f"E ({as_of}) is {counted(days, 'day')} after the last ticket ({through}): "
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
    # positions found by arrow: no dict of every member id
    positions = pc.index_in(pa.array(member_ids, pa.string()), value_set=data.member_id)
    alive, at_risk = figures["p_alive"], figures["value_at_risk"]
    found = []
    for i in positions.to_pylist():
        if i is None:
            found.append((None, None))
        else:
            value = float(at_risk[i])
            found.append((float(alive[i]), None if math.isnan(value) else round(value, 2)))
    return fit, found


def history_weeks(data: Histories | dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x and T in weeks from the histories' whole days."""
    data = _columns(data)
    return (
        data["x"].astype(float),
        data["t_x_days"].astype(float) / 7.0,
        data["t_days"].astype(float) / 7.0,
    )


def _columns(data: Histories | dict) -> dict:
    if isinstance(data, Histories):
        return {k: getattr(data, k) for k in ("x", "t_x_days", "t_days", "avg_ticket_amount")}
    return data


def _strings(data: Histories) -> dict[str, pa.Array]:
    return {"member_id": data.member_id, "store_id": data.store_id, "unit": data.unit}


def member_figures(
    fit: BgNbdFit, data: Histories | dict, horizon_days: int
) -> dict[str, np.ndarray]:
    """Per member: x, t_x, T (weeks), p_alive, expected purchases in the horizon and the
    value at risk (NaN without a paid ticket)."""
    x, t_x, T = history_weeks(data)
    weeks = horizon_days / 7.0
    alive = p_alive(fit, x, t_x, T)
    # purchases in the horizon if still active: the posterior mean rate (r+x)/(α+T) × weeks
    average = _columns(data)["avg_ticket_amount"]
    at_risk = (1.0 - alive) * (fit.r + x) / (fit.alpha + T) * weeks * average
    return {
        "x": x,
        "t_x": t_x,
        "T": T,
        "p_alive": alive,
        "expected_purchases": expected_purchases(fit, x, t_x, T, weeks),
        "value_at_risk": at_risk,
    }


def report_rows(strings: dict, figures: dict[str, np.ndarray], members: np.ndarray) -> RiskRows:
    """The rows of the members at the given positions, highest value at risk first, unknown
    value at risk last, ties by member id (the histories' order, kept by the stable sort);
    `strings` holds member_id, store_id and unit by position. Built when read, a chunk at a
    time."""
    return RiskRows(strings, figures, risk_order(figures["value_at_risk"], members))


def _unit_rows(
    units: pa.Array, alive: np.ndarray, at_risk: np.ndarray, scope: Scope
) -> list[dict[str, Any]]:
    """Per unit of the scope (and ALL with --by), by name: members with a purchase day, the
    expected number still active (the sum of their p_alive), its share, and the value at
    risk (members without a paid ticket add none)."""
    encoded = pc.dictionary_encode(units)
    found = encoded.dictionary.to_pylist()
    names = sorted(found)
    rank = np.array([names.index(n) for n in found], dtype=np.int64)
    unit_of = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    counts = np.bincount(unit_of, minlength=len(names))
    expected = np.bincount(unit_of, weights=alive, minlength=len(names))
    risk = np.bincount(unit_of, weights=np.nan_to_num(at_risk), minlength=len(names))
    columns = (names, counts.tolist(), expected.tolist(), risk.tolist())
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
