"""surveys.csv and callback_log.csv: the 满意度调查表 over the last fourteen months and the
回访记录 over the last twelve (SPEC 5.12, 5.13), about the sample's own members, stores and
tickets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _write_csv
from memberkit.sample.spec import NO_TICKET, _normalised, _rng, _Visits, _World
from memberkit.sample.tickets import SHOP_OPEN_S, _day_weights

SURVEY_MONTHS = 14
CALL_MONTHS = 12
CHANNELS = ["phone", "sms", "email", "visit"]
CHANNEL_SHARE = [0.4, 0.3, 0.1, 0.2]
CHANNEL_WORDS = {"phone": "电话", "sms": "短信", "email": "邮件", "visit": "线下访谈"}
SCORE_WORDS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
DIMENSIONS = ["服务态度", "服务效率", "服务质量", "解决问题能力", "总体满意度"]
DIMENSION_BIAS = np.array([0.15, -0.15, 0.05, -0.25])  # attitude, efficiency, quality, resolution
COMMENTS = {
    "low": ["结账排队太久", "店员态度冷淡", "投诉后没人跟进", "商品经常缺货", "退换货手续麻烦"],
    "mid": ["还可以", "希望多些会员活动", "停车不方便"],
    "high": ["店员很热情", "环境干净整洁", "会员活动很实惠", "处理问题很及时"],
}
CALL_KINDS = {
    "after_sale": "售后回访", "new": "新会员回访", "lapsed": "流失会员回访",
    "complaint": "投诉回访", "expiring": "到期提醒", "survey": "满意度回访",
}  # fmt: skip
OUTCOME_WORDS = {"reached": "接通", "no_answer": "未接通", "refused": "拒访"}
NOTES = {
    "reached": ["会员表示满意", "会员表示近期会来店", "已告知会员活动", "会员提出建议，已记录"],
    "no_answer": ["无人接听", "关机"],
    "refused": ["会员拒绝回访", "会员表示不需要"],
    "wrong_number": ["号码为空号", "非本人号码"],
}
CALLERS = ["何佳", "罗敏", "梁晨", "宋雨", "唐琳", "谢婷", "高峰", "林涛"]
INACTIVE_DAYS = 180  # the churn list's default window (SPEC 5.4): who counts as lapsed
RETURN_DAYS = 90  # a lapsed member who comes back within this is easier to reach


def _write_surveys(path: Path, world: _World) -> list[tuple[int, int]]:
    """满意度调查表: responses by phone, SMS, e-mail and visits over the last fourteen months.
    Phone and visit interviewers write the words (非常满意 … 非常不满意), SMS and e-mail
    replies come as digits; most answer every dimension, many SMS replies only the overall
    one; each store has its own level and drift. Returns the phone interviews of members
    (member index, day index): each was a 满意度回访 call that got through."""
    spec = world.spec
    rng = _rng(spec, 10)
    n_stores = len(world.store_ids)
    window = int(world.month_first_day[max(0, spec.months - SURVEY_MONTHS)])
    days = np.arange(window, len(world.days))
    n = int(np.clip(len(world.member_join) // 4, 20, 5000))
    day = np.sort(rng.choice(days, n, p=_normalised(_day_weights(world.days[days]))))
    joined = np.searchsorted(world.member_join, day, side="right")
    has_member = (rng.random(n) < 0.8) & (joined > 0)
    member = np.minimum(
        (rng.random(n) * joined).astype(np.int64), max(len(world.member_join) - 1, 0)
    )
    walk_in = rng.choice(n_stores, n, p=world.store_weight)
    home = world.member_home[member] if len(world.member_join) else walk_in
    store = np.where(has_member, home, walk_in)
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_SHARE)

    level = rng.normal(0, 0.35, n_stores)
    drift = rng.normal(0, 0.4, n_stores)  # points per year
    latent = 4.0 + level[store] + drift[store] * (day - window) / 365 + rng.normal(0, 0.75, n)
    noise = rng.normal(0, 0.55, (n, 4))
    dims = np.clip(np.rint(latent[:, None] + DIMENSION_BIAS + noise), 1, 5).astype(np.int64)
    overall = np.clip(np.rint(dims.mean(axis=1) + rng.normal(0, 0.3, n)), 1, 5).astype(np.int64)
    scores = np.column_stack([dims, overall]).astype(object)
    only_overall = (channel == 1) & (rng.random(n) < 0.45)  # an SMS reply with one number
    scores[only_overall, :4] = None
    scores[:, :4][(rng.random((n, 4)) < 0.07) & ~only_overall[:, None]] = None
    some_dimension = ~only_overall & (scores[:, :4] != None).any(axis=1)  # noqa: E711
    scores[some_dimension & (rng.random(n) < 0.04), 4] = None  # overall left blank

    in_words = np.isin(channel, [0, 3])
    english = np.arange(n_stores)[store] % 4 == 3  # one store in four exports the codes
    comment_u = rng.random(n)
    picks = rng.integers(0, 1 << 30, n)
    rows = []
    for i in range(n):
        code = CHANNELS[channel[i]]
        written = [
            None if s is None else (SCORE_WORDS[s] if in_words[i] else str(s)) for s in scores[i]
        ]
        grade = "low" if overall[i] <= 2 else "mid" if overall[i] == 3 else "high"
        says = comment_u[i] < {"low": 0.7, "mid": 0.2, "high": 0.15}[grade]
        rows.append(
            [
                f"MY{i + 1:06d}",
                str(world.days[day[i]]),
                world.store_ids[store[i]],
                f"M{member[i] + 1:08d}" if has_member[i] else None,
                code if english[i] else CHANNEL_WORDS[code],
                *written,
                COMMENTS[grade][picks[i] % len(COMMENTS[grade])] if says else None,
            ]
        )
    header = ["调查编号", "调查日期", "门店编号", "会员卡号", "调查方式", *DIMENSIONS, "意见建议"]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")
    _write_csv(path, frame, spec.encoding)
    phoned = has_member & (channel == 0)
    return list(zip(member[phoned].tolist(), day[phoned].tolist(), strict=True))


def _write_callback_log(
    path: Path,
    world: _World,
    visits: _Visits,
    complaints: tuple[np.ndarray, np.ndarray],
    interviews: list[tuple[int, int]],
) -> None:
    """回访记录 over the last twelve months: after-sale calls a few days after a ticket, new
    members within weeks of joining, lapsed members (on the churn list of SPEC 5.4 with its
    default 180 days) in the 30 days after a month's end, expiring cards the month before,
    complainants once the complaint is resolved, and the satisfaction interviews (with the
    attempts that failed). A few members' phone numbers are wrong: every call to them is
    空号 or 错号. Lapsed members who come back are reached more often: called and not
    called members differ, as they do in real life."""
    spec = world.spec
    rng = _rng(spec, 11)
    n_members, n_stores = len(world.member_join), len(world.store_ids)
    last_day = len(world.days) - 1
    wrong_phone = rng.random(n_members) < 0.03
    callable_ = ~world.member_no_phone
    calls: list[tuple[int, int, str, str]] = []  # member, second of the period, kind, outcome

    def call(member: int, day: int, kind: str, reached: float = 0.72) -> str | None:
        if day > last_day:
            return None
        u = rng.random()
        outcome = (
            "wrong_number"
            if wrong_phone[member]
            else "reached"
            if u < reached
            else "no_answer"
            if u < reached + (1 - reached) * 0.7
            else "refused"
        )
        moment = day * 86_400 + SHOP_OPEN_S + int(rng.integers(0, 11 * 3600))
        calls.append((member, moment, kind, outcome))
        return outcome

    def pick(pool: np.ndarray, share: float, cap: int) -> np.ndarray:
        count = min(len(pool), int(round(len(pool) * share)), cap)
        return np.sort(rng.choice(pool, count, replace=False)) if count else pool[:0]

    # the last ticket on or before each month's end, and the first after it
    last_upto = np.maximum.accumulate(visits.last, axis=1)
    first = np.where(visits.first == NO_TICKET, np.iinfo(np.int16).max, visits.first)
    first_after = np.minimum.accumulate(first[:, ::-1], axis=1)[:, ::-1]  # from month m on
    called_lapsed = np.full(n_members, -(1 << 30))  # the month of a member's last lapsed call
    for m in range(max(0, spec.months - CALL_MONTHS), spec.months):
        start = int(world.month_first_day[m])
        end = int(world.month_first_day[m + 1]) - 1 if m + 1 < spec.months else last_day
        on_file = (world.member_join <= end) & (world.member_expiry >= start) & callable_

        # lapsed (SPEC 5.4, 5.13): the list at this month's end, called within 30 days
        lapsed = on_file & (last_upto[:, m] != NO_TICKET) & (last_upto[:, m] <= end - INACTIVE_DAYS)
        fresh = lapsed & (called_lapsed < m - 3)
        back = np.full(n_members, False)
        if m + 1 < spec.months:
            back = first_after[:, m + 1] <= end + RETURN_DAYS
        for k, member in enumerate(pick(np.flatnonzero(fresh), 0.5, 10 * n_stores)):
            called_lapsed[member] = m
            day = end + 30 if k == 0 else end + 1 + int(rng.integers(0, 30))  # one on E + 30
            outcome = call(member, day, "lapsed", reached=0.7 if back[member] else 0.45)
            if outcome == "no_answer" and rng.random() < 0.5:  # tried again a few days on
                call(member, day + int(rng.integers(2, 7)), "lapsed", reached=0.5)

        bought = np.flatnonzero(on_file & (visits.last[:, m] != NO_TICKET))
        for member in pick(bought, 0.05, 3 * n_stores):
            call(member, int(visits.last[member, m]) + int(rng.integers(1, 5)), "after_sale")
        joined = np.flatnonzero(
            callable_ & (world.member_join >= start) & (world.member_join <= end)
        )
        for member in pick(joined, 0.6, 4 * n_stores):
            call(member, int(world.member_join[member]) + int(rng.integers(3, 21)), "new")
        next_end = int(world.month_first_day[m + 2]) - 1 if m + 2 < spec.months else end + 31
        expiring = on_file & (world.member_expiry > end) & (world.member_expiry <= next_end)
        for member in pick(np.flatnonzero(expiring), 0.5, 3 * n_stores):
            call(member, start + int(rng.integers(4, min(25, end - start + 1))), "expiring")

    window = int(world.month_first_day[max(0, spec.months - CALL_MONTHS)])
    start_s = world.start.astype("datetime64[s]").astype(np.int64)
    for member, resolved in zip(*complaints, strict=True):
        day = int((resolved - start_s) // 86_400) + int(rng.integers(1, 4))
        if day >= window and callable_[member] and rng.random() < 0.85:
            call(int(member), day, "complaint", reached=0.8)
    for member, day in interviews:
        if day >= window and callable_[member] and not wrong_phone[member]:
            moment = day * 86_400 + SHOP_OPEN_S + int(rng.integers(0, 11 * 3600))
            calls.append((member, moment, "survey", "reached"))
    asked = np.flatnonzero(callable_ & (world.member_join <= last_day))
    for member in rng.choice(asked, min(len(asked), len(interviews) // 4), replace=False):
        call(int(member), window + int(rng.integers(0, last_day - window + 1)), "survey", 0.0)

    _write_calls(path, world, rng, calls)


def _write_calls(
    path: Path, world: _World, rng: np.random.Generator, calls: list[tuple[int, int, str, str]]
) -> None:
    start_s = world.start.astype("datetime64[s]").astype(np.int64)
    seen, rows = set(), []
    for member, moment, kind, outcome in sorted(calls, key=lambda c: (c[1], c[0], c[2])):
        if (member, moment, kind) in seen:  # one call is (member, time, kind)
            continue
        seen.add((member, moment, kind))
        store = int(world.member_home[member])
        word = OUTCOME_WORDS.get(outcome) or ("空号" if rng.random() < 0.5 else "错号")
        notes = NOTES[outcome]
        rows.append(
            {
                "会员卡号": f"M{member + 1:08d}",
                "回访时间": start_s + moment,
                "回访类型": CALL_KINDS[kind],
                "回访结果": word,
                "回访人": CALLERS[(2 * store + int(rng.integers(0, 2))) % len(CALLERS)],
                "备注": notes[int(rng.integers(len(notes)))] if rng.random() < 0.6 else None,
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={"会员卡号": pl.String, "回访时间": pl.Int64, "回访类型": pl.String,
                "回访结果": pl.String, "回访人": pl.String, "备注": pl.String},
    ).with_columns(pl.from_epoch("回访时间", time_unit="s"))  # fmt: skip
    _write_csv(path, frame, world.spec.encoding)
