"""The ticket summaries (summaries.py, schema 7) equal their recomputation from the tickets
after every way tickets arrive: loads with refunds, zero-amount rows, tickets without a
member, repeats skipped or rejected, refused loads, ticket-lines loads, killed loads and a
schema-6 database upgraded. The day masks and sums are also checked against plain Python
over the CSV rows written, not only against summaries.SUMMARY_ROWS."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import TX_HEADER, rows, run_cli, write
from memberkit import db, summaries
from memberkit.checks import run_checks

LINES_HEADER = "小票号,行号,门店编号,销售时间,会员卡号,商品编码,商品名称,品类,数量,金额"
STORED = (
    "select t.load_id, t.month, t.store_id, k.member_id, t.net_amount, t.tickets, t.items, "
    "t.ticket_days, t.purchase_days, t.transaction_rows "
    "from ticket_months t left join member_keys k on k.member_key = t.member_key"
)


@dataclass(frozen=True)
class Ticket:
    txn_id: str
    store_id: str
    time: datetime
    member_id: str | None
    cents: int
    items: int

    def line(self) -> str:
        amount = f"{Decimal(self.cents) / 100:.2f}"
        return (
            f"{self.txn_id},{self.store_id},{self.time:%Y-%m-%d %H:%M:%S},"
            f"{self.member_id or ''},{amount},{self.items}"
        )

    def content(self) -> tuple:
        return (self.store_id, self.time, self.member_id, self.cents, self.items)


def tickets_file(path: Path, tickets: list[Ticket]) -> Path:
    return write(path, "\n".join([TX_HEADER, *(t.line() for t in tickets)]) + "\n")


def load(db_file: Path, kind: str, path: Path, ratio: str = "0.5") -> int:
    result = run_cli("--db", db_file, "load", kind, path, "--max-reject-ratio", ratio)
    return result.exit_code


def python_summaries(kept: dict[int, list[Ticket]]) -> Counter:
    """SPEC's definitions in plain Python, per load, month, store and member id: net amount
    (refunds included), tickets (amount > 0), items (every row), the days with a ticket and
    the days with a purchase (a ticket, or a zero-amount sale with items) as bit masks."""
    groups: dict[tuple, list[Ticket]] = {}
    for load_id, tickets in kept.items():
        for t in tickets:
            month = t.time.date().replace(day=1)
            groups.setdefault((load_id, month, t.store_id, t.member_id), []).append(t)
    out = Counter()
    for (load_id, month, store, member), group in groups.items():
        ticket_days = purchase_days = 0
        for t in group:
            if t.cents > 0:
                ticket_days |= 1 << (t.time.day - 1)
            if t.cents > 0 or (t.cents == 0 and t.items > 0):
                purchase_days |= 1 << (t.time.day - 1)
        out[
            (
                load_id,
                month,
                store,
                member,
                Decimal(sum(t.cents for t in group)) / 100,
                sum(1 for t in group if t.cents > 0),
                sum(t.items for t in group),
                ticket_days,
                purchase_days,
                len(group),
            )
        ] += 1
    return out


def stored(con) -> Counter:
    return Counter(rows(con, STORED))


def recomputed(con) -> Counter:
    """SUMMARY_ROWS over every ticket (member ids as text, as stored() shows them)."""
    return Counter(rows(con, summaries.SUMMARY_ROWS.format(where="true")))


def assert_summaries_hold(db_file: Path) -> None:
    """ticket_months equals its recomputation, member_keys is whole, and `check` agrees."""
    con = db.connect(db_file, read_only=True)
    try:
        assert stored(con) == recomputed(con)
        assert rows(
            con,
            "select count(*) - count(distinct member_key), count(*) - count(distinct member_id) "
            "from member_keys",
        ) == [(0, 0)]
        assert rows(
            con,
            "select count(*) from transactions t where member_id is not null and not exists "
            "(select 1 from member_keys k where k.member_id = t.member_id)",
        ) == [(0,)]
        # every key a summary row holds is a member id's
        assert rows(
            con,
            "select count(*) from ticket_months t where member_key is not null and not exists "
            "(select 1 from member_keys k where k.member_key = t.member_key)",
        ) == [(0,)]
        results = {r.name: r for r in run_checks(con)}
    finally:
        con.close()
    assert results["ticket_months"].status == "pass", results["ticket_months"].detail
    assert results["member_keys"].status == "pass", results["member_keys"].detail


def load_ids(db_file: Path) -> dict[str, tuple[int, str]]:
    con = db.connect(db_file, read_only=True)
    try:
        return {f: (i, s) for i, f, s in rows(con, "select load_id, file_name, status from loads")}
    finally:
        con.close()


# -- a sequence of ticket loads, against a plain-Python model of what each keeps ----------

STORES = ("S1", "S2")
MEMBERS = (None, "M1", "M2", "M3")
# the first and last days of months (bits 0 and 30), a leap day, and days between
TIMES = tuple(
    datetime(*d)
    for d in (
        (2024, 1, 1, 9),
        (2024, 1, 31, 23, 59, 59),
        (2024, 2, 29, 12),
        (2024, 3, 15, 8),
        (2024, 3, 31, 10),
        (2024, 3, 31, 18),
    )
)

tickets_st = st.builds(
    Ticket,
    txn_id=st.sampled_from([f"T{i}" for i in range(1, 10)]),
    store_id=st.sampled_from(STORES),
    time=st.sampled_from(TIMES),
    member_id=st.sampled_from(MEMBERS),
    # refunds, zero-amount rows (gifts, with items or without) and sales
    cents=st.one_of(st.just(0), st.integers(-5000, 5000)),
    items=st.integers(-2, 3),
)


@st.composite
def files_st(draw) -> list[list[Ticket]]:
    files: list[list[Ticket]] = []
    for _ in range(draw(st.integers(1, 4))):
        tickets = draw(st.lists(tickets_st, min_size=1, max_size=8))
        earlier = [t for f in files for t in f] + tickets
        # identical repeats, of this file's rows and of earlier files'
        for _ in range(draw(st.integers(0, 3))):
            tickets.insert(draw(st.integers(0, len(tickets))), draw(st.sampled_from(earlier)))
        files.append(tickets)
    return files


def model(files: list[list[Ticket]], ratio: float) -> list[tuple[bool, list[Ticket]]]:
    """What each load keeps: a txn_id's first row in a file, unless an earlier load keeps
    that id (same content: a duplicate; else rejected); a later row of an id in the file is
    a duplicate when it equals the first, else rejected. Too many rejects: refused."""
    held: dict[str, tuple] = {}
    out = []
    for tickets in files:
        first: dict[str, Ticket] = {}
        rejected = 0
        for t in tickets:
            if t.txn_id in first:
                rejected += first[t.txn_id].content() != t.content()
            else:
                first[t.txn_id] = t
        kept = []
        for t in first.values():
            if t.txn_id in held:
                rejected += held[t.txn_id] != t.content()
            else:
                kept.append(t)
        refused = rejected / len(tickets) > ratio
        if not refused:
            held.update((t.txn_id, t.content()) for t in kept)
        out.append((refused, [] if refused else kept))
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files_st())
def test_summaries_after_any_sequence_of_ticket_loads(files):
    with tempfile.TemporaryDirectory() as folder:
        db_file = Path(folder) / "t.duckdb"
        for i, tickets in enumerate(files):
            # each file loads (a row of its own keeps two files from being the same file)
            own = Ticket(f"U{i}", "S1", TIMES[0], None, 100, 1)
            files[i] = [*tickets, own]
            code = load(db_file, "transactions", tickets_file(Path(folder) / f"t{i}.csv", files[i]))
            assert code in (0, 3)
        expected = model(files, 0.5)
        event(f"refused loads: {sum(r for r, _ in expected)}")
        ids = load_ids(db_file)
        kept = {}
        for i, (refused, tickets) in enumerate(expected):
            load_id, status = ids[f"t{i}.csv"]
            assert status == ("refused" if refused else "loaded")
            kept[load_id] = tickets
        assert_summaries_hold(db_file)
        con = db.connect(db_file, read_only=True)
        try:
            assert stored(con) == python_summaries(kept)
        finally:
            con.close()


# -- by example ---------------------------------------------------------------------------


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
