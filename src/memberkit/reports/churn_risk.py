"""Churn risk (SPEC 5.11): the BG/NBD model of Fader, Hardie & Lee (2005), "Counting your
customers the easy way", fitted by maximum likelihood on the members' purchase days.

Time is in weeks. Per member: x repeat purchase days, t_x weeks from the first to the last
purchase day, T weeks from the first purchase day to E. queries/churn_risk_members.sql
aggregates the tickets to one row per member; everything here works on numpy arrays, and the
likelihood on the distinct (x, t_x, T) triples weighted by how many members share them (days
are whole: a million simulated members have about 320,000 triples), with its analytic
gradient.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from memberkit.errors import InputRejected
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, missing_history, query_relation

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
    return _log_likelihood(r, alpha, a, b, *_floats(x, t_x, T), gradient=False)[0]


def log_likelihood_gradient(r, alpha, a, b, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """Each member's log-likelihood and its gradient with respect to (ln r, ln α, ln a, ln b),
    shape (4, members). The second factor ln(e^A + e^B) differentiates to w_A dA + w_B dB
    with the branch weights w = e^(A - ln(e^A + e^B)), w_A + w_B = 1 (w_B = 0 when x = 0)."""
    return _log_likelihood(r, alpha, a, b, *_floats(x, t_x, T), gradient=True)


def _floats(*columns) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v, dtype=float) for v in columns)


def _log_likelihood(r, alpha, a, b, x, t_x, T, *, gradient: bool):
    # x is a count of days: the functions of x alone are evaluated once per count and looked
    # up, which halves the optimiser's time at a million members
    count = x.astype(np.int64)
    if not np.array_equal(count, x) or count.min(initial=0) < 0:
        raise ValueError("x counts repeat purchase days: whole numbers from 0")
    levels = np.arange(count.max(initial=0) + 1, dtype=float)

    def per_count(values: np.ndarray) -> np.ndarray:
        return values[count]

    r_x = r + x
    common = per_count(gammaln(r + levels) + betaln(a, b + levels))
    common += r * np.log(alpha) - gammaln(r) - betaln(a, b)
    log_alpha_T = np.log(alpha + T)
    log_alpha_t_x = np.log(alpha + t_x)
    still_alive = -r_x * log_alpha_T
    # a/(b+x-1) is only defined for x > 0; x = 0 gets -inf, which logaddexp ignores
    log_b_x_1 = per_count(np.log(b + np.maximum(levels, 1.0) - 1))
    dropped_after_last = np.where(x > 0, np.log(a) - log_b_x_1 - r_x * log_alpha_t_x, -np.inf)
    branches = np.logaddexp(still_alive, dropped_after_last)
    value = common + branches
    if not gradient:
        return value, None
    w_dropped = np.exp(dropped_after_last - branches)
    w_alive = np.exp(still_alive - branches)
    psi_ab = digamma(a + b)
    psi_ab_x = per_count(digamma(a + b + levels))
    d_r = (
        per_count(digamma(r + levels))
        - digamma(r)
        + np.log(alpha)
        - w_alive * log_alpha_T
        - w_dropped * log_alpha_t_x
    )
    d_alpha = r / alpha - r_x * (w_alive / (alpha + T) + w_dropped / (alpha + t_x))
    d_a = psi_ab - psi_ab_x + w_dropped / a
    d_b = (
        per_count(digamma(b + levels))
        - digamma(b)
        + psi_ab
        - psi_ab_x
        - w_dropped * np.exp(-log_b_x_1)
    )
    # d/d(ln θ) = θ d/dθ
    return value, np.stack([r * d_r, alpha * d_alpha, a * d_a, b * d_b])


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
    ux, ut_x, uT, weights = _distinct_histories(x, t_x, T)
    total = weights.sum()

    def mean_negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(log_params)
        value, gradient = log_likelihood_gradient(r, alpha, a, b, ux, ut_x, uT)
        return -float(weights @ value) / total, -(gradient @ weights) / total

    started = time.perf_counter()
    result = minimize(
        mean_negative,
        np.zeros(4),
        jac=True,
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


def _distinct_histories(x, t_x, T) -> tuple[np.ndarray, ...]:
    """The distinct (x, t_x, T) triples and how many members share each. (np.unique with
    axis=0 sorts rows as opaque bytes and takes seconds at a million members; a lexsort of
    the three columns takes a tenth of that.)"""
    order = np.lexsort((T, t_x, x))
    columns = np.stack([x, t_x, T])[:, order]
    starts = np.flatnonzero(
        np.concatenate([[True], np.any(columns[:, 1:] != columns[:, :-1], axis=0)])
    )
    weights = np.diff(np.append(starts, len(order)))
    ux, ut_x, uT = columns[:, starts]
    return ux, ut_x, uT, weights


def p_alive(fit: BgNbdFit, x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x)),
    as exp(-log(1 + e^term)) so a huge ratio gives 0 rather than overflow; 1 when x = 0."""
    x, t_x, T = _floats(x, t_x, T)
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
    x, t_x, T = _floats(x, t_x, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = weeks / (alpha + T + weeks)
    with np.errstate(all="ignore"):  # 0 × inf where a is large: recomputed below
        euler = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    bracket = 1.0 - euler
    lost = ~np.isfinite(bracket)
    if lost.any():
        bracket[lost] = 1.0 - _paper_product(fit, x[lost], T[lost], weeks)
    return (a + b + x - 1.0) / (a - 1.0) * bracket * p_alive(fit, x, t_x, T)


def _paper_product(fit: BgNbdFit, x: np.ndarray, T: np.ndarray, weeks: float) -> np.ndarray:
    """((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z), the paper's own form, by its series.
    Where the fit's a and b are large (a nearly fixed drop-out probability), Euler's form
    multiplies a power that underflows to 0 by a 2F1 that overflows; in the paper's form the
    series' ratio tends to z (b+x+k)/(a+b+x-1+k) < 1 and both factors stay finite."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = weeks / (alpha + T + weeks)
    term, total = np.ones_like(x), np.ones_like(x)
    for k in range(100_000):
        term = term * (r + x + k) * (b + x + k) / ((a + b + x - 1.0 + k) * (k + 1)) * z
        total = total + term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return ((alpha + T) / (alpha + T + weeks)) ** (r + x) * total


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
    data, fit, figures = _fitted(con, as_of, scope, horizon_days)
    in_scope = np.flatnonzero(np.array([u is not None for u in data["unit"]], dtype=bool))
    return Report(
        name="churn_risk",
        period=Period("day", as_of, as_of),
        scope=scope,
        rows=report_rows(data, figures, in_scope),
        details={
            "model": fit.as_dict(),
            "json_extra": {"model": fit.as_dict()},
            "horizon_days": horizon_days,
            "fit_seconds": fit.seconds,
            "units": _unit_rows(
                data["unit"][in_scope],
                figures["p_alive"][in_scope],
                figures["value_at_risk"][in_scope],
                scope,
            ),
        },
    )


def _fitted(con, as_of: date, scope: Scope, horizon_days: int):
    """The members' histories, the model fitted on them and each member's figures."""
    check_scope(con, scope)
    data = member_histories(con, as_of, scope)
    if np.count_nonzero(data["x"] > 0) < MIN_REPEATERS and (why := missing_history(con, as_of)):
        raise why  # a missing table or period, not a short history, is the cause
    fit = fit_bgnbd(*history_weeks(data))
    return data, fit, member_figures(fit, data, horizon_days)


def risk_of_members(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    member_ids: list[str],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> tuple[BgNbdFit, list[tuple[float | None, float | None]]]:
    """The fitted model and (p_alive, value_at_risk) of the given members, as churn_risk
    reports them (None for a member without a purchase day), without a row per fitted
    member: `churn --list --risk` needs a few thousand of a million."""
    data, fit, figures = _fitted(con, as_of, Scope(), horizon_days)
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
    """流失风险汇总: the churn-risk report's units (its details), as a report of their own."""
    return Report("churn_risk_units", report.period, report.scope, report.details["units"])
