"""bench_scale.py's big outputs: churn-risk over every member, the expiring and call-back
workbooks of about WORKBOOK_ROWS rows, the monthly workbook, and `memberkit --help`; each a
whole command in a fresh process (bench.whole: wall with start-up, peak RSS)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import MEMBERKIT, median_of, whole

WORKBOOK_ROWS = 200_000


def count_rows(path: Path, key: str = "scope") -> int:
    """Rows of a JSON report, each of which names `key` once, without parsing it whole (the
    churn-risk list of every member is hundreds of MB)."""
    needle, count, tail = f'"{key}":'.encode(), 0, b""
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            count += (tail + block).count(needle)
            tail = block[-(len(needle) - 1) :]
    return count


def measure_big(db_path: Path, month: str, tmp: Path) -> dict:
    from memberkit import db
    from memberkit.periods import parse_month
    from memberkit.reports.expiring import month_after

    period = parse_month(month)
    run = [*MEMBERKIT, "--db", db_path]
    out: dict = {}
    print("big: churn-risk ...", flush=True)
    risk_json = tmp / "risk.json"
    out["churn_risk"] = whole([*run, "churn-risk", "--month", month, "--output", risk_json])
    out["churn_risk"]["rows"] = count_rows(risk_json, "member_id")
    risk_json.unlink()
    # every member whose card expires the month after (thresholds nobody reaches)
    listed = month_after(period.end).label
    expiring = ["expiring", "--month", listed, "--as-of", str(period.end)]
    expiring += ["--min-visits", "1000000000", "--min-spend", "100000000"]
    # after-sale calls: the amount that lists about WORKBOOK_ROWS members
    con = db.connect(db_path, read_only=True)
    floor = con.execute(
        "select coalesce(min(top), 0) from (select top from ("
        " select max(t.amount) as top from transactions t"
        " join members m on m.member_id = t.member_id and m.store_id is not null"
        " where t.amount > 0 and t.txn_time >= $lo and t.txn_time < $hi group by t.member_id"
        ") order by top desc limit $n)",
        {"lo": period.start, "hi": month_after(period.end).start, "n": WORKBOOK_ROWS},
    ).fetchall()[0][0]
    con.close()
    callbacks = ["callbacks", "--month", month, "--kind", "after_sale", "--min-amount", str(floor)]
    for key, command in (("expiring", expiring), ("callbacks", callbacks)):
        print(f"big: {key} workbook ...", flush=True)
        out[key] = whole([*run, *command, "--output", tmp / f"{key}.xlsx"])
        whole([*run, *command, "--output", tmp / f"{key}.json"])  # the row count
        out[key]["rows"] = len(json.loads((tmp / f"{key}.json").read_text("utf-8"))["rows"])
        out[key]["command"] = " ".join(command)
    print("big: monthly workbook ...", flush=True)
    out["monthly"] = whole([*run, "report", "--month", month, "--output", tmp / "monthly.xlsx"])
    helps = [whole([*MEMBERKIT, "--help"]) for _ in range(10)]
    out["help"] = median_of(10, lambda i: helps[i])
    return out
