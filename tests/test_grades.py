"""grades and grades --migration (SPEC 5.10) against tests/reference_members.py on generated
chains (test_new_members' messy chains), edges hit exactly, the migration's new and left
members, a leap-day period end, and the command end to end."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference as ref
import reference_members as refm
from conftest import run_cli
from memberkit.periods import Scope, month, year
from memberkit.reports import members as mk
from test_analyses_reference import SETTINGS, assert_rows
from test_new_members import (
    STORES,
    each_member_report,
    label,
    load_files,
    member,
    member_chains,
    on_database,
    ticket,
)

GRADE_EDGES = ((500, 2000, 5000), (0, 250, 1000), (100.5, 300, 2000))


@pytest.mark.slow
@SETTINGS
@given(chain=member_chains(), choices=st.data())
def test_grades_match_reference(chain, choices) -> None:
    data, focus = chain
    edges = choices.draw(st.sampled_from(GRADE_EDGES))
    for con, period, scope in each_member_report(data, focus, choices):
        report = mk.grades(con, period, scope, edges)
        expected = refm.grades(data, period, scope, edges)
        assert_rows(report.rows, expected, label("grades", period, scope) + f" {edges}")


@pytest.mark.slow
@SETTINGS
@given(chain=member_chains(), choices=st.data())
def test_grade_migration_matches_reference(chain, choices) -> None:
    data, focus = chain
    edges = choices.draw(st.sampled_from(GRADE_EDGES))
    for con, period, scope in each_member_report(data, focus, choices):
        report = mk.grade_migration(con, period, scope, edges)
        expected = refm.grade_migration(data, period, scope, edges)
        where = label("grade_migration", period, scope) + f" {edges}"
        assert [(r["scope"], r["grade_year_ago"]) for r in report.rows] == [
            (r["scope"], r["grade_year_ago"]) for r in expected
        ], where
        assert report.rows == expected, where


def test_edges_hit_exactly_go_up() -> None:
    spends = {
        "M1": "499.99",  # D
        "M2": "500.00",  # C
        "M3": "1999.99",  # C
        "M4": "2000.00",  # B
        "M5": "4999.99",  # B
        "M6": "5000.00",  # A
        "M7": "-20.00",  # a refund of an older sale: D
        "M8": "0.00",  # D
    }
    members = [member(m, join_date=date(2024, 1, 1)) for m in [*spends, "M9"]]  # M9: nothing
    txns = [
        ticket(i, m, datetime(2026, 3, 31, 23, 59, 59), amount)
        for i, (m, amount) in enumerate(spends.items())
    ]
    # a sale 365 days before E is outside [E - 364, E]; one 364 days before is inside
    txns.append(ticket(90, "M9", datetime(2025, 3, 31, 12), "9000.00"))
    txns.append(ticket(91, "M8", datetime(2025, 4, 1), "100.00"))
    txns.append(ticket(92, "M8", datetime(2026, 3, 1), "-100.00", "S2"))
    data = ref.Data(stores=STORES, members=members, transactions=txns)
    expected = refm.grades(data, month(2026, 3), Scope())
    (row,) = expected
    assert [(g["label"], g["members"]) for g in row["grades"]] == [
        ("A", 1),
        ("B", 2),
        ("C", 2),
        ("D", 4),
    ]
    assert row["spend_365d"] == Decimal("14979.97")
    report = on_database(data, lambda con: mk.grades(con, month(2026, 3), Scope()))
    assert_rows(report.rows, expected, "grade edges")
    d = report.rows[0]["grades"][3]
    assert (d["lower"], d["upper"], d["spend"]) == (None, 500, Decimal("479.99"))


def test_spend_share_is_null_when_the_unit_spent_nothing() -> None:
    data = ref.Data(stores=STORES, members=[member("M1", join_date=date(2024, 1, 1))])
    report = on_database(data, lambda con: mk.grades(con, month(2026, 3), Scope(by="store")))
    assert_rows(report.rows, refm.grades(data, month(2026, 3), Scope(by="store")), "no spend")
    s2 = report.rows[1]
    assert s2["scope"] == "S2" and s2["members"] == 0
    assert all(g["share"] is None and g["spend_share"] is None for g in s2["grades"])


def test_migration_new_left_and_a_leap_day_end() -> None:
    """February 2024 ends on the 29th: now = [2023-03-02, 2024-02-29]; a year earlier the
    period is February 2023, ending on the 28th: then = [2022-03-01, 2023-02-28]."""
    members = [
        # on file both times: A then (5000 on 1 March 2022), C now (600 on 2 March 2023)
        member("M1", join_date=date(2020, 1, 1)),
        # D then: a sale on 28 February 2022 is a day before the year-earlier window
        member("M2", join_date=date(2020, 1, 1)),
        # joined after February 2023: new; B now
        member("M3", join_date=date(2023, 3, 1)),
        # on file then, expired in 2023 before February 2024: left (was A)
        member("M4", join_date=date(2020, 1, 1), expiry_date=date(2023, 12, 31)),
        # expired before February 2023 and never back: in neither period
        member("M5", join_date=date(2020, 1, 1), expiry_date=date(2023, 1, 31)),
        # joined on the leap day itself: new, D now; counted under its current store S2
        member("M6", join_date=date(2024, 2, 29), store_id="S2"),
    ]
    txns = [
        ticket(1, "M1", datetime(2022, 3, 1), "5000.00"),
        ticket(2, "M1", datetime(2023, 3, 2), "600.00"),
        ticket(3, "M1", datetime(2023, 3, 1, 23, 59, 59), "9000.00"),  # in neither window now
        ticket(4, "M2", datetime(2022, 2, 28, 23, 59, 59), "5000.00"),
        ticket(5, "M3", datetime(2024, 2, 29, 23, 59, 59), "2000.00"),
        ticket(6, "M4", datetime(2022, 6, 1), "5000.00"),
    ]
    data = ref.Data(stores=STORES, members=members, transactions=txns)
    period = month(2024, 2)
    assert period.end == date(2024, 2, 29) and period.years_back(1).end == date(2023, 2, 28)
    expected = refm.grade_migration(data, period, Scope(by="store"))
    cells = {
        (r["scope"], r["grade_year_ago"]): {k: r[k] for k in ("A", "B", "C", "D", "left")}
        for r in expected
    }
    assert cells[("ALL", "A")] == {"A": 0, "B": 0, "C": 1, "D": 0, "left": 1}
    assert cells[("ALL", "D")] == {"A": 0, "B": 0, "C": 0, "D": 1, "left": 0}
    assert cells[("ALL", "new")] == {"A": 0, "B": 1, "C": 0, "D": 1, "left": 0}
    assert cells[("S2", "new")]["D"] == 1
    assert sum(r["total"] for r in expected if r["scope"] == "ALL") == 5  # M5 in neither
    report = on_database(data, lambda con: mk.grade_migration(con, period, Scope(by="store")))
    assert report.rows == expected


def test_grades_want_three_ascending_edges() -> None:
    for edges in ((500, 2000), (500, 2000, 5000, 9000), (2000, 500, 5000)):
        with pytest.raises(ValueError):
            on_database(ref.Data(), lambda con, e=edges: mk.grades(con, year(2026), Scope(), e))


# --- the command ---------------------------------------------------------------------------------

STORES_CSV = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\n"
MEMBERS_CSV = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2024-01-01,\n"
    "M2,王芳,女,,13900001111,S002,2026-10-03,\n"
    "M3,李娜,女,,13900002222,S002,2024-01-01,2026-01-31\n"
)
TICKETS_CSV = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S002,2026-10-05 10:00:00,M1,5000.00,2\n"
    "T2,S002,2026-10-06 10:00:00,M2,499.99,1\n"
    "T3,S001,2025-06-01 10:00:00,M3,2000.00,1\n"
)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    return load_files(tmp_path, STORES_CSV, MEMBERS_CSV, TICKETS_CSV)


def test_grades_every_format(loaded: Path, tmp_path: Path) -> None:
    args = ("grades", "--db", loaded, "--month", "2026-10", "--by", "store")
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    assert doc["report"] == "grades"
    total = doc["rows"][-1]
    assert (total["scope"], total["members"], total["spend_365d"]) == ("ALL", 2, 5499.99)
    assert total["grades"][0] == {
        "label": "A",
        "lower": 5000,
        "upper": None,
        "members": 1,
        "share": 0.5,
        "spend": 5000.0,
        "spend_share": 5000 / 5499.99,
    }
    assert '"spend": 499.99' in run_cli(*args, "--format", "json").stdout
    csv_lines = run_cli(*args, "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("scope,members,spend_365d,grade_A_members,grade_A_share")
    assert csv_lines[-1].startswith("ALL,2,5499.99,1,0.5,5000.00,")
    table = run_cli(*args, "--lang", "en")
    assert table.exit_code == 0 and "grade A" in table.stdout and "5,499.99" in table.stdout
    book = tmp_path / "grades.xlsx"
    assert run_cli(*args, "--format", "xlsx", "--output", book).exit_code == 0
    import zipfile

    with zipfile.ZipFile(book) as z:  # the grade mix chart
        assert any(name.startswith("xl/charts/chart") for name in z.namelist())


def test_migration_every_format(loaded: Path, tmp_path: Path) -> None:
    args = ("grades", "--db", loaded, "--month", "2026-10", "--migration")
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    assert doc["report"] == "grade-migration"
    by_row = {r["grade_year_ago"]: r for r in doc["rows"]}
    assert list(by_row) == ["A", "B", "C", "D", "new"]
    assert by_row["B"]["left"] == 1  # M3: 2000 a year earlier, expired in January
    assert by_row["D"]["A"] == 1  # M1: nothing a year earlier, 5000 now
    assert by_row["new"]["D"] == 1 and by_row["new"]["total"] == 1  # M2 joined this month
    csv_text = run_cli(*args, "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "scope,grade_year_ago,A,B,C,D,left,total"
    table = run_cli(*args, "--lang", "en")
    assert table.exit_code == 0 and "Left" in table.stdout
    book = tmp_path / "migration.xlsx"
    assert run_cli(*args, "--format", "xlsx", "--output", book).exit_code == 0


def test_bad_grade_edges_are_usage_errors(loaded: Path) -> None:
    for edges in ("500,2000", "500,2000,5000,9000", "2000,500,5000", "a,b,c", ""):
        result = run_cli("grades", "--db", loaded, "--grade-edges", edges)
        assert result.exit_code == 2, (edges, result.output)
        assert "--grade-edges" in result.stderr
