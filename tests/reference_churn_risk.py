"""Plain-Python references for the churn-risk model (SPEC 5.11), written from the paper's
formulas (Fader, Hardie & Lee 2005) independently of memberkit.reports.churn_risk: no numpy,
no scipy, the hypergeometric function as its series, in the paper's own (untransformed) form.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

CDNOW = Path(__file__).parent / "data" / "cdnow"


def cdnow_rows() -> list[tuple[str, str, date, int, str]]:
    """(customer id, sample id, date, CDs, dollars as text) per line of the sample."""
    rows = []
    for line in (CDNOW / "CDNOW_sample.txt").read_text().splitlines():
        customer, sample, day, cds, dollars = line.split()
        rows.append((customer, sample, datetime.strptime(day, "%Y%m%d").date(), int(cds), dollars))
    return rows


def purchase_days(rows, start: date | None, end: date) -> dict[str, set[date]]:
    """Each customer's distinct purchase days in [start, end] (CDNOW: every record is one)."""
    days: dict[str, set[date]] = defaultdict(set)
    for customer, _, day, _, _ in rows:
        if (start is None or day >= start) and day <= end:
            days[customer].add(day)
    return days


def summary(days: dict[str, set[date]], end: date) -> dict[str, tuple[int, float, float]]:
    """x, t_x, T in weeks: repeat days, first to last day, first day to `end`."""
    return {
        c: (len(d) - 1, (max(d) - min(d)).days / 7, (end - min(d)).days / 7)
        for c, d in days.items()
    }


def hyp2f1_series(a: float, b: float, c: float, z: float) -> float:
    """Gauss's series sum_k (a)_k (b)_k / (c)_k z^k / k!, for 0 <= z < 1."""
    term, total, k = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
        assert k < 100_000, "series did not converge"
    return total


def log_beta(p: float, q: float) -> float:
    return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)


def likelihood(r, alpha, a, b, x, t_x, T) -> float:
    """FHL 2005 eq. 6: L = B(a,b+x)/B(a,b) Γ(r+x)α^r/(Γ(r)(α+T)^(r+x))
    + δ(x>0) B(a+1,b+x-1)/B(a,b) Γ(r+x)α^r/(Γ(r)(α+t_x)^(r+x))."""
    gamma_part = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    first = math.exp(
        log_beta(a, b + x) - log_beta(a, b) + gamma_part - (r + x) * math.log(alpha + T)
    )
    if x == 0:
        return first
    second = math.exp(
        log_beta(a + 1, b + x - 1) - log_beta(a, b) + gamma_part - (r + x) * math.log(alpha + t_x)
    )
    return first + second


def p_alive(r, alpha, a, b, x, t_x, T) -> float:
    """FHL 2005 eq. 11 (as in their note): 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))."""
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def expected_purchases(r, alpha, a, b, x, t_x, T, t) -> float:
    """FHL 2005 eq. 10, the paper's form: numerator over (1 + δ(x>0) a/(b+x-1) ...)."""
    z = t / (alpha + T + t)
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T) / (alpha + T + t)) ** (r + x)
            * hyp2f1_series(r + x, b + x, a + b + x - 1, z)
        )
    )
    return numerator * p_alive(r, alpha, a, b, x, t_x, T)


def expected_repeat_purchases(r, alpha, a, b, t) -> float:
    """FHL 2005 eq. 7: E[X(t)] = (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]."""
    return (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1_series(r, b, a + b - 1, t / (alpha + t)))
    )
