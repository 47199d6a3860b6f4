"""memberkit callback-review, its --effect and the phone_wrong problem against the plain-Python
reference (tests/reference_callback_review.py) on generated data.

Each example is a chain from test_analyses_reference (stores in two regions, members, tickets
with refunds over 2024-2026) and a call-back log: calls of every kind and outcome to members
and to ids not on file, dated anywhere or on and around the 30th and 31st day after a month
end, at midnight or one second before it, several to one member (attempted, then reached).
The review runs for every scope of that module over a month or a year; the effect for a month
(often the month after a call) with several windows and inactivity days; --problems with the
log beside the members.
"""

from __future__ import annotations

import calendar
import tempfile
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference_callback_review as refc
import reference_members as refm
from memberkit.periods import month
from memberkit.reports import analyses, members
from memberkit.reports.callback_review import callback_effect, callback_review
from test_analyses_reference import (
    INACTIVE_DAYS,
    SETTINGS,
    UNKNOWN_IDS,
    assert_matches,
    assert_rows,
    datasets,
    label,
    open_database,
    periods,
    scopes,
)

OUTCOMES = ("reached", "no_answer", "refused", "wrong_number")
WINDOWS = (1, 30, 60, 90)  # --window-days tried


def month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


# month ends E0 that the effect is often judged after (the period is the month after one)
FOCUS_ENDS = (date(2025, 6, 30), date(2025, 12, 31), date(2026, 2, 28))
call_days = st.one_of(
    st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    # E0 + 1, E0 + 30 (in) and E0 + 31 (out) of a month end E0
    st.builds(
        lambda end, k: end + timedelta(days=k),
        st.one_of(
            st.sampled_from(FOCUS_ENDS),
            st.builds(month_end, st.integers(2024, 2026), st.integers(1, 12)),
        ),
        st.sampled_from([0, 1, 29, 30, 31]),
    ),
)
call_times = st.sampled_from([time(0, 0), time(23, 59, 59), time(10, 30)])


@st.composite
def call_logs(draw, member_ids: list[str]) -> list[dict]:
    who = st.one_of(st.sampled_from(member_ids), st.sampled_from(UNKNOWN_IDS))
    kinds = st.one_of(st.just("lapsed"), st.sampled_from(refc.KINDS))
    calls = {}
    for _ in range(draw(st.integers(0, 40))):
        call = {
            "member_id": draw(who),
            "called_at": datetime.combine(draw(call_days), draw(call_times)),
            "kind": draw(kinds),
            "outcome": draw(st.sampled_from(OUTCOMES)),
        }
        calls[call["member_id"], call["called_at"], call["kind"]] = call  # the log's identity
    return list(calls.values())


@contextmanager
def database(data, calls: list[dict]):
    """A fresh database holding the chain and its call log (hypothesis resets no fixture)."""
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            for c in calls:
                con.execute(
                    "insert into callback_log values (?, ?, ?, ?, null, null, 1)",
                    [c["member_id"], c["called_at"], c["kind"], c["outcome"]],
                )
            yield con
        finally:
            con.close()


@st.composite
def window_tickets(draw, member_ids: list[str], store_ids: list[str]) -> list[dict]:
    """Tickets (and a refund) on the first day after a month end and on the last day of a
    window (or the day after): the return window's edges, which random days rarely hit."""
    rows = []

    def add(member_id, day, cents):
        rows.append(
            {
                "txn_id": f"W{len(rows):03d}",
                "store_id": draw(st.sampled_from(store_ids)),
                "txn_time": datetime.combine(day, draw(call_times)),
                "member_id": member_id,
                "amount": Decimal(cents) / 100,
                "item_qty": 1 if cents > 0 else -1,
            }
        )

    for _ in range(draw(st.integers(0, 12))):
        end, member_id = draw(st.sampled_from(FOCUS_ENDS)), draw(st.sampled_from(member_ids))
        if draw(st.booleans()):  # a ticket long before: in the base, lapsed at E0
            add(member_id, end - timedelta(days=400), 10_000)
        offset = draw(st.sampled_from([1, *WINDOWS, *(w + 1 for w in WINDOWS)]))
        add(member_id, end + timedelta(days=offset), draw(st.sampled_from([5_000, -2_000])))
    return rows


@st.composite
def examples(draw):
    data = draw(datasets())
    member_ids = [m["member_id"] for m in data.members]
    data.transactions += draw(window_tickets(member_ids, [s["store_id"] for s in data.stores]))
    calls = draw(call_logs(member_ids))
    return data, calls


@pytest.mark.slow
@SETTINGS
@given(examples(), st.data())
def test_callback_review_matches_reference(example, choices):
    data, calls = example
    with database(data, calls) as con:
        for period in choices.draw(periods(data)):
            for scope in choices.draw(scopes(data)):
                report = callback_review(con, period, scope)
                expected = refc.review(data, calls, period, scope)
                assert_matches(report.rows, expected, label("callback_review", period, scope))


@pytest.mark.slow
@SETTINGS
@given(examples(), st.data())
def test_callback_effect_matches_reference(example, choices):
    data, calls = example
    candidates = [month(choices.draw(st.integers(2024, 2026)), choices.draw(st.integers(1, 12)))]
    candidates += [month(2025, 7), month(2026, 1), month(2026, 3)] * 3  # after FOCUS_ENDS
    candidates += [
        month(d.year, d.month) for d in (c["called_at"] - timedelta(days=30) for c in calls)
    ]
    period = choices.draw(st.sampled_from(candidates))
    window = choices.draw(st.sampled_from(WINDOWS))
    inactive = choices.draw(st.sampled_from(INACTIVE_DAYS))
    with database(data, calls) as con:
        for scope in choices.draw(scopes(data)):
            report = callback_effect(con, period, scope, window, inactive)
            expected = refc.effect(data, calls, period, scope, window, inactive)
            where = label("callback_effect", period, scope) + f" W={window} N={inactive}"
            assert_rows(report.rows, expected, where)
            if scope.by is None:  # the base is exactly churn --list of the month before
                listed = analyses.churn_list(con, period.previous(), scope, inactive)
                assert report.rows[0]["base_members"] == len(listed.rows), where


@pytest.mark.slow
@SETTINGS
@given(examples(), st.data())
def test_phone_wrong_matches_reference(example, choices):
    data, calls = example
    with database(data, calls) as con:
        for period in choices.draw(periods(data)):
            for scope in choices.draw(scopes(data)):
                if scope.by is not None:
                    continue
                report = members.member_problems(con, period, scope, all_members=True)
                expected = refm.member_problems(data, period, scope, True, calls)
                assert_matches(report.rows, expected, label("problems", period, scope))
