"""transactions.csv: the POS tickets, generated vectorised in chunks of whole days and
appended to the CSV, with refunds that may land in a later chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _blank, _csv_appender, _prefixed
from memberkit.sample.lines import line_splitter
from memberkit.sample.spec import NO_TICKET, _normalised, _rng, _Visits, _World

# Tickets are generated for whole days at a time, about this many per chunk (bounds memory).
CHUNK_ROWS = 400_000

SHOP_OPEN_S = 9 * 3600
SHOP_CLOSE_S = 22 * 3600

MEMBER_SHARE = 0.65  # of sales tickets carrying a member card
AWAY_SHARE = 0.15  # of member tickets rung up outside the member's home store
REFUND_SHARE = 0.015  # refund rows, per sales ticket
ZERO_SHARE = 0.002  # zero-amount sales tickets (gifts, vouchers)

# Lunar new year's day: the two weeks before are the busiest of the year, the holiday is quiet.
LUNAR_NEW_YEAR = {
    2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05", 2020: "01-25", 2021: "02-12",
    2022: "02-01", 2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17", 2027: "02-06",
    2028: "01-26", 2029: "02-13", 2030: "02-03", 2031: "01-23", 2032: "02-11",
}  # fmt: skip
# Monday..Sunday, and January..December.
WEEKDAY_FACTOR = np.array([0.92, 0.88, 0.92, 0.96, 1.08, 1.42, 1.33])
MONTH_FACTOR = np.array([1.05, 0.98, 0.90, 0.92, 0.97, 1.05, 0.95, 0.95, 0.97, 1.00, 1.10, 1.22])
# 09:00..21:00 (a lunch bump and an evening peak).
HOUR_FACTOR = np.array([0.5, 0.7, 0.9, 1.2, 1.1, 0.9, 0.9, 1.0, 1.2, 1.5, 1.6, 1.3, 0.8])


def _day_weights(days: np.ndarray) -> np.ndarray:
    """Relative ticket volume per day: weekly and seasonal rhythm, promotions, slow growth."""
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    month = days.astype("datetime64[M]").astype(int) % 12
    mday = (days - days.astype("datetime64[M]")).astype(int) + 1
    w = WEEKDAY_FACTOR[weekday] * MONTH_FACTOR[month]
    june, november = month == 5, month == 10
    w *= np.where(june & (mday <= 18), 1.25, 1.0) * np.where(june & (mday == 18), 1.8, 1.0)  # 618
    w *= np.where(november & (mday <= 11), 1.3, 1.0)  # 双11 build-up ...
    w *= np.where(november & (mday == 11), 2.2, 1.0)  # ... and the day itself
    for year in np.unique(days.astype("datetime64[Y]").astype(int) + 1970):
        new_year = np.datetime64(f"{year}-{LUNAR_NEW_YEAR.get(int(year), '02-05')}")
        offset = (days - new_year).astype(int)
        w *= np.where((offset >= -14) & (offset < 0), 1.5, 1.0)  # new-year shopping
        w *= np.where((offset >= 0) & (offset < 4), 0.6, 1.0)  # holiday
    return w * (1 + 0.06 * (days - days[0]).astype(int) / 365)


def _chunks(per_day: np.ndarray) -> list[tuple[int, int]]:
    """Split the period into runs of whole days holding about CHUNK_ROWS tickets each."""
    bounds, start, rows = [], 0, 0
    for d, count in enumerate(per_day):
        rows += count
        if rows >= CHUNK_ROWS:
            bounds.append((start, d + 1))
            start, rows = d + 1, 0
    if start < len(per_day) or not bounds:
        bounds.append((start, len(per_day)))
    return bounds


def _write_transactions(
    path: Path, world: _World, lines_path: Path | None
) -> tuple[np.ndarray, _Visits]:
    """Write the tickets (and their lines to lines_path, see sample/lines.py); return net
    sales in cents per (store, period month), and each member's ticket days per month."""
    spec = world.spec
    rng = _rng(spec, 3)
    n_refunds = round(spec.tickets * REFUND_SHARE / (1 + REFUND_SHARE))
    n_sales = spec.tickets - n_refunds
    per_day = rng.multinomial(n_sales, _normalised(_day_weights(world.days)))
    sales_total = np.zeros((len(world.store_ids), spec.months))
    # Members are ordered by join date: those joined by day d are a prefix (see _sales).
    activity_cum = np.concatenate([[0.0], np.cumsum(world.member_activity)])
    pending = _Tickets.empty()  # refunds dated after the chunk they were generated in
    done_sales = done_refunds = written = 0
    visit_shape = (len(world.member_join), spec.months)
    # day indexes fit in 16 bits (120 months at most): a million members cost 100 MiB
    first_visit = np.full(visit_shape, np.iinfo(np.int16).max, dtype=np.int16)
    last_visit = np.full(visit_shape, NO_TICKET, dtype=np.int16)
    with _csv_appender(path, spec.encoding) as append, line_splitter(lines_path, world) as split:
        for lo, hi in _chunks(per_day):
            sales = _sales(rng, world, per_day, lo, hi, activity_cum)
            done_sales += len(sales.day)
            # Refunds spread in proportion to sales, totalling exactly n_refunds.
            want = round(n_refunds * done_sales / n_sales) if n_sales else n_refunds
            refunds = _refunds(rng, world, sales, want - done_refunds)
            done_refunds += len(refunds.day)
            pending = _Tickets.concat([pending, refunds])
            due = pending.day < hi
            rows = _Tickets.concat([sales, pending.take(due)])
            pending = pending.take(~due)
            rows = rows.take(np.argsort(rows.seconds(), kind="stable"))
            cell = rows.store * spec.months + world.month_of_day[rows.day]
            sales_total += np.bincount(cell, rows.cents, sales_total.size).reshape(
                sales_total.shape
            )
            ticket = (rows.member >= 0) & (rows.cents > 0)  # refunds are not tickets
            visit = rows.member[ticket] * spec.months + world.month_of_day[rows.day[ticket]]
            ticket_day = rows.day[ticket].astype(np.int16)
            np.minimum.at(first_visit.reshape(-1), visit, ticket_day)
            np.maximum.at(last_visit.reshape(-1), visit, ticket_day)
            frame = rows.frame(world, first_id=written + 1)
            append(frame if split is None else split(rows.cents, rows.qty, rows.day, frame))
            written += len(rows.day)
    first_visit[last_visit == NO_TICKET] = NO_TICKET
    return sales_total, _Visits(first_visit, last_visit)


