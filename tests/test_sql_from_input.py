"""No SQL is ever built from input: every value from a file or an option reaches DuckDB as a
bound parameter. Proof: DuckDB logs every statement memberkit sends ($MEMBERKIT_SQL_LOG);
after loading files and running every command with hostile ids, no input value appears in
the log, the values round-trip exactly, and no table is dropped."""

from __future__ import annotations

import json

import pytest

from conftest import MEMBER_HEADER, TX_HEADER, run_cli, write
from memberkit import db

pytestmark = pytest.mark.slow

# Every value below carries this token: if it shows up in a logged statement, an input
# value was written into SQL text.
TOKEN = "Qz7"
STORE = f"S{TOKEN}'; drop table members;--"
ODD_STORE = f"../../etc/{TOKEN}"
REGION = f"华东{TOKEN}' or '1'='1"
MEMBER = f'M{TOKEN}"; select 1;'
GIFT = f"G{TOKEN}$store"
FORMULA = f'=HYPERLINK("http://x/{TOKEN}")'


def q(value: str) -> str:
    """A CSV field, quoted as a spreadsheet would write it."""
    return '"' + value.replace('"', '""') + '"'


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    log = tmp_path / "statements"
    monkeypatch.setenv(db.SQL_LOG_ENV, str(log))
    db_file = tmp_path / "hostile.duckdb"
    files = {
        "stores": write(
            tmp_path / "stores.csv",
            f'门店编号,门店名称,区域\n{q(STORE)},店{TOKEN},"{REGION}"\n{ODD_STORE},x,"{REGION}"\n',
        ),
        "members": write(
            tmp_path / "members.csv",
            f"{MEMBER_HEADER}\n"
            f"{q(MEMBER)},{q(FORMULA)},女,1990-01-01,13800001234,"
            f"{q(STORE)},2025-11-20,2026-11-20\n",
        ),
        "transactions": write(
            tmp_path / "transactions.csv",
            f"{TX_HEADER}\n"
            f"T{TOKEN}1,{q(STORE)},2026-10-05 10:00:00,{q(MEMBER)},120.00,2\n"
            f"T{TOKEN}2,{ODD_STORE},2026-10-06 10:00:00,,30.00,1\n",
        ),
        "targets": write(
            tmp_path / "targets.csv", f"月份,门店编号,目标销售额\n2026-10,{q(STORE)},1000\n"
        ),
        "gifts": write(
            tmp_path / "gifts.csv", f"礼品编号,礼品名称,单位,单价\n{GIFT},杯{TOKEN},个,1\n"
        ),
        "gift-moves": write(
            tmp_path / "moves.csv",
            "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"
            f"2026-10-01,HQ,{GIFT},opening,10,R{TOKEN},,\n"
            f"2026-10-02,HQ,{GIFT},transfer,4,R{TOKEN}2,{q(STORE)},\n",
        ),
        "complaints": write(
            tmp_path / "complaints.csv",
            "投诉编号,受理时间,门店编号,会员卡号,渠道,投诉类别,首次答复时间,处理完成时间,满意度\n"
            f"{q('C' + STORE)},2026-10-03 09:00,{q(STORE)},{q(MEMBER)},{q(FORMULA)},"
            f"{q(REGION)},2026-10-03 10:00,,满意\n",
        ),
        "gift-counts": write(
            tmp_path / "counts.csv",
            "count_date,location,gift_id,counted_qty,counted_by\n"
            f"2026-10-31,{q(STORE)},{GIFT},3,{TOKEN}\n",
        ),
    }
    for kind, path in files.items():
        result = run_cli("--db", db_file, "load", kind, path)
        assert result.exit_code == 0, (kind, result.output)
        assert "1 rejected" not in result.output and "2 rejected" not in result.output
    return db_file, log


def test_hostile_values_are_data_never_sql(loaded, tmp_path):
    db_file, log = loaded
    scopes = [("--store", STORE), ("--store", ODD_STORE), ("--region", REGION)]
    for command in ("spend-bands", "demographics", "spending-power", "churn"):
        for option, value in scopes:
            result = run_cli(
                "--db", db_file, command, "--month", "2026-10", option, value, "-f", "json"
            )
            assert result.exit_code == 0, (command, value, result.output)
    bands = json.loads(
        run_cli(
            "--db", db_file, "spend-bands", "--month", "2026-10", "--by", "store", "-f", "json"
        ).stdout
    )
    assert {row["scope"] for row in bands["rows"]} == {STORE, ODD_STORE, "ALL"}
    expiring = run_cli("--db", db_file, "expiring", "--as-of", "2026-10-05", "-f", "json")
    assert json.loads(expiring.stdout)["rows"][0]["member_id"] == MEMBER
    split = tmp_path / "split"
    assert (
        run_cli(
            "--db", db_file, "expiring", "--as-of", "2026-10-05", "--split-by-store", split
        ).exit_code
        == 0
    )
    # one workbook per store, inside the folder, whatever the store id holds
    assert all(p.parent == split for p in split.rglob("*")) and len(list(split.iterdir())) == 2
    churn = run_cli(
        "--db", db_file, "churn", "--month", "2026-10", "--list", "--store", STORE, "-f", "json"
    )
    assert churn.exit_code == 0
    for args in (
        ("gifts", "stock", "--location", STORE),
        ("gifts", "reconcile", "--location", STORE),
        ("gifts", "issues", "--month", "2026-10"),
        ("gifts", "count-sheet", "--location", STORE, "--output", tmp_path / "count.xlsx"),
        ("report", "--month", "2026-10", "--store", STORE, "--output", tmp_path / "r.xlsx"),
        ("new-members", "--year", "2025", "--store", STORE, "--problems", "-f", "json"),
        ("grades", "--month", "2026-10", "--region", REGION, "--migration", "-f", "json"),
        ("complaints", "--month", "2026-10", "--store", STORE, "--by", "category"),
        ("complaints", "--month", "2026-10", "--region", REGION, "--overdue", "-f", "json"),
        ("callbacks", "--month", "2026-10", "--store", STORE, "--min-amount", "100"),
        ("info",),
    ):
        result = run_cli("--db", db_file, *args)
        assert result.exit_code == 0, (args, result.output)
    overdue = run_cli(
        "--db", db_file, "complaints", "--month", "2026-10", "--overdue", "-f", "json"
    )
    (complaint,) = json.loads(overdue.stdout)["rows"]
    assert (complaint["complaint_id"], complaint["category"]) == ("C" + STORE, REGION)
    # too few purchases to fit the model: refused, and the options still never reach SQL
    risk = run_cli("--db", db_file, "churn-risk", "--as-of", "2026-10-31", "--store", STORE)
    assert risk.exit_code == 3 and "too few members" in risk.stderr
    # an unknown store named in an option: refused with its name, still never in SQL
    unknown = run_cli(
        "--db", db_file, "spend-bands", "--store", f"{TOKEN}' --", "--month", "2026-10"
    )
    assert unknown.exit_code == 3

    statements = "\n".join(f.read_text(encoding="utf-8") for f in sorted(log.iterdir()))
    # the log did capture memberkit's statements: the loads' and the reports'
    assert "read_csv(" in statements and "insert into gift_counts" in statements
    assert "mk_scope_stores(" in statements
    leaked = [line for line in statements.splitlines() if TOKEN in line]
    assert leaked == []
    con = db.connect(db_file, read_only=True)
    try:
        assert con.execute("select member_id, store_id from members").fetchall() == [
            (MEMBER, STORE)
        ]
        assert con.execute("select count(*) from transactions").fetchall() == [(2,)]
    finally:
        con.close()
