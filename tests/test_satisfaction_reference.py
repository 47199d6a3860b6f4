"""memberkit satisfaction against the plain-Python reference (tests/reference_satisfaction.py).

Each example is a survey file (Chinese headers, as the 满意度调查表 has them) over September
2025 - November 2026, loaded through the real loader beside three stores in two regions and
a members file; responses also come from a store id the stores table lacks. Survey dates
cluster on month ends and starts and in October 2026; scores are digits or the form's
words, blank or partly answered (never all blank: the loader rejects that row); channels in
Chinese and English; members on file, not on file or missing. Few responses spread over
fifteen months leave months, stores and channels without any, and units without a
base-period survey. Every example runs the figures for the company, a store, a region,
--by store, --by region, --by channel and a region by store, and the --low list for the
company, a store and a region, for a month and a year.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_satisfaction as ref
from memberkit import db
from memberkit.ingest.loader import LoadOptions, load_file
from memberkit.periods import Scope, month, year
from memberkit.reports import prepare_connection
from memberkit.reports.satisfaction import low_responses, satisfaction
from test_analyses_reference import assert_matches, assert_rows

STORES = {"S1": "华东", "S2": "华东", "S3": "华南"}
STORE_IDS = (*STORES, "S9")  # S9: known from surveys alone
MEMBERS = {"M1": ("张伟", "13812345678"), "M2": ("王芳", "13987654321"), "M3": (None, None)}
HEADER = [
    "调查编号", "调查日期", "门店编号", "会员卡号", "调查方式",
    "服务态度", "服务效率", "服务质量", "解决问题能力", "总体满意度", "意见建议",
]  # fmt: skip
CHANNELS = ["电话", "短信", "邮件", "线下访谈", "phone", "sms", "email", "visit"]
SCORES = ["", "", "1", "2", "3", "4", "5", "非常满意", "满意", "一般", "不满意", "非常不满意"]
FIRST, LAST = date(2025, 9, 1), date(2026, 11, 30)
PERIODS = [month(2026, 10), month(2026, 9), month(2025, 10), month(2026, 11), year(2026)]

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# days near what the rules compare: the first and last day of a month
month_edges = st.builds(
    lambda y, m, last: (
        date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1) if last else date(y, m, 1)
    ),
    st.sampled_from([2025, 2026]),
    st.integers(1, 12),
    st.booleans(),
).filter(lambda d: FIRST <= d <= LAST)
anywhere = st.dates(FIRST, LAST)
october = st.dates(date(2026, 10, 1), date(2026, 10, 31))  # a month with many responses


@st.composite
def survey_files(draw) -> list[dict]:
    responses = []
    for i in range(draw(st.integers(0, 30))):
        scores = {d: draw(st.sampled_from(SCORES)) for d in ref.DIMENSIONS}
        if not any(scores.values()):  # a row without any score is rejected: keep one
            scores[draw(st.sampled_from(ref.DIMENSIONS))] = draw(st.sampled_from(SCORES[2:]))
        responses.append(
            {
                "response_id": f"R{draw(st.integers(0, 999)):03d}-{i}",
                "survey_date": draw(st.one_of(month_edges, anywhere, october)),
                "store_id": draw(st.sampled_from(STORE_IDS)),
                "member_id": draw(st.sampled_from([None, "M1", "M2", "M3", "M7"])),
                "channel": draw(st.sampled_from(CHANNELS)),
                **scores,
                "comment": draw(st.sampled_from([None, "排队太久", "态度好"])),
            }
        )
    return responses


def load_chain(directory: Path, responses: list[dict]):
    con = db.connect(directory / "surveys.duckdb")
    con.execute(
        "insert into stores values " + ", ".join(["(?, ?, ?, 1)"] * len(STORES)),
        [v for s, r in STORES.items() for v in (s, f"{s}店", r)],
    )
    members = directory / "members.csv"
    with open(members, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["member_id", "name", "phone", "store_id", "join_date"])
        writer.writerows([m, n or "", p or "", "S1", "2024-01-01"] for m, (n, p) in MEMBERS.items())
    assert load_file(con, members, LoadOptions(kind="members")).loaded == len(MEMBERS)
    path = directory / "满意度调查表.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        keys = ["response_id", "survey_date", "store_id", "member_id", "channel"]
        keys += [*ref.DIMENSIONS, "comment"]
        writer.writerows(["" if r[k] is None else str(r[k]) for k in keys] for r in responses)
    result = load_file(con, path, LoadOptions(kind="surveys"))
    assert (result.loaded, result.rejected) == (len(responses), 0), result.first_rejects
    prepare_connection(con)
    return con


@SETTINGS
@given(
    responses=survey_files(),
    period=st.sampled_from(PERIODS),
    store=st.sampled_from(STORE_IDS),
)
@pytest.mark.slow
def test_figures_and_low_list_match_reference(responses, period, store) -> None:
    if store not in STORES and all(r["store_id"] != store for r in responses):
        store = "S1"  # S9 is a store only while a survey names it (else: no such store)
    members = {m: v for m, v in MEMBERS.items()}
    with tempfile.TemporaryDirectory() as folder:
        con = load_chain(Path(folder), responses)
        try:
            splits = [
                (Scope(), None),
                (Scope(store=store), None),
                (Scope(region="华东"), None),
                (Scope(by="store"), None),
                (Scope(by="region"), None),
                (Scope(), "channel"),
                (Scope(region="华南", by="store"), None),
                (Scope(region="华东"), "channel"),
            ]
            for scope, by_field in splits:
                where = f"satisfaction {period.label} {scope} {by_field}"
                actual = satisfaction(con, period, scope, by_field).rows
                expected = ref.satisfaction(responses, STORES, period, scope, by_field)
                assert_rows(actual, expected, where)
            for scope in (Scope(), Scope(store=store), Scope(region="华南")):
                actual = low_responses(con, period, scope).rows
                expected = ref.low_list(responses, STORES, members, period, scope)
                assert_matches(actual, expected, f"low {period.label} {scope}")
        finally:
            con.close()
