"""礼品申请审批表 (SPEC 5.14): `memberkit gifts requests` and its --summary.

A plain-Python reference (tests/reference_gift_requests.py) is checked against the SQL on
random requests, versions and transfers (hypothesis); hand-worked cases loaded through the
real loader pin the edges: two transfers, refused then delivered, approved after D, a
transfer after D, a transfer to another location, approved 0, a request changed by a later
file, and the summary's values.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_gift_requests as ref
from conftest import run_cli, write
from memberkit import db
from memberkit.periods import Scope
from memberkit.reports import catalogue, prepare_connection

STORES = ("S001", "S002", "S003")
GIFTS = {"G01": Decimal("35.50"), "G02": Decimal("6.80"), "G03": Decimal("0.00")}
LIST_KEYS = {
    "scope",
    "request_id",
    "request_date",
    "location",
    "gift_id",
    "gift_name",
    "requested_qty",
    "approved_qty",
    "approved_at",
    "delivered_qty",
    "outstanding",
    "status",
    "days_waiting",
}
SUMMARY_KEYS = {
    "scope",
    "location",
    "requests",
    "pending",
    "refused",
    "open",
    "done",
    "problems",
    "requested_value",
    "approved_value",
}


def run(con, as_of: date, location=None, *, summary=False):
    name = "gift-requests-summary" if summary else "gift-requests"
    options = catalogue.entry(name).options(as_of, location)
    return catalogue.run(con, name, None, Scope(), options)


# --------------------------------------------------------------------------- hypothesis

START = date(2026, 9, 1)
day_st = st.integers(0, 60).map(lambda n: START + timedelta(days=n))
REQUEST_IDS = [f"R{i}" for i in range(1, 7)]


@st.composite
def version_st(draw):
    approved = draw(st.one_of(st.none(), st.just(0), st.integers(1, 20)))
    return {
        "request_date": draw(day_st),
        "location": draw(st.sampled_from(STORES)),
        "gift_id": draw(st.sampled_from([*GIFTS, "GX"])),  # GX: no such gift, no cost
        "requested_qty": draw(st.integers(1, 20)),
        "approved_qty": approved,
        # a decision may come without its date; a date without a decision is kept as given
        "approved_at": draw(st.one_of(st.none(), day_st)),
    }


@st.composite
def requests_st(draw):
    versions = []
    for request_id in draw(st.lists(st.sampled_from(REQUEST_IDS), unique=True, max_size=6)):
        for load in range(1, draw(st.integers(1, 3)) + 1):
            versions.append({**draw(version_st()), "request_id": request_id, "load": load})
    return versions


@st.composite
def moves_st(draw, versions):
    """Transfers and issues, most of them for a request (its ref, to one of its versions'
    locations, of one of its gifts), some to another place or of another gift."""
    moves = []
    for _ in range(draw(st.integers(0, 20))):
        target = draw(st.sampled_from(versions)) if versions else None
        aimed = target is not None and draw(st.integers(0, 3)) > 0
        moves.append(
            {
                "move_date": draw(day_st),
                "kind": draw(st.sampled_from(["transfer", "transfer", "transfer", "issue"])),
                "gift_id": target["gift_id"] if aimed else draw(st.sampled_from([*GIFTS, "GX"])),
                "qty": draw(st.integers(1, 15)),
                "ref": target["request_id"]
                if aimed
                else draw(st.sampled_from([*REQUEST_IDS, None])),
                "to_location": target["location"] if aimed else draw(st.sampled_from(STORES)),
            }
        )
    return moves


@st.composite
def ledger_st(draw):
    versions = draw(requests_st())
    return versions, draw(moves_st(versions))


def seed(con, versions, moves) -> None:
    for store in STORES:
        con.execute("insert into stores values ($s, $s, 'east', 1)", {"s": store})
    for gift, cost in GIFTS.items():
        con.execute("insert into gifts values ($g, $g, '个', $c, 1)", {"g": gift, "c": cost})
    last = {}
    for version in versions:
        last[version["request_id"]] = max(last.get(version["request_id"], 0), version["load"])
    for v in versions:
        current = v["load"] == last[v["request_id"]]
        table = "gift_requests" if current else "gift_requests_history"
        replaced = () if current else (v["load"] + 1,)
        marks = ", ".join(["?"] * (11 + len(replaced)))
        con.execute(
            f"insert into {table} values ({marks})",
            [
                v["request_id"],
                v["request_date"],
                v["location"],
                v["gift_id"],
                v["requested_qty"],
                None,  # purpose
                None,  # requested_by
                v["approved_qty"],
                None,  # approved_by
                v["approved_at"],
                v["load"],
                *replaced,
            ],
        )
    for m in moves:
        con.execute(
            "insert into gift_moves values (?, 'HQ', ?, ?, ?, ?, ?, null, 9)",
            [m["move_date"], m["gift_id"], m["kind"], m["qty"], m["ref"], m["to_location"]],
        )
    prepare_connection(con)


HYP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.slow
@HYP
@given(
    ledger=ledger_st(),
    days=st.lists(day_st, min_size=1, max_size=3),
    location=st.sampled_from([None, *STORES]),
)
def test_list_and_summary_match_reference(ledger, days, location):
    versions, moves = ledger
    # the days things happen on are the edges: a decision or a transfer on D counts
    edges = [v["approved_at"] for v in versions[:2] if v["approved_at"]]
    edges += [v["request_date"] for v in versions[:1]] + [m["move_date"] for m in moves[:2]]
    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "h.duckdb")
        try:
            seed(con, versions, moves)
            for day in [*days, *edges]:
                want = ref.requests_list(versions, moves, day, location)
                got = run(con, day, location).rows
                keys = want[0].keys() if want else ()
                assert [{k: r[k] for k in keys} for r in got] == want, day
                totals = ref.summary(want, GIFTS)
                got_summary = run(con, day, location, summary=True).rows
                assert [r["location"] for r in got_summary] == sorted(totals)
                for row in got_summary:
                    assert {k: row[k] for k in totals[row["location"]]} == totals[row["location"]]
        finally:
            con.close()


# --------------------------------------------------------------------------- hand-worked

REQUESTS_HEADER = (
    "request_id,request_date,location,gift_id,requested_qty,purpose,requested_by,"
    "approved_qty,approved_by,approved_at"
)
# R1 approved 10, delivered in two transfers (4 + 6); R2 refused (approved 0), then
# delivered; R3 approved on 10-20, delivered on 11-02 (after D = 10-31); R4 approved 6, a
# transfer with its ref to S001 (another location) and 2 to S002; R5 pending; R6 approved 4,
# delivered 6; R7 dated after D.
FIRST = f"""{REQUESTS_HEADER}
R1,2026-10-01,S001,G01,10,,孙悦,10,李强,2026-10-02
R2,2026-10-01,S001,G02,5,,孙悦,0,李强,2026-10-02
R3,2026-10-03,S002,G01,8,,郑洁,8,陈静,2026-10-20
R4,2026-10-04,S002,G02,6,,郑洁,6,陈静,2026-10-05
R5,2026-10-10,S001,G01,3,,孙悦,,,
R6,2026-10-10,S001,G02,4,,孙悦,4,李强,2026-10-11
R7,2026-11-01,S001,G01,1,,孙悦,,,
"""
# a later export: R5 approved 2 on 10-20; R1 approved again, 12, on 10-25
LATER = f"""{REQUESTS_HEADER}
R5,2026-10-10,S001,G01,3,,孙悦,2,李强,2026-10-20
R1,2026-10-01,S001,G01,10,,孙悦,12,李强,2026-10-25
"""
MOVES = """move_date,location,gift_id,kind,qty,ref,to_location,member_id
2026-09-01,HQ,G01,opening,100,OPEN,,
2026-09-01,HQ,G02,opening,100,OPEN,,
2026-10-05,HQ,G01,transfer,4,R1,S001,
2026-10-12,HQ,G01,transfer,6,R1,S001,
2026-10-06,HQ,G02,transfer,5,R2,S001,
2026-11-02,HQ,G01,transfer,8,R3,S002,
2026-10-07,HQ,G02,transfer,6,R4,S001,
2026-10-08,HQ,G02,transfer,2,R4,S002,
2026-10-12,HQ,G02,transfer,6,R6,S001,
"""
STORES_CSV = "store_id,store_name,region\nS001,一店,东区\nS002,二店,西区\n"
GIFTS_CSV = "gift_id,gift_name,unit,unit_cost\nG01,保温杯,个,10.00\nG02,环保袋,个,2.50\n"


@pytest.fixture(scope="module")
def edges(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gift_requests")
    db_file = folder / "edges.duckdb"
    for kind, name, text in (
        ("stores", "stores.csv", STORES_CSV),
        ("gifts", "gifts.csv", GIFTS_CSV),
        ("gift-moves", "moves.csv", MOVES),
        ("gift-requests", "first.csv", FIRST),
        ("gift-requests", "later.csv", LATER),
    ):
        result = run_cli("--db", db_file, "load", kind, write(folder / name, text))
        assert result.exit_code == 0, result.output
    return db_file


def listed(db_file: Path, as_of: str, *extra: str) -> dict[str, dict]:
    result = run_cli("--db", db_file, "gifts", "requests", "--as-of", as_of, "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    return {r["request_id"]: r for r in json.loads(result.stdout)["rows"]}


def figures(row: dict) -> tuple:
    keys = ("approved_qty", "delivered_qty", "outstanding", "status", "days_waiting")
    return tuple(row[k] for k in keys)


def test_two_transfers_then_a_later_file_approving_more(edges):
    assert figures(listed(edges, "2026-10-04")["R1"]) == (10, 0, 10, "open", 3)
    assert figures(listed(edges, "2026-10-08")["R1"]) == (10, 4, 6, "open", 7)
    # both transfers: done, as the first file's decision stands until the later one's date
    assert figures(listed(edges, "2026-10-24")["R1"]) == (10, 10, 0, "done", None)
    # the later file approved 12 on 10-25: the request is open again for 2
    assert figures(listed(edges, "2026-10-31")["R1"]) == (12, 10, 2, "open", 30)


def test_refused_then_delivered(edges):
    assert figures(listed(edges, "2026-10-05")["R2"]) == (0, 0, 0, "refused", None)
    assert figures(listed(edges, "2026-10-06")["R2"]) == (0, 5, 0, "unapproved_delivery", None)


def test_approved_after_the_day_is_pending_and_a_transfer_after_it_not_counted(edges):
    assert figures(listed(edges, "2026-10-19")["R3"]) == (None, 0, None, "pending", 16)
    assert figures(listed(edges, "2026-10-20")["R3"]) == (8, 0, 8, "open", 17)
    assert figures(listed(edges, "2026-11-01")["R3"]) == (8, 0, 8, "open", 29)
    assert figures(listed(edges, "2026-11-02")["R3"]) == (8, 8, 0, "done", None)


def test_a_transfer_to_another_location_is_not_a_delivery(edges):
    assert figures(listed(edges, "2026-10-31")["R4"]) == (6, 2, 4, "open", 27)


def test_a_request_decided_by_a_later_file(edges):
    # pending in the first file, approved 2 on 10-20 in the later one
    assert figures(listed(edges, "2026-10-19")["R5"]) == (None, 0, None, "pending", 9)
    assert figures(listed(edges, "2026-10-31")["R5"]) == (2, 0, 2, "open", 21)


def test_over_delivered_and_dated_after_the_day(edges):
    rows = listed(edges, "2026-10-31")
    assert figures(rows["R6"]) == (4, 6, 0, "over_delivered", None)
    assert "R7" not in rows and "R7" in listed(edges, "2026-11-01")
    assert list(rows) == ["R1", "R2", "R5", "R6", "R3", "R4"]  # location, date, id
    assert set(listed(edges, "2026-10-31", "--location", "S002")) == {"R3", "R4"}


def test_summary_values(edges):
    result = run_cli(
        "--db", edges, "gifts", "requests", "--summary", "--as-of", "2026-10-31", "-f", "json"
    )
    assert result.exit_code == 0, result.output
    got = {r["location"]: r for r in json.loads(result.stdout)["rows"]}
    # S001: R1 open (10 x 10.00 asked, 12 x 10.00 approved), R2 unapproved delivery
    # (5 x 2.50, 0), R5 open (3 x 10.00, 2 x 10.00), R6 over-delivered (4 x 2.50, 4 x 2.50)
    s001 = dict(requests=4, pending=0, refused=0, open=2, done=0, problems=2)
    assert {k: got["S001"][k] for k in s001} == s001
    assert got["S001"]["requested_value"] == 152.50 and got["S001"]["approved_value"] == 150.00
    # S002: R3 open (8 x 10.00), R4 open (6 x 2.50)
    s002 = dict(requests=2, pending=0, refused=0, open=2, done=0, problems=0)
    assert {k: got["S002"][k] for k in s002} == s002
    assert got["S002"]["requested_value"] == 95.00 and got["S002"]["approved_value"] == 95.00
    assert set(got["S001"]) == SUMMARY_KEYS


def test_keys_and_codes(edges):
    row = listed(edges, "2026-10-31")["R1"]
    assert set(row) == LIST_KEYS
    table = run_cli("--db", edges, "gifts", "requests", "--as-of", "2026-10-31").stdout
    for label in ("未发齐", "超量发放", "未批先发", "礼品申请审批表"):
        assert label in table
    for code in ("over_delivered", "unapproved_delivery", "open"):
        assert code not in table


def test_unknown_location_is_refused(edges):
    result = run_cli("--db", edges, "gifts", "requests", "--location", "S999")
    assert result.exit_code == 3 and "S999" in result.output


def test_monthly_workbook_sheet_is_the_list_as_of_the_months_last_day(edges, tmp_path):
    import openpyxl

    target = tmp_path / "month.xlsx"
    result = run_cli("report", "--db", edges, "--month", "2026-10", "--output", target)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(target)["礼品申请审批表"]
    header = [c.value for c in ws[4]]
    assert header[:3] == ["申请单号", "申请日期", "申请门店"]
    sheet = {
        r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=5, values_only=True)
    }
    rows = listed(edges, "2026-10-31")
    assert list(sheet) == list(rows)
    for request_id, row in rows.items():
        status = {"open": "未发齐", "done": "已发齐", "over_delivered": "超量发放"}
        status |= {"unapproved_delivery": "未批先发"}
        got = sheet[request_id]
        assert got["状态"] == status[row["status"]]
        assert (got["已发数量"], got["未发数量"]) == (row["delivered_qty"], row["outstanding"])


def test_a_region_or_store_scope_lists_its_stores_requests(edges):
    import memberkit

    with memberkit.open(edges) as opened:
        west = opened.report("gift-requests", as_of="2026-10-31", region="西区")
        assert [r["request_id"] for r in west.rows] == ["R3", "R4"]
        east = opened.report("gift-requests-summary", as_of="2026-10-31", store="S001")
        assert [(r["location"], r["requests"]) for r in east.rows] == [("S001", 4)]
