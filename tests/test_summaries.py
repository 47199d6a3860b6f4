"""The ticket summaries (summaries.py, schema 7) equal their recomputation from the tickets
after any sequence of ticket loads: refunds, zero-amount rows, tickets without a member,
repeats skipped or rejected, refused loads. The sums and day masks are also checked against
plain Python over the CSV rows written, not only against summaries.SUMMARY_ROWS. Ticket-lines
loads, killed loads and a schema-6 upgrade: test_summaries_examples.py."""

from __future__ import annotations

import tempfile
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


@pytest.mark.slow
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
