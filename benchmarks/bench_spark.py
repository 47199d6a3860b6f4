"""make bench-spark: the reports on local Spark against the DuckDB engine, at 10M tickets.

Generates the chain (cached in benchmarks/data/chain-N/, as bench.py makes it: N tickets, N/10
members, 300 stores from 1M tickets on), loads it into benchmarks/data/spark-N.duckdb (kept for
the next run), then measures, ratios within the run (the machine is shared):
  export   `memberkit export parquet` as a whole process: seconds, peak RSS, the lake's size
           beside the database's, its months and files;
  session  a local Spark session's start (--master, default local[*]) and registering the lake;
  reports  one month of every report of the catalogue, company-wide (spend-bands also --by
           store), in process on each engine: DuckDB's median against Spark's first run and
           median of --repeat, and whether both gave the same rows (ratios within 1e-9);
  command  `memberkit spend-bands` as a whole process on each engine (start-up included).
Results go to benchmarks/data/bench-spark-N.json and the "## Spark" section of RESULTS.md.
Usage: python benchmarks/bench_spark.py [--scale N] [--repeat R] [--master URL]
       [--report NAME ...] [--conf spark.driver.memory=4g ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402
import spark_results  # noqa: E402
from bench import DATA, MEMBERKIT, child, remove_db, whole  # noqa: E402

SCALE = 10_000_000
# every file sample-data writes, loaded as its kind (transactions last: the timed part of
# bench_scale, not timed here)
KINDS = (
    "stores", "members", "targets", "gifts", "gift-moves", "gift-counts", "complaints",
    "surveys", "callback-log", "gift-requests", "transactions",
)  # fmt: skip


def loaded_db(scale: int) -> Path:
    """The chain at `scale` loaded whole into benchmarks/data/spark-N.duckdb (cached)."""
    folder = bench.sample(scale)
    target = DATA / f"spark-{scale}.duckdb"
    marker = DATA / f"spark-{scale}.loaded"
    if marker.exists() and target.exists():
        return target
    remove_db(target)
    marker.unlink(missing_ok=True)
    for kind in KINDS:
        print(f"loading {kind} ...", flush=True)
        child("load", kind, folder / f"{kind.replace('-', '_')}.csv", target)
    marker.write_text(f"{datetime.now():%Y-%m-%d %H:%M}\n")
    return target


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure_export(db_path: Path, lake: Path) -> dict:
    shutil.rmtree(lake, ignore_errors=True)
    print("export ...", flush=True)
    run = whole([*MEMBERKIT, "--db", db_path, "export", "parquet", lake])
    manifest = json.loads((lake / "_memberkit.json").read_text(encoding="utf-8"))
    tickets = manifest["tables"]["transactions"]
    return run | {
        "lake_bytes": folder_bytes(lake),
        "db_bytes": db_path.stat().st_size,
        "tables": len(manifest["tables"]),
        "stores": manifest["tables"]["stores"]["rows"],
        "members": manifest["tables"]["members"]["rows"],
        "tickets": tickets["rows"],
        "months": len(tickets["months"]),
        "files": sum(1 for _ in lake.rglob("*.parquet")),
        "month_bytes": folder_bytes(lake / "transactions" / f"month={max(tickets['months'])}"),
    }


def report_calls(month: str, names: tuple[str, ...] | None) -> list[tuple]:
    """(report, scope label, period, scope, options) for one month of every report of the
    catalogue with its default options; a report of a day as of the month's last day."""
    from memberkit.periods import Scope, parse_month
    from memberkit.reports import catalogue

    period = parse_month(month)
    calls = []
    for name, entry in catalogue.ENTRIES.items():
        if names and name not in names:
            continue
        fields = getattr(entry.options, "__dataclass_fields__", {})
        options = entry.options(as_of=period.end) if "as_of" in fields else entry.options()
        runs_on = None if entry.day else period
        calls.append((name, "company", runs_on, Scope(), options))
        if name == "spend-bands":
            calls.append((name, "--by store", runs_on, Scope(by="store"), options))
    return calls


def timed(con, call: tuple) -> tuple[float, object]:
    from memberkit.reports import catalogue

    name, _, period, scope, options = call
    start = time.perf_counter()
    report = catalogue.run(con, name, period, scope, options)
    return time.perf_counter() - start, report


