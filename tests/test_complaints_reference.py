"""memberkit complaints against the plain-Python reference (tests/reference_complaints.py).

Each example is a complaints file (Chinese headers, as the handbook's form has them) over
December 2025 - March 2026, loaded through the real loader beside three stores in two
regions; complaints also come from a store id the stores table lacks. Receipt times cluster
on the month ends and at exactly 48 hours before them; reply and resolution delays cluster
on 24 and 48 hours exactly and one second either side, and some are missing. Satisfaction
comes in words (and their degrees), English and scores, padded or blank. Every example runs
the figures for the company, a store, a region, --by store, --by region, --by category,
--by channel and a region by store, and the overdue list for the company, a store and a
region, for a month and a year.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_complaints as ref
from memberkit import db
from memberkit.ingest.loader import LoadOptions, load_file
from memberkit.periods import Scope, month, year
from memberkit.reports import prepare_connection
from memberkit.reports.complaints import complaint_figures, overdue_complaints
from test_analyses_reference import assert_matches, assert_rows

STORES = {"S1": "华东", "S2": "华东", "S3": "华南"}
STORE_IDS = (*STORES, "S9")  # S9: known from complaints alone
HEADER = [
    "投诉编号", "受理时间", "门店编号", "会员卡号", "渠道", "投诉类别",
    "首次答复时间", "处理完成时间", "满意度",
]  # fmt: skip
MONTH_ENDS = [datetime(2026, m, 1) for m in (1, 2, 3, 4)]  # the end of Dec .. Mar
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
SATISFACTION = [
    "", "满意", "非常满意", "很满意", "一般", "不满意", "非常不满意", "Satisfied", "neutral",
    "dissatisfied", "1", "2", "3", "4", "5", "4.0", "5分", " 3 ",
]  # fmt: skip

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# instants near what the rules compare: month ends and 48 hours before them, ± 1 s
edges = st.builds(
    lambda end, back, nudge: end - back + nudge,
    st.sampled_from(MONTH_ENDS),
    st.sampled_from([timedelta(0), 48 * HOUR, 24 * HOUR]),
    st.sampled_from([-SECOND, timedelta(0), SECOND]),
)
anywhere = st.datetimes(datetime(2025, 12, 1), datetime(2026, 3, 31, 23, 59, 59)).map(
    lambda t: t.replace(microsecond=0)
)
delays = st.one_of(
    st.none(),
    st.sampled_from([24 * HOUR, 48 * HOUR]).flatmap(
        lambda d: st.sampled_from([d - SECOND, d, d + SECOND])
    ),
    st.integers(0, 10 * 24 * 3600).map(lambda s: timedelta(seconds=s)),
)


@st.composite
def complaint_files(draw) -> list[dict]:
    complaints = []
    for i in range(draw(st.integers(0, 25))):
        received = draw(st.one_of(edges, anywhere))
        reply, resolve = draw(delays), draw(delays)
        complaints.append(
            {
                "complaint_id": f"C{i:03d}",
                "received_at": received,
                "store_id": draw(st.sampled_from(STORE_IDS)),
                "member_id": draw(st.sampled_from([None, "M1", "M2"])),
                "channel": draw(st.sampled_from([None, "门店", "客服热线"])),
                "category": draw(st.sampled_from([None, "服务态度", "商品质量", "退换货"])),
                "replied_at": None if reply is None else received + reply,
                "resolved_at": None if resolve is None else received + resolve,
                "satisfaction": draw(st.sampled_from(SATISFACTION)) or None,
            }
        )
    return complaints


def _cell(value) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value


def load_chain(directory: Path, complaints: list[dict]):
    con = db.connect(directory / "complaints.duckdb")
    con.execute(
        "insert into stores values " + ", ".join(["(?, ?, ?, 1)"] * len(STORES)),
        [v for s, r in STORES.items() for v in (s, f"{s}店", r)],
    )
    path = directory / "投诉.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        keys = ["complaint_id", "received_at", "store_id", "member_id", "channel", "category"]
        keys += ["replied_at", "resolved_at", "satisfaction"]
        writer.writerows([_cell(c[k]) for k in keys] for c in complaints)
    result = load_file(con, path, LoadOptions(kind="complaints"))
    assert (result.loaded, result.rejected) == (len(complaints), 0), result.first_rejects
    prepare_connection(con)
    return con


@st.composite
def periods(draw):
    return draw(st.sampled_from([month(2025, 12), month(2026, 1), month(2026, 2), year(2026)]))


@pytest.mark.slow
@SETTINGS
@given(complaints=complaint_files(), period=periods(), store=st.sampled_from(STORE_IDS))
def test_figures_and_overdue_list_match_reference(complaints, period, store) -> None:
    if store not in STORES and all(c["store_id"] != store for c in complaints):
        store = "S1"  # S9 is a store only while a complaint names it (else: no such store)
    with tempfile.TemporaryDirectory() as folder:
        con = load_chain(Path(folder), complaints)
        try:
            splits = [
                (Scope(), None),
                (Scope(store=store), None),
                (Scope(region="华东"), None),
                (Scope(by="store"), None),
                (Scope(by="region"), None),
                (Scope(), "category"),
                (Scope(), "channel"),
                (Scope(region="华南", by="store"), None),
                (Scope(region="华东"), "category"),
            ]
            for scope, by_field in splits:
                where = f"complaints {period.label} {scope} {by_field}"
                actual = complaint_figures(con, period, scope, by_field).rows
                expected = ref.complaint_figures(complaints, STORES, period, scope, by_field)
                assert_rows(actual, expected, where)
            for scope in (Scope(), Scope(store=store), Scope(region="华南")):
                actual = overdue_complaints(con, period, scope).rows
                expected = ref.overdue_list(complaints, STORES, period, scope)
                assert_matches(actual, expected, f"overdue {period.label} {scope}")
        finally:
            con.close()
