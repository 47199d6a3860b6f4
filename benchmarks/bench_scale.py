"""make bench-scale: memberkit at 100M tickets against issue 22's targets.

Generates the chain (100M tickets, 3M members, 300 stores, 24 months; cached in
benchmarks/data/scale-100000000/) and measures, ratios within the run (the machine is shared):
  load     DuckDB's bare typed read_csv into a new table (the floor) against `memberkit load
           transactions` into a database holding stores, members and targets, each in a fresh
           process, alternating; median of --repeat (default 1: a load takes minutes);
  small    the same at 2M tickets as whole processes (start-up included), and spending-power
           as a whole command against a whole process running the hand-written query;
  reports  every report company-wide and --by store on the loaded database: the whole
           `--format json --output FILE` command's wall and peak RSS, beside memberkit's query
           and the hand-written query (handwritten.py, proven to give the same figures) in
           process;
  polars   each report's figures from a polars lazy scan of the exports (polars_path.py,
           checked equal) at 10M and at the scale, against the memberkit command; pandas
           (pandas_path.py, spending power) beside it where it fits in memory;
  big      (scale_big.py) churn-risk over every member, the expiring and call-back
           workbooks of ~200k rows, the monthly workbook, `memberkit --help`.
Results are kept in benchmarks/data/bench-scale-N.json, so that --only STEP re-measures one
step and the section is written from the latest figures of each; its section of RESULTS.md
(scale_results.py) is replaced, the rest of the file left alone.
Usage: python benchmarks/bench_scale.py [--scale N] [--db PATH] [--skip-load] [--only STEP]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402
import scale_results  # noqa: E402
from bench import DATA, MEMBERKIT, child, median_of, remove_db, whole  # noqa: E402
from scale_big import measure_big  # noqa: E402

SCALE = 100_000_000
SMALL = 2_000_000
POLARS_AT = 10_000_000
STEPS = ("data", "load", "small", "reports", "polars", "big")
REPORTS = (
    "spend-bands", "demographics", "spending-power", "churn", "churn-list", "expiring",
    "grades", "new-members", "callbacks",
)  # fmt: skip

# The floor as a whole process: python, duckdb and the bare typed read_csv into a table.
FLOOR_CODE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute('''
    create table transactions as select * from read_csv($p, header = true, columns = {
        'txn_id': 'VARCHAR', 'store_id': 'VARCHAR', 'txn_time': 'TIMESTAMP',
        'member_id': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'item_qty': 'INTEGER'})
''', {'p': sys.argv[1]})
con.close()
"""

# A hand-written query as a whole process: python, duckdb, the query, its rows to a file.
HAND_CODE = """
import json, sys, duckdb
from datetime import date, datetime
from decimal import Decimal
kinds = {"date": date.fromisoformat, "datetime": datetime.fromisoformat, "decimal": Decimal}
db_path, sql, params, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
params = {k: kinds[v[0]](v[1]) if isinstance(v, list) else v for k, v in params.items()}
rows = duckdb.connect(db_path, read_only=True).execute(sql, params).fetchall()
with open(out, "w") as f:
    json.dump([[str(v) for v in row] for row in rows], f)
"""


def encode(params: dict) -> str:
    def one(v):
        if isinstance(v, datetime):
            return ["datetime", v.isoformat()]
        if isinstance(v, date):
            return ["date", v.isoformat()]
        if isinstance(v, Decimal):
            return ["decimal", str(v)]
        return v

    return json.dumps({k: one(v) for k, v in params.items()})


