"""Every analysis gives the same figures from a line-level export as from the ticket file of
the same sales (SPEC 3.2): reports read the rolled-up tickets, wherever they came from.

`memberkit sample-data --ticket-lines` writes one chain twice: transactions.csv (one row a
ticket) and ticket_lines.csv (its 1-8 lines a ticket: the same item twice, returns inside a
sale, refunds, zero-amount gifts). Three databases hold that chain with every other file:
`tickets` loaded from transactions.csv, `lines` from ticket_lines.csv, `mixed` with the months
before LINES_FROM from a ticket file and the rest from a line file (`--lines-from`). Every
report command's JSON, and the monthly workbook's cells, must be the same in all three.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from conftest import query, run_cli

CHAIN = ("--seed", "11", "--tickets", "6000", "--members", "500", "--stores", "4")
LINES_FROM = "2026-01"  # the chain runs from 2024-09 to 2026-10
OTHER_KINDS = ("stores", "members", "targets", "gifts", "gift-moves", "gift-counts", "complaints")
TX_SQL = "select txn_id, store_id, txn_time, member_id, amount, item_qty from transactions"
MONTH = ("--month", "2026-10")
SCOPES = ((), ("--by", "store"), ("--by", "region"))
COMMANDS = [
    *[
        (command, *period, *scope)
        for command in (
            "spend-bands",
            "demographics",
            "spending-power",
            "churn",
            "new-members",
            "grades",
        )  # fmt: skip
        for period, scope in [*((MONTH, s) for s in SCOPES), (("--year", "2025"), ())]
    ],
    ("spending-power", *MONTH, "--store", "S003"),
    ("spending-power", "--month", "2026-01", "--region", "华南"),  # the mixed database's seam
    ("grades", *MONTH, "--migration"),
    ("churn", *MONTH, "--list", "--risk"),
    ("callbacks", *MONTH),
    ("callbacks", "--year", "2025", "--region", "华东"),
    ("expiring", "--as-of", "2026-10-31", "--month", "2026-11"),
    ("churn-risk", "--as-of", "2026-10-31", "--by", "store"),
]
COVER_VARIES = ("生成于", "最近载入")  # when the workbook was made, and the files loaded


def _load(db: Path, kind: str, path: Path) -> None:
    result = run_cli("--db", db, "load", kind, path)
    assert result.exit_code == 0 and " 0 rejected" in result.stdout, result.output


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("equal")
    lined, split = folder / "lined", folder / "split"
    assert run_cli("sample-data", lined, *CHAIN, "--ticket-lines").exit_code == 0
    assert run_cli("sample-data", split, *CHAIN, "--lines-from", LINES_FROM).exit_code == 0
    tickets = {
        "tickets": [("transactions", lined / "transactions.csv")],
        "lines": [("ticket-lines", lined / "ticket_lines.csv")],
        "mixed": [
            ("transactions", split / "transactions.csv"),
            ("ticket-lines", split / "ticket_lines.csv"),
        ],
    }
    found = {}
    for name, files in tickets.items():
        db = found[name] = folder / f"{name}.duckdb"
        for kind in OTHER_KINDS:
            _load(db, kind, lined / f"{kind.replace('-', '_')}.csv")
        for kind, path in files:
            _load(db, kind, path)
    return found


def test_the_three_databases_hold_the_same_tickets_from_their_own_files(databases):
    every = sorted(query(databases["tickets"], TX_SQL))
    assert len(every) == 6000
    for name in ("lines", "mixed"):
        assert sorted(query(databases[name], TX_SQL)) == every, name
    # the tickets of `lines` were formed from its lines, not loaded some other way
    kinds = "select l.kind, count(*) from transactions t join loads l using (load_id) group by 1"
    assert dict(query(databases["lines"], kinds)) == {"ticket-lines": 6000}
    mixed = dict(query(databases["mixed"], kinds))
    assert set(mixed) == {"transactions", "ticket-lines"} and min(mixed.values()) > 500
    with open(databases["lines"].parent / "lined" / "ticket_lines.csv", encoding="utf-8") as fh:
        written = sum(1 for _ in csv.reader(fh)) - 1
    assert query(databases["lines"], "select count(*) from ticket_lines") == [(written,)]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_every_analysis_gives_the_same_figures_from_lines_as_from_tickets(databases, args):
    figures = {}
    for name, db in databases.items():
        result = run_cli("--db", db, *args, "-f", "json")
        assert result.exit_code == 0, (name, result.output)
        figures[name] = json.loads(result.stdout)
    assert figures["tickets"]["rows"], figures["tickets"]  # a report with rows
    assert figures["lines"] == figures["tickets"]
    assert figures["mixed"] == figures["tickets"]


def _cells(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {
        name: [
            row for row in book.get_sheet_by_name(name).to_python() if row[0] not in COVER_VARIES
        ]
        for name in book.sheet_names
    }


def test_the_monthly_workbook_holds_the_same_cells(databases, tmp_path):
    books = {}
    for name, db in databases.items():
        result = run_cli(
            "--db", db, "report", "-o", tmp_path / f"{name}.xlsx", *MONTH, "--by", "store"
        )
        assert result.exit_code == 0, result.output
        books[name] = _cells(tmp_path / f"{name}.xlsx")
    assert len(books["tickets"]) >= 10 and all(len(rows) > 2 for rows in books["tickets"].values())
    for name in ("lines", "mixed"):
        for sheet, rows in books["tickets"].items():
            assert books[name][sheet] == rows, (name, sheet)
