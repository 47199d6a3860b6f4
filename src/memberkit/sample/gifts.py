"""gifts.csv, gift_moves.csv and gift_counts.csv: the gift catalogue, the ledger simulated
month by month, and the stock count on the last day.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _write_csv
from memberkit.sample.spec import SampleSpec, _Delivery, _normalised, _rng, _World

GIFTS = [  # id, name, unit, unit cost, popularity
    ("G01", "保温杯", "个", 35.50, 0.10),
    ("G02", "环保袋", "个", 6.80, 0.24),
    ("G03", "雨伞", "把", 28.00, 0.10),
    ("G04", "毛巾", "条", 12.50, 0.18),
    ("G05", "马克杯", "个", 18.90, 0.12),
    ("G06", "折叠扇", "把", 9.90, 0.08),
    ("G07", "围巾", "条", 42.00, 0.05),
    ("G08", "钥匙扣", "个", 3.20, 0.13),
]
HEADERS_GIFT_MOVES = [
    "move_date", "location", "gift_id", "kind", "qty", "ref", "to_location", "member_id",
]  # fmt: skip
COUNTERS = ["张丽", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴刚"]


def _write_gifts(path: Path, spec: SampleSpec) -> None:
    frame = pl.DataFrame(
        {
            "礼品编号": [g[0] for g in GIFTS],
            "礼品名称": [g[1] for g in GIFTS],
            "单位": [g[2] for g in GIFTS],
            "单价": [g[3] for g in GIFTS],
        }
    )
    _write_csv(path, frame, spec.encoding)


def _write_gift_moves(
    path: Path, world: _World, deliveries: Sequence[_Delivery] = ()
) -> dict[tuple[str, str], int]:
    """Simulate the gift ledger month by month, with the deliveries of gift requests (HQ to
    a store, ref = the request id); return the book stock per (location, gift)."""
    spec = world.spec
    rng = _rng(spec, 5)
    stores, n_stores = world.store_ids, len(world.store_ids)
    gift_ids = [g[0] for g in GIFTS]
    popularity = _normalised([g[4] for g in GIFTS])
    stock = {(loc, g): 0 for loc in ["HQ", *stores] for g in gift_ids}
    rows: list[tuple] = []
    issued_on: dict[str, int] = {}  # issues per day, for the ISS- reference

    def move(day, loc, gift, kind, qty, ref, to=None, member=None):
        rows.append((str(day), loc, gift, kind, int(qty), ref, to, member))
        stock[loc, gift] += -qty if kind in ("issue", "transfer") else qty
        if to is not None:
            stock[to, gift] += qty

    def issue(day, loc, gift, qty, member):
        issued_on[str(day)] = issued_on.get(str(day), 0) + 1
        move(day, loc, gift, "issue", qty, f"ISS-{day}-{issued_on[str(day)]:04d}", member=member)

    # Gifts handed out per store and month follow the store's member base. Stores are topped
    # up to about 1.5 months of issues (par), HQ keeps about two months of the chain's.
    monthly = np.clip(np.bincount(world.member_home, minlength=n_stores) * 0.02, 2, 40)
    par = np.ceil(monthly[:, None] * popularity[None, :] * 1.2 * 1.5).astype(int) + 2
    hq_level = par.sum(axis=0) * 2
    # A couple of store-months where staff hand out a gift the book no longer holds (never
    # the last month, so the count still finds stock), and a few stock adjustments (-1: HQ).
    mistakes = set()
    if spec.months > 1:
        mistakes = {(int(rng.integers(n_stores)), int(rng.integers(spec.months - 1))) for _ in "ab"}
    adjusts = {(int(rng.integers(-1, n_stores)), int(rng.integers(spec.months))) for _ in range(4)}
    adjust_sign = itertools.cycle([-1, 1])
    # HQ buys in what approved requests will take that month besides its usual level
    ordered: dict[tuple[int, int], int] = {}
    for d in deliveries:
        cell = (int(world.month_of_day[d.day]), d.gift)
        ordered[cell] = ordered.get(cell, 0) + d.qty

    for m, label in enumerate(world.month_labels):
        first = date.fromisoformat(f"{label}-01")
        n_days = calendar.monthrange(first.year, first.month)[1]
        for gi, g in enumerate(gift_ids):  # HQ: opening stock, then monthly receipts
            if m == 0:
                move(first, "HQ", g, "opening", hq_level[gi] + rng.integers(0, 20) * 10,
                     f"OPN-{first}")  # fmt: skip
            elif (short := hq_level[gi] + ordered.get((m, gi), 0) - stock["HQ", g]) > 0:
                move(first, "HQ", g, "receipt", -(-short // 10) * 10, f"RCV-{first}")
        first_index = int(world.month_first_day[m])
        arriving = [d for d in deliveries if world.month_of_day[d.day] == m]
        for d in arriving:  # a request delivered on the 1st goes before the top-ups
            if d.day == first_index:
                move(first, "HQ", gift_ids[d.gift], "transfer", d.qty, d.ref, to=stores[d.store])
        second = first + timedelta(days=1)
        for s, store in enumerate(stores):  # top the stores up to par, as far as HQ can
            for gi, g in enumerate(gift_ids):
                qty = min(par[s, gi] - stock[store, g], stock["HQ", g])
                if qty > 0:
                    move(second, "HQ", g, "transfer", qty, f"TRF-{second}-{store}", to=store)

        # The month's issues, from the 3rd on: (day of month, store, gift, qty, member).
        store_of = np.repeat(np.arange(n_stores), rng.poisson(monthly))
        day_of = rng.integers(2, n_days, len(store_of))
        gift_of = rng.choice(len(gift_ids), len(store_of), p=popularity)
        qty_of = 1 + (rng.random(len(store_of)) < 0.25)
        member_of = _gift_recipients(rng, world, store_of, world.month_first_day[m] + day_of)
        events = list(zip(day_of.tolist(), store_of.tolist(), gift_of.tolist(), qty_of.tolist(),
                          member_of, strict=True))  # fmt: skip
        for s, when in sorted(adjusts):
            if when == m:
                events.append((int(rng.integers(2, n_days)), s, -1, 0, None))
        events += [(n_days - 1, s, -2, 0, None) for s, when in sorted(mistakes) if when == m]
        events += [
            (d.day - first_index, d.store, -3, d.qty, (gift_ids[d.gift], d.ref))
            for d in arriving
            if d.day > first_index
        ]
        # By day; on a day, issues before adjustments and mistakes.
        for day_index, s, gi, qty, member in sorted(events, key=lambda e: (e[0], e[2] < 0)):
            day = first + timedelta(days=day_index)
            loc = "HQ" if s < 0 else stores[s]
            if gi == -1:  # adjustment: alternately breakage (never below zero) and a found box
                g = gift_ids[int(rng.integers(0, len(gift_ids)))]
                qty = max(int(rng.integers(1, 3)) * next(adjust_sign), -stock[loc, g])
                if qty:
                    move(day, loc, g, "adjust", qty, f"ADJ-{day}-{loc}")
            elif gi == -2:  # mistake: hand out the scarcest gift, then one more than the book
                g = min(gift_ids, key=lambda gid: stock[loc, gid])
                qtys = [2] * (stock[loc, g] // 2) + [2 if stock[loc, g] % 2 else 1]
                days = np.full(len(qtys), world.month_first_day[m] + day_index)
                members = _gift_recipients(rng, world, np.full(len(qtys), s), days)
                if None not in members:
                    for q, member in zip(qtys, members, strict=True):
                        issue(day, loc, g, q, member)
            elif gi == -3:  # a gift request delivered: member holds (gift, request id)
                g, ref = member
                move(day, "HQ", g, "transfer", qty, ref, to=stores[s])
            elif member is not None:  # a normal issue, if the gift is in stock
                g = gift_ids[gi]
                if min(qty, stock[loc, g]) > 0:
                    issue(day, loc, g, min(qty, stock[loc, g]), member)

    schema = dict.fromkeys(HEADERS_GIFT_MOVES, pl.String) | {"qty": pl.Int64}
    _write_csv(path, pl.DataFrame(rows, schema=schema, orient="row"), spec.encoding)
    return stock


def _gift_recipients(
    rng: np.random.Generator, world: _World, store: np.ndarray, day: np.ndarray
) -> list[str | None]:
    """Per (store, day): a member who had joined by then, preferably one of the store's own."""
    # Sort members by (home store, join day): the store's members joined by `day` are then
    # a run starting at the store's first member, found with one searchsorted.
    shift = 1 << 30
    key = world.member_home.astype(np.int64) * (2 * shift) + world.member_join + shift
    order = np.argsort(key, kind="stable")
    key = key[order]
    lo = np.searchsorted(key, store * (2 * shift))
    at_home = np.searchsorted(key, store * (2 * shift) + day + shift, side="right") - lo
    anywhere = np.searchsorted(world.member_join, day, side="right")
    u = rng.random(len(store))
    if not len(order):
        return [None] * len(store)
    pick = np.where(
        at_home > 0,
        order[np.minimum(lo + (u * at_home).astype(np.int64), len(order) - 1)],
        (u * anywhere).astype(np.int64),
    )
    return [
        f"M{p + 1:08d}" if h or a else None
        for p, h, a in zip(pick.tolist(), at_home.tolist(), anywhere.tolist(), strict=True)
    ]


def _write_gift_counts(path: Path, world: _World, stock: dict[tuple[str, str], int]) -> None:
    """Stock count on the last day: the book, except a few items miscounted or lost."""
    rng = _rng(world.spec, 6)
    keys = list(stock)
    counted = np.array([stock[k] for k in keys])
    # About 6% of the lines are off by one or two, alternately over and short (short only
    # where there is stock to lose).
    has_stock = np.flatnonzero(counted >= 2)
    k = min(len(has_stock), max(2, round(0.06 * len(keys))))
    picked = rng.choice(has_stock, k, replace=False)
    counted[picked] += np.where(np.arange(k) % 2 == 0, 1, -1) * rng.integers(1, 3, k)
    counter = {loc: COUNTERS[int(rng.integers(0, len(COUNTERS)))] for loc, _ in keys}
    frame = pl.DataFrame(
        {
            "count_date": [str(world.days[-1])] * len(keys),
            "location": [loc for loc, _ in keys],
            "gift_id": [g for _, g in keys],
            "counted_qty": np.maximum(counted, 0),
            "counted_by": [counter[loc] for loc, _ in keys],
        }
    )
    _write_csv(path, frame, world.spec.encoding)
