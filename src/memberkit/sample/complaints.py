"""complaints.csv: the 顾客投诉意见处理表, about one complaint per hundred tickets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _blank, _write_csv
from memberkit.sample.spec import _normalised, _rng, _World
from memberkit.sample.tickets import SHOP_CLOSE_S, SHOP_OPEN_S, _day_weights

TICKETS_PER_COMPLAINT = 100
COMPLAINT_CHANNELS = {"门店": 0.45, "客服热线": 0.3, "微信": 0.15, "电子邮件": 0.06, "12315": 0.04}
COMPLAINT_CATEGORIES = {  # category: what the customer said (投诉内容, kept on the form only)
    "商品质量": "商品有质量问题", "服务态度": "店员态度不好", "价格标签": "标价与结算价不符",
    "收银结算": "收银排队时间长", "退换货": "退货被拒", "会员积分": "积分未到账",
    "环境卫生": "卖场卫生差",
}  # fmt: skip
SATISFACTION_WORDS = ["满意", "一般", "不满意"]


def _write_complaints(path: Path, world: _World) -> tuple[np.ndarray, np.ndarray]:
    """顾客投诉意见处理表: about one complaint per hundred tickets, handled against the
    handbook's service levels (reply within 24 hours, resolve within 48). Most are answered
    within hours and resolved within two days; some take longer, a few are never replied to
    before they are resolved, and those the export's end overtakes are still open. Half the
    stores rate satisfaction in words, the other half as a score of 1-5; many leave it blank.
    Returns the resolved complaints of members, to call back: member indexes and the times
    (epoch seconds) they were resolved."""
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
    resolved_by_member = has_member & (resolved >= 0)
    return member[resolved_by_member], resolved[resolved_by_member]


def _below(rng: np.random.Generator, hours: np.ndarray, limit: int) -> np.ndarray:
    """The hours, those at or over the limit drawn again below it (those handled in time)."""
    return np.where(hours < limit, hours, rng.uniform(0.2, limit - 0.2, len(hours)))
