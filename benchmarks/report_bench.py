"""Report benchmark: each analysis on a loaded database, company-wide and --by store.

In-process query time (median of --repeat runs on one read-only connection) beside a
baseline in the same process: one plain DuckDB aggregation of the month's tickets by store.
Whole-command wall time runs the CLI in a subprocess (start-up included).
Usage: python benchmarks/report_bench.py --db PATH --month YYYY-MM [--repeat K]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from memberkit import db
from memberkit.periods import Scope, parse_month
from memberkit.reports import analyses, prepare_connection

REPORTS = {
    "spend-bands": analyses.spend_bands,
    "demographics": analyses.demographics,
    "spending-power": analyses.spending_power,
    "churn": analyses.churn,
}
BASELINE = """
    select store_id, sum(amount), count(*) filter (where amount > 0), count(distinct member_id)
    from transactions
    where txn_time >= $start::timestamp and txn_time < $end::timestamp + interval 1 day
    group by store_id
"""


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    period = parse_month(args.month)
    con = db.connect(args.db, read_only=True)
    prepare_connection(con)
    tickets = con.execute("select count(*) from transactions").fetchall()[0][0]
    params = {"start": period.start, "end": period.end}
    baseline = median_seconds(lambda: con.execute(BASELINE, params).fetchall(), args.repeat)
    print(f"## Reports on {tickets:,} tickets, {args.month}, median of {args.repeat}\n")
    print(f"Baseline (one DuckDB aggregation of the month by store): {baseline:.3f} s\n")
    print("| report | scope | query s | × baseline | command wall s |")
    print("|---|---|---:|---:|---:|")
    for name, compute in REPORTS.items():
        for label, scope, flags in (
            ("company", Scope(), []),
            ("--by store", Scope(by="store"), ["--by", "store"]),
        ):
            seconds = median_seconds(lambda c=compute, s=scope: c(con, period, s), args.repeat)
            command = [
                sys.executable,
                "-m",
                "memberkit",
                name,
                "--db",
                str(args.db),
                "--month",
                args.month,
                "--format",
                "json",
                *flags,
            ]
            wall = median_seconds(
                lambda cmd=command: subprocess.run(cmd, check=True, capture_output=True),
                args.repeat,
            )
            print(f"| {name} | {label} | {seconds:.3f} | {seconds / baseline:.1f} | {wall:.2f} |")
    con.close()


if __name__ == "__main__":
    main()
