"""members.csv: the member cards (names, birthdays, shared phones, expiries), and the
_World built from them for the later files: who joined when, where, and how often they shop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _blank, _prefixed, _write_csv
from memberkit.sample.spec import NO_EXPIRY, SampleSpec, _normalised, _rng, _World

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
    "曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
MALE_CHARS = list("伟强磊军洋勇杰涛明超刚华鹏辉宇浩博俊文斌建国志峰凯飞林")
FEMALE_CHARS = list("芳娜敏静丽艳娟秀霞玉兰萍红婷雪琳欣怡涵梓佳嘉思雨晨颖慧倩")


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

    # the blanks, drawn in column order (the files stay as they were before the service
    # records needed to know them)
    no_gender, no_birth, no_phone, no_expiry = (rng.random(n) < p for p in (0.03, 0.08, 0.01, 0.05))
    expiry = _expiry(join, end_m - 2)
    frame = pl.DataFrame(
        {
            "会员卡号": np.arange(1, n + 1),
            "姓名": name,
            "性别": _blank(pl.Series(gender), no_gender),
            "出生日期": _blank(pl.Series(birth), no_birth),
            "手机号": _blank(pl.Series(phone), no_phone),
            "开卡门店": pl.Series(store_ids).gather(home),
            "开卡日期": join,
            "到期日期": _blank(pl.Series(expiry), no_expiry),
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
        member_expiry=np.where(no_expiry, NO_EXPIRY, (expiry - start).astype(np.int64)),
        member_no_phone=no_phone,
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
