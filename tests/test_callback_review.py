"""callback-review (SPEC 5.13) on a hand-worked call log: the edges named in issue 21, worked
out by hand below, through the real loader and the command line.

September 2026 is the period; its effect's base is the lapsed list of August (E0 = 2026-08-31,
lapsed: last ticket on or before 2026-03-04 with the default 180 days). Lapsed calls count in
[2026-09-01, 2026-09-30]; with --window-days 60 a return is a ticket in [2026-09-01, 2026-10-30].

  member home  last ticket  lapsed calls (and others)            window tickets   group
  L1     S001  2026-01-10   reached 09-30 23:59:59 (E0 + 30, in) 10-30 100 (day W) called, returned
  L2     S001  2026-01-10   reached 10-01 (E0 + 31, out)         10-31 80 (W + 1) not_called
  L3     S001  2026-01-10   no_answer 09-05 only                                  neither
  L4     S001  2026-01-10   no_answer 09-03, reached 09-10                        called
  L5     S002  2026-01-10   none                                 09-01 50, -20    not_called, ret.
  L6     S002  2026-01-10   (after_sale reached 09-12)                            not_called
  L7     S001  2026-01-10   reached 08-31 (E0, out)                               not_called
  N1     S001  2026-08-01   reached 09-02: not lapsed, not in the base
  W1     S002  joined 09-01 (new wrong_number 09-20, survey reached 09-21): phone_wrong
  X9     not on file        reached 09-15: no home store, left out with a note
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import TX_HEADER, run_cli, write

STORES = "门店编号,门店名称,区域\nS001,一店,华东\nS002,二店,华南\n"
MEMBERS = (
    "会员卡号,姓名,性别,出生日期,手机号,开卡门店,开卡日期,到期日期\n"
    + "".join(
        f"{m},会员{m},男,1980-01-01,1380000{i:04d},{s},2024-01-01,\n"
        for i, (m, s) in enumerate(
            [
                ("L1", "S001"),
                ("L2", "S001"),
                ("L3", "S001"),
                ("L4", "S001"),
                ("L5", "S002"),
                ("L6", "S002"),
                ("L7", "S001"),
                ("N1", "S001"),
            ]
        )
    )  # fmt: skip
    + "W1,会员W1,女,1990-01-01,13900000001,S002,2026-09-01,\n"
)
TICKETS = (
    TX_HEADER
    + "\n"
    + "".join(f"T{m},S001,2026-01-10 12:00,{m},200.00,1\n" for m in ("L1", "L2", "L3", "L4"))
    + "".join(f"T{m},S002,2026-01-10 12:00,{m},200.00,1\n" for m in ("L5", "L6"))
    + "TL7,S001,2026-01-10 12:00,L7,200.00,1\n"
    + "TN1,S001,2026-08-01 12:00,N1,300.00,1\n"
    + "R1,S002,2026-10-30 23:59:59,L1,100.00,1\n"  # day W: a return
    + "R2,S001,2026-10-31 09:00,L2,80.00,1\n"  # day W + 1: not
    + "R5,S001,2026-09-01 00:00,L5,50.00,1\n"  # E0 + 1: a return
    + "R5b,S002,2026-09-15 10:00,L5,-20.00,-1\n"  # a refund: spend is net
)
CALLS = """会员卡号,回访时间,回访类型,回访结果,回访人,备注
L1,2026-09-30 23:59:59,流失会员回访,接通,王敏,
L2,2026-10-01,流失会员回访,接通,王敏,
L3,2026-09-05 10:00,流失会员回访,未接通,王敏,
L4,2026-09-03 10:00,流失会员回访,未接通,王敏,
L4,2026-09-10 10:00,流失会员回访,接通,王敏,第二次接通
L6,2026-09-12 10:00,售后回访,接通,李娜,
L7,2026-08-31 18:00,流失会员回访,接通,王敏,
N1,2026-09-02 10:00,流失会员回访,接通,王敏,
W1,2026-09-20 10:00,新会员回访,空号,李娜,
W1,2026-09-21 10:00,满意度回访,接通,李娜,
X9,2026-09-15 10:00,流失会员回访,接通,王敏,
"""
SEPTEMBER = ("--month", "2026-09")
EFFECT = (*SEPTEMBER, "--effect", "--window-days", "60")


def cli(db_file: Path, *args: str, code: int = 0):
    result = run_cli("--db", db_file, *args)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    db_file = folder / "r.duckdb"
    for kind, text in (
        ("stores", STORES),
        ("members", MEMBERS),
        ("transactions", TICKETS),
        ("callback-log", CALLS),
    ):
        cli(db_file, "load", kind, write(folder / f"{kind}.csv", text))
    return db_file


def rows(db_file: Path, *args: str) -> list[dict]:
    doc = json.loads(cli(db_file, "callback-review", *args, "-f", "json").stdout)
    return doc["rows"]


def by_key(found: list[dict]) -> dict[tuple, dict]:
    return {(r["scope"], r["kind"]): r for r in found}


def figures(row: dict) -> tuple:
    return (
        row["calls"],
        row["members_called"],
        row["members_reached"],
        row["reach_rate"],
        row["wrong_numbers"],
    )


def test_counts_per_store_and_kind(chain):
    found = by_key(rows(chain, *SEPTEMBER, "--by", "store"))
    kinds = ("after_sale", "new", "lapsed", "complaint", "expiring", "survey", "all")
    assert list(found) == [(s, k) for s in ("S001", "S002", "ALL") for k in kinds]
    # L1, L3, L4 twice (reached on the second attempt), N1; L2 (10-01) and L7 (08-31) are
    # outside September
    assert figures(found["S001", "lapsed"]) == (5, 4, 3, 0.75, 0)
    assert figures(found["S001", "all"]) == (5, 4, 3, 0.75, 0)
    assert figures(found["S001", "new"]) == (0, 0, 0, None, 0)  # no call: the rate is null
    # W1: a new-member call to a wrong number, then a survey call that reached
    assert figures(found["S002", "new"]) == (1, 1, 0, 0.0, 1)
    assert figures(found["S002", "survey"]) == (1, 1, 1, 1.0, 0)
    assert figures(found["S002", "after_sale"]) == (1, 1, 1, 1.0, 0)
    # over all kinds W1 is one member, reached once and with a wrong number once
    assert figures(found["S002", "all"]) == (3, 2, 2, 1.0, 1)
    assert figures(found["ALL", "all"]) == (8, 6, 5, 5 / 6, 1)
    assert figures(found["ALL", "lapsed"]) == (5, 4, 3, 0.75, 0)


def test_a_call_to_a_member_not_on_file_is_said_not_counted(chain):
    result = cli(chain, "callback-review", *SEPTEMBER)
    assert "1 call in 2026-09 to 1 member id not in the members table" in result.stderr
    (total,) = [r for r in rows(chain, *SEPTEMBER) if r["kind"] == "all"]
    assert total["scope"] == "ALL" and total["calls"] == 8


def test_effect_groups_by_hand(chain):
    doc = json.loads(cli(chain, "callback-review", *EFFECT, "-f", "json").stdout)
    assert (doc["base_month"], doc["calls_from"], doc["calls_to"], doc["returns_to"]) == (
        "2026-08",
        "2026-09-01",
        "2026-09-30",
        "2026-10-30",
    )
    (row,) = doc["rows"]
    assert row["base_members"] == 7  # L1-L7; N1 shopped in August
    # called: L1 (E0 + 30) and L4 (second attempt); L1 came back on day W
    assert (row["called_members"], row["called_returned"]) == (2, 1)
    assert row["called_return_rate"] == 0.5 and Decimal(str(row["called_spend"])) == 100
    # not called: L2 (its call on E0 + 31; its ticket on W + 1), L5 (E0 + 1, net 30), L6
    # (an after-sale call is not a lapsed one), L7 (called on E0 itself)
    assert (row["not_called_members"], row["not_called_returned"]) == (4, 1)
    assert row["not_called_return_rate"] == 0.25 and Decimal(str(row["not_called_spend"])) == 30
    assert row["attempted_members"] == 1  # L3: attempted, never reached
    margin = 1.96 * math.sqrt(0.5 * 0.5 / 2 + 0.25 * 0.75 / 4)
    assert math.isclose(row["uplift"], 0.25)
    assert math.isclose(row["uplift_low"], 0.25 - margin)
    assert math.isclose(row["uplift_high"], 0.25 + margin)


def test_the_base_is_churn_list_of_the_month_before(chain):
    listed = json.loads(cli(chain, "churn", "--month", "2026-08", "--list", "-f", "json").stdout)[
        "rows"
    ]
    assert sorted(r["member_id"] for r in listed) == [f"L{i}" for i in range(1, 8)]


def test_an_empty_group_gives_a_null_uplift(chain):
    found = {r["scope"]: r for r in rows(chain, *EFFECT, "--by", "store")}
    s002 = found["S002"]  # L5 and L6: nobody called
    assert (s002["called_members"], s002["not_called_members"]) == (0, 2)
    assert s002["called_return_rate"] is None
    assert (s002["uplift"], s002["uplift_low"], s002["uplift_high"]) == (None, None, None)
    s001 = found["S001"]  # L1, L4 called; L2, L7 not; L3 attempted
    assert (s001["called_members"], s001["not_called_members"], s001["attempted_members"]) == (
        2,
        2,
        1,
    )
    assert s001["uplift"] == 0.5
    assert found["ALL"]["base_members"] == 7


def test_window_days_move_the_return_edge(chain):
    (row,) = rows(chain, *SEPTEMBER, "--effect", "--window-days", "59")
    assert row["called_returned"] == 0  # L1's ticket on day 60 is now outside
    (row,) = rows(chain, *SEPTEMBER, "--effect", "--window-days", "61")
    assert row["not_called_returned"] == 2  # L2's ticket on day 61 is now inside
    assert (
        "tickets reach only 2026-10-31"
        in cli(chain, "callback-review", *SEPTEMBER, "--effect").stderr
    )  # the default 90 days run past the data


def test_wrong_number_is_a_phone_problem(chain):
    doc = json.loads(cli(chain, "new-members", *SEPTEMBER, "--problems", "-f", "json").stdout)
    wrong = [r for r in doc["rows"] if r["problem"] == "phone_wrong"]
    assert wrong == [
        {
            "scope": "ALL",
            "member_id": "W1",
            "store_id": "S002",
            "problem": "phone_wrong",
            "value": "2026-09-20",
            "phone": "13900000001",
        }
    ]
    table = cli(chain, "new-members", *SEPTEMBER, "--problems").stdout
    assert "回访空号/错号" in table and "139****0001" in table


def test_the_form_says_the_groups_were_not_randomised(chain, tmp_path):
    table = cli(chain, "callback-review", *EFFECT).stdout
    assert "不是随机分组" in table.replace("\n", "")  # the note wraps at the table's width
    english = cli(chain, "callback-review", *EFFECT, "--lang", "en").stdout
    assert "not chosen at random" in " ".join(english.split())
    target = tmp_path / "effect.xlsx"
    cli(chain, "callback-review", *EFFECT, "-o", target)
    cells = [
        str(v)
        for ws in openpyxl.load_workbook(target).worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    assert any("不是随机分组" in c for c in cells)


def test_usage_errors(chain):
    assert "--month" in cli(chain, "callback-review", "--year", "2026", "--effect", code=2).output
    cli(chain, "callback-review", *SEPTEMBER, "--window-days", "30", code=2)
    cli(chain, "callback-review", *SEPTEMBER, "--effect", "--window-days", "0", code=2)
