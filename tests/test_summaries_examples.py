"""The ticket summaries by example, against figures written out by hand: refunds, gifts and
day masks, a refused load, ticket-lines loads, killed loads and a schema-6 upgrade (the
helpers and the property over any sequence of loads: test_summaries.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from datetime import datetime
from decimal import Decimal

import pytest

from conftest import rows, write
from memberkit import db
from test_summaries import (
    LINES_HEADER,
    Ticket,
    assert_summaries_hold,
    load,
    load_ids,
    run_cli,
    stored,
    tickets_file,
)


def test_day_masks_sums_and_refused_loads_by_example(tmp_path):
    """Written out: a refund, a gift with items and one without, a member's first and last
    days of a month, a ticket without a member; a later file repeating a ticket (skipped),
    changing one (rejected); a refused file adds no summary rows."""
    db_file = tmp_path / "t.duckdb"
    first = [
        Ticket("A1", "S1", datetime(2026, 1, 1, 9), "M1", 1000, 2),
        Ticket("A2", "S1", datetime(2026, 1, 31, 20), "M1", 550, 1),
        Ticket("A3", "S1", datetime(2026, 1, 15, 10), "M1", -300, -1),  # a refund
        Ticket("A4", "S1", datetime(2026, 1, 16, 10), "M1", 0, 2),  # a gift: a purchase day
        Ticket("A5", "S1", datetime(2026, 1, 17, 10), "M1", 0, 0),  # nothing: no day
        Ticket("A6", "S2", datetime(2026, 2, 3, 10), None, 700, 3),
        Ticket("A6", "S2", datetime(2026, 2, 3, 10), None, 700, 3),  # identical: skipped
    ]
    second = [
        first[0],  # loaded before: skipped
        Ticket("A2", "S1", datetime(2026, 1, 31, 20), "M1", 999, 1),  # changed: rejected
        Ticket("B1", "S1", datetime(2026, 1, 2, 9), "M1", 100, 1),
        Ticket("B2", "S2", datetime(2026, 2, 28, 9), "M2", -100, 0),
    ]
    refused = [
        Ticket("C1", "S1", datetime(2026, 1, 3, 9), "M9", 100, 1),
        Ticket("A2", "S1", datetime(2026, 1, 31, 20), "M1", 777, 1),  # changed: rejected
    ]
    assert load(db_file, "transactions", tickets_file(tmp_path / "a.csv", first)) == 0
    assert load(db_file, "transactions", tickets_file(tmp_path / "b.csv", second)) == 0
    assert load(db_file, "transactions", tickets_file(tmp_path / "c.csv", refused), "0.1") == 3
    ids = load_ids(db_file)
    a, b, c = ids["a.csv"][0], ids["b.csv"][0], ids["c.csv"][0]
    assert ids["c.csv"][1] == "refused"
    jan, feb = datetime(2026, 1, 1).date(), datetime(2026, 2, 1).date()
    con = db.connect(db_file, read_only=True)
    try:
        assert sorted(stored(con).elements(), key=str) == sorted(
            [
                # 10.00 + 5.50 - 3.00; tickets on days 1 and 31; purchases also on day 16
                (a, jan, "S1", "M1", Decimal("12.50"), 2, 4, 1 | 1 << 30, 1 | 1 << 15 | 1 << 30,
                 5),
                (a, feb, "S2", None, Decimal("7.00"), 1, 3, 1 << 2, 1 << 2, 1),
                (b, jan, "S1", "M1", Decimal("1.00"), 1, 1, 1 << 1, 1 << 1, 1),
                (b, feb, "S2", "M2", Decimal("-1.00"), 0, 0, 0, 0, 1),
            ],
            key=str,
        )  # fmt: skip
        assert rows(con, "select count(*) from ticket_months where load_id = $c", {"c": c}) == [
            (0,)
        ]
        # the refused file's member got no key: keys come with the tickets kept
        assert rows(con, "select count(*) from member_keys where member_id = 'M9'") == [(0,)]
    finally:
        con.close()
    assert_summaries_hold(db_file)


def test_ticket_lines_loads_are_summarised_as_the_tickets_they_form(tmp_path):
    db_file = tmp_path / "t.duckdb"
    lines = write(
        tmp_path / "l.csv",
        "\n".join(
            [
                LINES_HEADER,
                "L1,1,S1,2026-03-01 10:00:00,M1,690001,苹果,水果,1,5.00",
                "L1,2,S1,2026-03-01 10:00:00,M1,690002,牛奶,乳品,2,8.00",
                "L2,1,S1,2026-03-09 11:00:00,,690003,面包,烘焙,-1,-3.50",  # a refund
                "L3,1,S2,2026-03-31 12:00:00,M1,690004,赠品袋,赠品,1,0.00",  # a gift
                "L3,2,S2,2026-03-31 12:00:00,M1,690004,赠品袋,赠品,1,0.00",
            ]
        )
        + "\n",
    )
    assert load(db_file, "ticket-lines", lines) == 0
    tickets = [
        Ticket("L1", "S1", datetime(2026, 4, 2, 9), "M2", 200, 1),
        Ticket("L4", "S1", datetime(2026, 3, 2, 9), "M1", 100, 1),
    ]
    # L1 again as a ticket with other content: rejected; L4 new
    assert load(db_file, "transactions", tickets_file(tmp_path / "t.csv", tickets)) == 0
    ids = load_ids(db_file)
    line_load, ticket_load = ids["l.csv"][0], ids["t.csv"][0]
    mar = datetime(2026, 3, 1).date()
    con = db.connect(db_file, read_only=True)
    try:
        assert stored(con) == Counter(
            [
                (line_load, mar, "S1", "M1", Decimal("13.00"), 1, 3, 1, 1, 1),
                (line_load, mar, "S1", None, Decimal("-3.50"), 0, -1, 0, 0, 1),
                (line_load, mar, "S2", "M1", Decimal("0.00"), 0, 2, 0, 1 << 30, 1),
                (ticket_load, mar, "S1", "M1", Decimal("1.00"), 1, 1, 1 << 1, 1 << 1, 1),
            ]
        )
    finally:
        con.close()
    assert_summaries_hold(db_file)


KILL = """
import os
from pathlib import Path
from memberkit import db, summaries
from memberkit.ingest import loader, merge

