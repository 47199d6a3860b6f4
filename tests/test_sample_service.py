"""The sample service records (SPEC 5.12-5.14) in sample_data/: they load without a reject,
and hold what the reports need to show, checked by reading the CSV files in plain Python
(never with memberkit's own queries)."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import run_cli
from memberkit.sample import SampleSpec, write_sample_data

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
LAST_DAY = date(2026, 10, 31)  # the bundled sample's last day (make demo's month)
INACTIVE_DAYS = 180  # churn's default window (SPEC 5.4)
SCORE_COLUMNS = ["服务态度", "服务效率", "服务质量", "解决问题能力", "总体满意度"]
SCORE_WORDS = {"非常满意", "满意", "一般", "不满意", "非常不满意"}


def read(name: str, folder: Path = SAMPLE) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def day(text: str) -> date:
    return date.fromisoformat(text[:10])


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@pytest.fixture(scope="module")
def members() -> dict[str, dict[str, str]]:
    return {m["会员卡号"]: m for m in read("members.csv")}


@pytest.fixture(scope="module")
def ticket_days() -> dict[str, list[date]]:
    """Each member's ticket days (amount > 0), from the ticket file and the line file."""
    days: dict[str, set[date]] = defaultdict(set)
    for t in read("transactions.csv"):
        if t["会员卡号"] and float(t["实收金额"]) > 0:
            days[t["会员卡号"]].add(day(t["交易时间"]))
    amounts: dict[tuple[str, str, str], float] = defaultdict(float)
    for line in read("ticket_lines.csv"):
        if line["会员卡号"]:
            amounts[line["小票号"], line["会员卡号"], line["销售时间"][:10]] += float(line["金额"])
    for (_, member, when), amount in amounts.items():
        if amount > 0:
            days[member].add(day(when))
    return {m: sorted(d) for m, d in days.items()}


def test_the_sample_service_files_load_without_a_reject(tmp_path):
    db_file = tmp_path / "s.duckdb"
    loads = [
        ("stores", "stores"), ("members", "members"), ("gifts", "gifts"),
        ("gift-moves", "gift_moves"), ("surveys", "surveys"), ("callback-log", "callback_log"),
        ("gift-requests", "gift_requests"), ("gift-requests", "gift_requests_later"),
    ]  # fmt: skip
    outputs = {}
    for kind, name in loads:
        result = run_cli("--db", db_file, "load", kind, SAMPLE / f"{name}.csv")
        assert result.exit_code == 0, result.output
        outputs[name] = result.output
    for name in ("surveys", "callback_log", "gift_requests", "gift_requests_later"):
        assert " 0 rejected" in outputs[name], outputs[name]
        assert "warning" not in outputs[name], outputs[name]
    rows = len(read("surveys.csv"))
    assert f"{rows} read, {rows} loaded" in outputs["surveys"]
    # the later export repeats unchanged requests and decides at least one pending one
    summary = re.search(r"(\d+) replaced, (\d+) duplicate", outputs["gift_requests_later"])
    assert summary and int(summary[1]) >= 1 and int(summary[2]) >= 1
    check = run_cli("--db", db_file, "check")
    assert check.exit_code == 0, check.output


def test_surveys_span_fourteen_months_in_both_notations(members):
    surveys = read("surveys.csv")
    months = sorted({s["调查日期"][:7] for s in surveys})
    assert len(months) == 14 and months[-1] == "2026-10" and months[0] == "2025-09"
    values = [s[c] for s in surveys for c in SCORE_COLUMNS]
    assert {v for v in values if v and v.isdigit()} == {"1", "2", "3", "4", "5"}
    assert {v for v in values if v and not v.isdigit()} == SCORE_WORDS
    assert "" in values  # blanks: not answered
    assert all(any(s[c] for c in SCORE_COLUMNS) for s in surveys)  # never all blank
    only_overall = [
        s for s in surveys if s["总体满意度"] and not any(s[c] for c in SCORE_COLUMNS[:4])
    ]
    no_overall = [s for s in surveys if not s["总体满意度"]]
    assert only_overall and no_overall
    assert {s["调查方式"] for s in surveys} >= {"电话", "短信", "邮件", "线下访谈"}
    low = [s for s in surveys if s["总体满意度"] in ("1", "2", "不满意", "非常不满意")]
    assert any(s["会员卡号"] and s["意见建议"] for s in low)  # --low has someone to call
    stores = {s["门店编号"] for s in read("stores.csv")}
    assert {s["门店编号"] for s in surveys} <= stores
    with_member = [s for s in surveys if s["会员卡号"]]
    assert with_member and len(with_member) < len(surveys)
    for s in with_member:  # a member answers for the store they belong to, once they joined
        assert s["会员卡号"] in members
        assert members[s["会员卡号"]]["开卡门店"] == s["门店编号"]
        assert day(members[s["会员卡号"]]["开卡日期"]) <= day(s["调查日期"])