@dataclass
class _Tickets:
    """Columns of a batch of tickets (parallel numpy arrays)."""

    day: np.ndarray  # day index in the period
    tod: np.ndarray  # seconds after midnight
    store: np.ndarray
    member: np.ndarray  # member index, -1 for none
    cents: np.ndarray
    qty: np.ndarray

    @classmethod
    def empty(cls) -> _Tickets:
        return cls(*(np.zeros(0, dtype=np.int64) for _ in range(6)))

    @classmethod
    def concat(cls, parts: list[_Tickets]) -> _Tickets:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls._fields()))

    @staticmethod
    def _fields() -> tuple[str, ...]:
        return ("day", "tod", "store", "member", "cents", "qty")

    def take(self, index: np.ndarray) -> _Tickets:
        return _Tickets(*(getattr(self, f)[index] for f in self._fields()))

    def seconds(self) -> np.ndarray:
        return self.day * 86_400 + self.tod

    def frame(self, world: _World, first_id: int) -> pl.DataFrame:
        epoch_s = world.start.astype("datetime64[s]").astype(np.int64) + self.seconds()
        member = pl.Series(np.where(self.member >= 0, self.member + 1, 0))
        return pl.DataFrame(
            {
                "小票号": pl.int_range(first_id, first_id + len(self.day), eager=True),
                "门店编号": pl.Series(self.store + 1),
                "交易时间": pl.from_epoch(pl.Series(epoch_s), time_unit="s"),
                "会员卡号": _blank(member, self.member < 0),
                "实收金额": self.cents / 100,
                "商品数量": self.qty,
            }
        ).with_columns(
            _prefixed("T", "小票号", 10),
            _prefixed("S", "门店编号", 3),
            _prefixed("M", "会员卡号", 8),
        )


