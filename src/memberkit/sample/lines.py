"""The sample chain's tickets as a line-level POS export (小票明细): one row per product line.

sample/tickets.py hands every chunk of tickets it writes to `LineSplitter`, which splits
each ticket into 1-8 product lines whose amounts and quantities sum exactly (in integer cents)
to the ticket's amount and item count, and writes those of the tickets from `lines_from` on
to ticket_lines.csv. The split draws from its own random stream, so asking for lines changes
no byte of the other files; every ticket is split whether or not its lines are written, so a
ticket's lines do not depend on `lines_from` either.

What a real export holds and the lines therefore carry: several items of a small catalogue
with categories; two identical lines (the same item scanned twice, told apart only by 行号);
a returned item inside a sale (negative quantity and amount); refund tickets as negative
lines; zero-amount gift lines, alone (a gift ticket) or beside paid items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _csv_appender
from memberkit.sample.spec import _rng

if TYPE_CHECKING:
    from memberkit.sample.spec import _World

__all__ = ["HEADERS", "LineSplitter", "split_tickets"]

HEADERS = [
    "小票号", "行号", "门店编号", "销售时间", "会员卡号", "商品编码", "商品名称", "品类", "数量",
    "金额",
]  # fmt: skip
STREAM = 8  # the random stream of the split (sample.py uses 1-7, one per file)
MAX_LINES = 8

# Shares, per ticket of the kind that can have them.
RETURN_SHARE = 0.03  # sales with a returned item as a negative line
GIFT_SHARE = 0.06  # sales of two or more items with a free gift line
REPEAT_SHARE = 0.12  # tickets of three or more lines whose first item was scanned twice
GROUPED = 0.3  # chance that an item joins the line before it (数量 2, 3 ...)

# code, name, category, list price in yuan, popularity. Codes are EAN-13 barcodes (China's
# 69 prefix; 13 digits, so only text keeps them) or the shop's own codes for loose goods.
PRODUCTS = [
    ("6901234500017", "东北大米 5kg", "粮油", 39.90, 6),
    ("6901234500024", "花生油 5L", "粮油", 89.90, 3),
    ("6901234500031", "挂面 1kg", "粮油", 8.50, 5),
    ("6902345600018", "纯牛奶 250ml×12", "乳品", 45.00, 8),
    ("6902345600025", "酸奶 200g×4", "乳品", 12.90, 7),
    ("6903456700019", "矿泉水 550ml", "饮料", 2.00, 9),
    ("6903456700026", "可乐 2L", "饮料", 7.50, 6),
    ("6903456700033", "橙汁 1L", "饮料", 13.80, 4),
    ("6904567800010", "薯片 70g", "零食", 8.90, 7),
    ("6904567800027", "坚果礼盒", "零食", 128.00, 2),
    ("6904567800034", "黑巧克力 100g", "零食", 19.90, 4),
    ("6905678900011", "啤酒 500ml×6", "酒水", 32.00, 4),
    ("6905678900028", "白酒 500ml", "酒水", 268.00, 1),
    ("6906789000012", "抽纸 10包", "日用品", 29.90, 6),
    ("6906789000029", "洗衣液 3kg", "日用品", 49.90, 4),
    ("6906789000036", "垃圾袋 3卷", "日用品", 9.90, 5),
    ("6907890100013", "洗发水 750ml", "个护", 45.90, 3),
    ("6907890100020", "牙膏 120g", "个护", 15.90, 5),
    ("6907890100037", "面霜 50ml", "个护", 159.00, 1),
    ("6908901200014", "保鲜盒套装", "家居", 59.00, 2),
    ("6908901200021", "不粘锅 28cm", "家居", 199.00, 1),
    ("2100010", "苹果 散称", "生鲜", 15.80, 6),
    ("2100027", "五花肉 散称", "生鲜", 32.00, 4),
    ("2100034", "鸡蛋 散称", "生鲜", 11.60, 5),
]  # fmt: skip
GIFTS = [  # free items: 金额 0
    ("ZP001", "环保购物袋", "赠品"),
    ("ZP002", "试用装洗发水", "赠品"),
    ("ZP003", "会员日鸡蛋", "赠品"),
]


def split_tickets(
    rng: np.random.Generator, cents: np.ndarray, qty: np.ndarray
) -> dict[str, np.ndarray]:
    """Lines of tickets with these amounts (cents) and item counts, in ticket order.

    Returns parallel arrays: ticket (index into the inputs), line_no (1..), product (index
    into PRODUCTS, or -1 - i for GIFTS[i]), qty and cents; per ticket the lines' qty and
    cents sum to the ticket's. A ticket is a sale (cents > 0), a refund (cents < 0, qty < 0:
    every line negative) or a gift ticket (cents == 0, qty > 0: only gift lines).
    """
    n = len(cents)
    cents, qty = np.asarray(cents, np.int64), np.asarray(qty, np.int64)
    sign = np.where(cents < 0, -1, 1)
    units, money = np.abs(qty), np.abs(cents)
    sale, gift_ticket = cents > 0, cents == 0
    prices = np.array([p[3] for p in PRODUCTS])
    popularity = np.array([p[4] for p in PRODUCTS], dtype=float)
    popularity /= popularity.sum()

    # Extra lines: a returned item (a negative line the other items pay for) or a free gift.
    returned = sale & (rng.random(n) < RETURN_SHARE)
    gift = sale & ~returned & (units >= 2) & (rng.random(n) < GIFT_SHARE)
    return_product = rng.choice(len(PRODUCTS), n, p=popularity)
    return_cents = np.maximum(1, np.rint(prices[return_product] * 100 * rng.uniform(0.7, 1, n)))
    return_cents = return_cents.astype(np.int64) * returned
    gift_product = rng.integers(0, len(GIFTS), n)
    main_units = units + returned - gift
    main_money = money + return_cents

    # The items of a ticket go into fewer lines when some come two or three to a line.
    room = MAX_LINES - returned - gift
    lines = np.clip(main_units - rng.binomial(np.maximum(main_units - 1, 0), GROUPED), 1, room)
    repeat = (lines >= 3) & (rng.random(n) < REPEAT_SHARE)
    start = np.cumsum(lines) - lines
    ticket = np.repeat(np.arange(n), lines)
    pos = np.arange(len(ticket)) - start[ticket]

    # Quantities: one item per line, the rest spread over the lines; a repeated item is one
    # item on each of the first two lines, so the rest goes to the lines after them.
    extra = main_units - lines
    first = 2 * repeat
    owner = np.repeat(np.arange(n), extra)
    slot = first[owner] + (rng.random(len(owner)) * (lines - first)[owner]).astype(np.int64)
    line_qty = 1 + np.bincount(start[owner] + slot, minlength=len(ticket))

    # Products priced near what the ticket paid per item (a 300-yuan basket of two items is
    # not two bags of crisps), then amounts in proportion to quantity × list price (± a
    # discount), each line its cumulative share of the ticket's money rounded down: exact
    # sums, no negative line.
    per_item = np.log(np.maximum(main_money, 1) / 100 / np.maximum(main_units, 1))
    wanted = per_item[ticket] + rng.normal(0.0, 0.8, len(ticket))
    by_price = np.argsort(prices, kind="stable")
    edges = np.log(prices[by_price])
    nearest = np.clip(np.searchsorted((edges[1:] + edges[:-1]) / 2, wanted), 0, len(edges) - 1)
    popular = rng.random(len(ticket)) < 0.3  # or simply a popular item
    product = np.where(
        popular, rng.choice(len(PRODUCTS), len(ticket), p=popularity), by_price[nearest]
    )
    product = np.where(gift_ticket[ticket], -1 - rng.integers(0, len(GIFTS), len(ticket)), product)
    weight = line_qty * np.where(product >= 0, prices[np.maximum(product, 0)], 1.0)
    weight *= rng.lognormal(0.0, 0.2, len(ticket))
    second = start[repeat] + 1  # the repeated scan: the same item, quantity and weight
    product[second], weight[second] = product[second - 1], weight[second - 1]
    cum = np.cumsum(weight)
    base = np.where(start > 0, cum[start - 1], 0.0)
    share = (cum - base[ticket]) / (cum[start + lines - 1] - base)[ticket]
    upto = np.floor(main_money[ticket] * share).astype(np.int64)
    upto[start + lines - 1] = main_money  # the last line closes the ticket exactly
    line_cents = np.diff(upto, prepend=0)
    line_cents[start] = upto[start]
    # The cumulative rounding can leave the repeated scan a cent above the first: give the
    # cent to the ticket's last line, so the two lines are identical.
    gap = np.zeros(n, np.int64)
    gap[repeat] = line_cents[second] - line_cents[second - 1]
    line_cents[second] -= gap[repeat]
    line_cents[start + lines - 1] += gap

    # The extra lines go after the ticket's items: a gift line, then the returned item.
    gifts, returns = np.flatnonzero(gift), np.flatnonzero(returned)
    parts = [
        (ticket, pos, product, line_qty * sign[ticket], line_cents * sign[ticket]),
        (gifts, lines[gifts], -1 - gift_product[gifts], np.ones(len(gifts), np.int64), 0 * gifts),
        (returns, lines[returns], return_product[returns], -np.ones(len(returns), np.int64),
         -return_cents[returns]),
    ]  # fmt: skip
    columns = [np.concatenate([np.asarray(part[i], np.int64) for part in parts]) for i in range(5)]
    order = np.lexsort((columns[1], columns[0]))
    names = ("ticket", "line_no", "product", "qty", "cents")
    out = {name: column[order] for name, column in zip(names, columns, strict=True)}
    out["line_no"] = out["line_no"] + 1
    return out


class LineSplitter:
    """Splits each chunk of tickets into lines; writes those due to the line file."""

    def __init__(self, world: _World, append: Callable[[pl.DataFrame], None]) -> None:
        spec = world.spec
        self._rng = _rng(spec, STREAM)
        self._append = append
        self._month_of_day = world.month_of_day
        # the first period month whose tickets come as lines (0: all of them)
        self._from = world.month_labels.index(spec.lines_from) if spec.lines_from else 0
        self._only_lines = spec.lines_from is not None
        codes = [p[0] for p in PRODUCTS] + [g[0] for g in reversed(GIFTS)]
        names = [p[1] for p in PRODUCTS] + [g[1] for g in reversed(GIFTS)]
        categories = [p[2] for p in PRODUCTS] + [g[2] for g in reversed(GIFTS)]
        # product -1 - i (GIFTS[i]) is row len(PRODUCTS) + len(GIFTS) - 1 - i of these
        self._catalogue = pl.DataFrame({"商品编码": codes, "商品名称": names, "品类": categories})

    def __call__(
        self, cents: np.ndarray, qty: np.ndarray, day: np.ndarray, tickets: pl.DataFrame
    ) -> pl.DataFrame:
        """Write the lines due of a chunk of tickets (their cents, qty and day, and the frame
        of them); return the tickets that stay in transactions.csv."""
        lines = split_tickets(self._rng, cents, qty)
        due = self._month_of_day[day] >= self._from
        keep = due[lines["ticket"]]
        product = lines["product"][keep]
        product = np.where(product >= 0, product, len(self._catalogue) + product)
        head = tickets.select("小票号", "门店编号", "交易时间", "会员卡号")
        frame = pl.concat(
            [
                head[lines["ticket"][keep]],
                self._catalogue[product],
                pl.DataFrame(
                    {
                        "行号": lines["line_no"][keep],
                        "数量": lines["qty"][keep],
                        "金额": lines["cents"][keep] / 100,
                    }
                ),
            ],
            how="horizontal",
        )
        self._append(frame.rename({"交易时间": "销售时间"}).select(HEADERS))
        return tickets.filter(pl.Series(~due)) if self._only_lines else tickets


@contextmanager
def line_splitter(path: Path | None, world: _World) -> Iterator[LineSplitter | None]:
    """A LineSplitter writing to path (None: no line file, yields None)."""
    if path is None:
        yield None
        return
    with _csv_appender(path, world.spec.encoding) as append:
        yield LineSplitter(world, append)
