"""Realistic sample exports of a Chinese retail chain: stores, members, POS tickets, targets, gifts.

`write_sample_data(out_dir, SampleSpec(...))` writes eight CSV files (and, on request, the
tickets as a line-level export too: see sample_lines.py) with the headers a head office
actually receives (Chinese aliases for the member/POS exports, English for the gift
ledger). The data is deterministic for a given spec (byte-identical files) and carries the
quirks the loader and the metrics must cope with: blank fields, shared phones, refunds that
land in a later month, zero-amount gift tickets, stores without a target some months and
gift stock that goes slightly negative.

Tickets are generated vectorised in chunks of whole days and appended to the CSV, so ten
million of them take seconds and little memory.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

__all__ = ["SampleSpec", "write_sample_data"]

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
KINDS = (
    "stores", "members", "transactions", "targets", "gifts", "gift_moves", "gift_counts",
    "complaints",
)  # fmt: skip

# Tickets are generated for whole days at a time, about this many per chunk (bounds memory).
CHUNK_ROWS = 400_000

SHOP_OPEN_S = 9 * 3600
SHOP_CLOSE_S = 22 * 3600

MEMBER_SHARE = 0.65  # of sales tickets carrying a member card
AWAY_SHARE = 0.15  # of member tickets rung up outside the member's home store
REFUND_SHARE = 0.015  # refund rows, per sales ticket
ZERO_SHARE = 0.002  # zero-amount sales tickets (gifts, vouchers)

REGIONS = {
    "华东": ["上海徐汇", "杭州西湖", "南京鼓楼", "上海浦东", "苏州姑苏", "宁波海曙", "合肥蜀山",
             "上海静安", "杭州滨江", "无锡梁溪", "南京建邺", "常州天宁"],
    "华南": ["广州天河", "深圳南山", "厦门思明", "广州越秀", "深圳福田", "佛山禅城", "东莞南城",
             "福州鼓楼", "南宁青秀", "珠海香洲", "海口龙华", "中山石岐"],
    "华北": ["北京朝阳", "天津和平", "济南历下", "北京海淀", "青岛市南", "石家庄长安", "太原小店",
             "北京西城", "天津南开", "郑州金水", "呼和浩特新城", "唐山路北"],
    "西南": ["成都锦江", "重庆渝中", "昆明五华", "成都武侯", "贵阳云岩", "重庆江北", "绵阳涪城",
             "成都高新", "重庆沙坪坝", "昆明盘龙", "遵义汇川", "南充顺庆"],
}  # fmt: skip
ORDINALS = "二三四五六七八九"

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
    "曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
MALE_CHARS = list("伟强磊军洋勇杰涛明超刚华鹏辉宇浩博俊文斌建国志峰凯飞林")
FEMALE_CHARS = list("芳娜敏静丽艳娟秀霞玉兰萍红婷雪琳欣怡涵梓佳嘉思雨晨颖慧倩")

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

TICKETS_PER_COMPLAINT = 100
COMPLAINT_CHANNELS = {"门店": 0.45, "客服热线": 0.3, "微信": 0.15, "电子邮件": 0.06, "12315": 0.04}
COMPLAINT_CATEGORIES = {  # category: what the customer said (投诉内容, kept on the form only)
    "商品质量": "商品有质量问题", "服务态度": "店员态度不好", "价格标签": "标价与结算价不符",
    "收银结算": "收银排队时间长", "退换货": "退货被拒", "会员积分": "积分未到账",
    "环境卫生": "卖场卫生差",
}  # fmt: skip
SATISFACTION_WORDS = ["满意", "一般", "不满意"]


@dataclass(frozen=True)
class SampleSpec:
    seed: int = 7
    stores: int = 8
    members: int = 2_000
    tickets: int = 60_000
    months: int = 26  # months of tickets, ending with end_month inclusive
    end_month: str = "2026-10"  # YYYY-MM, last month with tickets
    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" or "gb18030": encoding of every written CSV
    ticket_lines: bool = False  # also write ticket_lines.csv: the tickets as product lines
    lines_from: str | None = None  # YYYY-MM: tickets from then on only as lines (implies lines)


@dataclass(frozen=True)
class _World:
    """What the later files need to know about the earlier ones."""

    spec: SampleSpec
    start: np.datetime64  # first day of the ticket period
    days: np.ndarray  # every day of the period, datetime64[D]
    month_of_day: np.ndarray  # index of each day's month within the period
    month_labels: list[str]  # "YYYY-MM" per period month
    month_first_day: np.ndarray  # day index of each month's first day
    store_ids: list[str]
    store_weight: np.ndarray  # share of the chain's tickets per store
    member_join: np.ndarray  # join day index relative to `start` (members ordered by join)
    member_home: np.ndarray  # home store index
    member_activity: np.ndarray  # relative shopping frequency, 0 = never buys


def write_sample_data(out_dir: Path, spec: SampleSpec) -> dict[str, Path]:
    """Write the files below into out_dir (created if missing); return {kind: path}."""
    _check(spec)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / f"{kind}.csv" for kind in KINDS}
    if spec.ticket_lines or spec.lines_from:
        paths["ticket_lines"] = out_dir / "ticket_lines.csv"
    store_ids, store_weight = _write_stores(paths["stores"], spec)
    world = _write_members(paths["members"], spec, store_ids, store_weight)
    sales = _write_transactions(paths["transactions"], world, paths.get("ticket_lines"))
    _write_targets(paths["targets"], world, sales)
    _write_gifts(paths["gifts"], spec)
    stock = _write_gift_moves(paths["gift_moves"], world)
    _write_gift_counts(paths["gift_counts"], world, stock)
    _write_complaints(paths["complaints"], world)
    return paths


def _check(spec: SampleSpec) -> None:
    if spec.encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {spec.encoding!r}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", spec.end_month):
        raise ValueError(f"end_month must look like 2026-10, not {spec.end_month!r}")
    if spec.stores < 1 or spec.stores > 999 or spec.months < 1:
        raise ValueError("need 1-999 stores and at least one month")
    if spec.members < 0 or spec.tickets < 0:
        raise ValueError("members and tickets cannot be negative")
    if spec.lines_from is not None:
        end = np.datetime64(spec.end_month, "M")
        first = end - (spec.months - 1)
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", spec.lines_from) or not (
            first <= np.datetime64(spec.lines_from, "M") <= end
        ):
            raise ValueError(
                f"lines_from must be a month of the sample's period, {first} to {end}, "
                f"not {spec.lines_from!r}"
            )


def _rng(spec: SampleSpec, stream: int) -> np.random.Generator:
    # One independent stream per file kind: changing the ticket count leaves members alone.
    return np.random.default_rng([spec.seed, stream])


# ---------------------------------------------------------------------------------- writing


@contextmanager
def _csv_appender(path: Path, encoding: str) -> Iterator[Callable[[pl.DataFrame], None]]:
    """Yield a function appending frames to one CSV in `encoding` (header from the first)."""
    with open(path, "wb") as fh:
        if encoding == "utf-8-sig":
            fh.write("\ufeff".encode())
        first = True

        def append(frame: pl.DataFrame) -> None:
            nonlocal first
            _append(fh, frame, first, encoding)
            first = False

        yield append


def _write_csv(path: Path, frame: pl.DataFrame, encoding: str) -> None:
    with _csv_appender(path, encoding) as append:
        append(frame)


def _append(fh: BinaryIO, frame: pl.DataFrame, header: bool, encoding: str) -> None:
    options = dict(
        include_header=header,
        float_precision=2,
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%d %H:%M:%S",
    )
    if encoding == "gb18030":
        # Re-encode chunk by chunk: polars only writes UTF-8.
        fh.write(frame.write_csv(**options).encode("gb18030"))
    else:
        frame.write_csv(fh, **options)


def _blank(series: pl.Series, mask: np.ndarray) -> pl.Series:
    """The series with the masked positions null (written as an empty field)."""
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(None).otherwise(series)).to_series()


# ----------------------------------------------------------------------------------- stores


def _write_stores(path: Path, spec: SampleSpec) -> tuple[list[str], np.ndarray]:
    rng = _rng(spec, 1)
    n = spec.stores
    n_regions = min(n, max(2, min(4, -(-n // 3))))
    regions = list(REGIONS)[:n_regions]
    # The first region (HQ's) has the most stores.
    region_of = np.sort(rng.choice(n_regions, size=n, p=_normalised(np.arange(n_regions, 0, -1))))
    region_of[:n_regions] = np.arange(n_regions)  # every chosen region gets a store
    region_of.sort()
    names, used = [], dict.fromkeys(regions, 0)
    for r in region_of:
        names.append(_store_name(REGIONS[regions[r]], used[regions[r]]))
        used[regions[r]] += 1
    ids = [f"S{i + 1:03d}" for i in range(n)]
    # Flagships and small shops: sizes differ by a factor of about four.
    weight = _normalised(rng.lognormal(0.0, 0.45, size=n))
    frame = pl.DataFrame(
        {"门店编号": ids, "门店名称": names, "区域": [regions[r] for r in region_of]}
    )
    _write_csv(path, frame, spec.encoding)
    return ids, weight


def _store_name(places: list[str], k: int) -> str:
    """The k-th store name of a region: 上海徐汇店 ..., then 上海徐汇二店 ... (always unique)."""
    place, rnd = places[k % len(places)], k // len(places)
    if rnd == 0:
        return f"{place}店"
    return f"{place}{ORDINALS[rnd - 1]}店" if rnd <= len(ORDINALS) else f"{place}{rnd + 1}号店"


def _normalised(weights: np.ndarray) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()


# ---------------------------------------------------------------------------------- members


def _write_members(
    path: Path, spec: SampleSpec, store_ids: list[str], store_weight: np.ndarray
) -> _World:
    rng = _rng(spec, 2)
    n = spec.members
    end_m = np.datetime64(spec.end_month, "M")
    start = (end_m - (spec.months - 1)).astype("datetime64[D]")
    period_end = (end_m + 1).astype("datetime64[D]") - 1
    days = np.arange(start, period_end + 1)

    # Cards were issued over the last four years; card numbers follow the issue date.
    first_join = (end_m - 47).astype("datetime64[D]")
    join = np.sort(first_join + rng.integers(0, (period_end - first_join).astype(int) + 1, n))
    home = rng.choice(len(store_ids), size=n, p=store_weight)

    gender_f = rng.random(n) < 0.55
    gender = np.where(gender_f, "女", "男")
    surname = np.array(SURNAMES)[_zipf_index(rng, len(SURNAMES), n)]
    female = np.array(FEMALE_CHARS)[rng.integers(0, len(FEMALE_CHARS), (n, 2))]
    male = np.array(MALE_CHARS)[rng.integers(0, len(MALE_CHARS), (n, 2))]
    chars = np.where(gender_f[:, None], female, male)
    given = np.where(rng.random(n) < 0.3, chars[:, 0], np.char.add(chars[:, 0], chars[:, 1]))
    name = np.char.add(surname, given)

    age_days = (np.clip(rng.normal(40, 13, n), 16, 85) * 365.25).astype(int)
    birth = period_end - age_days

    prefix = rng.choice(np.array([13, 15, 18, 19], dtype=np.int64), n, p=[0.4, 0.25, 0.2, 0.15])
    phone = (prefix * 1_000_000_000 + rng.integers(0, 1_000_000_000, n)).astype(str)
    if n >= 2:  # family members sharing one phone
        pairs = rng.choice(n, size=(min(50, max(1, n // 400)), 2), replace=False)
        phone[pairs[:, 1]] = phone[pairs[:, 0]]

    frame = pl.DataFrame(
        {
            "会员卡号": np.arange(1, n + 1),
            "姓名": name,
            "性别": _blank(pl.Series(gender), rng.random(n) < 0.03),
            "出生日期": _blank(pl.Series(birth), rng.random(n) < 0.08),
            "手机号": _blank(pl.Series(phone), rng.random(n) < 0.01),
            "开卡门店": pl.Series(store_ids).gather(home),
            "开卡日期": join,
            "到期日期": _blank(pl.Series(_expiry(join, end_m - 2)), rng.random(n) < 0.05),
        }
    ).with_columns(_prefixed("M", "会员卡号", 8))
    _write_csv(path, frame, spec.encoding)

    # Activity: heavy-tailed (a few regulars, many occasional shoppers), a sixth never buy.
    activity = rng.lognormal(0.0, 1.0, n) * (rng.random(n) >= 0.17)
    month_index = (days.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int)
    return _World(
        spec=spec,
        start=start,
        days=days,
        month_of_day=month_index,
        month_labels=[str(start.astype("datetime64[M]") + i) for i in range(spec.months)],
        month_first_day=np.searchsorted(month_index, np.arange(spec.months)),
        store_ids=store_ids,
        store_weight=store_weight,
        member_join=(join - start).astype(np.int64),
        member_home=home,
        member_activity=activity,
    )


def _zipf_index(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Indexes 0..size-1, the first ones much more common (surnames, like real life)."""
    return rng.choice(size, n, p=_normalised(1.0 / np.arange(1, size + 1) ** 0.8))