def _sales(
    rng: np.random.Generator,
    world: _World,
    per_day: np.ndarray,
    lo: int,
    hi: int,
    activity_cum: np.ndarray,
) -> _Tickets:
    n_stores = len(world.store_ids)
    day = np.repeat(np.arange(lo, hi), per_day[lo:hi])
    n = len(day)
    hour = rng.choice(len(HOUR_FACTOR), n, p=_normalised(HOUR_FACTOR))
    tod = SHOP_OPEN_S + hour * 3600 + rng.integers(0, 3600, n)

    # Member tickets: a member who had joined by that day, weighted by activity.
    # activity_cum[j] is the total activity of the first j members, those joined are a prefix.
    pool = activity_cum[np.searchsorted(world.member_join, day, side="right")]
    is_member = (rng.random(n) < MEMBER_SHARE) & (pool > 0)
    pick = np.searchsorted(activity_cum, rng.random(n) * pool, side="right") - 1
    member = np.where(is_member, pick, -1)

    home = world.member_home[np.maximum(member, 0)] if len(world.member_home) else member * 0
    away = (rng.random(n) < AWAY_SHARE) & (n_stores > 1)
    other = (home + rng.integers(1, max(n_stores, 2), n)) % n_stores
    walk_in = rng.choice(n_stores, n, p=world.store_weight)
    store = np.where(is_member, np.where(away, other, home), walk_in)

    # Basket value: log-normal around 150 yuan; item count follows value via a unit price.
    cents = np.maximum(1, np.rint(rng.lognormal(np.log(125), 0.75, n) * 100)).astype(np.int64)
    unit_price = rng.lognormal(np.log(38), 0.5, n) * 100
    qty = np.clip(np.ceil(cents / unit_price), 1, 12).astype(np.int64)
    zero = rng.random(n) < ZERO_SHARE
    cents[zero] = 0
    qty[zero] = rng.integers(1, 3, zero.sum())
    return _Tickets(day, tod, store, member, cents, qty)


def _refunds(rng: np.random.Generator, world: _World, sales: _Tickets, count: int) -> _Tickets:
    """Refunds of `count` of these sales: same store and member, 0-40 days later."""
    candidates = np.flatnonzero(sales.cents > 0)
    count = min(count, len(candidates))
    orig = sales.take(np.sort(rng.choice(candidates, count, replace=False)))
    last_day = len(world.days) - 1
    delay = np.minimum(40, rng.exponential(6.0, count).astype(np.int64))
    day = np.minimum(orig.day + delay, last_day)  # clamp to the period end
    same_day = day == orig.day
    later = orig.tod + 1 + (rng.random(count) * (SHOP_CLOSE_S - orig.tod - 1)).astype(np.int64)
    tod = np.where(
        same_day, later, SHOP_OPEN_S + rng.integers(0, SHOP_CLOSE_S - SHOP_OPEN_S, count)
    )
    # Mostly the whole ticket; otherwise a part (one item of several).
    part = rng.uniform(0.2, 0.9, count)
    full = rng.random(count) < 0.6
    cents = np.where(full, orig.cents, np.maximum(1, np.rint(orig.cents * part)).astype(np.int64))
    qty = np.where(full, orig.qty, np.clip(np.rint(orig.qty * part), 1, orig.qty))
    return _Tickets(day, tod, orig.store, orig.member, -cents, -qty.astype(np.int64))