def die(*args, **kwargs):
    os._exit(9)

def summarise_then_die(con, load_id):
    add_load(con, load_id)
    os._exit(9)

add_load = summaries.add_load
{patch}
con = db.connect({db!r})
loader.load_file(con, Path({path!r}), loader.LoadOptions("transactions"))
"""


@pytest.mark.parametrize(
    "patch",
    [
        "merge.classify = die",  # the bulk rows committed, the summaries not yet added
        "summaries.add_load = summarise_then_die",  # summaries added, not committed
    ],
)
@pytest.mark.parametrize("repeats", [True, False])
def test_a_killed_load_leaves_no_summary_rows(tmp_path, patch, repeats):
    db_file = tmp_path / "t.duckdb"
    before = [Ticket("K0", "S1", datetime(2026, 5, 1, 9), "M1", 100, 1)]
    assert load(db_file, "transactions", tickets_file(tmp_path / "a.csv", before)) == 0
    killed = [
        Ticket("K1", "S1", datetime(2026, 5, 2, 9), "M2", 200, 1),
        Ticket("K2", "S2", datetime(2026, 5, 3, 9), None, 300, 2),
    ]
    if repeats:  # a repeat: the loader commits its bulk rows and goes on in a second step
        killed.append(killed[0])
    path = tickets_file(tmp_path / "k.csv", killed)
    script = textwrap.dedent(KILL).format(patch=patch, db=str(db_file), path=str(path))
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert child.returncode == 9, child.stderr
    as_found = db._open(db_file, True, 0)
    try:
        loading = rows(as_found, "select count(*) from loads where status = 'loading'")[0][0]
        assert loading == (1 if repeats else 0)  # only a two-step load leaves a part behind
    finally:
        as_found.close()
    assert_summaries_hold(db_file)  # opened: the killed part undone
    con = db.connect(db_file, read_only=True)
    try:
        assert rows(con, "select count(*) from transactions") == [(1,)]
        assert rows(con, "select count(*) from ticket_months") == [(1,)]
    finally:
        con.close()
    assert load(db_file, "transactions", path) == 0  # and the file loads again in full
    assert_summaries_hold(db_file)


def test_undoing_a_killed_load_takes_out_its_summary_rows(tmp_path):
    """Whatever part of a killed load was committed, its summary rows go with it."""
    db_file = tmp_path / "t.duckdb"
    tickets = [Ticket("K0", "S1", datetime(2026, 5, 1, 9), "M1", 100, 1)]
    assert load(db_file, "transactions", tickets_file(tmp_path / "a.csv", tickets)) == 0
    con = db.connect(db_file)
    try:
        before = stored(con)
        con.execute(
            "insert into loads select 99, 'transactions', 'k.csv', '/x/k.csv', 'abc', 10, "
            "'utf-8', ',', 0, 0, 0, 0, 0, 'loading', timestamp '2026-11-01 02:00:00', "
            "timestamp '2026-11-01 02:00:00'"
        )
        con.execute(
            "insert into transactions values "
            "('K1', 'S1', timestamp '2026-05-02 09:00:00', 'M1', 2.00, 1, 99)"
        )
        con.execute("insert into ticket_months select 99, month, store_id, member_key, "
                    "net_amount, tickets, items, ticket_days, purchase_days, transaction_rows "
                    "from ticket_months")  # fmt: skip
    finally:
        con.close()
    assert_summaries_hold(db_file)
    con = db.connect(db_file, read_only=True)
    try:
        assert stored(con) == before
    finally:
        con.close()


def test_a_schema_6_database_is_summarised_on_upgrade(tmp_path):
    db_file = tmp_path / "t.duckdb"
    first = [
        Ticket("U1", "S1", datetime(2026, 6, 1, 9), "M2", 100, 1),
        Ticket("U2", "S1", datetime(2026, 6, 30, 9), None, 0, 1),
    ]
    second = [
        Ticket("U3", "S2", datetime(2026, 7, 4, 9), "M1", -100, -1),
        Ticket("U4", "S2", datetime(2026, 7, 4, 19), "M2", 300, 2),
    ]
    assert load(db_file, "transactions", tickets_file(tmp_path / "a.csv", first)) == 0
    assert load(db_file, "transactions", tickets_file(tmp_path / "b.csv", second)) == 0
    con = db.connect(db_file)
    try:
        loaded = stored(con)
        con.execute("drop table ticket_months")
        con.execute("drop table member_keys")
        con.execute("update meta set value = '6' where key = 'schema_version'")
    finally:
        con.close()
    con = db.connect(db_file)  # upgraded
    try:
        assert rows(con, "select value from meta where key = 'schema_version'") == [
            (db.SCHEMA_VERSION,)
        ]
        assert stored(con) == loaded  # the same rows, member ids through their new keys
    finally:
        con.close()
    assert_summaries_hold(db_file)


def test_reports_refuse_a_database_whose_tickets_changed_around_the_loader(tmp_path):
    """Tickets inserted by hand have no summary rows: a report would miss them, so every
    report refuses (exit 3), naming `memberkit check`, instead of printing wrong figures."""
    db_file = tmp_path / "t.duckdb"
    tickets = [Ticket("A1", "S1", datetime(2026, 1, 5, 9), "M1", 1000, 2)]
    assert load(db_file, "transactions", tickets_file(tmp_path / "a.csv", tickets)) == 0
    report = ("--db", db_file, "spending-power", "--month", "2026-01", "--format", "json")
    assert run_cli(*report).exit_code == 0
    con = db.connect(db_file)
    con.execute(
        "insert into transactions values "
        "('A2', 'S1', timestamp '2026-01-06 09:00:00', 'M1', 5.00, 1, 1)"
    )
    con.close()
    for command in (report, ("--db", db_file, "churn", "--month", "2026-01")):
        result = run_cli(*command)
        assert result.exit_code == 3, result.output
        assert "cover 1 of the 2 tickets" in result.output
        assert "memberkit check" in result.output


class _Unchanging:
    """A connection over data nothing changes under it, as a Spark connection over a lake:
    it carries `summaries_verified`, and counts the checks it is sent."""

    summaries_verified = False

    def __init__(self, tickets: int, summarised: int) -> None:
        self.counts, self.checks = (tickets, summarised), 0

    def execute(self, sql: str, params=None):
        self.checks += 1
        counts = self.counts

        class Result:
            def fetchall(self):
                return [counts]

        return Result()


def test_a_connection_over_unchanging_data_checks_its_summaries_once():
    from memberkit.errors import InputRejected
    from memberkit.reports.summarised import require_summaries

    covered = _Unchanging(5, 5)
    for _ in range(3):
        require_summaries(covered)
    assert covered.checks == 1
    short = _Unchanging(5, 4)  # a failed check is never taken as passed
    for _ in range(2):
        with pytest.raises(InputRejected, match="cover 4 of the 5 tickets"):
            require_summaries(short)
    assert short.checks == 2
