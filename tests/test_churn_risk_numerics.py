"""Churn risk (SPEC 5.11) numerics: the analytic gradient of the BG/NBD log-likelihood that
the fit hands to L-BFGS-B, against central finite differences, member by member."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import reference_churn_risk as ref
from memberkit.reports import churn_risk as cr

CALIBRATION_END = date(1997, 9, 30)
PAPER_LOG = np.log([0.243, 4.414, 0.793, 2.426])


@pytest.fixture(scope="module")
def cdnow_histories() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T in weeks of the 2,357 CDNOW customers, from the plain-Python reference."""
    summary = ref.summary(
        ref.purchase_days(ref.cdnow_rows(), None, CALIBRATION_END), CALIBRATION_END
    )
    x, t_x, T = (np.array(column, dtype=float) for column in zip(*summary.values(), strict=True))
    return x, t_x, T


def synthetic_histories() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every kind of history: no repeat, a purchase on the first day only, repeats up to 300,
    last purchase at E (t_x = T), long silence, very short and very long T."""
    rng = np.random.default_rng(11)
    T = np.concatenate([rng.uniform(0.1, 104, 400), [0.0, 1 / 7, 500.0, 52.0, 52.0]])
    x = np.concatenate([rng.integers(0, 30, 400), [0, 0, 300, 1, 120]]).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, len(T)), 0.0)
    t_x[-2:] = T[-2:]
    return x, t_x, T


# the paper's optimum, the fit's starting point, and far from both on every side
POINTS = [
    PAPER_LOG,
    np.zeros(4),
    np.log([5.0, 0.01, 20.0, 0.05]),
    np.log([0.01, 200.0, 0.02, 50.0]),
    np.log([50.0, 3.0, 1.5, 1.0]),
    np.array([-11.0, 11.0, 11.0, -11.0]),  # at the optimiser's bounds
]


def numeric_gradient(log_params: np.ndarray, x, t_x, T, step: float = 1e-4) -> np.ndarray:
    """Central differences of each member's log-likelihood in each log parameter."""
    columns = []
    for k in range(4):
        shift = np.zeros(4)
        shift[k] = step
        up = cr.log_likelihood(*np.exp(log_params + shift), x, t_x, T)
        down = cr.log_likelihood(*np.exp(log_params - shift), x, t_x, T)
        columns.append((up - down) / (2 * step))
    return np.stack(columns)


@pytest.mark.parametrize("point", range(len(POINTS)))
@pytest.mark.parametrize("data", ["cdnow", "synthetic"])
def test_gradient_matches_finite_differences(point, data, cdnow_histories) -> None:
    x, t_x, T = cdnow_histories if data == "cdnow" else synthetic_histories()
    log_params = POINTS[point]
    value, gradient = cr.log_likelihood_gradient(*np.exp(log_params), x, t_x, T)
    assert np.array_equal(value, cr.log_likelihood(*np.exp(log_params), x, t_x, T))
    assert gradient.shape == (4, len(x)) and np.all(np.isfinite(gradient))
    numeric = numeric_gradient(log_params, x, t_x, T)
    # per member: a wrong branch weight shows in some member even if the sums agree
    scale = np.maximum(1.0, np.abs(numeric))
    assert np.max(np.abs(gradient - numeric) / scale) < 1e-5
    # and the objective the fit minimises
    assert gradient.sum(axis=1) == pytest.approx(numeric.sum(axis=1), rel=1e-5, abs=1e-6)


def test_gradient_vanishes_at_the_fitted_optimum(cdnow_histories) -> None:
    x, t_x, T = cdnow_histories
    fit = cr.fit_bgnbd(x, t_x, T)
    _, gradient = cr.log_likelihood_gradient(fit.r, fit.alpha, fit.a, fit.b, x, t_x, T)
    assert np.all(np.abs(gradient.sum(axis=1)) / len(x) < 1e-6)
    # and not at the paper's rounded parameters: the check could fail
    _, at_paper = cr.log_likelihood_gradient(*np.exp(PAPER_LOG), x, t_x, T)
    assert np.max(np.abs(at_paper.sum(axis=1))) / len(x) > 1e-5


def test_gradient_of_a_member_without_repeat_by_hand() -> None:
    """x = 0: no drop-out before a repeat purchase, so L = (α/(α+T))^r and the gradient is
    (r ln(α/(α+T)), r T/(α+T), 0, 0); the second branch's weight is exactly 0."""
    r, alpha, a, b, T = 0.5, 3.0, 0.8, 2.5, 20.0
    value, gradient = cr.log_likelihood_gradient(r, alpha, a, b, [0.0], [0.0], [T])
    assert value[0] == pytest.approx(r * np.log(alpha / (alpha + T)))
    assert gradient[:, 0] == pytest.approx(
        [r * np.log(alpha / (alpha + T)), r * T / (alpha + T), 0.0, 0.0], abs=1e-15
    )


def test_distinct_histories_weigh_every_member_once() -> None:
    x, t_x, T = synthetic_histories()
    x, t_x, T = (np.concatenate([v, v[:50], v[:7]]) for v in (x, t_x, T))  # shared triples
    ux, ut_x, uT, weights = cr._distinct_histories(x, t_x, T)
    expected, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    assert np.array_equal(np.column_stack([ux, ut_x, uT]), expected)
    assert np.array_equal(weights, counts) and weights.sum() == len(x)


def test_report_rows_order_ties_by_member_id_and_unknown_last() -> None:
    """Highest value at risk first; equal values (every member without a repeat has 0) in
    member id order, as member_histories hands them over; unknown (no paid ticket) last."""
    ids = np.array([f"M{i}" for i in range(7)], dtype=object)
    data = {"unit": np.array(["ALL"] * 7, dtype=object), "member_id": ids, "store_id": ids}
    at_risk = np.array([0.0, 5.125, np.nan, 0.0, 7.0, 5.125, np.nan])
    figures = {name: np.arange(7.0) for name in ("x", "t_x", "T", "p_alive", "expected_purchases")}
    figures["value_at_risk"] = at_risk
    rows = cr.report_rows(data, figures, np.array([0, 1, 2, 3, 4, 5, 6]))
    assert [r["member_id"] for r in rows] == ["M4", "M1", "M5", "M0", "M3", "M2", "M6"]
    assert [r["value_at_risk"] for r in rows] == [7.0, 5.12, 5.12, 0.0, 0.0, None, None]
    assert rows[0] == {
        "scope": "ALL",
        "member_id": "M4",
        "store_id": "M4",
        "x": 4,
        "t_x": 4.0,
        "T": 4.0,
        "p_alive": 4.0,
        "expected_purchases": 4.0,
        "value_at_risk": 7.0,
    }
    # only the members asked for (the scope's), in the same order
    assert [r["member_id"] for r in cr.report_rows(data, figures, np.array([0, 2, 5]))] == [
        "M5",
        "M0",
        "M2",
    ]
