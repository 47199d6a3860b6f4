"""gift_requests.csv and gift_requests_later.csv: the stores' 礼品申请单 (SPEC 5.14) over the
last six months, exported twice. The first export was taken at the end of the month before
the last and holds the decisions made by then; the later one, taken at the period's end,
covers the last two months again: requests decided since then replace their earlier rows,
unchanged ones are duplicates. Deliveries are the gift-moves transfers whose ref is the
request id (sample/gifts.py writes them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _write_csv
from memberkit.sample.gifts import GIFTS
from memberkit.sample.spec import _Delivery, _normalised, _rng, _World

REQUEST_MONTHS = 6
REQUESTS_PER_STORE_MONTH = 1.2
PURPOSES = ["会员日活动", "店庆活动", "新会员开卡礼", "节日促销", "VIP会员回馈", "投诉补偿"]
REQUESTERS = ["孙悦", "郑洁", "冯涛", "韩梅", "曹阳", "彭丽", "许诺", "邓超"]
APPROVERS = ["李强", "陈静"]  # head office
HEADERS = [
    "申请单号", "申请日期", "申请门店", "礼品编号", "礼品名称", "申请数量", "用途", "申请人",
    "批准数量", "审批人", "审批日期",
]  # fmt: skip


@dataclass(frozen=True)
class _Request:
    request_id: str
    day: int  # request day index in the period
    store: int
    gift: int  # index into the gift catalogue
    requested: int
    purpose: str | None
    requested_by: str
    approved: int | None = None  # None: not decided (yet); 0: refused
    approved_by: str | None = None
    decided: int | None = None  # the decision's day index


def _plan_gift_requests(world: _World) -> tuple[list[_Request], list[_Delivery]]:
    """The requests with their decisions as at the period's end, and their deliveries.

    Most are approved in full or in part within a week and delivered a few days later;
    one in ten is refused; those the period's end overtakes are still pending or not yet
    delivered. A few go wrong the ways the approval form is meant to catch: a request
    delivered without a decision, one delivered though refused, one delivered more than
    approved; one is delivered in two transfers."""
    spec = world.spec
    rng = _rng(spec, 9)
    popularity = _normalised([g[4] for g in GIFTS])
    last_day = len(world.days) - 1
    first_month = max(0, spec.months - REQUEST_MONTHS)
    requests: list[_Request] = []
    for m in range(first_month, spec.months):
        start = int(world.month_first_day[m])
        end = int(world.month_first_day[m + 1]) - 1 if m + 1 < spec.months else last_day
        counts = rng.poisson(REQUESTS_PER_STORE_MONTH, len(world.store_ids))
        placed = sorted(
            (int(rng.integers(start, end + 1)), s) for s, n in enumerate(counts) for _ in range(n)
        )
        for k, (day, s) in enumerate(placed, 1):
            requested = int(rng.integers(1, 9)) * 5
            request = _Request(
                request_id=f"SQ{world.month_labels[m].replace('-', '')}{k:03d}",
                day=day,
                store=s,
                gift=int(rng.choice(len(popularity), p=popularity)),
                requested=requested,
                purpose=PURPOSES[int(rng.integers(len(PURPOSES)))] if rng.random() < 0.9 else None,
                requested_by=REQUESTERS[s % len(REQUESTERS)],
            )
            decided = day + 1 + int(rng.geometric(0.35))
            u = rng.random()
            if decided <= last_day:
                approved = 0 if u < 0.1 else requested
                if 0.1 <= u < 0.3:  # approved in part
                    approved = max(1, int(requested * rng.uniform(0.4, 0.9)))
                approver = APPROVERS[int(rng.integers(len(APPROVERS)))]
                request = replace(request, approved=approved, approved_by=approver, decided=decided)
            requests.append(request)
    requests = _special_cases(requests, last_day)
    deliveries = _deliveries(rng, requests, last_day)  # settles the odd requests' decisions
    return requests, deliveries


def _special_cases(requests: list[_Request], last_day: int) -> list[_Request]:
    """Make sure each status is there at the period's end: the latest request pending,
    the one before it approved but not yet delivered (open), and at least one refused."""
    if len(requests) >= 3:
        latest = requests[-1]
        requests[-1] = replace(latest, approved=None, approved_by=None, decided=None)
        before = requests[-2]
        requests[-2] = replace(
            before,
            approved=before.requested,
            approved_by=APPROVERS[0],
            decided=min(before.day + 1, last_day),
        )
        if not any(r.approved == 0 for r in requests[:-2]):
            third = requests[-3]
            decided = min(third.day + 1, last_day)
            requests[-3] = replace(third, approved=0, approved_by=APPROVERS[1], decided=decided)
    return requests


def _deliveries(
    rng: np.random.Generator, requests: list[_Request], last_day: int
) -> list[_Delivery]:
    """Transfers HQ -> store with the request id as ref, dated up to the period's end."""
    deliveries: list[_Delivery] = []

    def deliver(request: _Request, day: int, qty: int) -> None:
        if day <= last_day and qty > 0:
            deliveries.append(_Delivery(day, request.store, request.gift, qty, request.request_id))

    # the odd ones, from the requests of the middle of the list (their deliveries fall well
    # inside the period): delivered while pending, delivered though refused, too many, and
    # delivered in two transfers
    middle = len(requests) // 2
    odd = {middle: "pending", middle + 1: "refused", middle + 2: "over", middle + 3: "split"}
    for i, request in enumerate(requests):
        kind = odd.get(i) if len(requests) >= middle + 6 else None
        if kind in ("over", "split"):  # approved in full the next day
            requests[i] = request = replace(
                request,
                approved=request.requested,
                approved_by=APPROVERS[1],
                decided=request.day + 1,
            )
        if kind == "pending":
            requests[i] = request = replace(request, approved=None, approved_by=None, decided=None)
            deliver(request, request.day + 2, request.requested)
        elif kind == "refused":
            decided = request.day + 1
            requests[i] = request = replace(
                request, approved=0, approved_by=APPROVERS[0], decided=decided
            )
            deliver(request, decided + 3, request.requested)
        elif request.approved and i < len(requests) - 2:  # the last two wait (see above)
            day = request.decided + 1 + int(rng.integers(0, 5))
            if kind == "split":
                deliver(request, day, request.approved // 2)
                deliver(request, day + 4, request.approved - request.approved // 2)
            else:
                deliver(request, day, request.approved + (2 if kind == "over" else 0))
    return sorted(deliveries, key=lambda d: (d.day, d.ref))


def _write_gift_requests(paths: tuple[Path, Path], world: _World, requests: list[_Request]) -> None:
    """Two exports of the request register (see the module's docstring)."""
    last_day = len(world.days) - 1
    months = world.spec.months
    cut = int(world.month_first_day[months - 1]) - 1 if months > 1 else last_day // 2
    overlap_from = int(world.month_first_day[months - 2]) if months > 2 else 0
    first = [_as_known(r, cut) for r in requests if r.day <= cut]
    later = [r for r in requests if r.day >= overlap_from]
    for path, rows in zip(paths, (first, later), strict=True):
        _write_csv(path, _frame(world, rows), world.spec.encoding)


def _as_known(request: _Request, day: int) -> _Request:
    """The request as the register showed it on that day: a later decision not yet made."""
    if request.decided is not None and request.decided > day:
        return replace(request, approved=None, approved_by=None, decided=None)
    return request


def _frame(world: _World, rows: list[_Request]) -> pl.DataFrame:
    def day(index: int | None) -> str | None:
        return None if index is None else str(world.days[index])

    return pl.DataFrame(
        {
            "申请单号": [r.request_id for r in rows],
            "申请日期": [day(r.day) for r in rows],
            "申请门店": [world.store_ids[r.store] for r in rows],
            "礼品编号": [GIFTS[r.gift][0] for r in rows],
            "礼品名称": [GIFTS[r.gift][1] for r in rows],
            "申请数量": [r.requested for r in rows],
            "用途": [r.purpose for r in rows],
            "申请人": [r.requested_by for r in rows],
            "批准数量": [r.approved for r in rows],
            "审批人": [r.approved_by for r in rows],
            "审批日期": [day(r.decided) for r in rows],
        },
        schema=dict.fromkeys(HEADERS, pl.String) | {"申请数量": pl.Int64, "批准数量": pl.Int64},
    )
