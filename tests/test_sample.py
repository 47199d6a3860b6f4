"""Invariants of the generated sample data, checked on the written files with the csv module."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from memberkit.sample import SampleSpec, write_sample_data

SPEC = SampleSpec(seed=11, stores=6, members=600, tickets=12_000, months=14, end_month="2026-03")
PERIOD_START = datetime(2025, 2, 1)
PERIOD_END = datetime(2026, 3, 31, 23, 59, 59)

HEADERS = {
    "stores": ["门店编号", "门店名称", "区域"],
    "members": [
        "会员卡号", "姓名", "性别", "出生日期", "手机号", "开卡门店", "开卡日期", "到期日期",
    ],
    "transactions": ["小票号", "门店编号", "交易时间", "会员卡号", "实收金额", "商品数量"],
    "targets": ["月份", "门店编号", "目标销售额"],
    "gifts": ["礼品编号", "礼品名称", "单位", "单价"],
    "gift_moves": [
        "move_date", "location", "gift_id", "kind", "qty", "ref", "to_location", "member_id",
    ],
    "gift_counts": ["count_date", "location", "gift_id", "counted_qty", "counted_by"],
    "complaints": [
        "投诉编号", "受理时间", "投诉门店", "会员卡号", "投诉渠道", "投诉类别", "投诉内容",
        "首次答复时间", "处理完成时间", "满意度",
    ],
    "surveys": [
        "调查编号", "调查日期", "门店编号", "会员卡号", "调查方式", "服务态度", "服务效率",
        "服务质量", "解决问题能力", "总体满意度", "意见建议",
    ],
    "callback_log": ["会员卡号", "回访时间", "回访类型", "回访结果", "回访人", "备注"],
    "gift_requests": [
        "申请单号", "申请日期", "申请门店", "礼品编号", "礼品名称", "申请数量", "用途", "申请人",
        "批准数量", "审批人", "审批日期",
    ],
}  # fmt: skip
HEADERS["gift_requests_later"] = HEADERS["gift_requests"]


def read(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> dict[str, Path]:
    return write_sample_data(tmp_path_factory.mktemp("sample"), SPEC)


@pytest.fixture(scope="module")
def tickets(out) -> list[dict[str, str]]:
    return read(out["transactions"])


@pytest.fixture(scope="module")
def members(out) -> dict[str, dict[str, str]]:
    return {m["会员卡号"]: m for m in read(out["members"])}


def test_headers_and_line_endings(out):
    assert set(out) == set(HEADERS)
    for kind, path in out.items():
        raw = path.read_bytes()
        assert b"\r" not in raw, kind
        assert raw.decode("utf-8").split("\n", 1)[0] == ",".join(HEADERS[kind]), kind
        assert raw.endswith(b"\n"), kind


def test_stores_keep_leading_zeros(out, tickets, members):
    stores = read(out["stores"])
    ids = [s["门店编号"] for s in stores]
    assert ids == [f"S{i:03d}" for i in range(1, SPEC.stores + 1)]
    assert len({s["门店名称"] for s in stores}) == len(stores)
    assert all(s["门店名称"].endswith("店") for s in stores)
    assert 2 <= len({s["区域"] for s in stores}) <= 4
    assert {s["区域"] for s in stores} <= {"华东", "华南", "华北", "西南"}
    assert {t["门店编号"] for t in tickets} <= set(ids)
    assert {m["开卡门店"] for m in members.values()} <= set(ids)


def test_members(members):
    assert len(members) == SPEC.members
    assert all(re.fullmatch(r"M\d{8}", m) for m in members)
    rows = list(members.values())
    genders = Counter(m["性别"] for m in rows)
    assert set(genders) <= {"男", "女", ""}
    assert 0.45 < genders["女"] / len(rows) < 0.65
    assert 0 < genders[""] / len(rows) < 0.08
    phones = [m["手机号"] for m in rows if m["手机号"]]
    assert all(re.fullmatch(r"1[3589]\d{9}", p) for p in phones)
    assert len(phones) < len(rows)  # a few blank
    assert any(n == 2 for n in Counter(phones).values())  # a family sharing a phone
    for m in rows:
        assert 2 <= len(m["姓名"]) <= 3
        join = date.fromisoformat(m["开卡日期"])
        assert date(2022, 1, 1) <= join <= PERIOD_END.date()
        if m["出生日期"]:
            assert 10 < (PERIOD_END.date() - date.fromisoformat(m["出生日期"])).days / 365 < 90
        if m["到期日期"]:
            expiry = date.fromisoformat(m["到期日期"])
            assert expiry > join and expiry > date(2026, 1, 1)
    blank_birth = sum(not m["出生日期"] for m in rows) / len(rows)
    assert 0.03 < blank_birth < 0.15
    # Some members join in every month of the period.
    join_months = {m["开卡日期"][:7] for m in rows}
    assert {f"{y}-{mo:02d}" for y, mo in [(2025, 2), (2025, 12), (2026, 3)]} <= join_months


def test_ticket_ids_count_and_order(tickets):
    assert len(tickets) == SPEC.tickets
    ids = [t["小票号"] for t in tickets]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"T\d{10}", i) for i in ids)
    times = [t["交易时间"] for t in tickets]
    assert times == sorted(times)
    for t in times:
        when = parse_time(t)
        assert PERIOD_START <= when <= PERIOD_END
        assert "09:00:00" <= t[11:] <= "22:00:00"


def test_member_tickets_only_after_joining(tickets, members):
    for t in tickets:
        if t["会员卡号"]:
            assert t["会员卡号"] in members
            assert members[t["会员卡号"]]["开卡日期"] <= t["交易时间"][:10]


def test_amounts_and_quantities(tickets):
    for t in tickets:
        assert re.fullmatch(r"-?\d+\.\d{2}", t["实收金额"]), t
        amount, qty = float(t["实收金额"]), int(t["商品数量"])
        assert 1 <= abs(qty) <= 12
        assert (amount < 0) == (qty < 0), t  # refunds: both negative
    amounts = [float(t["实收金额"]) for t in tickets]
    sales = sorted(a for a in amounts if a > 0)
    assert 100 < sales[len(sales) // 2] < 200
    assert any(a > 1000 for a in sales)
    assert 0 < sum(a == 0 for a in amounts) / len(amounts) < 0.01
    assert 0.008 < sum(a < 0 for a in amounts) / len(amounts) < 0.025


def test_refunds_follow_an_earlier_ticket(tickets):
    by_key = defaultdict(list)
    for t in tickets:
        if float(t["实收金额"]) > 0:
            by_key[t["门店编号"], t["会员卡号"]].append(t)
    for refund in (t for t in tickets if float(t["实收金额"]) < 0):
        when = parse_time(refund["交易时间"])
        originals = [
            t
            for t in by_key[refund["门店编号"], refund["会员卡号"]]
            if timedelta(0) < when - parse_time(t["交易时间"]) <= timedelta(days=41)
            and float(t["实收金额"]) >= -float(refund["实收金额"])
            and int(t["商品数量"]) >= -int(refund["商品数量"])
        ]
        assert originals, refund


def test_shares_and_rhythms(tickets, members):
    member_tickets = [t for t in tickets if t["会员卡号"]]
    assert 0.5 < len(member_tickets) / len(tickets) < 0.8
    away = sum(t["门店编号"] != members[t["会员卡号"]]["开卡门店"] for t in member_tickets)
    assert 0.05 < away / len(member_tickets) < 0.3
    per_member = Counter(t["会员卡号"] for t in member_tickets)
    assert len(per_member) < len(members)  # some never buy
    assert max(per_member.values()) > 5 * (len(member_tickets) / len(per_member))  # regulars

    days = Counter(t["交易时间"][:10] for t in tickets)
    weekend = [n for d, n in days.items() if date.fromisoformat(d).weekday() >= 5]
    weekday = [n for d, n in days.items() if date.fromisoformat(d).weekday() < 5]
    assert sum(weekend) / len(weekend) > 1.2 * sum(weekday) / len(weekday)
    months = Counter(t["交易时间"][:7] for t in tickets)
    assert months["2025-12"] / 31 > 1.15 * months["2025-03"] / 31


def test_targets(out):
    targets = read(out["targets"])
    months = {f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)}
    months = {m for m in months if "2025-02" <= m <= "2026-03"}
    cells = {(t["月份"], t["门店编号"]) for t in targets}
    assert len(cells) == len(targets)
    assert {m for m, _ in cells} == months
    assert 0.9 * 14 * SPEC.stores <= len(targets) < 14 * SPEC.stores  # a few missing
    assert all(re.fullmatch(r"\d+", t["目标销售额"]) and int(t["目标销售额"]) > 0 for t in targets)


def test_gifts_ledger_and_count(out, members):
    gifts = read(out["gifts"])
    assert 6 <= len(gifts) <= 10
    assert all(re.fullmatch(r"\d+\.\d{2}", g["单价"]) for g in gifts)
    assert {g["单位"] for g in gifts} <= {"个", "把", "条"}
    moves = read(out["gift_moves"])
    assert {m["kind"] for m in moves} == {"opening", "receipt", "transfer", "issue", "adjust"}
    assert moves == sorted(moves, key=lambda m: m["move_date"])
    stock: Counter[tuple[str, str]] = Counter()
    lowest = 0
    for m in moves:
        qty = int(m["qty"])
        if m["kind"] == "issue":
            assert m["member_id"] in members and 1 <= qty <= 2 and m["location"] != "HQ"
            assert members[m["member_id"]]["开卡日期"] <= m["move_date"]
            stock[m["location"], m["gift_id"]] -= qty
            lowest = min(lowest, stock[m["location"], m["gift_id"]])
        elif m["kind"] == "transfer":
            assert m["location"] == "HQ" and m["to_location"].startswith("S") and qty > 0
            stock["HQ", m["gift_id"]] -= qty
            stock[m["to_location"], m["gift_id"]] += qty
        else:
            assert m["kind"] == "adjust" or (m["location"] == "HQ" and qty > 0)
            stock[m["location"], m["gift_id"]] += qty
    assert -2 <= lowest < 0  # a couple of gifts handed out that the book did not hold
    counts = read(out["gift_counts"])
    assert {c["count_date"] for c in counts} == {"2026-03-31"}
    assert {c["location"] for c in counts} == {"HQ"} | {f"S{i:03d}" for i in range(1, 7)}
    diffs = [int(c["counted_qty"]) - stock[c["location"], c["gift_id"]] for c in counts]
    assert any(d > 0 for d in diffs) and any(d < 0 for d in diffs)
    assert sum(d != 0 for d in diffs) <= len(diffs) // 5 and all(abs(d) <= 2 for d in diffs)


def test_deterministic(out, tmp_path):
    again = write_sample_data(tmp_path / "again", SPEC)
    for kind, path in out.items():
        assert again[kind].read_bytes() == path.read_bytes(), kind
    other = write_sample_data(tmp_path / "other", SampleSpec(**{**SPEC.__dict__, "seed": 12}))
    assert other["transactions"].read_bytes() != out["transactions"].read_bytes()
    assert other["members"].read_bytes() != out["members"].read_bytes()


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_other_encodings_hold_the_same_rows(out, tmp_path, encoding):
    encoded = write_sample_data(tmp_path, SampleSpec(**{**SPEC.__dict__, "encoding": encoding}))
    for kind, path in out.items():
        raw = encoded[kind].read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig"), kind
        rows = list(csv.reader(io.StringIO(raw.decode(encoding).removeprefix("\ufeff"))))
        assert rows == list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")))), kind
    if encoding == "gb18030":  # really re-encoded, not UTF-8 under another name
        assert encoded["stores"].read_bytes() != out["stores"].read_bytes()


def test_rejects_bad_specs(tmp_path):
    with pytest.raises(ValueError):
        write_sample_data(tmp_path, SampleSpec(encoding="latin-1"))
    with pytest.raises(ValueError):
        write_sample_data(tmp_path, SampleSpec(end_month="2026-13"))


def test_tiny_spec(tmp_path):
    spec = SampleSpec(seed=1, stores=1, members=3, tickets=50, months=1, end_month="2024-02")
    paths = write_sample_data(tmp_path, spec)
    rows = read(paths["transactions"])
    assert len(rows) == 50
    assert all(r["交易时间"].startswith("2024-02") for r in rows)


@pytest.mark.slow
def test_two_hundred_thousand_tickets(tmp_path):
    paths = write_sample_data(tmp_path, SampleSpec(seed=5, tickets=200_000))
    with open(paths["transactions"], encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 200_001
