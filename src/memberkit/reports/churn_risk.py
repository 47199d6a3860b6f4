"""Churn risk (SPEC 5.11): the BG/NBD model of Fader, Hardie & Lee (2005), "Counting your
customers the easy way", fitted by maximum likelihood on the members' purchase days.

Time is in weeks. Per member: x repeat purchase days, t_x weeks from the first to the last
purchase day, T weeks from the first purchase day to E. queries/churn_risk_members.sql
aggregates the tickets to one row per member; everything here works on numpy arrays, and the
likelihood on the distinct (x, t_x, T) triples weighted by how many members share them (days
are whole, so a million members share far fewer triples).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from memberkit.errors import InputRejected
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, query_relation

if TYPE_CHECKING:
    import duckdb

DEFAULT_HORIZON_DAYS = 90
# Below this many members with a repeat purchase the four parameters are not identified well
# enough to rank anyone.
MIN_REPEATERS = 100
# The optimiser works on log parameters; these bounds (e^-12 .. e^12) only keep it finite.
_LOG_BOUND = 12.0


@dataclass(frozen=True)
class BgNbdFit:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    members: int
    repeaters: int  # members with x > 0
    seconds: float  # time the optimiser took

    def as_dict(self) -> dict[str, Any]:
        return {
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "log_likelihood": self.log_likelihood,
            "members": self.members,
        }


def log_likelihood(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """Each member's log-likelihood (FHL 2005 eq. 6), in log space throughout:
    ln[B(a, b+x)/B(a, b) * Γ(r+x) α^r / Γ(r)] + ln[(α+T)^-(r+x) + δ(x>0) a/(b+x-1) (α+t_x)^-(r+x)].
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    still_alive = -(r + x) * np.log(alpha + T)
    # a/(b+x-1) is only defined for x > 0; x = 0 gets -inf, which logaddexp ignores
    repeat = np.maximum(x, 1.0)
    dropped_after_last = np.where(
        x > 0, np.log(a) - np.log(b + repeat - 1) - (r + x) * np.log(alpha + t_x), -np.inf
    )
    return common + np.logaddexp(still_alive, dropped_after_last)


def fit_bgnbd(x, t_x, T) -> BgNbdFit:
    """Maximum likelihood by L-BFGS-B on the log parameters (so they stay positive)."""
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    repeaters = int(np.count_nonzero(x > 0))
    if repeaters < MIN_REPEATERS:
        raise InputRejected(
            f"too few members with a repeat purchase to fit the churn-risk model: {repeaters} "
            f"of {len(x)} (it needs at least {MIN_REPEATERS})",
            hint="choose a later --as-of or load more ticket history",
        )
    triples, weights = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    ux, ut_x, uT = triples.T
    total = weights.sum()

    def mean_negative(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        return -float(weights @ log_likelihood(r, alpha, a, b, ux, ut_x, uT)) / total

    started = time.perf_counter()
    result = minimize(
        mean_negative,
        np.zeros(4),
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
        options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 1000},
    )
    seconds = time.perf_counter() - started
    if not np.isfinite(result.fun):
        raise InputRejected(
            "the churn-risk model could not be fitted to these purchase histories",
            hint=str(result.message),
        )
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=-float(result.fun) * float(total),
        members=len(x),
        repeaters=repeaters,
        seconds=seconds,
    )


def p_alive(fit: BgNbdFit, x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x)),
    as exp(-log(1 + e^term)) so a huge ratio gives 0 rather than overflow; 1 when x = 0."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    repeat = np.maximum(x, 1.0)
    log_odds_dead = (
        np.log(fit.a)
        - np.log(fit.b + repeat - 1)
        + (fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + t_x))
    )
    return np.where(x > 0, np.exp(-np.logaddexp(0.0, log_odds_dead)), 1.0)


def expected_purchases(fit: BgNbdFit, x, t_x, T, weeks: float) -> np.ndarray:
    """E[purchases in the next `weeks` | x, t_x, T] (FHL 2005 eq. 10):
    (a+b+x-1)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] × p_alive,
    z = t/(α+T+t). Euler's transformation turns the bracket's product into
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters stay small as x grows, so
    neither factor overflows for a frequent buyer. (Undefined at a = 1 exactly.)"""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = weeks / (alpha + T + weeks)
    bracket = 1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    return (a + b + x - 1.0) / (a - 1.0) * bracket * p_alive(fit, x, t_x, T)


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
) -> Report:
    """Fit on every member's purchase days up to `as_of`; rows are the scope's members,
    highest value at risk first."""
    check_scope(con, scope)
    data = member_histories(con, as_of, scope)
    x = data["x"].astype(float)
    t_x = data["t_x_days"].astype(float) / 7.0
    T = data["t_days"].astype(float) / 7.0
    fit = fit_bgnbd(x, t_x, T)
    weeks = horizon_days / 7.0
    alive = p_alive(fit, x, t_x, T)
    expected = expected_purchases(fit, x, t_x, T, weeks)
    # purchases in the horizon if still active: the posterior mean rate (r+x)/(α+T) × weeks
    average_ticket = data["avg_ticket_amount"]
    at_risk = (1.0 - alive) * (fit.r + x) / (fit.alpha + T) * weeks * average_ticket

    units = data["unit"]
    in_scope = np.flatnonzero(np.array([u is not None for u in units], dtype=bool))
    order = sorted(
        in_scope,
        key=lambda i: (np.isnan(at_risk[i]), -np.nan_to_num(at_risk[i]), data["member_id"][i]),
    )
    rows = [
        {
            "scope": units[i],
            "member_id": data["member_id"][i],
            "store_id": data["store_id"][i],
            "x": int(x[i]),
            "t_x": float(t_x[i]),
            "T": float(T[i]),
            "p_alive": float(alive[i]),
            "expected_purchases": float(expected[i]),
            "value_at_risk": None if np.isnan(at_risk[i]) else round(float(at_risk[i]), 2),
        }
        for i in order
    ]
    return Report(
        name="churn_risk",
        period=Period("day", as_of, as_of),
        scope=scope,
        rows=rows,
        details={
            "model": fit.as_dict(),
            "json_extra": {"model": fit.as_dict()},
            "horizon_days": horizon_days,
            "fit_seconds": fit.seconds,
            "units": _unit_rows(units[in_scope], alive[in_scope], at_risk[in_scope], scope),
        },
    )


def _unit_rows(
    units: np.ndarray, alive: np.ndarray, at_risk: np.ndarray, scope: Scope
) -> list[dict[str, Any]]:
    """Per unit of the scope (and ALL with --by): members with a purchase day, the expected
    number still active (the sum of their p_alive), its share, and the value at risk (members
    without a paid ticket add none)."""
    names, unit_of = np.unique(units.astype(str), return_inverse=True)
    groups = [(str(name), unit_of == i) for i, name in enumerate(names)]
    if scope.by is not None:
        groups.append(("ALL", np.ones(len(units), dtype=bool)))
    rows = []
    for name, members in groups:
        count = int(members.sum())
        expected = float(alive[members].sum())
        rows.append(
            {
                "scope": name,
                "members": count,
                "expected_active": expected,
                "expected_active_share": expected / count if count else None,
                "value_at_risk": round(float(np.nansum(at_risk[members])), 2),
            }
        )
    return rows


def risk_by_unit(report: Report) -> Report:
    """流失风险汇总: the churn-risk report's units (its details), as a report of their own."""
    return Report("churn_risk_units", report.period, report.scope, report.details["units"])
