"""Load benchmark: memberkit's load against DuckDB's bare typed read_csv on the same file.

Each measurement runs in a fresh subprocess (so peak RSS is that step's alone) and is the
median of several repetitions; ratios are taken within the same run because the machines
are shared and noisy. Usage: python benchmarks/load_bench.py [--tickets N] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

# Runs in the child: time one step, report wall seconds and the child's peak RSS.
CHILD = r"""
import json, resource, sys, time
step, csv_path, db_path = sys.argv[1:4]
import duckdb
from pathlib import Path
from memberkit import db
from memberkit.ingest import LoadOptions, load_file
start = time.perf_counter()  # imports excluded: they are the same cost for every step
if step == "floor":
    con = duckdb.connect(db_path)
    con.execute('''
        create table transactions as select * from read_csv($p, header = true, columns = {
            'txn_id': 'VARCHAR', 'store_id': 'VARCHAR', 'txn_time': 'TIMESTAMP',
            'member_id': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'item_qty': 'INTEGER'})
    ''', {'p': csv_path})
    con.close()
else:
    con = db.connect(db_path)
    result = load_file(con, Path(csv_path), LoadOptions("transactions"))
    con.close()
    assert result.status in ("loaded", "already_loaded"), result
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak}))
"""


def run_step(step: str, csv_path: Path, db_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(csv_path), str(db_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def sample_file(tickets: int, encoding: str) -> Path:
    from memberkit.sample import SampleSpec, write_sample_data

    folder = DATA / f"t{tickets}-{encoding}"
    path = folder / "transactions.csv"
    if not path.exists():
        members = max(tickets // 10, 1000)
        write_sample_data(
            folder, SampleSpec(tickets=tickets, members=members, stores=50, encoding=encoding)
        )
    return path


def measure(tickets: int, repeat: int) -> list[dict]:
    utf8 = sample_file(tickets, "utf-8")
    gb = sample_file(tickets, "gb18030")
    results = []
    with tempfile.TemporaryDirectory(prefix="mk-bench-") as tmp:

        def fresh(name: str, i: int) -> Path:
            return Path(tmp) / f"{name}-{i}.duckdb"

        plans = [
            ("DuckDB read_csv, typed, into a new table (floor)", "floor", utf8, fresh, False),
            ("memberkit load transactions (UTF-8)", "load", utf8, fresh, False),
            ("memberkit load transactions (GB18030)", "load", gb, fresh, False),
            ("memberkit re-load of the same file", "load", utf8, None, True),
        ]
        reload_db = Path(tmp) / "reload.duckdb"
        run_step("load", utf8, reload_db)
        for label, step, path, make_db, reuse in plans:
            runs = [
                run_step(step, path, reload_db if reuse else make_db(step + path.parent.name, i))
                for i in range(repeat)
            ]
            results.append(
                {
                    "label": label,
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "peak_mib": max(r["peak_mib"] for r in runs),
                    "size_mb": path.stat().st_size / 1e6,
                }
            )
    floor = results[0]["seconds"]
    for r in results:
        r["ratio"] = r["seconds"] / floor
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import duckdb

    results = measure(args.tickets, args.repeat)
    lines = [
        f"## Load, {args.tickets:,} tickets — {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"{platform.machine()}, Python {platform.python_version()}, duckdb {duckdb.__version__},"
        f" median of {args.repeat}",
        "",
        "| step | file MB | seconds | × floor | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['size_mb']:.0f} | {r['seconds']:.2f} | "
            f"{r['ratio']:.2f} | {r['peak_mib']:.0f} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