def _expiry(join: np.ndarray, cutoff_month: np.datetime64) -> np.ndarray:
    """First anniversary of join that falls after the first day of cutoff_month.

    Cards are renewed yearly, so expiries cluster around and after the export's end month.
    """
    cutoff = cutoff_month.astype("datetime64[D]")
    year = join.astype("datetime64[Y]").astype(int) + 1970
    month = join.astype("datetime64[M]").astype(int) % 12
    day = (join - join.astype("datetime64[M]")).astype(int)
    cutoff_year = cutoff.astype("datetime64[Y]").astype(int) + 1970

    def anniversary(y: np.ndarray) -> np.ndarray:
        first = ((y - 1970) * 12 + month).astype("datetime64[M]")
        length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(int)
        return first.astype("datetime64[D]") + np.minimum(day, length - 1)  # 29 Feb -> 28 Feb

    y = np.maximum(cutoff_year, year + 1)
    y = np.where(anniversary(y) <= cutoff, y + 1, y)
    return anniversary(y)


# ----------------------------------------------------------------------------- transactions


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


def _write_transactions(path: Path, world: _World, lines_path: Path | None) -> np.ndarray:
    """Write the tickets (and their lines to lines_path, see sample_lines); return net sales
    in cents per (store, period month)."""
    from memberkit.sample_lines import line_splitter

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
            frame = rows.frame(world, first_id=written + 1)
            append(frame if split is None else split(rows, frame))
            written += len(rows.day)
    return sales_total


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


