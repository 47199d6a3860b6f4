"""new-members (SPEC 5.7) and its --problems list against tests/reference_members.py on
generated chains, edge cases by hand, and the command end to end.

The chains are test_analyses_reference's datasets with member records made messier: phones
missing, blank, malformed or shared (from a small pool, so often across stores and scopes),
many joins in one focus month and the same month a year earlier, expiry dates before the
join date, home stores missing from the stores table, and tickets, refunds and zero rows on
the days around each join's 30-day activation window.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference as ref
import reference_members as refm
from conftest import run_cli, write
from memberkit.periods import Scope, month, year
from memberkit.reports import members as mk
from test_analyses_reference import (
    SETTINGS,
    assert_matches,
    assert_rows,
    datasets,
    open_database,
    periods,
    scopes,
    times,
)

UNKNOWN_STORE = "S9"  # a home store missing from the stores table
PHONE_POOL = ("13900000001", "13900000002")  # shared by whoever draws them
BAD_PHONES = ("1390000000", "139000000012", "23900000001", "139 0000 0001", "1390000000a")
FOCUS_MONTHS = [month(y, m) for y in (2025, 2026) for m in range(1, 13)] + [month(2024, 2)]

phones = st.one_of(
    st.just("keep"),  # the dataset's own unique, valid phone
    st.sampled_from([None, "", "  "]),
    st.sampled_from(PHONE_POOL),
    st.sampled_from(BAD_PHONES),
)


def _in(draw, period) -> date:
    day = draw(st.integers(0, (period.end - period.start).days))
    return period.start + timedelta(days=day)


@st.composite
def member_chains(draw) -> tuple[ref.Data, object]:
    """A messy chain and its focus month (many joins in it and a year before it)."""
    data = draw(datasets())
    focus = draw(st.sampled_from(FOCUS_MONTHS))
    store_ids = [s["store_id"] for s in data.stores]
    extra = []
    for member in data.members:
        phone = draw(phones)
        if phone != "keep":
            member["phone"] = phone
        when = draw(st.sampled_from(["keep", "focus", "focus", "year_before"]))
        if when == "focus":
            member["join_date"] = _in(draw, focus)
        elif when == "year_before":
            member["join_date"] = _in(draw, focus.years_back(1))
        if draw(st.integers(0, 7)) == 0:
            member["expiry_date"] = member["join_date"] - timedelta(days=draw(st.integers(1, 400)))
        if draw(st.integers(0, 7)) == 0:
            member["store_id"] = UNKNOWN_STORE
        if draw(st.booleans()):  # something on the days that decide activation
            offset = draw(st.sampled_from([-1, 0, 1, 29, 30, 31]))
            cents = draw(st.sampled_from([1, 5_000, 0, -5_000]))
            extra.append(
                {
                    "txn_id": f"A{len(extra):04d}",
                    "store_id": draw(st.sampled_from(store_ids)),
                    "txn_time": datetime.combine(
                        member["join_date"] + timedelta(days=offset), draw(times)
                    ),
                    "member_id": member["member_id"],
                    "amount": Decimal(cents) / 100,
                    "item_qty": 1,
                }
            )
    data.transactions += extra
    return data, focus


@st.composite
def member_periods(draw, data: ref.Data, focus) -> object:
    """The focus month or its year (joins in them), a leap February, or any of the analyses'
    periods (the empty month, a month with tickets, any month or year)."""
    return draw(
        st.sampled_from(
            [
                focus,
                focus,
                year(focus.start.year),
                month(2024, 2),
                month(2025, 2),
                draw(periods(data))[0],
            ]
        )
    )


def each_member_report(data: ref.Data, focus, choices, *, split: bool = True):
    """(connection, period, scope) for one drawn period and every drawn scope, on one fresh
    database holding `data`; split=False leaves out the --by scopes."""
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            period = choices.draw(member_periods(data, focus))
            for scope in choices.draw(scopes(data)):
                if split or scope.by is None:
                    yield con, period, scope
        finally:
            con.close()


def label(report: str, period, scope: Scope) -> str:
    return f"{report} {period.label} {scope}"


# --- against the reference ---------------------------------------------------------------------


@pytest.mark.slow
@SETTINGS
@given(chain=member_chains(), choices=st.data())
def test_new_members_match_reference(chain, choices) -> None:
    data, focus = chain
    for con, period, scope in each_member_report(data, focus, choices):
        report = mk.new_members(con, period, scope)
        expected = refm.new_members(data, period, scope)
        assert_rows(report.rows, expected, label("new_members", period, scope))


@pytest.mark.slow
@SETTINGS
@given(chain=member_chains(), choices=st.data())
def test_member_problems_match_reference(chain, choices) -> None:
    data, focus = chain
    all_members = choices.draw(st.booleans())
    for con, period, scope in each_member_report(data, focus, choices, split=False):
        report = mk.member_problems(con, period, scope, all_members=all_members)
        expected = refm.member_problems(data, period, scope, all_members=all_members)
        where = label("member_problems", period, scope) + f" all={all_members}"
        assert_matches(report.rows, expected, where)


# --- edge cases by hand --------------------------------------------------------------------------

STORES = [
    {"store_id": "S1", "store_name": "一号店", "region": "华东"},
    {"store_id": "S2", "store_name": "二号店", "region": "华南"},
]


def member(member_id: str, **fields) -> dict:
    row = {
        "member_id": member_id,
        "name": member_id,
        "gender": "F",
        "birth_date": date(1990, 5, 1),
        "phone": f"1380000{member_id[1:]:0>4}",
        "store_id": "S1",
        "join_date": date(2026, 3, 10),
        "expiry_date": None,
    }
    return {**row, **fields}


def ticket(n: int, member_id: str | None, when: datetime, amount: str, store: str = "S1") -> dict:
    return {
        "txn_id": f"T{n}",
        "store_id": store,
        "txn_time": when,
        "member_id": member_id,
        "amount": Decimal(amount),
        "item_qty": 1,
    }


def on_database(data: ref.Data, compute):
    with tempfile.TemporaryDirectory() as directory:
        con = open_database(directory, data)
        try:
            return compute(con)
        finally:
            con.close()


def test_activation_window_is_join_day_to_day_30() -> None:
    """March 2026 joins on 10 March: day 30 is 9 April (counts, even after the period ends,
    at 23:59:59 and in another store), day 31 is 10 April (does not). A ticket before the
    join, a refund and a zero-amount row never activate."""
    join = date(2026, 3, 10)
    day = lambda n: datetime.combine(join + timedelta(days=n), datetime.min.time())  # noqa: E731
    data = ref.Data(
        stores=STORES,
        members=[member(f"M{i}") for i in range(1, 8)],
        transactions=[
            ticket(1, "M1", day(0), "10.00"),  # the join day itself
            ticket(2, "M2", day(30).replace(hour=23, minute=59, second=59), "10.00", "S2"),
            ticket(3, "M3", day(31), "10.00"),  # one day late
            ticket(4, "M4", day(-1).replace(hour=23), "10.00"),  # before joining
            ticket(5, "M5", day(5), "-10.00"),  # a refund is not a ticket
            ticket(6, "M6", day(5), "0.00"),  # nor is a zero row
            # M7: no transaction at all
        ],
    )
    expected = refm.new_members(data, month(2026, 3), Scope())
    assert [(r["new_members"], r["activated"]) for r in expected] == [(7, 2)]
    assert expected[0]["activation_rate"] == pytest.approx(2 / 7)
    assert expected[0]["new_members_yoy"] is None  # no joins in March 2025
    report = on_database(data, lambda con: mk.new_members(con, month(2026, 3), Scope()))
    assert_rows(report.rows, expected, "activation window")
    # the tickets reach 10 April, short of 30 April (31 March + 30): the figure may grow
    (note,) = report.notes
    assert "2026-04-10" in note
    data.transactions.append(ticket(7, None, datetime(2026, 4, 30, 8), "1.00"))
    final = on_database(data, lambda con: mk.new_members(con, month(2026, 3), Scope()))
    assert final.notes == [] and final.rows == report.rows


def test_activation_note_when_data_stops_short_and_yoy_growth() -> None:
    data = ref.Data(
        stores=STORES,
        members=[
            member("M1", join_date=date(2026, 3, 31)),
            member("M2", join_date=date(2025, 3, 1)),
            member("M3", join_date=date(2025, 3, 31), store_id="S2"),
        ],
        transactions=[ticket(1, "M1", datetime(2026, 4, 5, 9), "10.00")],
    )
    report = on_database(data, lambda con: mk.new_members(con, month(2026, 3), Scope(by="store")))
    expected = refm.new_members(data, month(2026, 3), Scope(by="store"))
    assert_rows(report.rows, expected, "yoy")
    by_scope = {r["scope"]: r for r in report.rows}
    assert by_scope["S1"]["new_members_yoy"] == 0.0  # 1 against 1
    assert by_scope["S2"]["new_members_yoy"] == -1.0  # 0 against 1
    assert by_scope["S2"]["activation_rate"] is None  # no new member
    assert by_scope["ALL"]["new_members_yoy"] == -0.5
    (note,) = report.notes
    assert "2026-04-05" in note


def problems_of(data: ref.Data, period, scope: Scope, all_members: bool = False) -> list[tuple]:
    report = on_database(data, lambda con: mk.member_problems(con, period, scope, all_members))
    expected = refm.member_problems(data, period, scope, all_members)
    assert_matches(report.rows, expected, f"problems {scope}")
    return [(r["member_id"], r["problem"], r["value"], r["phone"]) for r in report.rows]


def test_phone_problems_shared_across_stores_outside_the_scope() -> None:
    data = ref.Data(
        stores=STORES,
        members=[
            member("M1", phone="13911112222"),
            member("M2", phone="13911112222"),  # shared within the store
            member("M3", phone="13933334444"),
            member("M4", phone="13933334444", store_id="S2", join_date=date(2020, 1, 1)),
            member("M5", phone="1391111222"),  # 10 digits
            member("M6", phone="139111122223"),  # 12 digits
            member("M7", phone="23911112222"),  # does not start with 1
            member("M8", phone=None),
            member("M9", phone="   "),
            member("M10", phone="0"),
            member("M11", phone="0", store_id="S2"),  # a placeholder shared, and invalid
        ],
    )
    found = problems_of(data, month(2026, 3), Scope(store="S1"))
    assert found == [
        ("M1", "phone_shared", None, "13911112222"),
        ("M10", "phone_invalid", None, "0"),
        ("M10", "phone_shared", None, "0"),
        ("M2", "phone_shared", None, "13911112222"),
        ("M3", "phone_shared", None, "13933334444"),  # its twin is an old member of S2
        ("M5", "phone_invalid", None, "1391111222"),
        ("M6", "phone_invalid", None, "139111122223"),
        ("M7", "phone_invalid", None, "23911112222"),
        ("M8", "phone_missing", None, None),
        ("M9", "phone_missing", None, None),
    ]
    # S2 lists M11 (joined in March) but not M4 (joined in 2020) unless asked for everyone
    assert [r[0] for r in problems_of(data, month(2026, 3), Scope(store="S2"))] == ["M11"] * 2
    everyone = problems_of(data, month(2026, 3), Scope(store="S2"), all_members=True)
    assert ("M4", "phone_shared", None, "13933334444") in everyone


def test_birth_gender_store_and_expiry_problems() -> None:
    data = ref.Data(
        stores=STORES,
        members=[
            member("M1", birth_date=date(2026, 4, 1)),  # after E (31 March 2026)
            member("M2", birth_date=date(1905, 3, 31)),  # 121 on E
            member("M3", birth_date=date(1905, 4, 1)),  # 120 on E: possible
            member("M4", birth_date=None, gender=None),  # missing is not impossible
            member("M5", store_id="S7"),  # no such store
            member("M6", expiry_date=date(2026, 3, 9)),  # the day before joining
            member("M7", expiry_date=date(2026, 3, 10)),  # expiring on the join day is fine
        ],
    )
    found = problems_of(data, month(2026, 3), Scope())
    assert found == [
        ("M1", "birth_date_impossible", "2026-04-01", None),
        ("M2", "birth_date_impossible", "1905-03-31", None),
        ("M4", "gender_unknown", None, None),
        ("M6", "expiry_before_join", "2026-03-09", None),
        ("M5", "store_unknown", "S7", None),
    ]


def test_empty_stores_table_skips_the_store_check_and_says_so() -> None:
    data = ref.Data(members=[member("M1", store_id="S7")])
    report = on_database(data, lambda con: mk.member_problems(con, month(2026, 3), Scope()))
    assert report.rows == []
    assert "store_unknown" in report.notes[0]


# --- the command ---------------------------------------------------------------------------------

STORES_CSV = "store_id,store_name,region\nS001,徐汇店,华东\nS002,天河店,华南\n"
MEMBERS_CSV = (
    "member_id,name,gender,birth_date,phone,store_id,join_date,expiry_date\n"
    "M1,张伟,男,1990-03-01,13812345678,S001,2026-10-02,\n"
    "M2,王芳,女,,13812345678,S002,2026-10-03,2027-10-03\n"
    "M3,李娜,,2030-01-01,1381234567,S001,2025-10-09,2025-01-01\n"
)
TICKETS_CSV = (
    "txn_id,store_id,txn_time,member_id,amount,item_qty\n"
    "T1,S002,2026-10-05 10:00:00,M1,120.50,2\n"
    "T2,S002,2026-11-30 10:00:00,M2,20.00,1\n"
)


def load_files(folder: Path, stores: str, members: str, tickets: str) -> Path:
    """A database in `folder` loaded with `memberkit load` from these CSV texts."""
    db_file = folder / "m.duckdb"
    for kind, text in (("stores", stores), ("members", members), ("transactions", tickets)):
        result = run_cli("--db", db_file, "load", kind, write(folder / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output
    return db_file


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    return load_files(tmp_path, STORES_CSV, MEMBERS_CSV, TICKETS_CSV)


def test_new_members_every_format(loaded: Path, tmp_path: Path) -> None:
    args = ("new-members", "--db", loaded, "--month", "2026-10", "--by", "store")
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    assert doc["report"] == "new-members" and doc["period"] == "2026-10"
    assert [
        (r["scope"], r["new_members"], r["activated"], r["new_members_yoy"]) for r in doc["rows"]
    ] == [("S001", 1, 1, 0.0), ("S002", 1, 0, None), ("ALL", 2, 1, 1.0)]
    table = run_cli(*args, "--lang", "en")
    assert table.exit_code == 0 and "Activation rate" in table.stdout and "50.0%" in table.stdout
    assert "—" in table.stdout  # S002's growth against no joins a year earlier
    csv_text = run_cli(*args, "--format", "csv").stdout
    assert csv_text.splitlines()[0] == (
        "scope,new_members,new_members_year_ago,new_members_yoy,activated,activation_rate"
    )
    assert csv_text.splitlines()[-1] == "ALL,2,1,1.0,1,0.5"
    book = tmp_path / "new.xlsx"
    result = run_cli(*args, "--format", "xlsx", "--output", book)
    assert result.exit_code == 0, result.output
    assert book.stat().st_size > 0
    # the tickets reach 30 November: 31 October + 30 days, the figures are final
    assert "activation" not in result.stderr
    early = run_cli("new-members", "--db", loaded, "--month", "2026-11")
    assert "2026-11-30" in early.stderr


def test_problems_every_format_and_phone_masking(loaded: Path, tmp_path: Path) -> None:
    args = ("new-members", "--db", loaded, "--month", "2026-10", "--problems", "--all-members")
    masked = run_cli(*args, "--lang", "en")
    assert masked.exit_code == 0, masked.output
    assert "138****5678" in masked.stdout and "13812345678" not in masked.stdout
    assert "2030-01-01" in masked.stdout and "S001" in masked.stdout  # dates, stores in full
    shown = run_cli(*args, "--show-phone")
    assert "13812345678" in shown.stdout
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    assert doc["report"] == "member-problems"
    assert [(r["member_id"], r["problem"]) for r in doc["rows"]] == [
        ("M1", "phone_shared"),
        ("M3", "birth_date_impossible"),
        ("M3", "expiry_before_join"),
        ("M3", "gender_unknown"),
        ("M3", "phone_invalid"),
        ("M2", "phone_shared"),
    ]
    assert doc["rows"][0]["phone"] == "13812345678"  # files hold phones in full
    only_new = json.loads(
        run_cli(
            "new-members", "--db", loaded, "--month", "2026-10", "--problems", "-f", "json"
        ).stdout
    )
    assert {r["member_id"] for r in only_new["rows"]} == {"M1", "M2"}
    for fmt in ("csv", "json", "xlsx"):
        target = tmp_path / f"problems.{fmt}"
        result = run_cli(*args, "--format", fmt, "--output", target)
        assert result.exit_code == 0, result.output
        assert target.stat().st_mode & 0o077 == 0, fmt  # personal data: owner only
    assert "13812345678" in (tmp_path / "problems.csv").read_text(encoding="utf-8-sig")


def test_new_members_usage_errors(loaded: Path) -> None:
    base = ("new-members", "--db", loaded, "--month", "2026-10")
    by = run_cli(*base, "--problems", "--by", "store")
    assert by.exit_code == 2 and "--by" in by.stderr
    assert run_cli(*base, "--all-members").exit_code == 2
    assert run_cli(*base, "--problems", "--format", "xlsx").exit_code == 2  # needs --output
    assert run_cli(*base, "--store", "S404").exit_code == 3
