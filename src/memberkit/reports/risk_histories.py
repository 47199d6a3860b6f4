"""Churn risk (SPEC 5.11): each member's purchase history up to E as the BG/NBD model reads
it (x repeat purchase days, t_x and T in whole days, net spend per paid ticket), from the
summaries instead of every ticket.

ticket_months holds a member's purchase days of a month as a bit mask per load and store:
the masks of one member and month are OR-ed together here (a day bought in two stores is
one purchase day), into one int32 per member and month held in numpy, keyed by member_key.
Distinct days are the set bits, the first and last purchase days the lowest bit of the
first month and the highest of the last. When E is not a month's last day, E's month comes
from its tickets up to E (queries/churn_risk_edge.sql). The members come back in member id
order with their ids as arrow arrays: no Python object per member.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from memberkit.periods import Scope
from memberkit.reports import query_relation

if TYPE_CHECKING:
    import duckdb

# The month masks of all members are one int32 array of members x months; a longer history
# than this many cells is read in several passes over the summaries, a span of months each.
_CELLS = 64_000_000
_BATCH = 1_000_000  # summary rows per arrow batch
_NO_DAY = np.iinfo(np.int64).max


@dataclass
class Histories:
    """The members with a purchase day up to E, in member id order (all members: the model
    is fitted on the whole chain); `unit` is null outside the scope."""

    member_id: pa.Array
    store_id: pa.Array
    unit: pa.Array
    x: np.ndarray  # repeat purchase days
    t_x_days: np.ndarray  # first to last purchase day
    t_days: np.ndarray  # first purchase day to E
    avg_ticket_amount: np.ndarray  # net amount per paid ticket, NaN without one

    def __len__(self) -> int:
        return len(self.x)


def edge_start(as_of: date) -> date:
    """The first day the summaries do not cover: the day after E when E ends its month, else
    the first day of E's month (read from the tickets)."""
    after = as_of + timedelta(days=1)
    return after if after.day == 1 else as_of.replace(day=1)


