"""Gift stock, count reconciliation and posting (SPEC 5.6).

A plain-Python reference of the book-stock rule is checked against the SQL reports on random
ledgers (hypothesis), and hand-written cases pin the edges: dates between moves, transfers
seen from both sides, a move on the count date, negative book, tolerance, not_counted,
unknown gifts, --fail-on-variance, --post, the refusals and the JSON shapes.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import rows, run_cli, write
from memberkit import db
from memberkit.errors import InputRejected
from memberkit.reports import gifts, prepare_connection

MOVES_HEADER = "move_date,location,gift_id,kind,qty,ref,to_location,member_id"
COUNTS_HEADER = "count_date,location,gift_id,counted_qty,counted_by"
STORES = ("S001", "S002", "S003")
LOCATIONS = ("HQ", *STORES)
GIFTS = {"G01": Decimal("35.50"), "G02": Decimal("6.80"), "G03": Decimal("0.00")}
STOCK_KEYS = {
    "scope",
    "location",
    "gift_id",
    "gift_name",
    "unit",
    "opening",
    "in",
    "out",
    "issued",
    "adjusted",
    "closing",
    "closing_value",
}
RECONCILE_KEYS = {
    "scope",
    "location",
    "count_date",
    "gift_id",
    "gift_name",
    "book_qty",
    "counted_qty",
    "variance",
    "variance_value",
    "status",
    "counted_by",
}
SUMMARY_KEYS = {
    "scope",
    "location",
    "count_date",
    "lines",
    "matched",
    "over",
    "short",
    "not_counted",
    "unknown_gift",
    "variance_qty",
    "variance_value",
}


# --------------------------------------------------------------------------- reference model


def ref_stock(moves, as_of: date, location: str | None = None) -> dict:
    """Book stock per (location, gift) from moves dated on or before as_of.

    opening + receipts + transfers in - transfers out - issues + adjustments; never clamped.
    A (location, gift) pair appears once any move touching it is dated on or before as_of.
    """
    book: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict(opening=0, **{"in": 0}, out=0, issued=0, adjusted=0, closing=0)
    )
    for d, loc, gift, kind, qty, to_loc in moves:
        if d > as_of:
            continue
        if kind == "transfer":
            if location in (None, loc):
                book[loc, gift]["out"] += qty
                book[loc, gift]["closing"] -= qty
            if location in (None, to_loc):
                book[to_loc, gift]["in"] += qty
                book[to_loc, gift]["closing"] += qty
            continue
        if location not in (None, loc):
            continue
        entry = book[loc, gift]
        if kind == "opening":
            entry["opening"] += qty
            entry["closing"] += qty
        elif kind == "receipt":
            entry["in"] += qty
            entry["closing"] += qty
        elif kind == "issue":
            entry["issued"] += qty
            entry["closing"] -= qty
        elif kind == "adjust":
            entry["adjusted"] += qty
            entry["closing"] += qty
        else:  # pragma: no cover - the strategy makes only these kinds
            raise AssertionError(kind)
    return dict(book)


def ref_book(moves, loc: str, gift: str, as_of: date) -> int:
    return ref_stock(moves, as_of, loc).get((loc, gift), {"closing": 0})["closing"]


def ref_reconcile(moves, counts, gift_costs, location=None, count_date=None, tolerance=0):
    """counts: {(count_date, location, gift): qty}. Returns {(location, gift): line}."""
    sheets: dict[str, set[date]] = defaultdict(set)
    for d, loc, _gift in counts:
        if location not in (None, loc) or count_date not in (None, d):
            continue
        sheets[loc].add(d)
    out = {}
    for loc, days in sheets.items():
        day = max(days)
        counted = {g: q for (d, lo, g), q in counts.items() if d == day and lo == loc}
        book_gifts = {g for (lo, g) in ref_stock(moves, day, loc) if lo == loc}
        for gift in set(counted) | book_gifts:
            book = ref_book(moves, loc, gift, day)
            known = gift in gift_costs
            if gift not in counted:
                if not known or book == 0:
                    continue
                out[loc, gift] = dict(
                    count_date=day,
                    book_qty=book,
                    counted_qty=None,
                    variance=None,
                    variance_value=None,
                    status="not_counted",
                )
                continue
            variance = counted[gift] - book
            if not known:
                status = "unknown_gift"
            elif abs(variance) <= tolerance:
                status = "match"
            elif variance > 0:
                status = "over"
            else:
                status = "short"
            out[loc, gift] = dict(
                count_date=day,
                book_qty=book,
                counted_qty=counted[gift],
                variance=variance,
                variance_value=variance * gift_costs[gift] if known else None,
                status=status,
            )
    return out


# --------------------------------------------------------------------------- direct SQL setup


def seed(con, moves=(), counts=None, gift_costs=None, stores=STORES) -> None:
    for store in stores:
        con.execute(
            "insert into stores (store_id, store_name, load_id) values ($s, $s, 1)", {"s": store}
        )
    for gift, cost in (GIFTS if gift_costs is None else gift_costs).items():
        con.execute(
            "insert into gifts values ($g, $n, '个', $c, 1)",
            {"g": gift, "n": "礼品" + gift, "c": cost},
        )
    for d, loc, gift, kind, qty, to_loc in moves:
        con.execute(
            "insert into gift_moves values ($d, $l, $g, $k, $q, 'R', $t, null, 1)",
            {"d": d, "l": loc, "g": gift, "k": kind, "q": qty, "t": to_loc},
        )
    for (d, loc, gift), qty in (counts or {}).items():
        con.execute(
            "insert into gift_counts values ($d, $l, $g, $q, 'tester', 1)",
            {"d": d, "l": loc, "g": gift, "q": qty},
        )
    prepare_connection(con)


def stock_map(report) -> dict:
    return {(r["location"], r["gift_id"]): r for r in report.rows}


def recon_map(report) -> dict:
    return {(r["location"], r["gift_id"]): r for r in report.rows}


def check_stock(con, moves, as_of, location=None) -> None:
    got = stock_map(gifts.stock(con, as_of, location))
    want = ref_stock(moves, as_of, location)
    assert set(got) == set(want), (as_of, location)
    for key, entry in want.items():
        row = got[key]
        for field in ("opening", "in", "out", "issued", "adjusted", "closing"):
            assert row[field] == entry[field], (key, field, as_of, location)
        cost = GIFTS.get(key[1])
        if cost is not None:
            assert Decimal(row["closing_value"]) == entry["closing"] * cost


def check_reconcile(con, moves, counts, location=None, count_date=None, tolerance=0) -> None:
    got = recon_map(gifts.reconcile(con, location, count_date, tolerance))
    want = ref_reconcile(moves, counts, GIFTS, location, count_date, tolerance)
    assert set(got) == set(want), (location, count_date, tolerance)
    for key, line in want.items():
        row = got[key]
        for field, value in line.items():
            if field == "variance_value" and value is not None:
                assert Decimal(row[field]) == value, (key, field)
            else:
                assert row[field] == value, (key, field, row)


# --------------------------------------------------------------------------- hypothesis

START = date(2024, 9, 1)
DAYS = 100

day_st = st.integers(0, DAYS).map(lambda n: START + timedelta(days=n))
gift_st = st.sampled_from(sorted(GIFTS) + ["GX"])  # GX: a gift missing from the gifts table


@st.composite
def move_st(draw):
    kind = draw(st.sampled_from(["opening", "receipt", "transfer", "issue", "adjust"]))
    d = draw(day_st)
    gift = draw(gift_st)
    if kind == "adjust":
        qty = draw(st.integers(-20, 20).filter(lambda q: q != 0))
    else:
        qty = draw(st.integers(1, 30))
    if kind == "receipt":
        return (d, "HQ", gift, kind, qty, None)
    if kind == "transfer":
        src = draw(st.sampled_from(LOCATIONS))
        dst = draw(st.sampled_from([x for x in LOCATIONS if x != src]))
        return (d, src, gift, kind, qty, dst)
    return (d, draw(st.sampled_from(LOCATIONS)), gift, kind, qty, None)


counts_st = st.dictionaries(
    st.tuples(day_st, st.sampled_from(LOCATIONS), gift_st), st.integers(0, 40), max_size=12
)

HYP = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def fresh_con(tmp: str):
    return db.connect(Path(tmp) / "h.duckdb")


@HYP
@given(
    moves=st.lists(move_st(), max_size=30),
    days=st.lists(day_st, min_size=1, max_size=4),
    location=st.sampled_from([None, *LOCATIONS]),
)
def test_stock_matches_reference(moves, days, location):
    with tempfile.TemporaryDirectory() as tmp:
        con = fresh_con(tmp)
        try:
            seed(con, moves)
            for d in [*days, *(m[0] for m in moves[:3])]:
                check_stock(con, moves, d, location)
                check_stock(con, moves, d, None)
        finally:
            con.close()


@HYP
@given(
    moves=st.lists(move_st(), max_size=30),
    counts=counts_st,
    tolerance=st.integers(0, 5),
    location=st.sampled_from([None, *LOCATIONS]),
    pick_date=st.booleans(),
)
def test_reconcile_matches_reference(moves, counts, tolerance, location, pick_date):
    count_date = min((k[0] for k in counts), default=None) if pick_date else None
    with tempfile.TemporaryDirectory() as tmp:
        con = fresh_con(tmp)
        try:
            seed(con, moves, counts)
            check_reconcile(con, moves, counts, location, count_date, tolerance)
            check_reconcile(con, moves, counts, None, None, 0)
        finally:
            con.close()


@HYP
@given(moves=st.lists(move_st(), max_size=25), counts=counts_st, tolerance=st.integers(0, 3))
def test_post_makes_book_equal_count(moves, counts, tolerance):
    with tempfile.TemporaryDirectory() as tmp:
        con = fresh_con(tmp)
        try:
            seed(con, moves, counts)
            report = gifts.reconcile(con, None, None, tolerance)
            before = recon_map(report)
            expected_posts = sum(
                1
                for r in report.rows
                if r["status"] in ("match", "over", "short") and r["variance"]
            )
            assert gifts.post(con, report) == expected_posts
            after = recon_map(gifts.reconcile(con, None, None, tolerance))
            assert set(after) == set(before)
            for key, row in after.items():
                if before[key]["status"] in ("match", "over", "short"):
                    assert row["status"] == "match" and row["variance"] == 0, (key, row)
                    assert row["book_qty"] == row["counted_qty"]
                else:  # not_counted / unknown_gift: left alone
                    assert row["status"] == before[key]["status"]
                    assert row["book_qty"] == before[key]["book_qty"]
            n_moves = rows(con, "select count(*) from gift_moves")[0][0]
            assert gifts.post(con, gifts.reconcile(con, None, None, tolerance)) == 0
            assert rows(con, "select count(*) from gift_moves")[0][0] == n_moves
        finally:
            con.close()


# --------------------------------------------------------------------------- hand-written

D = date.fromisoformat


def test_stock_on_dates_between_moves(con):
    moves = [
        (D("2024-09-01"), "HQ", "G01", "opening", 50, None),
        (D("2024-09-05"), "HQ", "G01", "receipt", 20, None),
        (D("2024-09-10"), "HQ", "G01", "transfer", 15, "S001"),
        (D("2024-09-12"), "S001", "G01", "issue", 4, None),
        (D("2024-09-20"), "S001", "G01", "adjust", -2, None),
        (D("2024-09-25"), "HQ", "G01", "adjust", 3, None),
    ]
    seed(con, moves)
    assert gifts.stock(con, D("2024-08-31")).rows == []
    hq = stock_map(gifts.stock(con, D("2024-09-04")))["HQ", "G01"]
    assert (hq["opening"], hq["in"], hq["out"], hq["closing"]) == (50, 0, 0, 50)
    by = stock_map(gifts.stock(con, D("2024-09-11")))
    assert by["HQ", "G01"]["closing"] == 55 and by["HQ", "G01"]["out"] == 15
    assert by["S001", "G01"]["in"] == 15 and by["S001", "G01"]["closing"] == 15
    by = stock_map(gifts.stock(con, D("2024-09-30")))
    assert by["HQ", "G01"]["closing"] == 58 and by["HQ", "G01"]["adjusted"] == 3
    s = by["S001", "G01"]
    assert (s["opening"], s["in"], s["out"], s["issued"], s["adjusted"], s["closing"]) == (
        0,
        15,
        0,
        4,
        -2,
        9,
    )
    assert Decimal(s["closing_value"]) == Decimal("319.50")
    for d in ("2024-09-01", "2024-09-09", "2024-09-10", "2024-09-19", "2024-10-01"):
        for loc in (None, "HQ", "S001", "S002"):
            check_stock(con, moves, D(d), loc)


def test_transfer_seen_from_both_sides(con):
    moves = [
        (D("2024-09-01"), "S001", "G02", "opening", 10, None),
        (D("2024-09-03"), "S001", "G02", "transfer", 4, "S002"),
    ]
    counts = {(D("2024-09-03"), "S001", "G02"): 6, (D("2024-09-03"), "S002", "G02"): 4}
    seed(con, moves, counts)
    only_s2 = gifts.stock(con, D("2024-09-03"), "S002").rows
    assert [(r["location"], r["in"], r["out"], r["closing"]) for r in only_s2] == [
        ("S002", 4, 0, 4)
    ]
    only_s1 = gifts.stock(con, D("2024-09-03"), "S001").rows
    assert [(r["location"], r["in"], r["out"], r["closing"]) for r in only_s1] == [
        ("S001", 0, 4, 6)
    ]
    got = recon_map(gifts.reconcile(con))
    assert got["S001", "G02"]["book_qty"] == 6 and got["S001", "G02"]["status"] == "match"
    assert got["S002", "G02"]["book_qty"] == 4 and got["S002", "G02"]["status"] == "match"


def test_move_on_count_date_is_in_the_book(con):
    moves = [
        (D("2024-09-01"), "HQ", "G01", "opening", 10, None),
        (D("2024-09-15"), "HQ", "G01", "receipt", 5, None),
        (D("2024-09-16"), "HQ", "G01", "receipt", 100, None),
    ]
    seed(con, moves, {(D("2024-09-15"), "HQ", "G01"): 15})
    row = recon_map(gifts.reconcile(con))["HQ", "G01"]
    assert row["book_qty"] == 15 and row["variance"] == 0 and row["status"] == "match"
    assert row["count_date"] == D("2024-09-15")


def test_negative_book_is_shown_not_clamped(con, db_path):
    moves = [
        (D("2024-09-01"), "S001", "G01", "opening", 2, None),
        (D("2024-09-02"), "S001", "G01", "issue", 5, None),
    ]
    seed(con, moves, {(D("2024-09-03"), "S001", "G01"): 0})
    row = stock_map(gifts.stock(con, D("2024-09-03")))["S001", "G01"]
    assert row["closing"] == -3 and Decimal(row["closing_value"]) == Decimal("-106.50")
    line = recon_map(gifts.reconcile(con))["S001", "G01"]
    assert (line["book_qty"], line["variance"], line["status"]) == (-3, 3, "over")
    con.close()
    result = run_cli("--db", db_path, "gifts", "stock", "--as-of", "2024-09-03", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rows"][0]["closing"] == -3


def test_tolerance_boundary(con):
    moves = [(D("2024-09-01"), "HQ", g, "opening", 10, None) for g in ("G01", "G02", "G03")]
    moves.append((D("2024-09-01"), "S001", "G01", "opening", 10, None))
    moves.append((D("2024-09-01"), "S001", "G02", "opening", 10, None))
    counts = {
        (D("2024-09-30"), "HQ", "G01"): 12,  # +2 == Q
        (D("2024-09-30"), "HQ", "G02"): 8,  # -2 == Q
        (D("2024-09-30"), "HQ", "G03"): 13,  # +3 == Q+1
        (D("2024-09-30"), "S001", "G01"): 7,  # -3 == -(Q+1)
        (D("2024-09-30"), "S001", "G02"): 10,
    }
    seed(con, moves, counts)
    got = recon_map(gifts.reconcile(con, tolerance=2))
    status = {k: r["status"] for k, r in got.items()}
    assert status == {
        ("HQ", "G01"): "match",
        ("HQ", "G02"): "match",
        ("HQ", "G03"): "over",
        ("S001", "G01"): "short",
        ("S001", "G02"): "match",
    }
    assert got["HQ", "G01"]["variance"] == 2  # a match within tolerance still shows it
    assert Decimal(got["S001", "G01"]["variance_value"]) == Decimal("-106.50")
    zero = {k: r["status"] for k, r in recon_map(gifts.reconcile(con, tolerance=0)).items()}
    assert zero["HQ", "G01"] == "over" and zero["S001", "G02"] == "match"


def test_not_counted_only_for_nonzero_book(con):
    moves = [
        (D("2024-09-01"), "HQ", "G01", "opening", 10, None),
        (D("2024-09-01"), "HQ", "G02", "opening", 4, None),
        (D("2024-09-02"), "HQ", "G02", "issue", 4, None),  # book 0 at count
        (D("2024-09-01"), "HQ", "G03", "opening", 5, None),
        (D("2024-10-01"), "HQ", "G03", "issue", 5, None),  # after the count: not in the book
        (D("2024-09-01"), "S001", "G02", "opening", 9, None),  # another location
    ]
    seed(con, moves, {(D("2024-09-15"), "HQ", "G01"): 10})
    got = recon_map(gifts.reconcile(con))
    assert set(got) == {("HQ", "G01"), ("HQ", "G03")}
    nc = got["HQ", "G03"]
    assert nc["status"] == "not_counted" and nc["book_qty"] == 5 and nc["counted_qty"] is None


def test_unknown_gift(con):
    seed(
        con,
        [(D("2024-09-01"), "HQ", "G01", "opening", 1, None)],
        {(D("2024-09-15"), "HQ", "G01"): 1, (D("2024-09-15"), "HQ", "ZZZ"): 3},
    )
    got = recon_map(gifts.reconcile(con))
    assert got["HQ", "ZZZ"]["status"] == "unknown_gift"
    assert got["HQ", "ZZZ"]["counted_qty"] == 3
    assert got["HQ", "G01"]["status"] == "match"
    summary = gifts.summary(gifts.reconcile(con)).rows
    assert len(summary) == 1
    assert summary[0]["unknown_gift"] == 1 and summary[0]["matched"] == 1


def test_unknown_location_is_refused(con):
    seed(con)
    with pytest.raises(InputRejected):
        gifts.stock(con, D("2024-09-01"), "S999")
    with pytest.raises(InputRejected):
        gifts.reconcile(con, "S999")
    gifts.stock(con, D("2024-09-01"), "HQ")
    gifts.reconcile(con, "S001")


# --------------------------------------------------------------------------- CLI cases


def load(db_path: Path, kind: str, path: Path, *extra: str):
    return run_cli("--db", db_path, "load", kind, path, *extra)


def count_of(db_path: Path, table: str) -> int:
    con = db.connect(db_path, read_only=True)
    try:
        return rows(con, f"select count(*) from {table}")[0][0]  # table names are ours
    finally:
        con.close()


def setup_files(tmp_path: Path, db_path: Path, moves: str, counts: str | None = None) -> None:
    assert (
        load(
            db_path,
            "stores",
            write(
                tmp_path / "stores.csv",
                "store_id,store_name,region\nS001,一店,华东\nS002,二店,华东\n",
            ),
        ).exit_code
        == 0
    )
    gifts_csv = "礼品编号,礼品名称,单位,单价\nG01,保温杯,个,35.50\nG02,环保袋,个,6.80\n"
    assert load(db_path, "gifts", write(tmp_path / "gifts.csv", gifts_csv)).exit_code == 0
    result = load(db_path, "gift-moves", write(tmp_path / "moves.csv", MOVES_HEADER + "\n" + moves))
    assert result.exit_code == 0, result.output
    if counts is not None:
        result = load(
            db_path, "gift-counts", write(tmp_path / "counts.csv", COUNTS_HEADER + "\n" + counts)
        )
        assert result.exit_code == 0, result.output


BASIC_MOVES = (
    "2024-09-01,HQ,G01,opening,50,OPN,,\n"
    "2024-09-01,HQ,G02,opening,30,OPN,,\n"
    "2024-09-02,HQ,G01,transfer,10,T1,S001,\n"
    "2024-09-03,S001,G01,issue,2,I1,,M001\n"
    "2024-09-04,S001,G01,transfer,3,T2,S002,\n"
)


def reconcile_json(db_path: Path, *args: str):
    result = run_cli("--db", db_path, "gifts", "reconcile", "--format", "json", *args)
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_stock_json_shape(tmp_path, db_path):
    setup_files(tmp_path, db_path, BASIC_MOVES)
    result = run_cli("--db", db_path, "gifts", "stock", "--as-of", "2024-09-30", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"report", "period", "rows"}
    assert doc["report"] == "gift-stock" and doc["period"] == "2024-09-30"
    for row in doc["rows"]:
        assert set(row) == STOCK_KEYS
    by = {(r["location"], r["gift_id"]): r for r in doc["rows"]}
    assert set(by) == {("HQ", "G01"), ("HQ", "G02"), ("S001", "G01"), ("S002", "G01")}
    assert by["HQ", "G01"]["closing"] == 40 and by["HQ", "G01"]["closing_value"] == 1420.0
    assert (by["S001", "G01"]["in"], by["S001", "G01"]["out"], by["S001", "G01"]["issued"]) == (
        10,
        3,
        2,
    )
    assert by["S001", "G01"]["closing"] == 5 and by["S002", "G01"]["closing"] == 3
    assert by["HQ", "G01"]["gift_name"] == "保温杯" and by["HQ", "G01"]["unit"] == "个"
    one = run_cli(
        "--db",
        db_path,
        "gifts",
        "stock",
        "--as-of",
        "2024-09-30",
        "--location",
        "S002",
        "--format",
        "json",
    )
    assert one.exit_code == 0, one.output
    assert [(r["location"], r["closing"]) for r in json.loads(one.stdout)["rows"]] == [("S002", 3)]


def test_unknown_location_cli_exit_3(tmp_path, db_path):
    setup_files(tmp_path, db_path, BASIC_MOVES, "2024-09-30,HQ,G01,40,A\n")
    for args in (
        ("gifts", "stock", "--as-of", "2024-09-30", "--location", "S999"),
        ("gifts", "reconcile", "--location", "S999"),
    ):
        result = run_cli("--db", db_path, *args)
        assert result.exit_code == 3, (args, result.output)
    assert run_cli("--db", db_path, "gifts", "reconcile", "--location", "HQ").exit_code == 0


def test_reconcile_json_and_summary_shapes(tmp_path, db_path):
    counts = (
        "2024-09-30,HQ,G01,41,A\n"  # book 40: over by 1
        "2024-09-30,S001,G01,4,B\n"  # book 5: short by 1
        "2024-09-30,S001,G99,2,B\n"  # unknown gift
        "2024-09-15,S002,G01,3,C\n"  # book 3: match
    )
    setup_files(tmp_path, db_path, BASIC_MOVES, counts)
    result, doc = reconcile_json(db_path)
    assert result.exit_code == 0, result.output
    assert set(doc) == {"report", "period", "rows"} and doc["report"] == "gift-reconcile"
    for row in doc["rows"]:
        assert set(row) == RECONCILE_KEYS, set(row) ^ RECONCILE_KEYS
    by = {(r["location"], r["gift_id"]): r for r in doc["rows"]}
    assert by["HQ", "G01"]["status"] == "over" and by["HQ", "G01"]["variance"] == 1
    assert by["HQ", "G01"]["variance_value"] == 35.5
    assert by["HQ", "G02"]["status"] == "not_counted" and by["HQ", "G02"]["book_qty"] == 30
    assert by["S001", "G01"]["status"] == "short" and by["S001", "G01"]["variance"] == -1
    assert by["S001", "G99"]["status"] == "unknown_gift"
    assert by["S002", "G01"]["status"] == "match"
    assert by["S002", "G01"]["count_date"] == "2024-09-15"

    result, doc = reconcile_json(db_path, "--summary")
    assert result.exit_code == 0, result.output
    assert doc["report"] == "gift-summary"
    for row in doc["rows"]:
        assert set(row) == SUMMARY_KEYS, set(row) ^ SUMMARY_KEYS
    s = {r["location"]: r for r in doc["rows"]}
    assert set(s) == {"HQ", "S001", "S002"}
    assert (s["HQ"]["lines"], s["HQ"]["over"], s["HQ"]["not_counted"]) == (1, 1, 1)
    assert s["HQ"]["variance_qty"] == 1 and s["HQ"]["variance_value"] == 35.5
    assert (s["S001"]["short"], s["S001"]["unknown_gift"], s["S001"]["lines"]) == (1, 1, 2)
    # the unknown gift's 2 has no cost: it stays out of both totals, not just the value
    assert s["S001"]["variance_qty"] == -1 and s["S001"]["variance_value"] == -35.5
    assert s["S002"]["matched"] == 1 and s["S002"]["variance_qty"] == 0
    assert s["S002"]["count_date"] == "2024-09-15"


def test_reconcile_latest_or_given_date(tmp_path, db_path):
    counts = "2024-09-02,HQ,G01,40,A\n2024-09-02,HQ,G02,30,A\n2024-09-20,HQ,G01,45,A\n"
    setup_files(tmp_path, db_path, BASIC_MOVES, counts)
    _, latest = reconcile_json(db_path)
    assert {r["count_date"] for r in latest["rows"]} == {"2024-09-20"}
    assert {(r["gift_id"], r["status"]) for r in latest["rows"]} == {
        ("G01", "over"),
        ("G02", "not_counted"),
    }
    _, first = reconcile_json(db_path, "--date", "2024-09-02")
    assert {(r["gift_id"], r["book_qty"], r["status"]) for r in first["rows"]} == {
        ("G01", 40, "match"),
        ("G02", 30, "match"),
    }


def test_fail_on_variance_exit_codes(tmp_path, db_path):
    setup_files(tmp_path, db_path, BASIC_MOVES, "2024-09-30,HQ,G01,40,A\n2024-09-30,HQ,G02,31,A\n")
    result = run_cli(
        "--db", db_path, "gifts", "reconcile", "--fail-on-variance", "--format", "json"
    )
    assert result.exit_code == 5
    doc = json.loads(result.stdout)  # output still printed
    assert {r["gift_id"]: r["status"] for r in doc["rows"]} == {"G01": "match", "G02": "over"}
    result = run_cli(
        "--db", db_path, "gifts", "reconcile", "--fail-on-variance", "--tolerance", "1"
    )
    assert result.exit_code == 0, result.output
    result = run_cli(
        "--db", db_path, "gifts", "reconcile", "--fail-on-variance", "--location", "S001"
    )
    assert result.exit_code == 0, result.output  # S001 has no count: nothing to mismatch


def test_fail_on_variance_counts_not_counted(tmp_path, db_path):
    setup_files(tmp_path, db_path, BASIC_MOVES, "2024-09-30,HQ,G01,40,A\n")  # G02 not counted
    result = run_cli("--db", db_path, "gifts", "reconcile", "--fail-on-variance")
    assert result.exit_code == 5


def test_post_then_match_and_second_post_posts_nothing(tmp_path, db_path):
    counts = (
        "2024-09-30,HQ,G01,38,A\n"  # book 40: short 2
        "2024-09-30,HQ,G02,31,A\n"  # book 30: over 1 (within tolerance 1: still posted)
        "2024-09-30,S001,G01,5,B\n"  # book 5: match, nothing to post
        "2024-09-30,S001,G99,7,B\n"  # unknown gift: left alone
        "2024-09-30,S002,G02,0,C\n"  # book 0
    )
    moves = BASIC_MOVES + "2024-09-01,S002,G01,opening,1,O,,\n"
    setup_files(tmp_path, db_path, moves, counts)  # S002 G01 book 4, not counted
    before = count_of(db_path, "gift_moves")
    result = run_cli("--db", db_path, "gifts", "reconcile", "--post", "--tolerance", "1")
    assert result.exit_code == 0, result.output
    assert "posted 2 " in result.output
    assert count_of(db_path, "gift_moves") == before + 2
    _, doc = reconcile_json(db_path)
    by = {(r["location"], r["gift_id"]): r for r in doc["rows"]}
    for key in (("HQ", "G01"), ("HQ", "G02"), ("S001", "G01"), ("S002", "G02")):
        assert by[key]["status"] == "match" and by[key]["variance"] == 0, by[key]
    assert by["S001", "G99"]["status"] == "unknown_gift"
    assert by["S002", "G01"]["status"] == "not_counted" and by["S002", "G01"]["book_qty"] == 4
    stock = run_cli("--db", db_path, "gifts", "stock", "--as-of", "2024-09-30", "--format", "json")
    closing = {(r["location"], r["gift_id"]): r for r in json.loads(stock.stdout)["rows"]}
    assert closing["HQ", "G01"]["closing"] == 38 and closing["HQ", "G01"]["adjusted"] == -2
    assert closing["HQ", "G02"]["closing"] == 31

    after_first = count_of(db_path, "gift_moves")
    again = run_cli("--db", db_path, "gifts", "reconcile", "--post", "--tolerance", "1")
    assert again.exit_code == 0, again.output
    assert "posted 0 " in again.output
    assert count_of(db_path, "gift_moves") == after_first
    _, doc2 = reconcile_json(db_path)
    assert doc2 == doc


def test_post_after_same_day_recount(tmp_path, db_path):
    """A recount of the same day replaces the sheet; posting it must bring book to the new count."""
    setup_files(tmp_path, db_path, BASIC_MOVES, "2024-09-30,HQ,G01,38,A\n2024-09-30,HQ,G02,30,A\n")
    assert run_cli("--db", db_path, "gifts", "reconcile", "--post").exit_code == 0
    recount = write(tmp_path / "recount.csv", COUNTS_HEADER + "\n2024-09-30,HQ,G01,35,A\n")
    result = load(db_path, "gift-counts", recount)
    assert result.exit_code == 0, result.output
    _, doc = reconcile_json(db_path)
    g01 = next(r for r in doc["rows"] if r["gift_id"] == "G01")
    assert (g01["book_qty"], g01["counted_qty"], g01["status"]) == (38, 35, "short")
    assert run_cli("--db", db_path, "gifts", "reconcile", "--post").exit_code == 0
    _, doc = reconcile_json(db_path)
    g01 = next(r for r in doc["rows"] if r["gift_id"] == "G01")
    assert (g01["book_qty"], g01["status"], g01["variance"]) == (35, "match", 0), g01


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("unknown location", "2024-09-30,HQ,G01,40,A\n2024-09-30,S777,G01,1,A\n"),
        ("non-integer", "2024-09-30,HQ,G01,40,A\n2024-09-30,HQ,G02,2.5,A\n"),
        ("not a number", "2024-09-30,HQ,G01,40,A\n2024-09-30,HQ,G02,abc,A\n"),
        ("negative", "2024-09-30,HQ,G01,40,A\n2024-09-30,HQ,G02,-1,A\n"),
        ("same gift twice", "2024-09-30,HQ,G01,40,A\n2024-09-30,HQ,G01,41,A\n"),
    ],
)
def test_bad_count_sheet_is_refused_whole(tmp_path, db_path, name, sheet):
    setup_files(tmp_path, db_path, BASIC_MOVES, "2024-09-15,HQ,G01,40,A\n")
    before = rows_of(db_path, "select * from gift_counts order by all")
    result = load(db_path, "gift-counts", write(tmp_path / "bad.csv", COUNTS_HEADER + "\n" + sheet))
    assert result.exit_code == 3, (name, result.output)
    assert rows_of(db_path, "select * from gift_counts order by all") == before, name


def test_bad_count_sheet_refused_even_when_large(tmp_path, db_path):
    """One bad line in 200 is under the 1% reject ratio: a count sheet is still all or nothing."""
    setup_files(tmp_path, db_path, BASIC_MOVES)
    lines = "".join(f"2024-09-30,HQ,X{i:03d},1,A\n" for i in range(199))
    result = load(
        db_path,
        "gift-counts",
        write(tmp_path / "big.csv", COUNTS_HEADER + "\n" + lines + "2024-09-30,HQ,G01,-4,A\n"),
    )
    assert result.exit_code == 3, result.output
    assert count_of(db_path, "gift_counts") == 0


def rows_of(db_path: Path, sql: str) -> list[tuple]:
    con = db.connect(db_path, read_only=True)
    try:
        return rows(con, sql)
    finally:
        con.close()


def test_gift_moves_rejects_with_line_and_column(tmp_path, db_path):
    setup_files(tmp_path, db_path, BASIC_MOVES)
    bad = (
        MOVES_HEADER + "\n"
        "2024-10-01,HQ,G01,receipt,5,R1,,\n"  # line 2: fine
        "2024-10-02,HQ,G01,transfer,3,T9,,\n"  # line 3: transfer without to_location
        "2024-10-02,HQ,G01,issue,0,I9,,\n"  # line 4: qty 0
        "2024-10-02,HQ,G01,receipt,-2,R9,,\n"  # line 5: negative receipt
        "2024-10-02,HQ,G01,steal,1,X9,,\n"  # line 6: unknown kind
        "2024-10-03,HQ,G01,adjust,-2,A9,,\n"  # line 7: fine, adjust is signed
        "2024-10-03,HQ,G01,调拨,1,T10,S002,\n"  # line 8: fine, Chinese kind
    )
    before = count_of(db_path, "gift_moves")
    result = load(
        db_path, "gift-moves", write(tmp_path / "bad_moves.csv", bad), "--max-reject-ratio", "1"
    )
    assert result.exit_code == 0, result.output
    assert count_of(db_path, "gift_moves") == before + 3
    got = rows_of(
        db_path,
        "select line, column_name from rejects where file_name like '%bad_moves.csv' order by line",
    )
    assert got == [(3, "to_location"), (4, "qty"), (5, "qty"), (6, "kind")]
    loaded = rows_of(
        db_path,
        "select kind, qty, to_location from gift_moves "
        "where move_date >= '2024-10-01' order by all",
    )
    assert loaded == [("adjust", -2, None), ("receipt", 5, None), ("transfer", 1, "S002")]


def test_moves_below_zero_unknown_destinations_and_future_counts_are_reported(tmp_path):
    """They load (the ledger records what happened) but each is named with its line."""
    db_file = tmp_path / "warn.duckdb"
    files = {
        "stores": "store_id,store_name,region\nS001,徐汇店,华东\n",
        "gifts": "gift_id,gift_name,unit,unit_cost\nG01,保温杯,个,35.50\n",
        "gift-moves": (
            "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"
            "2026-10-01,HQ,G01,opening,5,OPN,,\n"
            "2026-10-02,HQ,G01,transfer,2,TRF-1,S001,\n"
            "2026-10-03,S001,G01,issue,3,ISS-1,,M1\n"  # line 4: S001 holds 2
            "2026-10-04,HQ,G01,transfer,1,TRF-2,S404,\n"  # line 5: no such store
        ),
        "gift-counts": (
            "count_date,location,gift_id,counted_qty,counted_by\n2999-01-01,HQ,G01,2,x\n"
        ),
    }
    outputs = {}
    for kind, text in files.items():
        result = run_cli("--db", db_file, "load", kind, write(tmp_path / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
        outputs[kind] = result.stderr
    assert "line 4, column qty: takes book stock below zero" in outputs["gift-moves"]
    assert "line 5, column to_location: transfer to an unknown location" in outputs["gift-moves"]
    assert "line 3" not in outputs["gift-moves"]
    assert "line 2, column count_date: count dated in the future" in outputs["gift-counts"]


def test_count_sheet_round_trip_through_xlsx(tmp_path):
    """A blind sheet from `gifts count-sheet`, filled in as a store would, loads back as-is."""
    db_file = tmp_path / "cs.duckdb"
    files = {
        "stores": "store_id,store_name,region\nS001,徐汇店,华东\n",
        "gifts": "gift_id,gift_name,unit,unit_cost\nG01,保温杯,个,35.50\nG02,雨伞,把,28.00\n",
        "gift-moves": (
            "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"
            "2026-10-01,HQ,G01,opening,10,OPN,,\n2026-10-01,HQ,G02,opening,10,OPN,,\n"
            "2026-10-02,HQ,G01,transfer,4,T1,S001,\n2026-10-02,HQ,G02,transfer,3,T1,S001,\n"
        ),
    }
    for kind, text in files.items():
        assert (
            run_cli("--db", db_file, "load", kind, write(tmp_path / f"{kind}.csv", text)).exit_code
            == 0
        )
    sheet = tmp_path / "盘点表-S001.xlsx"
    made = run_cli(
        "--db",
        db_file,
        "gifts",
        "count-sheet",
        "--location",
        "S001",
        "--date",
        "2026-10-31",
        "--output",
        sheet,
    )
    assert made.exit_code == 0, made.output
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws["A1"].value == "《门店礼品盘点表》" and "地点：S001" in ws["A2"].value
    header = [c.value for c in ws[4]]
    assert header == ["盘点日期", "盘点地点", "礼品编号", "礼品名称", "单位", "实盘数量", "盘点人"]
    lines = {row[2].value: row for row in ws.iter_rows(min_row=5)}
    assert set(lines) == {"G01", "G02"}
    assert all(row[5].value is None for row in lines.values())  # blind: no book quantities
    lines["G01"][5].value, lines["G02"][5].value = 4, 2  # G02 is one short
    for row in lines.values():
        row[6].value = "王芳"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    loaded = run_cli("--db", db_file, "load", "gift-counts", filled)
    assert loaded.exit_code == 0, loaded.output
    assert "unknown column" not in loaded.stderr
    doc = json.loads(run_cli("--db", db_file, "gifts", "reconcile", "--format", "json").stdout)
    statuses = {r["gift_id"]: (r["book_qty"], r["counted_qty"], r["status"]) for r in doc["rows"]}
    assert statuses == {"G01": (4, 4, "match"), "G02": (3, 2, "short")}