def folder_for(scale: int) -> tuple[Path, float | None]:
    """The chain of `scale` tickets and the seconds its generation took (None: cached)."""
    if scale != SCALE:
        cached = (DATA / f"chain-{scale}" / "gift_counts.csv").exists()
        start = time.perf_counter()
        folder = bench.sample(scale)
        return folder, None if cached else time.perf_counter() - start
    folder = DATA / f"scale-{scale}"
    if (folder / "gift_counts.csv").exists():
        return folder, None
    print(f"generating {scale:,} tickets into {folder} ...", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [*MEMBERKIT, "sample-data", str(folder), "--tickets", str(scale), "--members",
         "3000000", "--stores", "300", "--months", "24"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder, time.perf_counter() - start


def members_of(folder: Path) -> int:
    with open(folder / "members.csv", "rb") as f:
        return sum(1 for _ in f) - 1


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}.wal")) if p.exists())


def base_db(folder: Path, target: Path) -> Path:
    """A database holding the chain's stores, members and targets (not timed)."""
    remove_db(target)
    for kind in ("stores", "members", "targets"):
        child("load", kind, folder / f"{kind}.csv", target)
    return target


def measure_data(scale: int) -> dict:
    folder, seconds = folder_for(scale)
    files = {p.name: p.stat().st_size for p in folder.glob("*.csv")}
    return {
        "folder": str(folder.relative_to(HERE.parent)),
        "generated_seconds": seconds,
        "csv_bytes": sum(files.values()),
        "tickets_bytes": files["transactions.csv"],
        "members": members_of(folder),
    }


def measure_load(scale: int, repeat: int, tmp: Path, kept: Path) -> dict:
    """Floor and memberkit load alternating, each in a fresh process; the last load kept."""
    folder, _ = folder_for(scale)
    csv = folder / "transactions.csv"
    base = base_db(folder, tmp / "base.duckdb")
    floors, loads = [], []
    for i in range(repeat):
        print(f"load {i + 1}/{repeat}: floor ...", flush=True)
        floors.append(bench.fresh_runs(tmp, "floor", csv)(i))
        print(f"load {i + 1}/{repeat}: memberkit ...", flush=True)
        remove_db(kept)
        shutil.copy(base, kept)
        loads.append(child("load", "transactions", csv, kept))
    remove_db(base)
    return {
        "repeat": repeat,
        "floor": median_of(repeat, lambda i: floors[i]),
        "load": median_of(repeat, lambda i: loads[i]),
        "db_bytes": db_bytes(kept),
    }


def measure_small(month: str, repeat: int, tmp: Path) -> dict:
    """At 2M tickets, whole processes: the floor against the load, and spending-power
    against the hand-written query."""
    import handwritten

    from memberkit import db
    from memberkit.periods import parse_month
    from memberkit.reports import prepare_connection

    folder, _ = folder_for(SMALL)
    csv = folder / "transactions.csv"
    base = base_db(folder, tmp / "small-base.duckdb")
    kept, floor_db = tmp / "small.duckdb", tmp / "small-floor.duckdb"
    floors, loads = [], []
    print("2M: loads ...", flush=True)
    for _ in range(repeat):
        remove_db(floor_db)
        floors.append(whole(["-c", FLOOR_CODE, csv, floor_db]))
        remove_db(floor_db)
        remove_db(kept)
        shutil.copy(base, kept)
        loads.append(whole([*MEMBERKIT, "--db", kept, "load", "transactions", csv]))
    period = parse_month(month)
    con = db.connect(kept, read_only=True)
    prepare_connection(con)
    handwritten.check(con, "spending-power", period, False)  # the same figures
    con.close()
    baseline = handwritten.BASELINES["spending-power"]
    params = encode(baseline.params(period, False))
    command = [*MEMBERKIT, "--db", kept, *bench.report_command("spending-power", period, False)]
    ours, hand = [], []
    print("2M: spending-power ...", flush=True)
    for _ in range(repeat):
        ours.append(whole([*command, "--format", "json", "--output", tmp / "sp.json"]))
        hand.append(whole(["-c", HAND_CODE, kept, baseline.sql, params, tmp / "hand.json"]))
    remove_db(base)
    remove_db(kept)
    pick = median_of
    return {
        "repeat": repeat,
        "floor": pick(repeat, lambda i: floors[i]),
        "load": pick(repeat, lambda i: loads[i]),
        "spending_power": pick(repeat, lambda i: ours[i]),
        "hand": pick(repeat, lambda i: hand[i]),
    }


def measure_reports(
    db_path: Path, month: str, repeat: int, tmp: Path, names=REPORTS, progress=None
) -> list[dict]:
    """progress(rows) after each report: the figures so far are saved."""
    import handwritten

    from memberkit import db
    from memberkit.periods import parse_month
    from memberkit.reports import prepare_connection

    period = parse_month(month)
    con = db.connect(db_path, read_only=True)
    prepare_connection(con)
    rows = []
    for name in names:
        for by_store in (False, True) if handwritten.BASELINES[name].scoped else (False,):
            scope = "--by store" if by_store else "company"
            print(f"reports: {name} {scope} ...", flush=True)
            expected = handwritten.check(con, name, period, by_store)  # or stop here
            call = (con, name, period, by_store)
            ours = handwritten.median_seconds(
                lambda c=call: handwritten.memberkit_report(*c), repeat
            )
            hand = handwritten.median_seconds(lambda c=call: handwritten.run_baseline(*c), repeat)
            out = tmp / f"{name}.json"
            command = [*MEMBERKIT, "--db", db_path, *bench.report_command(name, period, by_store)]
            command += ["--format", "json", "--output", out]
            runs = median_of(repeat, lambda i, c=command: whole(c))
            listed = len(json.loads(out.read_text(encoding="utf-8"))["rows"])
            assert listed == expected, f"{name} {scope}: JSON {listed} rows, report {expected}"
            rows.append(
                {"report": name, "scope": scope, "rows": listed, "query": ours, "hand": hand}
                | {"wall": runs["seconds"], "peak_mib": runs["peak_mib"]}
            )
            if progress:
                progress(rows)
    con.close()
    return rows


def loaded_db(scale: int, tmp: Path) -> Path:
    """A database of the chain at `scale` for the polars comparison (not timed)."""
    folder, _ = folder_for(scale)
    target = base_db(folder, tmp / f"polars-{scale}.duckdb")
    child("load", "transactions", folder / "transactions.csv", target)
    return target


def measure_polars(
    scales: dict[int, Path | None], month: str, tmp: Path, names=REPORTS
) -> list[dict]:
    """Per scale and report: polars's figures checked against memberkit's, polars's time in
    process (imports excluded) against the whole memberkit command; pandas beside."""
    import polars_path

    from memberkit import db
    from memberkit.periods import parse_month
    from memberkit.reports import prepare_connection

    period = parse_month(month)
    rows = []
    for scale, db_path in scales.items():
        folder, _ = folder_for(scale)
        db_path = db_path or loaded_db(scale, tmp)
        con = db.connect(db_path, read_only=True)
        prepare_connection(con)
        for name in names:
            print(f"polars {scale:,}: {name} ...", flush=True)
            start = time.perf_counter()
            figures = polars_path.REPORTS[name](folder, period)
            seconds = time.perf_counter() - start
            polars_path.check(name, polars_path.memberkit_figures(con, name, period), figures)
            command = [*MEMBERKIT, "--db", db_path, *bench.report_command(name, period, False)]
            ours = whole([*command, "--format", "json", "--output", tmp / "polars-mk.json"])
            rows.append({"scale": scale, "report": name, "polars": seconds, "memberkit": ours})
        con.close()
        if scale <= POLARS_AT:  # pandas holds every ticket as Python objects: ~15 GB at 100M
            print(f"pandas {scale:,} ...", flush=True)
            pandas = child("pandas", HERE, folder, month)
            rows.append({"scale": scale, "report": "spending-power (pandas)"} | pandas)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=SCALE, help="tickets (2M/10M: a check)")
    parser.add_argument("--db", type=Path, help="a loaded database to report on (read only)")
    parser.add_argument("--skip-load", action="store_true", help="with --db: no load step")
    parser.add_argument("--only", action="append", choices=STEPS, help="these steps only")
    parser.add_argument("--report", action="append", choices=REPORTS, help="these reports only")
    parser.add_argument("--repeat", type=int, default=1, help="loads at the scale")
    parser.add_argument("--report-repeat", type=int, default=3, help="reports, 2M steps")
    parser.add_argument("--month", default="2026-10", help="the sample's last month")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    steps = [s for s in STEPS if s in (args.only or STEPS)]
    if args.skip_load and "load" in steps:
        steps.remove("load")
    if not args.db and "load" not in steps and {"reports", "polars", "big"} & set(steps):
        parser.error("reports need the load step or --db PATH")
    names = tuple(args.report or REPORTS)
    import duckdb
    import polars

    started = time.perf_counter()
    store = DATA / f"bench-scale-{args.scale}.json"
    results = json.loads(store.read_text()) if store.exists() else {}
    results["context"] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "scale": args.scale,
        "month": args.month,
    }
    this_run = {"date": f"{datetime.now():%Y-%m-%d %H:%M}", "minutes": 0.0, "steps": []}
    this_run["id"] = time.time()
    results.setdefault("runs", []).append(this_run)

    def save(step: str, value: object) -> None:
        """Each step's figures as soon as it ends: a run stopped half-way keeps them."""
        if step != "data" and step not in this_run["steps"]:
            this_run["steps"].append(step)
        this_run["minutes"] = (time.perf_counter() - started) / 60
        # the machine is shared: how busy it was says how far to trust the seconds
        load = os.getloadavg()[0]
        this_run["load_average"] = max(this_run.get("load_average", 0.0), load)
        stamp = {"date": f"{datetime.now():%Y-%m-%d %H:%M}", "minutes": this_run["minutes"]}
        # another run of the same scale may have saved a step meanwhile: keep it
        latest = json.loads(store.read_text()) if store.exists() else {}
        for key, entry in latest.items():
            if key not in ("context", "runs") and key not in this_run["steps"]:
                results[key] = entry
        others = [r for r in latest.get("runs", []) if r.get("id") != this_run["id"]]
        results["runs"] = [*others, this_run]
        results[step] = {"value": value, "run": stamp}
        store.write_text(json.dumps(results, indent=1, default=str))
        text = scale_results.section(results)
        scale_results.write_section(args.output, text, scale_results.heading(args.scale))

    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mk-scale-", dir=DATA) as tmp_name:
        tmp = Path(tmp_name)
        db_path = args.db or tmp / "scale.duckdb"
        data = measure_data(args.scale)
        if args.db:
            data["db_bytes"] = db_bytes(args.db)
        save("data", data)
        if "load" in steps:
            save("load", measure_load(args.scale, args.repeat, tmp, db_path))
            data["db_bytes"] = results["load"]["value"]["db_bytes"]
            save("data", data)
        if "small" in steps:
            save("small", measure_small(args.month, args.report_repeat, tmp))
        if "reports" in steps:
            measured = measure_reports(
                db_path, args.month, args.report_repeat, tmp, names, partial(save, "reports")
            )
            save("reports", measured)
        if "polars" in steps:
            scales = {POLARS_AT: db_path if args.scale == POLARS_AT else None}
            scales[args.scale] = db_path
            save("polars", measure_polars(scales, args.month, tmp, names))
        if "big" in steps:
            save("big", measure_big(db_path, args.month, tmp))
    print(scale_results.section(results))


if __name__ == "__main__":
    main()
