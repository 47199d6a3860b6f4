"""Churn risk (SPEC 5.11): the BG/NBD model checked against its paper on the CDNOW sample
(Fader, Hardie & Lee 2005) loaded through `memberkit load`, against the paper's closed forms
written out independently (tests/reference_churn_risk.py), and on small ticket-level cases."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from scipy.special import hyp2f1

import reference_churn_risk as ref
from conftest import run_cli
from memberkit import db
from memberkit.errors import InputRejected
from memberkit.periods import Scope
from memberkit.reports import churn_risk as cr
from memberkit.reports import prepare_connection

CALIBRATION_END = date(1997, 9, 30)  # the paper's 39 weeks: 1997-01-01 .. 1997-09-30
HOLDOUT_END = date(1998, 6, 30)  # the following 39 weeks
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_LOG_LIKELIHOOD = -9582.4


def load_cdnow(folder: Path) -> Path:
    """CDNOW as memberkit files, loaded with `memberkit load`: one ticket per record (txn_id
    the line number, one store, the amount and CD count as given), members joining on their
    first purchase day."""
    rows = ref.cdnow_rows()
    first_day: dict[str, date] = {}
    tickets = ["txn_id,store_id,txn_time,member_id,amount,item_qty"]
    for line, (customer, _, day, cds, dollars) in enumerate(rows, start=1):
        first_day[customer] = min(day, first_day.get(customer, day))
        tickets.append(f"L{line},CD1,{day:%Y%m%d},{customer},{dollars},{cds}")
    members = ["member_id,store_id,join_date"]
    members += [f"{c},CD1,{d:%Y-%m-%d}" for c, d in sorted(first_day.items())]
    files = {
        "stores": ["store_id,store_name,region", "CD1,CDNOW,online"],
        "members": members,
        "transactions": tickets,
    }
    db_file = folder / "cdnow.duckdb"
    for kind, lines in files.items():
        path = folder / f"{kind}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run_cli("--db", db_file, "load", kind, path)
        assert result.exit_code == 0, result.output
    return db_file


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    connection = db.connect(load_cdnow(tmp_path_factory.mktemp("cdnow")), read_only=True)
    prepare_connection(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    data = cr.member_histories(cdnow, CALIBRATION_END, Scope())
    x = data["x"].astype(float)
    t_x, T = data["t_x_days"] / 7.0, data["t_days"] / 7.0
    return data, cr.fit_bgnbd(x, t_x, T)


def test_cdnow_histories_match_lifetimes_summary(cdnow) -> None:
    """memberkit's x, t_x, T from the loaded tickets equal lifetimes' published summary
    (T = 38.86 weeks for a first purchase on 1997-01-01: 272 days to 1997-09-30)."""
    data = cr.member_histories(cdnow, CALIBRATION_END, Scope())
    sample_of = {customer: sample for customer, sample, *_ in ref.cdnow_rows()}
    ours = {
        int(sample_of[m]): (int(x), round(t / 7, 2), round(big_t / 7, 2))
        for m, x, t, big_t in zip(
            data["member_id"], data["x"], data["t_x_days"], data["t_days"], strict=True
        )
    }
    with (ref.CDNOW / "cdnow_customers_summary.csv").open() as f:
        theirs = {
            int(r["ID"]): (int(r["frequency"]), float(r["recency"]), float(r["T"]))
            for r in csv.DictReader(f)
        }
    assert len(ours) == 2357
    assert ours == theirs
    assert theirs[1][2] == 38.86


def test_cdnow_reproduces_the_paper(cdnow_fit) -> None:
    data, fit = cdnow_fit
    for name, expected in PAPER.items():
        assert getattr(fit, name) == pytest.approx(expected, rel=0.01), name
    assert abs(fit.log_likelihood - PAPER_LOG_LIKELIHOOD) < 0.5
    assert fit.members == 2357 and fit.repeaters == 946
    # the module's vectorised log-likelihood at the optimum is the sum of the paper's eq. 6
    x, t_x, T = data["x"], data["t_x_days"] / 7, data["t_days"] / 7
    by_hand = sum(
        math.log(ref.likelihood(fit.r, fit.alpha, fit.a, fit.b, int(xi), ti, Ti))
        for xi, ti, Ti in zip(x, t_x, T, strict=True)
    )
    assert fit.log_likelihood == pytest.approx(by_hand, abs=1e-6)


def test_cdnow_per_member_figures_match_the_closed_forms(cdnow_fit) -> None:
    data, fit = cdnow_fit
    x = data["x"].astype(float)
    t_x, T = data["t_x_days"] / 7.0, data["t_days"] / 7.0
    weeks = 90 / 7
    alive = cr.p_alive(fit, x, t_x, T)
    expected = cr.expected_purchases(fit, x, t_x, T, weeks)
    # members of every kind: no repeat, a few, the most frequent, long silent, recent
    picks = {int(np.argmax(x)), int(np.argmin(t_x + (x == 0) * 1e9))}
    for wanted in (0, 1, 2, 5, 10):
        picks.add(int(np.flatnonzero(x == wanted)[0]))
    picks.add(int(np.argmax(np.where(x > 0, T - t_x, -1))))  # longest silence after repeats
    assert len(picks) >= 7
    for i in picks:
        args = (fit.r, fit.alpha, fit.a, fit.b, int(x[i]), float(t_x[i]), float(T[i]))
        assert alive[i] == pytest.approx(ref.p_alive(*args), rel=1e-10), i
        assert expected[i] == pytest.approx(ref.expected_purchases(*args, weeks), rel=1e-9), i
    assert np.all(alive[x == 0] == 1.0)
    assert np.all((alive > 0) & (alive <= 1)) and np.all(expected > 0)


def test_published_parameters_by_hand() -> None:
    """With the paper's own parameters (not our fit), for customer 1 of the sample (x=2,
    t_x=30.43, T=38.86) and a frequent buyer, over 39 weeks and one year."""
    fit = cr.BgNbdFit(**PAPER, log_likelihood=0.0, members=0, repeaters=0, seconds=0.0)
    for x, t_x, T in ((2, 30.43, 38.86), (40, 38.0, 38.86), (3, 2.0, 32.0)):
        for weeks in (39.0, 52.0):
            args = (*PAPER.values(), x, t_x, T)
            got = cr.expected_purchases(fit, [x], [t_x], [T], weeks)[0]
            assert got == pytest.approx(ref.expected_purchases(*args, weeks), rel=1e-9)
            assert cr.p_alive(fit, [x], [t_x], [T])[0] == pytest.approx(ref.p_alive(*args))


def test_expected_purchases_stay_finite_when_a_and_b_are_large() -> None:
    """A fit with a nearly fixed drop-out probability (a 1,141, b 162,755, as a fit to an
    E past the data's end gave on the sample chain) made Euler's form 0 × inf: -inf and NaN
    reached the JSON. Each member's figure equals the paper's form summed by hand."""
    fit = cr.BgNbdFit(
        r=0.5, alpha=5.0, a=1141.0, b=162755.0, log_likelihood=0.0, members=0, repeaters=0,
        seconds=0.0,
    )  # fmt: skip
    x = np.array([0, 1, 2, 5, 10, 40.0])
    t_x, T, weeks = np.array([0, 3, 10, 20, 30, 50.0]), np.array([5, 20, 30, 40, 50, 52.0]), 90 / 7
    with np.errstate(all="ignore"):  # the case the fallback is for: Euler's form fails
        euler = (1 - weeks / (5.0 + T + weeks)) ** 1140.0 * hyp2f1(
            1141.0 + 162755.0 - 1.5, 1140.0, 1141.0 + 162755.0 + x - 1.0, weeks / (5.0 + T + weeks)
        )
    assert not np.all(np.isfinite(euler))
    got = cr.expected_purchases(fit, x, t_x, T, weeks)
    assert np.all(np.isfinite(got))
    for i in range(len(x)):
        by_hand = ref.expected_purchases(0.5, 5.0, 1141.0, 162755.0, int(x[i]), t_x[i], T[i], weeks)
        assert got[i] == pytest.approx(by_hand, rel=1e-9), i


def test_cdnow_holdout_forecast(cdnow_fit) -> None:
    """Fit on the first 39 weeks, forecast the next 39. Measured: the members' conditional
    expectations sum to 1,653.4 repeat purchase days against 1,882 made (-12.1%: the model
    under-forecasts the heaviest buyers, as the paper's conditional-expectation plot shows
    for x >= 7); the unconditional curve of the paper's tracking plot reaches 4,160 repeat
    purchases by week 78 against 4,339 (-4.1%)."""
    data, fit = cdnow_fit
    x = data["x"].astype(float)
    t_x, T = data["t_x_days"] / 7.0, data["t_days"] / 7.0
    weeks = (HOLDOUT_END - CALIBRATION_END).days / 7
    assert weeks == 39
    expected = cr.expected_purchases(fit, x, t_x, T, weeks)
    params = (fit.r, fit.alpha, fit.a, fit.b)
    by_hand = [
        ref.expected_purchases(*params, int(xi), ti, Ti, weeks)
        for xi, ti, Ti in zip(x, t_x, T, strict=True)
    ]
    assert expected == pytest.approx(by_hand, rel=1e-9)
    rows = ref.cdnow_rows()
    holdout = ref.purchase_days(rows, CALIBRATION_END + timedelta(days=1), HOLDOUT_END)
    actual = sum(len(days) for days in holdout.values())
    error = (expected.sum() - actual) / actual
    print(f"holdout: predicted {expected.sum():.1f}, actual {actual}, error {error:+.2%}")
    assert actual == 1882 and -0.15 < error < 0
    # the paper's tracking plot: E[X(t)] per customer from the first purchase to week 78
    cumulative = sum(
        ref.expected_repeat_purchases(*params, (HOLDOUT_END - first).days / 7)
        for first in (min(days) for days in ref.purchase_days(rows, None, CALIBRATION_END).values())
    )
    made = sum(len(days) - 1 for days in ref.purchase_days(rows, None, HOLDOUT_END).values())
    print(f"week 78: predicted {cumulative:.1f}, actual {made}")
    assert abs(cumulative - made) / made < 0.05


def test_cdnow_report_rows(cdnow, cdnow_fit) -> None:
    """The report: the scope's members, highest value at risk first, value at risk =
    (1 - p_alive) (r + x)/(α + T) × horizon weeks × net spend per ticket."""
    report = cr.churn_risk(cdnow, CALIBRATION_END, Scope(), horizon_days=90)
    _, fit = cdnow_fit
    assert report.model == fit.as_dict() | {"log_likelihood": fit.log_likelihood}
    assert len(report.rows) == 2357
    risks = [r["value_at_risk"] for r in report.rows if r["value_at_risk"] is not None]
    assert risks == sorted(risks, reverse=True)
    # the eight customers whose only record is a $0.00 purchase have no paid ticket: unknown
    assert [r["member_id"] for r in report.rows if r["value_at_risk"] is None] == sorted(
        c for c, _, _, _, dollars in ref.cdnow_rows() if dollars == "0.00"
    )
    spend: dict[str, list[float]] = {}
    for customer, _, day, _, dollars in ref.cdnow_rows():
        if day <= CALIBRATION_END and float(dollars) > 0:
            spend.setdefault(customer, []).append(float(dollars))
    params = (fit.r, fit.alpha, fit.a, fit.b)
    for row in report.rows[:3] + report.rows[1000:1003]:
        args = (*params, row["x"], row["t_x"], row["T"])
        average = sum(spend[row["member_id"]]) / len(spend[row["member_id"]])
        by_hand = (
            (1 - ref.p_alive(*args)) * (fit.r + row["x"]) / (fit.alpha + row["T"]) * 90 / 7
        ) * average
        assert row["value_at_risk"] == pytest.approx(by_hand, abs=0.005)
        assert row["scope"] == "ALL" and row["store_id"] == "CD1"
    expected_active = sum(r["p_alive"] for r in report.rows)
    assert report.units == [
        {
            "scope": "ALL",
            "members": 2357,
            "expected_active": pytest.approx(expected_active),
            "expected_active_share": pytest.approx(expected_active / 2357),
            "value_at_risk": pytest.approx(
                sum(r["value_at_risk"] for r in report.rows if r["value_at_risk"] is not None),
                abs=0.01 * len(report.rows),
            ),
        }
    ]


def small_chain(con, directory: Path, tickets: list[tuple]) -> None:
    """Members M1..M4 of store S1 (M4 of S2); tickets (member, time, amount, items, store)."""
    files = {
        "stores": ["store_id,store_name,region", "S1,一号店,华东", "S2,二号店,华南"],
        "members": ["member_id,store_id,join_date"]
        + [f"M{i},S{1 + (i == 4)},2025-01-01" for i in range(1, 5)],
        "transactions": ["txn_id,store_id,txn_time,member_id,amount,item_qty"]
        + [f"T{i},{t[4]},{t[1]},{t[0]},{t[2]},{t[3]}" for i, t in enumerate(tickets)],
    }
    for kind, lines in files.items():
        path = directory / f"{kind}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run_cli("--db", con, "load", kind, path)
        assert result.exit_code == 0, result.output


def test_purchase_days_from_tickets(tmp_path: Path) -> None:
    db_file = tmp_path / "small.duckdb"
    small_chain(
        db_file,
        tmp_path,
        [
            ("M1", "2026-01-05 10:00:00", "100.00", 2, "S1"),
            ("M1", "2026-01-05 18:30:00", "50.00", 1, "S2"),  # same day: one purchase
            ("M1", "2026-01-19 09:00:00", "30.00", 1, "S1"),
            ("M1", "2026-02-02 09:00:00", "-30.00", -1, "S1"),  # refund: no purchase day
            ("M1", "2026-03-01 09:00:00", "80.00", 1, "S1"),  # after E: ignored
            ("M2", "2026-01-10 12:00:00", "0.00", 1, "S1"),  # points redemption: a purchase
            ("M3", "2026-01-11 12:00:00", "-20.00", -1, "S1"),  # only a refund: no history
            ("M3", "2026-01-12 12:00:00", "0.00", 0, "S1"),  # nothing handed over: none
            ("M4", "2026-02-28 23:59:00", "10.00", 1, "S2"),  # on E itself
        ],
    )
    con = db.connect(db_file, read_only=True)
    prepare_connection(con)
    data = cr.member_histories(con, date(2026, 2, 28), Scope(store="S1"))
    got = {
        m: (int(x), int(t), int(big_t), None if math.isnan(a) else a, u)
        for m, x, t, big_t, a, u in zip(
            data["member_id"],
            data["x"],
            data["t_x_days"],
            data["t_days"],
            data["avg_ticket_amount"],
            data["unit"],
            strict=True,
        )
    }
    assert got == {
        "M1": (1, 14, 54, pytest.approx((100 + 50 + 30 - 30) / 3), "S1"),
        "M2": (0, 0, 49, None, "S1"),
        "M4": (0, 0, 0, pytest.approx(10.0), None),  # fitted on, but outside the scope
    }
    # too few repeat buyers to fit: a clear refusal (exit 3), not a meaningless fit
    with pytest.raises(InputRejected, match="too few members with a repeat purchase"):
        cr.churn_risk(con, date(2026, 2, 28), Scope())
    con.close()


def test_churn_risk_command(tmp_path: Path) -> None:
    db_file = load_cdnow(tmp_path)
    args = ("--db", db_file, "churn-risk", "--as-of", "1997-09-30")
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["report"] == "churn-risk" and doc["period"] == "1997-09-30"
    assert set(doc["model"]) == {"r", "alpha", "a", "b", "log_likelihood", "members"}
    assert abs(doc["model"]["log_likelihood"] - PAPER_LOG_LIKELIHOOD) < 0.5
    assert list(doc["rows"][0]) == [
        "scope", "member_id", "store_id", "x", "t_x", "T",
        "p_alive", "expected_purchases", "value_at_risk",
    ]  # fmt: skip
    assert len(doc["rows"]) == 2357
    assert "units" not in doc  # only --by adds the units
    table = run_cli(*args, "--lang", "en", "--by", "store")
    assert table.exit_code == 0 and "Value at risk" in table.stdout
    assert "r 0.2426" in table.stderr
    assert "Churn risk by unit" in table.stdout and "Expected active" in table.stdout
    by_store = json.loads(run_cli(*args, "--by", "store", "--format", "json").stdout)
    expected_active = sum(r["p_alive"] for r in by_store["rows"])
    assert [u["scope"] for u in by_store["units"]] == ["CD1", "ALL"]
    for unit in by_store["units"]:
        assert unit["members"] == 2357
        assert unit["expected_active"] == pytest.approx(expected_active)
    book = tmp_path / "risk.xlsx"
    written = run_cli(*args, "--format", "xlsx", "--output", book)
    assert written.exit_code == 0, written.output
    sheets = openpyxl.load_workbook(book)
    assert sheets.sheetnames == ["流失风险", "流失风险名单"]
    values = [r for r in sheets["流失风险名单"].iter_rows(values_only=True) if r[0]]
    assert len(values) == 2357 + 3  # title, subtitle, header
    thin = run_cli("--db", db_file, "churn-risk", "--as-of", "1997-01-20")
    assert thin.exit_code == 3 and "too few members with a repeat purchase" in thin.stderr
    assert run_cli(*args, "--as-of", "30/09/1997").exit_code == 2


def test_churn_list_ordered_by_value_at_risk(tmp_path: Path) -> None:
    """`churn --list --risk`: the same lapsed members as `churn --list`, each with the model's
    p_alive and value at risk as `churn-risk` gives them at E, highest value at risk first."""
    db_file = load_cdnow(tmp_path)
    args = ("--db", db_file, "churn", "--month", "1997-09", "--list", "--format", "json")
    plain = json.loads(run_cli(*args).stdout)["rows"]
    result = run_cli(*args, "--risk")
    assert result.exit_code == 0, result.output
    ranked = json.loads(result.stdout)["rows"]
    model = json.loads(
        run_cli("--db", db_file, "churn-risk", "--as-of", "1997-09-30", "--format", "json").stdout
    )
    fitted = {r["member_id"]: r for r in model["rows"]}
    assert len(plain) > 100
    assert sorted(r["member_id"] for r in ranked) == sorted(r["member_id"] for r in plain)
    for row in ranked:
        assert row["p_alive"] == pytest.approx(fitted[row["member_id"]]["p_alive"])
        assert row["value_at_risk"] == fitted[row["member_id"]]["value_at_risk"]
    at_risk = [r["value_at_risk"] for r in ranked]
    assert at_risk == sorted(at_risk, reverse=True) and at_risk[0] > at_risk[-1]
    # equal values keep the list's own order (spend_365d, highest first)
    position = {r["member_id"]: i for i, r in enumerate(plain)}
    for before, after in zip(ranked, ranked[1:], strict=False):
        if before["value_at_risk"] == after["value_at_risk"]:
            assert position[before["member_id"]] < position[after["member_id"]]
    assert run_cli("--db", db_file, "churn", "--month", "1997-09", "--risk").exit_code == 2


def test_histories_read_a_month_a_pass_are_the_same(cdnow, monkeypatch) -> None:
    """A history longer than the month masks held at once is read in passes, a span of
    months each: the same figures as in one pass."""
    from memberkit.reports import risk_histories

    whole = cr.member_histories(cdnow, HOLDOUT_END, Scope())
    monkeypatch.setattr(risk_histories, "_CELLS", 1)  # one month a pass
    passes = cr.member_histories(cdnow, HOLDOUT_END, Scope())
    assert len(whole["x"]) == 2357
    for name, values in whole.items():
        assert np.array_equal(values, passes[name], equal_nan=values.dtype.kind == "f"), name