def same(a, b) -> bool:
    """Rows equal: counts and amounts exactly, ratios within 1e-9 (SPEC 8)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def measure_reports(
    db_path: Path, lake: Path, month: str, repeat: int, master: str, names, conf: dict
):
    from memberkit import db
    from memberkit.engines.spark import SparkConnection, spark_session
    from memberkit.lake import register_lake
    from memberkit.sql import prepare_connection

    duck = db.connect(db_path, read_only=True)
    prepare_connection(duck)
    print(f"Spark session ({master}) ...", flush=True)
    start = time.perf_counter()
    spark = spark_session(master=master, conf=conf)
    started = time.perf_counter() - start
    start = time.perf_counter()
    register_lake(spark, lake)
    registered = time.perf_counter() - start
    con = SparkConnection(spark)  # the report macros defined as it is made
    rows = []
    for call in report_calls(month, names):
        name, scope = call[:2]
        print(f"reports: {name} {scope} ...", flush=True)
        duck_runs = [timed(duck, call) for _ in range(repeat)]
        error = None
        try:
            first = timed(con, call)
            later = [timed(con, call) for _ in range(max(repeat - 1, 1))]
        except Exception as exc:  # a report Spark cannot run yet: said in the table
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
            # the Java side's reason is further down (Py4J's first line names only the call)
            causes = [line.strip() for line in str(exc).splitlines() if "Exception" in line]
            print(f"  fails: {error}\n    " + "\n    ".join(causes[:6]), flush=True)
        row = {
            "report": name,
            "scope": scope,
            "rows": len(duck_runs[0][1].rows),
            "duckdb": statistics.median(s for s, _ in duck_runs),
        }
        if error is None:
            row |= {
                "spark_first": first[0],
                "spark": statistics.median(s for s, _ in later),
                "same_rows": same(first[1].rows, duck_runs[0][1].rows),
            }
        else:
            row["error"] = error
            row["error_causes"] = causes[:6]
        rows.append(row)
    con.close()
    duck.close()
    spark.stop()
    return {"session_seconds": started, "register_seconds": registered, "reports": rows}


def measure_commands(db_path: Path, lake: Path, month: str, master: str, conf: dict) -> dict:
    """spend-bands --by store as a whole command on each engine, start-up included."""
    report = ["spend-bands", "--month", month, "--by", "store", "--format", "json"]
    print("whole commands ...", flush=True)
    duck = whole([*MEMBERKIT, "--db", db_path, *report])
    settings = [a for k, v in conf.items() for a in ("--spark-conf", f"{k}={v}")]
    spark = whole(
        [*MEMBERKIT, "--engine", "spark", "--spark-master", master, *settings, "--lake", lake]
        + report
    )
    return {"duckdb": duck, "spark": spark}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=SCALE, help="tickets (e.g. 200000: a check)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report per engine")
    parser.add_argument("--master", default="local[*]", help="the local Spark master")
    parser.add_argument("--month", default="2026-10", help="the sample's last month")
    parser.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting"
    )
    parser.add_argument("--report", action="append", help="these reports only")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    import duckdb
    import pyspark

    began = time.perf_counter()
    DATA.mkdir(exist_ok=True)
    db_path = loaded_db(args.scale)
    lake = DATA / f"lake-{args.scale}"
    results = {
        "context": {
            "date": f"{datetime.now():%Y-%m-%d %H:%M}",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "pyspark": pyspark.__version__,
            "scale": args.scale,
            "month": args.month,
            "master": args.master,
            "repeat": args.repeat,
            "conf": dict(item.split("=", 1) for item in args.conf),
        },
    }
    results["export"] = measure_export(db_path, lake)
    names = tuple(args.report) if args.report else None
    load_before = os.getloadavg()[0]
    conf = results["context"]["conf"]
    results |= measure_reports(db_path, lake, args.month, args.repeat, args.master, names, conf)
    results["commands"] = measure_commands(db_path, lake, args.month, args.master, conf)
    results["context"]["load_average"] = max(load_before, os.getloadavg()[0])
    results["context"]["minutes"] = (time.perf_counter() - began) / 60
    store = DATA / f"bench-spark-{args.scale}.json"
    store.write_text(json.dumps(results, indent=1, default=_plain), encoding="utf-8")
    text = spark_results.section(results)
    spark_results.write_section(args.output, text, spark_results.heading(args.scale))
    print(text)


def _plain(value):
    if isinstance(value, Decimal | date):
        return str(value)
    raise TypeError(type(value))


if __name__ == "__main__":
    main()