def _prefixed(prefix: str, column: str, digits: int) -> pl.Expr:
    """Number column -> zero-padded text id like S001 (null stays null)."""
    return pl.concat_str(pl.lit(prefix), pl.col(column).cast(pl.String).str.zfill(digits)).alias(
        column
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


# ---------------------------------------------------------------------------------- targets


def _write_targets(path: Path, world: _World, sales: np.ndarray) -> None:
    """Monthly targets: the store's average month scaled by the chain's season, ±10%."""
    rng = _rng(world.spec, 4)
    n_stores, n_months = sales.shape
    chain = sales.sum(axis=0)
    season = chain / chain.mean() if chain.mean() > 0 else np.ones(n_months)
    typical = sales.mean(axis=1)[:, None] * season[None, :]
    target = np.rint(typical * rng.uniform(0.9, 1.15, sales.shape) / 100).astype(np.int64)
    month, store = np.repeat(np.arange(n_months), n_stores), np.tile(np.arange(n_stores), n_months)
    keep = rng.random(len(month)) >= 0.03  # some stores lack a target some months
    frame = pl.DataFrame(
        {
            "月份": [world.month_labels[m] for m in month],
            "门店编号": [world.store_ids[s] for s in store],
            "目标销售额": target[store, month],
        }
    ).filter(pl.Series(keep))
    _write_csv(path, frame, world.spec.encoding)


# ------------------------------------------------------------------------------------ gifts


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


def _write_gift_moves(path: Path, world: _World) -> dict[tuple[str, str], int]:
    """Simulate the gift ledger month by month; return the book stock per (location, gift)."""
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

    for m, label in enumerate(world.month_labels):
        first = date.fromisoformat(f"{label}-01")
        n_days = calendar.monthrange(first.year, first.month)[1]
        for gi, g in enumerate(gift_ids):  # HQ: opening stock, then monthly receipts
            if m == 0:
                move(first, "HQ", g, "opening", hq_level[gi] + rng.integers(0, 20) * 10,
                     f"OPN-{first}")  # fmt: skip
            elif (short := hq_level[gi] - stock["HQ", g]) > 0:
                move(first, "HQ", g, "receipt", -(-short // 10) * 10, f"RCV-{first}")
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


# ------------------------------------------------------------------------------- complaints


def _write_complaints(path: Path, world: _World) -> None:
    """顾客投诉意见处理表: about one complaint per hundred tickets, handled against the
    handbook's service levels (reply within 24 hours, resolve within 48). Most are answered
    within hours and resolved within two days; some take longer, a few are never replied to
    before they are resolved, and those the export's end overtakes are still open. Half the
    stores rate satisfaction in words, the other half as a score of 1-5; many leave it blank."""
    spec = world.spec
    rng = _rng(spec, 7)
    n = max(1, spec.tickets // TICKETS_PER_COMPLAINT)
    day = rng.choice(len(world.days), n, p=_normalised(_day_weights(world.days)))
    start_s = world.start.astype("datetime64[s]").astype(np.int64)
    in_day = rng.integers(0, SHOP_CLOSE_S - SHOP_OPEN_S, n)
    received = np.sort(start_s + day * 86_400 + SHOP_OPEN_S + in_day)  # numbered as received
    day = (received - start_s) // 86_400
    export_end = start_s + len(world.days) * 86_400  # the data's end: later events unseen
    store = rng.choice(len(world.store_ids), n, p=world.store_weight)

    hour = 3600
    # Replies: mostly within a few hours, about one in twelve after the 24 hours.
    late_reply = rng.random(n) < 0.08
    reply_delay = np.where(
        late_reply,
        rng.uniform(24, 96, n) * hour,
        _below(rng, rng.lognormal(np.log(2.5), 0.9, n), 24) * hour,
    ).astype(np.int64)
    # Resolutions: mostly within 48 hours, some in days, a few never.
    late_fix = rng.random(n) < 0.12
    fix_delay = np.where(
        late_fix,
        rng.uniform(48, 240, n) * hour,
        _below(rng, rng.lognormal(np.log(18), 0.7, n), 48) * hour,
    ).astype(np.int64)
    fix_delay = np.maximum(fix_delay, reply_delay)  # answered no later than it is resolved
    never = rng.random(n) < 0.02
    resolved = np.where(never | (received + fix_delay >= export_end), -1, received + fix_delay)
    replied = np.where(received + reply_delay >= export_end, -1, received + reply_delay)
    replied[(rng.random(n) < 0.04) & (resolved >= 0)] = -1  # the resolution was the answer

    # Satisfaction, asked once the complaint is resolved; late handling pleases fewer.
    good = np.where(late_fix | late_reply, 0.45, 0.75)
    u = rng.random(n)
    verdict = np.where(u < good, 0, np.where(u < good + (1 - good) * 0.6, 1, 2))
    score = np.where(
        verdict == 0, rng.integers(4, 6, n), np.where(verdict == 1, 3, rng.integers(1, 3, n))
    )
    in_words = store % 2 == 0
    satisfaction = np.where(in_words, np.array(SATISFACTION_WORDS)[verdict], score.astype(str))
    unrated = (resolved < 0) | (rng.random(n) < 0.3)

    joined = np.searchsorted(world.member_join, day, side="right")  # members joined by then
    has_member = (rng.random(n) < 0.6) & (joined > 0)
    member = (rng.random(n) * joined).astype(np.int64)
    categories = list(COMPLAINT_CATEGORIES)
    category = np.array(categories)[rng.integers(0, len(categories), n)]
    channel = rng.choice(
        list(COMPLAINT_CHANNELS), n, p=_normalised(list(COMPLAINT_CHANNELS.values()))
    )

    def moment(seconds: np.ndarray) -> pl.Series:
        times = pl.from_epoch(pl.Series(np.maximum(seconds, 0)), time_unit="s")
        return _blank(times, seconds < 0)

    frame = pl.DataFrame(
        {
            "投诉编号": [f"TS{i:06d}" for i in range(1, n + 1)],
            "受理时间": pl.from_epoch(pl.Series(received), time_unit="s"),
            "投诉门店": pl.Series(world.store_ids).gather(store),
            "会员卡号": _blank(pl.Series([f"M{m + 1:08d}" for m in member]), ~has_member),
            "投诉渠道": pl.Series(channel),
            "投诉类别": _blank(pl.Series(category), rng.random(n) < 0.03),
            "投诉内容": pl.Series([COMPLAINT_CATEGORIES[c] for c in category]),
            "首次答复时间": moment(replied),
            "处理完成时间": moment(resolved),
            "满意度": _blank(pl.Series(satisfaction), unrated),
        }
    )
    _write_csv(path, frame, spec.encoding)


def _below(rng: np.random.Generator, hours: np.ndarray, limit: int) -> np.ndarray:
    """The hours, those at or over the limit drawn again below it (those handled in time)."""
    return np.where(hours < limit, hours, rng.uniform(0.2, limit - 0.2, len(hours)))
