"""The Python API (SPEC 7) against the command line: every report of the catalogue, in
several option sets, gives the JSON the command prints, byte for byte; options are checked as
the commands check them, and errors carry the commands' exit codes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

import memberkit
from conftest import run_cli
from memberkit.errors import EXIT_USAGE, UsageError
from memberkit.reports import catalogue

M = "2026-09"

# (the command line after `memberkit`, the report's name, the API's keywords)
CASES = [
    (["spend-bands", "--month", M], "spend-bands", {"month": M}),
    (
        ["spend-bands", "--month", M, "--by", "store", "--bands", "50,200.5,800"],
        "spend-bands",
        {"month": M, "by": "store", "bands": [50, Decimal("200.5"), 800]},
    ),
    (
        ["spend-bands", "--year", "2025", "--by", "region"],
        "spend-bands",
        {"year": 2025, "by": "region"},
    ),
    (
        ["demographics", "--month", M, "--age-bands", "25,35"],
        "demographics",
        {"month": M, "age_bands": "25,35"},
    ),
    (
        ["spending-power", "--month", M, "--by", "store"],
        "spending-power",
        {"month": M, "by": "store"},
    ),
    (["spending-power", "--year", "2025"], "spending-power", {"year": "2025"}),
    (["churn", "--month", M, "--inactive-days", "90"], "churn", {"month": M, "inactive_days": 90}),
    (["churn", "--month", M, "--list"], "churn-list", {"month": M}),
    (["churn", "--month", M, "--list", "--risk"], "churn-list-risk", {"month": M}),
    (["new-members", "--month", M, "--by", "region"], "new-members", {"month": M, "by": "region"}),
    (
        ["new-members", "--month", M, "--problems", "--all-members"],
        "member-problems",
        {"month": M, "all_members": True},
    ),
    (
        ["grades", "--month", M, "--grade-edges", "400,1500,4000"],
        "grades",
        {"month": M, "grade_edges": [400, 1500, 4000]},
    ),
    (["grades", "--month", M, "--migration"], "grade-migration", {"month": M}),
    (
        ["complaints", "--month", M, "--by", "category"],
        "complaints",
        {"month": M, "by_field": "category"},
    ),
    (["complaints", "--month", M, "--overdue"], "complaints-overdue", {"month": M}),
    # 满意度调查 (SPEC 5.12)
    (
        ["satisfaction", "--month", M, "--by", "channel"],
        "satisfaction",
        {"month": M, "by_field": "channel"},
    ),
    (
        ["satisfaction", "--year", "2026", "--by", "region"],
        "satisfaction",
        {"year": 2026, "by": "region"},
    ),
    (["satisfaction", "--month", M, "--low"], "satisfaction-low", {"month": M}),
    (
        [
            "callbacks",
            "--month",
            M,
            "--min-amount",
            "500",
            "--kind",
            "new,lapsed",
            "--per-store",
            "3",
        ],
        "callbacks",
        {"month": M, "min_amount": 500, "kinds": ["new", "lapsed"], "per_store": 3},
    ),
    (["gifts", "issues", "--month", M], "gift-issues", {"month": M}),
    (
        ["callback-review", "--month", M, "--by", "store"],
        "callback-review",
        {"month": M, "by": "store"},
    ),
    (
        ["callback-review", "--month", "2026-08", "--effect", "--window-days", "60"],
        "callback-effect",
        {"month": "2026-08", "window_days": 60},
    ),
    (
        ["callback-review", "--month", M, "--effect", "--inactive-days", "150", "--by", "region"],
        "callback-effect",
        {"month": M, "inactive_days": 150, "by": "region"},
    ),
    (
        ["expiring", "--as-of", "2026-10-05", "--month", "2026-11", "--min-visits", "2"],
        "expiring",
        {"as_of": "2026-10-05", "month": "2026-11", "min_visits": 2},
    ),
    (["expiring", "--as-of", "2026-09-30"], "expiring", {"as_of": date(2026, 9, 30)}),
    (
        ["churn-risk", "--as-of", "2026-10-31", "--by", "region", "--horizon-days", "60"],
        "churn-risk",
        {"as_of": "2026-10-31", "by": "region", "horizon_days": 60},
    ),
    (["churn-risk", "--month", M], "churn-risk", {"month": M}),
    (
        ["churn-risk", "--year", "2025", "--by", "store"],
        "churn-risk",
        {"year": 2025, "by": "store"},
    ),
    (["gifts", "stock", "--as-of", "2026-10-31"], "gift-stock", {"as_of": "2026-10-31"}),
    (["gifts", "reconcile"], "gift-reconcile", {}),
    (
        ["gifts", "reconcile", "--tolerance", "2", "--location", "HQ"],
        "gift-reconcile",
        {"tolerance": 2, "location": "HQ"},
    ),
    (["gifts", "reconcile", "--summary"], "gift-summary", {}),
    (
        ["gifts", "stock", "--as-of", "2026-10-31", "--location", "HQ"],
        "gift-stock",
        {"as_of": "2026-10-31", "location": "HQ"},
    ),
    (["gifts", "requests", "--as-of", "2026-09-30"], "gift-requests", {"as_of": "2026-09-30"}),
    (
        ["gifts", "requests", "--summary", "--as-of", "2026-10-31", "--location", "S001"],
        "gift-requests-summary",
        {"as_of": "2026-10-31", "location": "S001"},
    ),
]


@pytest.fixture(scope="module")
def chain(full_chain):
    """The sample chain with every file loaded (conftest.full_chain): read only here."""
    return full_chain


@pytest.fixture(scope="module")
def db(chain):
    with memberkit.open(chain) as opened:
        yield opened


def test_reports_lists_every_report_of_the_catalogue_and_each_is_tested_here():
    assert memberkit.reports() == list(catalogue.ENTRIES)
    # callback-counts has no command of its own: it is a sheet of the monthly workbook
    assert {name for _, name, _ in CASES} == set(memberkit.reports()) - {"callback-counts"}


@pytest.mark.parametrize(("argv", "name", "keywords"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_report_gives_the_json_of_its_command(chain, db, argv, name, keywords):
    cli = run_cli("--db", chain, *argv, "--format", "json")
    assert cli.exit_code == 0, cli.output
    result = db.report(name, **keywords)
    assert result.to_json() + "\n" == cli.stdout
    document = json.loads(cli.stdout, parse_float=Decimal)
    assert (result.name, result.period) == (document["report"], document["period"])
    assert result.rows == document["rows"]
    assert len(result.to_polars()) == len(document["rows"])


def test_the_monthly_workbooks_callback_counts_run_through_the_api(db):
    result = db.report("callback-counts", month=M, by="store")
    kinds = {row["scope"] for row in result.rows}
    assert "ALL" in kinds and len(result.rows) > 1


def test_write_xlsx_writes_the_commands_workbook(chain, db, tmp_path):
    from openpyxl import load_workbook

    cli_file, api_file = tmp_path / "cli.xlsx", tmp_path / "api.xlsx"
    argv = ["spending-power", "--month", M, "--by", "region", "--format", "xlsx"]
    assert run_cli("--db", chain, *argv, "--output", cli_file).exit_code == 0
    db.report("spending-power", month=M, by="region").write_xlsx(api_file, lang="zh")

    def cells(path):  # the generated-at time differs by the seconds between the two
        book = load_workbook(path)
        return {
            sheet.title: [
                [c for c in row if not (isinstance(c, str) and c.startswith("生成于"))]
                for row in sheet.iter_rows(values_only=True)
            ]
            for sheet in book.worksheets
        }

    assert cells(api_file) == cells(cli_file)


@pytest.mark.parametrize(
    ("name", "keywords", "message"),
    [
        ("spend-bands", {"bands": [300, 100]}, "bands wants ascending yuan"),
        ("spend-bands", {"colour": "red"}, "spend-bands takes no option colour"),
        ("grades", {"grade_edges": [100, 200]}, "grade_edges wants three ascending edges"),
        ("churn", {"inactive_days": 0}, "inactive_days is a whole number from 1"),
        ("churn-list", {"by": "store"}, "churn-list gives one list"),
        ("callbacks", {"kinds": ["later"]}, "kinds takes after_sale, new, lapsed, not later"),
        ("callbacks", {"min_amount": "1.005"}, "min_amount has at most two decimals"),
        ("expiring", {"min_spend": 1e17}, "min_spend must be below"),
        ("no-such-report", {}, "no report 'no-such-report'"),
        ("spend-bands", {"month": "2026-13"}, "2026-13"),
        ("expiring", {"as_of": "2026-10-32"}, "as_of: '2026-10-32' is not a day"),
        ("churn-risk", {"year": 2025, "as_of": "2025-12-31"}, "as_of (a day) or month/year"),
        ("gift-stock", {"year": 2025}, "gift-stock is taken as of a day"),
        ("spend-bands", {"month": "2026-10", "year": 2025}, "give month or year, not both"),
        ("spend-bands", {"store": "S001", "region": "East"}, "give store or region, not both"),
        ("spend-bands", {"month": "2026-13"}, "month wants YYYY-MM"),
        ("spend-bands", {"store": "S001", "by": "store"}, "by splits a region or the company"),
        ("callbacks", {"min_amount": -1}, "min_amount must be from 0 to below 1e16"),
    ],
)
def test_bad_options_raise_a_usage_error_with_its_exit_code(db, name, keywords, message):
    with pytest.raises(UsageError) as caught:
        db.report(name, **keywords)
    assert message in str(caught.value)
    assert isinstance(caught.value, memberkit.MemberkitError)
    assert caught.value.exit_code == EXIT_USAGE


def test_messages_name_options_as_flags_on_the_command_line_and_as_keywords_in_python(db, chain):
    """One library check, two spellings: a command's message names its flags; the API, run
    after a command in the same process, names its keywords again."""
    result = run_cli("--db", str(chain), "spend-bands", "--month", "2026-10", "--year", "2025")
    assert result.exit_code == EXIT_USAGE
    assert "give --month or --year, not both" in result.output
    with pytest.raises(UsageError, match="give month or year, not both"):
        db.report("spend-bands", month="2026-10", year=2025)


def test_open_is_read_only_and_names_a_missing_database(tmp_path, chain):
    with pytest.raises(memberkit.MemberkitError) as caught:
        memberkit.open(tmp_path / "none.duckdb")
    assert "no database" in str(caught.value)
    with memberkit.open(chain) as opened:
        with pytest.raises(Exception, match="read-only"):
            opened._con.execute("delete from members")
