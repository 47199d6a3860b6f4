"""The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way":
its likelihood, the maximum-likelihood fit, P(alive) and the expected purchases.

Time is in weeks. Per member: x repeat purchase days, t_x weeks from the first to the last
purchase day, T weeks from the first purchase day to E. Everything here works on numpy
arrays, and the likelihood on the distinct (x, t_x, T) triples weighted by how many members
share them (days are whole: a million simulated members have about 320,000 triples), with
its analytic gradient.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from memberkit.errors import InputRejected, option

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
    notes: tuple[str, ...] = ()  # what makes the fit doubtful, in words

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
            hint=f"choose a later {option('as_of')} or load more ticket history",
        )
    ux, ut_x, uT, weights = _distinct_histories(x, t_x, T)
    total = weights.sum()

    def mean_negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(log_params)
        value, gradient = log_likelihood_gradient(r, alpha, a, b, ux, ut_x, uT)
        return -float(weights @ value) / total, -(gradient @ weights) / total

    started = time.perf_counter()
    with library_warnings() as caught:
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
        notes=_fit_notes(result, caught),
    )


@contextmanager
def library_warnings() -> Iterator[list[str]]:
    """Keep numpy's and scipy's warnings (an overflow while the optimiser tries a far step)
    off the user's screen: their messages are collected, without the source paths, for the
    caller to judge."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        messages: list[str] = []
        yield messages
    messages.extend(dict.fromkeys(str(w.message) for w in caught))


def _fit_notes(result, caught: list[str]) -> tuple[str, ...]:
    """What makes a fit doubtful, in words: a parameter at the edge of the search (the
    histories do not determine it: E well past the last ticket does this), or no
    convergence. Warnings on the way matter only then: the optimiser recovers from a step
    too far, and a converged fit inside the bounds is as good without them."""
    notes = []
    edge = [
        name
        for name, value in zip(("r", "alpha", "a", "b"), result.x, strict=True)
        if abs(value) >= _LOG_BOUND - 1e-6
    ]
    if edge:
        notes.append(
            f"the model's {', '.join(edge)} stopped at the edge of the search "
            f"(e^±{_LOG_BOUND:.0f}): these purchase histories do not determine "
            f"{'it' if len(edge) == 1 else 'them'}, so p_alive and value at risk are rough"
        )
    if not result.success:
        reason = str(result.message).rstrip(": ")
        notes.append(f"the model's fit stopped before it converged (optimiser: {reason})")
    if notes and caught:
        notes.append(f"numerical warnings during the fit: {'; '.join(caught)}")
    return tuple(notes)


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
