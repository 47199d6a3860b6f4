"""churn-risk takes its E like every analysis (SPEC 5.11): the end of --month/--year, by
default the last complete month, or the day --as-of; it says in words when E is past the
data's last ticket or the fit is doubtful, never with a library's warning; --by gives the
CSV one row per unit and ALL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

import memberkit
from conftest import run_cli
from memberkit.reports.bgnbd import library_warnings

# the sample chain's tickets run to this day (memberkit sample-data --end-month 2026-10)
LAST_TICKET = date(2026, 10, 31)


def risk_json(db_file, *args: str) -> tuple[dict, str]:
    result = run_cli("--db", db_file, "churn-risk", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize(
    ("period", "end"), [(("--month", "2026-09"), "2026-09-30"), (("--year", "2025"), "2025-12-31")]
)
def test_a_month_or_a_year_is_its_last_day(sample_chain, period, end):
    """E of --month/--year is the period's last day: the same fit and rows as --as-of that
    day; the JSON names the period as every analysis does."""
    _, db_file = sample_chain
    by_period, _ = risk_json(db_file, *period, "--by", "region")
    by_day, _ = risk_json(db_file, "--as-of", end, "--by", "region")
    assert by_period["period"] == period[1] and by_day["period"] == end
    assert by_period["model"] == by_day["model"]
    assert by_period["rows"] == by_day["rows"] and by_period["units"] == by_day["units"]


def test_the_default_is_the_last_complete_month(sample_chain):
    _, db_file = sample_chain
    with memberkit.open(db_file) as db:
        default = db.report("churn-risk", today=date(2026, 11, 20))
        october = db.report("churn-risk", as_of="2026-10-31")
    assert default.period == "2026-10"
    assert default.report.model == october.report.model and default.rows == october.rows
    result = run_cli("--db", db_file, "churn-risk", "--format", "json")
    last_month = date.today().replace(day=1) - timedelta(days=1)
    if result.exit_code == 0:  # unless today's last month lies before the sample's tickets
        assert json.loads(result.stdout)["period"] == f"{last_month:%Y-%m}"


def test_as_of_and_a_period_exclude_each_other(sample_chain):
    _, db_file = sample_chain
    both = run_cli("--db", db_file, "churn-risk", "--month", "2026-10", "--as-of", "2026-10-31")
    assert both.exit_code == 2 and "--as-of" in both.stderr
    with memberkit.open(db_file) as db, pytest.raises(memberkit.MemberkitError) as caught:
        db.report("churn-risk", year=2025, as_of="2025-12-31")
    assert caught.value.exit_code == 2 and "not both" in str(caught.value)


def test_e_past_the_last_ticket_is_said_in_words(sample_chain):
    _, db_file = sample_chain
    _, within = risk_json(db_file, "--month", "2026-10")
    assert "after the last ticket" not in within
    _, past = risk_json(db_file, "--month", "2026-11")
    days = (date(2026, 11, 30) - LAST_TICKET).days
    assert f"E (2026-11-30) is {days} days after the last ticket ({LAST_TICKET})" in past
    _, one_day = risk_json(db_file, "--as-of", "2026-11-01")
    assert "is 1 day after the last ticket" in one_day
    with memberkit.open(db_file) as db:  # the API has the same note
        notes = db.report("churn-risk", month="2026-11").report.notes
    assert any("after the last ticket" in note for note in notes)


# A genuine numpy RuntimeWarning during the fit, wherever the user's numpy would give one,
# and the command run in a process of its own: Python's own warning display is on there (the
# test runner's capture is not).
NOISY_FIT = """
import sys
import numpy as np
from memberkit.reports import bgnbd

fit = bgnbd.minimize

def noisy(*args, **kwargs):
    np.exp(np.array([1000.0]))  # overflow encountered in exp
    np.log(np.array([0.0]))  # divide by zero encountered in log
    return fit(*args, **kwargs)

bgnbd.minimize = noisy
sys.argv = ["memberkit", *sys.argv[1:]]
from memberkit.cli import main
main()
"""


def test_library_warnings_never_reach_the_screen(sample_chain):
    """A month past the data fits a degenerate model (b at the edge of the search, as the
    issue found: a = 1081.9, b = 162,754.8): stderr says so in words, without numpy's
    RuntimeWarning or a source path; the figures are written as usual."""
    _, db_file = sample_chain
    args = ["--db", str(db_file), "churn-risk", "--month", "2026-11", "--format", "csv"]
    done = subprocess.run(
        [sys.executable, "-c", NOISY_FIT, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and ".py" not in done.stderr, done.stderr
    assert "after the last ticket" in done.stderr
    assert "stopped at the edge of the search" in done.stderr
    # the warnings that mattered (the fit is doubtful) are named in words
    assert "numerical warnings during the fit: overflow encountered in exp" in done.stderr
    assert done.stdout.startswith("member_id,")


def test_library_warnings_are_collected_not_shown(recwarn):
    with library_warnings() as caught:
        np.exp(np.array([1000.0]))
        np.exp(np.array([2000.0]))  # the same message once
    assert caught == ["overflow encountered in exp"]
    assert len(recwarn) == 0


def test_a_fit_inside_the_data_has_no_note(sample_chain):
    _, db_file = sample_chain
    with memberkit.open(db_file) as db:
        result = db.report("churn-risk", month="2026-10")
    assert result.report.notes == []


def test_by_gives_the_csv_one_row_per_unit(sample_chain):
    """Found: `--by store --format csv` printed the member list, the same as without --by
    (CSV rows carry no scope). --by means one row per unit and ALL (SPEC 4): the CSV now
    holds the units, as the JSON's "units" and the second table have them; the member list
    is the CSV without --by."""
    _, db_file = sample_chain
    args = ("--db", db_file, "churn-risk", "--month", "2026-10")
    members = run_cli(*args, "--format", "csv").stdout
    assert members.startswith("member_id,store_id,")
    for by in ("store", "region"):
        doc, _ = risk_json(db_file, "--month", "2026-10", "--by", by)
        text = run_cli(*args, "--by", by, "--format", "csv").stdout
        assert text != members
        units = list(csv.DictReader(io.StringIO(text)))
        assert [u["scope"] for u in units] == [u["scope"] for u in doc["units"]]
        assert units[-1]["scope"] == "ALL" and len(units) > 2
        for got, want in zip(units, doc["units"], strict=True):
            assert int(got["members"]) == want["members"]
            assert float(got["expected_active"]) == pytest.approx(want["expected_active"])
            assert got["value_at_risk"] == f"{want['value_at_risk']:.2f}"
        # the units add up to the member list's figures
        rows = list(csv.DictReader(io.StringIO(members)))
        assert int(units[-1]["members"]) == len(rows)
        total = sum(float(r["value_at_risk"]) for r in rows if r["value_at_risk"])
        assert float(units[-1]["value_at_risk"]) == pytest.approx(total, abs=0.01 * len(rows))


def test_the_risk_column_of_the_churn_list_says_the_same(sample_chain):
    """`churn --list --risk` fits the same model at its E: the same notes on stderr."""
    _, db_file = sample_chain
    args = ("--db", db_file, "churn", "--list", "--risk", "--format", "csv")
    past = run_cli(*args, "--month", "2026-11")
    assert past.exit_code == 0, past.output
    assert "E (2026-11-30) is 30 days after the last ticket" in past.stderr
    assert "Warning" not in past.stderr
    within = run_cli(*args, "--month", "2026-10")
    assert within.exit_code == 0 and "after the last ticket" not in within.stderr