def read_histories(con: duckdb.DuckDBPyConnection, as_of: date, scope: Scope) -> Histories:
    edge = edge_start(as_of)
    first_month = con.execute(
        "select min(month) from ticket_months where member_key is not null and month < $edge_start",
        {"edge_start": edge},
    ).fetchall()[0][0]
    e_month = as_of.replace(day=1)
    first_month = e_month if first_month is None else first_month
    months = (e_month.year - first_month.year) * 12 + e_month.month - first_month.month + 1
    keys = con.execute("select coalesce(max(member_key), 0) + 1 from member_keys").fetchall()
    days = _MemberDays(int(keys[0][0]), first_month, months)
    edge_rows = None
    if edge != as_of + timedelta(days=1):
        edge_rows = _arrow_table(
            query_relation(con, "churn_risk_edge", {"edge_start": edge, "end": as_of})
        )
    with _cache_limit(con):
        _read_months(con, days, first_month, edge, edge_rows)
        members = _arrow_table(query_relation(con, "churn_risk_members", scope.params()))
    member_keys = members.column("member_key").to_numpy()
    bought = days.count[member_keys] > 0
    members = members.filter(pa.array(bought))
    k = member_keys[bought]
    tickets = days.tickets[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        # as mk_ratio: the decimal sum as a double, over the paid tickets; NaN without one
        average = np.where(tickets > 0, (days.cents[k] / 100.0) / tickets, np.nan)
    first = days.first[k]
    return Histories(
        member_id=members.column("member_id").combine_chunks(),
        store_id=members.column("store_id").combine_chunks(),
        unit=members.column("unit").combine_chunks(),
        x=days.count[k] - 1,
        t_x_days=days.last[k] - first,
        t_days=_day_number(as_of) - first,
        avg_ticket_amount=average,
    )


def _read_months(con, days: _MemberDays, first_month: date, edge: date, edge_rows) -> None:
    """Every summary row before `edge` into `days`, as many months a pass as _CELLS holds;
    E's month from `edge_rows` (its tickets) when E is inside it."""
    months = len(days.month_days)
    span = max(1, _CELLS // days.keys)
    for start in range(0, months, span):
        stop = min(months, start + span)
        days.begin(start, stop)
        params = {
            "first_month": first_month,
            "from_month": _add_months(first_month, start),
            "to_month": min(edge, _add_months(first_month, stop)),
        }
        for batch in _batches(query_relation(con, "churn_risk_months", params)):
            days.add(*(batch.column(i).to_numpy() for i in range(5)))
        if edge_rows is not None and start <= months - 1 < stop:
            key, mask, tickets, cents = (edge_rows.column(i).to_numpy() for i in range(4))
            days.add(key, np.full(len(key), months - 1, dtype=np.int32), mask, tickets, cents)
        days.end()


@contextmanager
def _cache_limit(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB keeps the blocks a scan read cached up to its memory limit (2 GB): the scan of
    every summary row held most of 1.3 GB at 3M members, so the reads run under a lower
    limit (the members' join and sort took less than 300MB there; a larger one would spill
    to DuckDB's temporary files), set back after (the text DuckDB gave, not an input)."""
    before = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.execute("set memory_limit = '384MB'")
    try:
        yield
    finally:
        con.execute(f"set memory_limit = '{before}'")


def _add_months(month: date, months: int) -> date:
    total = month.year * 12 + month.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


# duckdb 2 renamed the arrow methods (the old names warn); 1.x has only the old ones
def _batches(relation) -> pa.RecordBatchReader:
    """The relation's rows as arrow record batches, one at a time."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
    return reader(_BATCH)


def _arrow_table(relation) -> pa.Table:
    return (getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table)()


def _day_number(day) -> np.ndarray | int:
    return np.asarray(day, dtype="datetime64[D]").astype(np.int64)


class _MemberDays:
    """Per member key: purchase days counted, first and last purchase day (days since
    1970-01-01), paid tickets and net cents, gathered a span of months at a time."""

    def __init__(self, keys: int, first_month: date, months: int) -> None:
        self.keys = keys
        month = np.datetime64(first_month, "M") + np.arange(months)
        self.month_days = month.astype("datetime64[D]").astype(np.int64)
        self.count = np.zeros(keys, dtype=np.int64)
        self.first = np.full(keys, _NO_DAY, dtype=np.int64)
        self.last = np.full(keys, -1, dtype=np.int64)
        self.tickets = np.zeros(keys, dtype=np.int64)
        self.cents = np.zeros(keys, dtype=np.int64)

    def begin(self, start: int, stop: int) -> None:
        self.start, self.width = start, stop - start
        self.masks = np.zeros(self.keys * self.width, dtype=np.int32)

    def add(self, key, month_index, mask, tickets, cents) -> None:
        key = key.astype(np.int64)
        if key.size:
            # a batch's keys lie in a range (rows come by month, then key): summing over that
            # range, not every key, saves a pass over all keys per batch (274 batches at 100M)
            low, high = int(key.min()), int(key.max()) + 1
            for total, values in ((self.tickets, tickets), (self.cents, cents)):
                # integer sums through float64 are exact below 2**53 cents per member and batch
                sums = np.bincount(key - low, values, high - low)
                total[low:high] += np.rint(sums).astype(np.int64)
        bought = mask != 0
        cell = key[bought] * self.width + (month_index[bought] - self.start)
        _or_into(self.masks, cell, mask[bought].astype(np.int32))

    def end(self) -> None:
        masks = self.masks.reshape(self.keys, self.width)
        self.count += _bit_count(masks).sum(axis=1, dtype=np.int64)
        bought = masks != 0
        who = np.flatnonzero(bought.any(axis=1))
        # over every key (a copy of the members with a purchase would be as large)
        first = bought.argmax(axis=1)[who]
        last = self.width - 1 - bought[:, ::-1].argmax(axis=1)[who]
        del bought
        first_mask, last_mask = masks[who, first], masks[who, last]
        # bit d-1 is day d: the lowest set bit is the trailing zeros (the bits below it,
        # counted), the highest frexp's exponent less one (exact: a mask is below 2**31)
        first_day = self.month_days[self.start + first] + _bit_count((first_mask & -first_mask) - 1)
        last_day = self.month_days[self.start + last] + np.frexp(last_mask)[1] - 1
        self.first[who] = np.minimum(self.first[who], first_day)
        self.last[who] = np.maximum(self.last[who], last_day)
        del self.masks


def _or_into(cells: np.ndarray, index: np.ndarray, mask: np.ndarray) -> None:
    """cells[index] |= mask, rows for the same cell included (a member's stores and loads in
    one month): an assignment keeps one of them, so the rows whose bits are not in yet go
    again, fewer each round."""
    while index.size:
        cells[index] |= mask
        missing = (cells[index] & mask) != mask
        index, mask = index[missing], mask[missing]


def _bit_count(values: np.ndarray) -> np.ndarray:
    """Set bits of each non-negative int32 (numpy 2 has it built in)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values)
    v = values.astype(np.int64)
    v = v - ((v >> 1) & 0x55555555)
    v = (v & 0x33333333) + ((v >> 2) & 0x33333333)
    return (((v + (v >> 4)) & 0x0F0F0F0F) * 0x01010101 & 0xFFFFFFFF) >> 24


def as_arrays(histories: Histories) -> dict[str, np.ndarray]:
    """The histories as numpy arrays (ids and units as objects, None outside the scope): a
    Python object per member, for the tests and small chains."""
    return {
        "member_id": np.array(histories.member_id.to_pylist(), dtype=object),
        "store_id": np.array(histories.store_id.to_pylist(), dtype=object),
        "unit": np.array(histories.unit.to_pylist(), dtype=object),
        "x": histories.x,
        "t_x_days": histories.t_x_days,
        "t_days": histories.t_days,
        "avg_ticket_amount": histories.avg_ticket_amount,
    }
