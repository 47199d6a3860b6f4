"""The handbook's member records and grades (SPEC 5.7, 5.10): new members, the records to
fix, A/B/C/D grades and how members moved between grades in a year. Rows as the JSON shape."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, data_through, period_params, run_query
from memberkit.reports.analyses import _edges
from memberkit.reports.summarised import check_whole_months

ACTIVATION_DAYS = 30  # a new member who buys within 30 days of joining is activated
DEFAULT_GRADE_EDGES = (500, 2000, 5000)  # D < 500 ≤ C < 2000 ≤ B < 5000 ≤ A
GRADES = ("A", "B", "C", "D")


def new_members(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    """new_members, new_members_yoy, activated and activation_rate per unit."""
    check_scope(con, scope)
    year_ago = period.years_back(1)
    params = {
        **period_params(period, scope),
        "yoy_start": year_ago.start,
        "yoy_end": year_ago.end,
        "activation_days": ACTIVATION_DAYS,
    }
    check_whole_months(period)
    rows = run_query(con, "new_members", params)
    notes = []
    through = data_through(con)
    if through is None or through < period.end + timedelta(days=ACTIVATION_DAYS):
        reach = f"the tickets reach {through}" if through else "there are no tickets"
        notes.append(
            f"activation counts tickets up to {ACTIVATION_DAYS} days after joining and {reach}: "
            "the period's activation figures may still grow"
        )
    options = {"activation_days": ACTIVATION_DAYS, "data_through": through}
    return Report("new_members", period, scope, rows, notes=notes, options=options)


def member_problems(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, all_members: bool = False
) -> Report:
    """One row per problem in the records of the members who joined in the period (or of
    every member of the scope with all_members), ordered by store, member and problem."""
    check_scope(con, scope)
    params = {
        **period_params(period, scope),  # run_query binds only what the query names
        "all_members": all_members,
    }
    rows = run_query(con, "member_problems", params)
    notes = []
    if not con.execute("select count(*) from stores").fetchall()[0][0]:
        notes.append("the stores table is empty: home stores were not checked (store_unknown)")
    options = {"all_members": all_members}
    return Report("member_problems", period, scope, rows, notes=notes, options=options)


def _grade_edges(edges) -> list:
    if len(edges) != 3 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"grades need three ascending edges (D|C|B|A), not {list(edges)}")
    return _edges(edges)


def grades(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, edges=DEFAULT_GRADE_EDGES
) -> Report:
    """Members on file per unit, graded on net spend over [E - 364, E]."""
    check_scope(con, scope)
    edges = _grade_edges(edges)
    rows = run_query(con, "grades", {**period_params(period, scope), "edges": edges})
    return Report(name="grades", period=period, scope=scope, rows=rows, options={"edges": edges})


def grade_migration(
    con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, edges=DEFAULT_GRADE_EDGES
) -> Report:
    """Per unit, members by grade one year earlier (rows A-D and new) and now (A-D, left)."""
    check_scope(con, scope)
    edges = _grade_edges(edges)
    year_ago = period.years_back(1)
    params = {
        **period_params(period, scope),
        "prev_start": year_ago.start,
        "prev_end": year_ago.end,
        "edges": edges,
    }
    rows = run_query(con, "grade_migration", params)
    return Report(
        name="grade_migration", period=period, scope=scope, rows=rows, options={"edges": edges}
    )