def test_calls_of_every_kind_and_outcome(members):
    calls = read("callback_log.csv")
    kinds = Counter(c["回访类型"] for c in calls)
    assert set(kinds) == {
        "售后回访",
        "新会员回访",
        "流失会员回访",
        "投诉回访",
        "到期提醒",
        "满意度回访",
    }
    assert set(Counter(c["回访结果"] for c in calls)) == {"接通", "未接通", "拒访", "空号", "错号"}
    for kind in kinds:  # each kind gets through and fails
        outcomes = {c["回访结果"] for c in calls if c["回访类型"] == kind}
        assert {"接通", "未接通"} <= outcomes, kind
    assert {c["会员卡号"] for c in calls} <= set(members)
    keys = [(c["会员卡号"], c["回访时间"], c["回访类型"]) for c in calls]
    assert len(keys) == len(set(keys))  # the identity of a call (SPEC 5.13)
    assert all(day(c["回访时间"]) <= LAST_DAY for c in calls)
    wrong = {c["会员卡号"] for c in calls if c["回访结果"] in ("空号", "错号")}
    reached = {c["会员卡号"] for c in calls if c["回访结果"] == "接通"}
    assert wrong and not wrong & reached  # a wrong number stays wrong


def lapsed_at(end: date, members, ticket_days) -> set[str]:
    """SPEC 5.4's lapsed list at a month's end E, whole chain: on file in the month, a
    ticket on or before E, the last one on or before E - 180 days."""
    start = end.replace(day=1)
    listed = set()
    for member_id, m in members.items():
        on_file = day(m["开卡日期"]) <= end and (not m["到期日期"] or day(m["到期日期"]) >= start)
        before = [d for d in ticket_days.get(member_id, []) if d <= end]
        if on_file and before and before[-1] <= end - timedelta(days=INACTIVE_DAYS):
            listed.add(member_id)
    return listed


def test_lapsed_calls_reach_the_churn_list_in_the_30_days_after_a_month_end(members, ticket_days):
    calls = [c for c in read("callback_log.csv") if c["回访类型"] == "流失会员回访"]
    judged = 0
    edge = 0
    for first in [date(2025, 11, 1), date(2026, 2, 1), date(2026, 5, 1), date(2026, 8, 1)]:
        e0 = month_end(first)
        window = [c for c in calls if e0 < day(c["回访时间"]) <= e0 + timedelta(days=30)]
        listed = lapsed_at(e0, members, ticket_days)
        on_list = [c for c in window if c["会员卡号"] in listed]
        assert len(window) >= 10, e0
        assert len(on_list) >= 0.9 * len(window), e0  # retries of an earlier month aside
        outcomes = {c["回访结果"] for c in on_list}
        assert "接通" in outcomes and outcomes - {"接通"}, e0  # called and only attempted
        assert len({c["会员卡号"] for c in on_list}) < len(listed)  # some not called
        edge += sum(day(c["回访时间"]) == e0 + timedelta(days=30) for c in window)
        judged += 1
    assert judged == 4 and edge >= 1  # a call on E0 + 30, the window's last day


def request_statuses(as_of: date) -> dict[str, str]:
    """SPEC 5.14's status of every request at as_of, the later export replacing the
    earlier one's rows, the deliveries being transfers whose ref is the request id."""
    requests = {}
    for name in ("gift_requests.csv", "gift_requests_later.csv"):
        for r in read(name):
            requests[r["申请单号"]] = r
    delivered: Counter[str] = Counter()
    for m in read("gift_moves.csv"):
        if m["kind"] == "transfer" and m["ref"] in requests and day(m["move_date"]) <= as_of:
            delivered[m["ref"]] += int(m["qty"])
    statuses = {}
    for request_id, r in requests.items():
        decided = r["批准数量"] != "" and day(r["审批日期"]) <= as_of
        approved = int(r["批准数量"]) if decided else None
        got = delivered[request_id]
        if approved is None or approved == 0:
            status = "unapproved_delivery" if got else "pending" if approved is None else "refused"
        else:
            status = "open" if got < approved else "done" if got == approved else "over_delivered"
        statuses[request_id] = status
    return statuses


def test_requests_in_every_status_and_one_changed_by_the_later_export(members):
    statuses = request_statuses(LAST_DAY)
    assert set(statuses.values()) == {
        "pending", "refused", "open", "done", "over_delivered", "unapproved_delivery"
    }  # fmt: skip
    first = {r["申请单号"]: r for r in read("gift_requests.csv")}
    later = {r["申请单号"]: r for r in read("gift_requests_later.csv")}
    both = set(first) & set(later)
    assert any(first[i] == later[i] for i in both)  # unchanged: a duplicate
    changed = [i for i in both if first[i] != later[i]]
    assert changed and all(first[i]["批准数量"] == "" != later[i]["批准数量"] for i in changed)
    stores = {s["门店编号"] for s in read("stores.csv")}
    gifts = {g["礼品编号"] for g in read("gifts.csv")}
    requests = first | later
    assert {r["申请门店"] for r in requests.values()} <= stores
    assert {r["礼品编号"] for r in requests.values()} <= gifts
    # every delivery goes from HQ to the store that asked, with the gift asked for
    deliveries = [m for m in read("gift_moves.csv") if m["ref"] in requests]
    assert deliveries
    for m in deliveries:
        r = requests[m["ref"]]
        assert (m["kind"], m["location"]) == ("transfer", "HQ")
        assert (m["to_location"], m["gift_id"]) == (r["申请门店"], r["礼品编号"])
        assert day(m["move_date"]) >= day(r["申请日期"])
    assert max(Counter(m["ref"] for m in deliveries).values()) >= 2  # two transfers of one


def test_the_files_follow_the_seed(tmp_path):
    spec = SampleSpec(
        seed=11, stores=6, members=600, tickets=12_000, months=14, end_month="2026-03"
    )
    names = ("surveys", "callback_log", "gift_requests", "gift_requests_later", "gift_moves")
    made = write_sample_data(tmp_path / "a", spec)
    again = write_sample_data(tmp_path / "b", spec)
    other = write_sample_data(tmp_path / "c", SampleSpec(**{**spec.__dict__, "seed": 12}))
    for name in names:
        assert made[name].read_bytes() == again[name].read_bytes(), name
        assert made[name].read_bytes() != other[name].read_bytes(), name


@pytest.mark.parametrize(
    "spec",
    [
        SampleSpec(seed=3, stores=3, members=300, tickets=5_000, months=14, end_month="2026-03"),
        SampleSpec(seed=1, stores=1, members=3, tickets=50, months=1, end_month="2024-02"),
    ],
)
def test_small_samples_load_without_a_reject(tmp_path, spec):
    files = write_sample_data(tmp_path / "data", spec)
    db_file = tmp_path / "s.duckdb"
    for kind, name in [
        ("stores", "stores"), ("members", "members"), ("gift-moves", "gift_moves"),
        ("surveys", "surveys"), ("callback-log", "callback_log"),
        ("gift-requests", "gift_requests"), ("gift-requests", "gift_requests_later"),
    ]:  # fmt: skip
        if len(read(files[name].name, files[name].parent)) == 0:
            continue  # a tiny chain may have no calls or requests: the file has a header only
        result = run_cli("--db", db_file, "load", kind, files[name])
        assert result.exit_code == 0, result.output
        assert " 0 rejected" in result.output, result.output
