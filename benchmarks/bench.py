"""make bench: memberkit at chain scale against DuckDB itself, hand-written SQL and pandas.

Generates a chain with `memberkit sample-data` (10M tickets, 1M members, 300 stores by
default; cached in benchmarks/data/), then measures in one run, each figure the median of
--repeat runs, every load step in a fresh process so that its peak RSS is its own:
  1. the floor: DuckDB's bare typed read_csv into a new persistent table;
  2. memberkit load of the same file (UTF-8), of its GB18030 version, and of a copy with a
     few hundred rejected and repeated rows;
  3. re-loading a file already loaded;
  4. one new month into the database holding every earlier month, against the same month
     into an empty database;
  5. every report company-wide and --by store: memberkit's query in process beside a
     hand-written DuckDB query proven to give the same figures (handwritten.py), and the
     whole command's wall time;
  6. `memberkit --help`;
  7. the pandas path an analyst would take for spending power (pandas_path.py);
  8. a line-level POS export of --tickets LINES (`sample-data --ticket-lines`, cut at a
     ticket's end) through `memberkit load ticket-lines` against DuckDB's bare typed
     read_csv of the same file, and a fifth of it for the memory comparison.
Ratios are taken within the run (the machines are shared and noisy); RESULTS.md gets them.
Usage: python benchmarks/bench.py [--tickets N] [--repeat K] [--output FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
# the console script, as users start it
MEMBERKIT = [str(Path(sys.executable).with_name("memberkit"))]
DEFECTS = 200  # of each kind, in the defects file
CAP = "512MB"  # MEMBERKIT_MEMORY_LIMIT for the memory check (the default is 2GB)
KINDS = ("stores", "members", "targets", "gifts", "gift-moves", "gift-counts")

# Runs in a fresh process: one step, its wall seconds (imports excluded: the same for every
# step) and the process's peak RSS (VmHWM: ru_maxrss would carry over the parent's peak).
CHILD = r"""
import json, re, sys, time
from pathlib import Path
import duckdb, polars
from memberkit import db
from memberkit.ingest import LoadOptions, load_file
step, *args = sys.argv[1:]
if step == "pandas":
    sys.path.insert(0, args[0])
    from pandas_path import spending_power_pandas
start = time.perf_counter()
if step == "floor":
    con = duckdb.connect(args[1])
    con.execute('''
        create table transactions as select * from read_csv($p, header = true, columns = {
            'txn_id': 'VARCHAR', 'store_id': 'VARCHAR', 'txn_time': 'TIMESTAMP',
            'member_id': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'item_qty': 'INTEGER'})
    ''', {'p': args[0]})
    con.close()
elif step == "floor-lines":
    con = duckdb.connect(args[1])
    con.execute('''
        create table ticket_lines as select * from read_csv($p, header = true, columns = {
            'txn_id': 'VARCHAR', 'line_no': 'INTEGER', 'store_id': 'VARCHAR',
            'txn_time': 'TIMESTAMP', 'member_id': 'VARCHAR', 'sku': 'VARCHAR',
            'item_name': 'VARCHAR', 'category': 'VARCHAR', 'qty': 'INTEGER',
            'amount': 'DECIMAL(18,2)'})
    ''', {'p': args[0]})
    con.close()
elif step == "load":
    kind, path, db_path = args
    con = db.connect(db_path)
    result = load_file(con, Path(path), LoadOptions(kind, max_reject_ratio=0.05))
    con.close()
    assert result.status in ("loaded", "already_loaded"), result
elif step == "pandas":
    folder = Path(args[1])
    spending_power_pandas(
        folder / "transactions.csv", folder / "stores.csv", folder / "targets.csv", args[2]
    )
seconds = time.perf_counter() - start
status = Path("/proc/self/status").read_text()
peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak}))
"""


def child(step: str, *args: object, memory_limit: str | None = None) -> dict:
    env = dict(os.environ)
    if memory_limit:
        env["MEMBERKIT_MEMORY_LIMIT"] = memory_limit
    out = subprocess.run(
        [sys.executable, "-c", CHILD, step, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# Runs a whole command in a fresh process, start-up included: a script (the console script)
# or -c CODE, then writes the process's peak RSS (VmHWM) to $BENCH_PEAK at exit.
WHOLE = r"""
import atexit, os, re, runpy, sys
def peak():
    status = open("/proc/self/status").read()
    with open(os.environ["BENCH_PEAK"], "w") as out:
        out.write(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
atexit.register(peak)
if sys.argv[1] == "-c":
    code, sys.argv = sys.argv[2], ["-c", *sys.argv[3:]]
    exec(compile(code, "<bench>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def whole(command: list[object]) -> dict:
    """Wall seconds (start-up included) and peak RSS of a command in a fresh process:
    command[0] a Python script (MEMBERKIT[0]) or "-c" followed by the code."""
    with tempfile.NamedTemporaryFile(prefix="mk-peak-") as peak:
        env = {**os.environ, "BENCH_PEAK": peak.name}
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", WHOLE, *map(str, command)],
            check=True,
            capture_output=True,
            env=env,
        )
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "peak_mib": int(Path(peak.name).read_text()) / 1024}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(repeat: int, run) -> dict:
    """Median seconds and the highest peak RSS of `repeat` runs of run(i) -> dict."""
    runs = [run(i) for i in range(repeat)]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mib": max(r.get("peak_mib", 0) for r in runs),
    }


def remove_db(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


# --- data ---------------------------------------------------------------------------------


def sample(tickets: int) -> Path:
    """The chain, written by memberkit sample-data (cached)."""
    return _generated(DATA / f"chain-{tickets}", tickets)


def line_sample(lines: int) -> Path:
    """A line-level export of at least `lines` lines: the chain's tickets as product lines
    (`sample-data --ticket-lines`, cached); about 3.6 lines a ticket."""
    tickets = -(-lines * 10 // 33)  # a tenth more tickets than needed at 3.6 lines each
    return _generated(DATA / f"lines-{tickets}", tickets, "--ticket-lines")


def _generated(folder: Path, tickets: int, *extra: str) -> Path:
    if not (folder / "gift_counts.csv").exists():
        print(f"generating {tickets:,} tickets into {folder} ...", flush=True)
        subprocess.run(
            [
                *MEMBERKIT, "sample-data", str(folder), *extra, "--tickets", str(tickets),
                "--members", str(max(tickets // 10, 2000)),
                "--stores", "300" if tickets >= 1_000_000 else "8",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return folder


def first_lines(source: Path, count: int):
    """The header and the first tickets of a line file, as many whole tickets as fit in
    `count` lines."""

    def make(target: Path) -> None:
        with open(source, "rb") as src, open(target, "wb") as out:
            out.write(src.readline())
            ticket: list[bytes] = []
            written = 0
            for line in src:
                if ticket and not line.startswith(ticket[0].split(b",", 1)[0] + b","):
                    if written + len(ticket) > count:
                        return
                    out.writelines(ticket)
                    written += len(ticket)
                    ticket = []
                ticket.append(line)
            if written + len(ticket) <= count:
                out.writelines(ticket)

    return make


def derived(folder: Path, name: str, make) -> Path:
    path = folder / name
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        partial = path.with_suffix(".partial")
        make(partial)
        partial.rename(path)
    return path


def to_gb18030(source: Path):
    def make(target: Path) -> None:
        with open(source, encoding="utf-8") as src, open(target, "w", encoding="gb18030") as out:
            while block := src.read(1 << 22):
                out.write(block)

    return make


def split_by_month(source: Path, month_start: str, part: str):
    """The tickets before month_start ('base') or from it on ('month'), text kept as is."""

    def make(target: Path) -> None:
        import duckdb

        con = duckdb.connect()
        where = "< $m" if part == "base" else ">= $m"
        con.execute(
            f"copy (select * from read_csv($src, all_varchar = true, header = true) "
            f"where 交易时间 {where}) to '{target}' (header, format csv)",
            {"src": str(source), "m": month_start},
        )
        con.close()

    return make


def with_defects(source: Path, count: int):
    """The file with 3 × `count` extra rows spread through it: a bad amount (rejected), an
    exact repeat of an earlier ticket (a duplicate), and an earlier ticket with another
    amount (rejected)."""

    def make(target: Path) -> None:
        with open(source, "rb") as f:
            rows = sum(1 for _ in f) - 1
        step = rows // (3 * count + 1)
        recent: deque[bytes] = deque(maxlen=step)  # an earlier ticket to repeat
        added = 0
        with open(source, "rb") as src, open(target, "wb") as out:
            out.write(src.readline())
            for i, line in enumerate(src):
                out.write(line)
                recent.append(line)
                if i % step == step - 1 and added < 3 * count:
                    fields = recent[0].rstrip(b"\n").split(b",")
                    if added % 3 == 0:
                        fields[0], fields[4] = b"BAD%d" % added, b"12.3x"
                    elif added % 3 == 2:
                        fields[4] = b"0.01" if fields[4] != b"0.01" else b"0.02"
                    out.write(b",".join(fields) + b"\n")
                    added += 1

    return make


# --- measurements -------------------------------------------------------------------------


def fresh_runs(tmp: Path, step: str, *args, memory_limit=None):
    """A run (for median_of) of a step into a new database, removed afterwards."""

    def run(i):
        target = tmp / f"fresh-{i}.duckdb"
        remove_db(target)
        try:
            return child(step, *args, target, memory_limit=memory_limit)
        finally:
            remove_db(target)

    return run


def measure_loads(chain: Path, small: Path, repeat: int, tmp: Path) -> dict:
    utf8 = chain / "transactions.csv"
    gb = derived(chain, "transactions-gb18030.csv", to_gb18030(utf8))
    defects = derived(chain, "transactions-defects.csv", with_defects(utf8, DEFECTS))
    out: dict = {"sizes_mb": {p.name: p.stat().st_size / 1e6 for p in (utf8, gb, defects)}}

    print("loads ...", flush=True)
    out["floor"] = median_of(repeat, fresh_runs(tmp, "floor", utf8))
    out["utf8"] = median_of(repeat, fresh_runs(tmp, "load", "transactions", utf8))
    out["gb18030"] = median_of(repeat, fresh_runs(tmp, "load", "transactions", gb))
    out["defects"] = median_of(repeat, fresh_runs(tmp, "load", "transactions", defects))
    kept = tmp / "reload.duckdb"
    child("load", "transactions", utf8, kept)
    out["reload"] = median_of(repeat, lambda i: child("load", "transactions", utf8, kept))
    remove_db(kept)
    small_file = small / "transactions.csv"
    out["small_floor"] = median_of(repeat, fresh_runs(tmp, "floor", small_file))
    out["small_utf8"] = median_of(repeat, fresh_runs(tmp, "load", "transactions", small_file))
    out["small_tickets"] = sum(1 for _ in open(small_file, "rb")) - 1
    # the same loads under a lower memory cap: peak memory follows the cap, not the file
    capped = ("transactions", utf8), ("transactions", small_file)
    out["capped"], out["small_capped"] = (
        median_of(1, fresh_runs(tmp, "load", *args, memory_limit=CAP)) for args in capped
    )
    return out


def measure_line_loads(lines: int, repeat: int, tmp: Path) -> dict:
    """`memberkit load ticket-lines` of a `lines`-line file and of a fifth of it, each
    against its floor (DuckDB's bare typed read_csv of the same file into a table)."""
    folder = line_sample(lines)
    whole = folder / "ticket_lines.csv"
    big = derived(folder, f"ticket_lines-{lines}.csv", first_lines(whole, lines))
    small = derived(folder, f"ticket_lines-{lines // 5}.csv", first_lines(whole, lines // 5))
    out: dict = {"size_mb": big.stat().st_size / 1e6}
    for key, path in (("", big), ("small_", small)):
        out[f"{key}lines"] = sum(1 for _ in open(path, "rb")) - 1
    with open(big, "rb") as fh:  # a ticket's lines are together: count where the id changes
        fh.readline()
        ids = (line.split(b",", 1)[0] for line in fh)
        out["tickets"] = sum(1 for _ in itertools.groupby(ids))

    print("line loads ...", flush=True)
    out["floor"] = median_of(repeat, fresh_runs(tmp, "floor-lines", big))
    out["load"] = median_of(repeat, fresh_runs(tmp, "load", "ticket-lines", big))
    out["small_floor"] = median_of(repeat, fresh_runs(tmp, "floor-lines", small))
    out["small_load"] = median_of(repeat, fresh_runs(tmp, "load", "ticket-lines", small))
    # memory flat: under a cap, the peak of the big file is about that of the small one
    out["capped"] = fresh_runs(tmp, "load", "ticket-lines", big, memory_limit=CAP)(0)
    out["small_capped"] = fresh_runs(tmp, "load", "ticket-lines", small, memory_limit=CAP)(0)
    return out


def build_full_database(chain: Path, month: str, tmp: Path) -> tuple[Path, dict]:
    """Every earlier month in one database (kept for the incremental runs), then the month
    itself into empty and full databases; the last full one is the reports' database."""
    month_start = f"{month}-01"
    utf8 = chain / "transactions.csv"
    base_csv = derived(chain, f"before-{month}.csv", split_by_month(utf8, month_start, "base"))
    month_csv = derived(chain, f"month-{month}.csv", split_by_month(utf8, month_start, "month"))
    base_db = tmp / "base.duckdb"
    print("incremental month ...", flush=True)
    for kind in KINDS:
        child("load", kind, chain / f"{kind.replace('-', '_')}.csv", base_db)
    child("load", "transactions", base_csv, base_db)
    runs_full, runs_empty = [], []
    full_db = tmp / "full.duckdb"
    for i in range(3):
        remove_db(full_db)
        shutil.copy(base_db, full_db)
        runs_full.append(child("load", "transactions", month_csv, full_db))
        empty = tmp / f"empty-{i}.duckdb"
        runs_empty.append(child("load", "transactions", month_csv, empty))
        remove_db(empty)
    summary = {
        "month_rows": sum(1 for _ in open(month_csv, "rb")) - 1,
        "base_rows": sum(1 for _ in open(base_csv, "rb")) - 1,
        "into_full": median_of(3, lambda i: runs_full[i]),
        "into_empty": median_of(3, lambda i: runs_empty[i]),
    }
    return full_db, summary


def report_command(name: str, period, by_store: bool) -> list[str]:
    """The memberkit command (without --db and output options) of a handwritten baseline, with
    the options its hand-written query assumes."""
    import handwritten

    month = period.label
    if name == "expiring":
        listed = handwritten.expiry_month(period).label
        return ["expiring", "--month", listed, "--as-of", str(period.end)]
    if name == "gifts-reconcile":
        return ["gifts", "reconcile"]
    if name == "churn-list":
        return ["churn", "--month", month, "--list"]
    return [name, "--month", month, *(["--by", "store"] if by_store else [])]


def measure_reports(db_path: Path, month: str, repeat: int) -> list[dict]:
    import handwritten

    from memberkit import db
    from memberkit.periods import parse_month
    from memberkit.reports import prepare_connection

    period = parse_month(month)
    con = db.connect(db_path, read_only=True)
    prepare_connection(con)
    rows = []
    print("reports ...", flush=True)
    for name, baseline in handwritten.BASELINES.items():
        for by_store in (False, True) if baseline.scoped else (False,):
            handwritten.check(con, name, period, by_store)  # the same figures, or stop here
            call = (con, name, period, by_store)
            ours = handwritten.median_seconds(
                lambda c=call: handwritten.memberkit_report(*c), repeat
            )
            hand = handwritten.median_seconds(lambda c=call: handwritten.run_baseline(*c), repeat)
            command = [*MEMBERKIT, *report_command(name, period, by_store), "--db", str(db_path)]
            command += ["--format", "json"]
            command_wall = statistics.median(wall(command) for _ in range(repeat))
            rows.append(
                {
                    "report": name,
                    "scope": "--by store" if by_store else "company",
                    "query": ours,
                    "hand": hand,
                    "wall": command_wall,
                }
            )
    con.close()
    return rows


def measure_pandas(chain: Path, month: str, repeat: int, tmp: Path, full_db: Path) -> dict:
    """The analyst's month in pandas (read every export, compute) against memberkit's cold
    start (load everything, report) and its month (load the new month, report)."""
    print("pandas ...", flush=True)
    pandas = median_of(repeat, lambda i: child("pandas", HERE, chain, month))
    report = [*MEMBERKIT, "spending-power", "--month", month, "--format", "json"]

    def cold(i: int) -> dict:
        target = tmp / "cold.duckdb"
        remove_db(target)
        start = time.perf_counter()
        for kind in ("stores", "targets", "transactions"):
            subprocess.run(
                [*MEMBERKIT, "--db", str(target), "load", kind, str(chain / f"{kind}.csv")],
                check=True,
                capture_output=True,
            )
        subprocess.run([*report, "--db", str(target)], check=True, capture_output=True)
        remove_db(target)
        return {"seconds": time.perf_counter() - start}

    return {
        "pandas": pandas,
        "cold": median_of(repeat, cold),
        "report_only": {
            "seconds": statistics.median(
                wall([*report, "--db", str(full_db)]) for _ in range(repeat)
            )
        },
    }


# --- the report ---------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_results(
    path: Path, context: dict, loads: dict, inc: dict, reports, helps, pandas, line_loads: dict
):
    floor = loads["floor"]["seconds"]
    load = loads["utf8"]["seconds"]
    tl = line_loads
    tl_ratio = tl["load"]["seconds"] / tl["floor"]["seconds"]
    lines = [
        "# memberkit benchmark results",
        "",
        f"Run {context['date']} on {context['machine']}; Python {context['python']}, duckdb "
        f"{context['duckdb']}, polars {context['polars']}, pandas {context['pandas']}. "
        f"{context['tickets']:,} tickets, {context['members']:,} members, median of "
        f"{context['repeat']}. Written by `make bench` ({context['minutes']:.1f} min).",
        "",
        "## Loading",
        "",
        "| step | file MB | seconds | ratio | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    sizes = loads["sizes_mb"]
    for label, key, size, base in (
        ("DuckDB bare typed read_csv into a new table (floor)", "floor", "transactions.csv", floor),
        ("memberkit load, UTF-8", "utf8", "transactions.csv", floor),
        ("memberkit load, GB18030", "gb18030", "transactions-gb18030.csv", floor),
        (f"memberkit load, 3 × {DEFECTS} defects", "defects", "transactions-defects.csv", floor),
        ("memberkit re-load of a loaded file (× a load)", "reload", "transactions.csv", load),
    ):
        r = loads[key]
        lines.append(
            f"| {label} | {sizes[size]:.0f} | {r['seconds']:.2f} | "
            f"{r['seconds'] / base:.2f} | {r['peak_mib']:.0f} |"
        )
    for label, key in (
        (f"DuckDB bare typed read_csv of {tl['lines']:,} ticket lines (line floor)", "floor"),
        ("memberkit load ticket-lines, the same file (× the line floor)", "load"),
    ):
        r = tl[key]
        lines.append(
            f"| {label} | {tl['size_mb']:.0f} | {r['seconds']:.2f} | "
            f"{r['seconds'] / tl['floor']['seconds']:.2f} | {r['peak_mib']:.0f} |"
        )
    small_n = loads["small_tickets"]
    lines += [
        "",
        f"Memory against input size: at {small_n:,} tickets the floor peaks at "
        f"{loads['small_floor']['peak_mib']:.0f} MiB and memberkit at "
        f"{loads['small_utf8']['peak_mib']:.0f} MiB ({loads['small_utf8']['seconds']:.2f} s, "
        f"{loads['small_utf8']['seconds'] / loads['small_floor']['seconds']:.2f}× its floor); "
        f"at {context['tickets']:,}, {loads['floor']['peak_mib']:.0f} and "
        f"{loads['utf8']['peak_mib']:.0f} MiB. DuckDB uses memory up to its cap "
        f"(memberkit's default: 2GB); with MEMBERKIT_MEMORY_LIMIT={CAP} memberkit peaks at "
        f"{loads['small_capped']['peak_mib']:.0f} MiB at {small_n:,} tickets and "
        f"{loads['capped']['peak_mib']:.0f} MiB at {context['tickets']:,} "
        f"({loads['capped']['seconds']:.2f} s).",
        "",
        f"Ticket lines (`sample-data --ticket-lines`, {tl['lines'] / tl['tickets']:.2f} lines a "
        f"ticket): at {tl['small_lines']:,} lines the line floor peaks at "
        f"{tl['small_floor']['peak_mib']:.0f} MiB and memberkit at "
        f"{tl['small_load']['peak_mib']:.0f} MiB ({tl['small_load']['seconds']:.2f} s, "
        f"{tl['small_load']['seconds'] / tl['small_floor']['seconds']:.2f}× its floor); at "
        f"{tl['lines']:,} lines ({tl['tickets']:,} tickets formed), "
        f"{tl['floor']['peak_mib']:.0f} and {tl['load']['peak_mib']:.0f} MiB. With "
        f"MEMBERKIT_MEMORY_LIMIT={CAP} memberkit peaks at {tl['small_capped']['peak_mib']:.0f} "
        f"MiB at {tl['small_lines']:,} lines and {tl['capped']['peak_mib']:.0f} MiB at "
        f"{tl['lines']:,} ({tl['capped']['seconds']:.2f} s).",
        "",
        f"Incremental: the last month ({inc['month_rows']:,} tickets) into the database holding "
        f"the {inc['base_rows']:,} before it took {inc['into_full']['seconds']:.2f} s "
        f"({inc['into_full']['peak_mib']:.0f} MiB), into an empty database "
        f"{inc['into_empty']['seconds']:.2f} s: "
        f"{inc['into_full']['seconds'] / inc['into_empty']['seconds']:.2f}×.",
        "",
        "## Reports",
        "",
        "In-process query (memberkit's report function on a read-only connection) beside one "
        "hand-written DuckDB query checked to give the same figures; wall = the whole "
        "`memberkit ... --format json` command.",
        "",
        "| report | scope | memberkit query s | hand-written s | ratio | command wall s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in reports:
        lines.append(
            f"| {r['report']} | {r['scope']} | {r['query']:.3f} | {r['hand']:.3f} | "
            f"{r['query'] / r['hand']:.2f} | {r['wall']:.2f} |"
        )
    pandas_s = pandas["pandas"]["seconds"]
    monthly = inc["into_full"]["seconds"] + pandas["report_only"]["seconds"]
    lines += [
        "",
        "## Start-up and the pandas path",
        "",
        f"`memberkit --help`: {helps:.3f} s (median of 10).",
        "",
        f"Spending power for {context['month']} the analyst's way in pandas (read the "
        f"tickets, stores and targets exports, compute the fourteen figures): "
        f"{pandas_s:.1f} s, peak {pandas['pandas']['peak_mib']:.0f} MiB. memberkit from an "
        f"empty database (load the three files, run the report; every command a process): "
        f"{pandas['cold']['seconds']:.1f} s, {pandas_s / pandas['cold']['seconds']:.1f}× "
        f"faster. memberkit's month (load the new month into the database, run the report): "
        f"{monthly:.1f} s, {pandas_s / monthly:.1f}× faster.",
        "",
        "## Targets",
        "",
        "| target | figure | |",
        "|---|---|---|",
    ]
    peaks = [loads[k]["peak_mib"] for k in ("utf8", "gb18030", "defects")] + [
        tl["load"]["peak_mib"]
    ]
    worst_query = max(reports, key=lambda r: r["query"] / r["hand"])
    slowest_query = max(reports, key=lambda r: r["query"])
    slowest_wall = max(reports, key=lambda r: r["wall"])
    gb = loads["gb18030"]["seconds"]
    targets = [
        ("UTF-8 load ≤ 1.3× floor", f"{load / floor:.2f}×", load / floor <= 1.3),
        ("ticket-lines load ≤ 1.5× floor", f"{tl_ratio:.2f}×", tl_ratio <= 1.5),
        ("GB18030 load ≤ 2.0× floor", f"{gb / floor:.2f}×", gb / floor <= 2.0),
        (
            "re-load ≤ 0.1× a load",
            f"{loads['reload']['seconds'] / load:.3f}×",
            loads["reload"]["seconds"] / load <= 0.1,
        ),
        (
            "incremental month ≤ 2× into empty",
            f"{inc['into_full']['seconds'] / inc['into_empty']['seconds']:.2f}×",
            inc["into_full"]["seconds"] / inc["into_empty"]["seconds"] <= 2,
        ),
        (
            "each report query ≤ 1.5× hand-written",
            f"worst {worst_query['query'] / worst_query['hand']:.2f}× "
            f"({worst_query['report']} {worst_query['scope']})",
            worst_query["query"] / worst_query["hand"] <= 1.5,
        ),
        (
            "each report query ≤ 1 s",
            f"slowest {slowest_query['query']:.2f} s ({slowest_query['report']} "
            f"{slowest_query['scope']})",
            slowest_query["query"] <= 1,
        ),
        (
            "command wall ≤ 2 s",
            f"slowest {slowest_wall['wall']:.2f} s ({slowest_wall['report']} "
            f"{slowest_wall['scope']})",
            slowest_wall["wall"] <= 2,
        ),
        ("`--help` ≤ 0.3 s", f"{helps:.3f} s", helps <= 0.3),
        (
            "peak memory ≤ 2 GiB",
            f"{max(peaks):.0f} MiB",
            max(peaks) <= 2048,
        ),
        (
            "≥ 5× faster than pandas (the month's run; from an empty database: not met)",
            f"month {pandas_s / monthly:.1f}×, "
            f"from empty {pandas_s / pandas['cold']['seconds']:.1f}×",
            pandas_s / monthly >= 5,
        ),
    ]
    for label, figure, ok in targets:
        lines.append(f"| {label} | {figure} | {verdict(ok)} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--month", default="2026-10", help="the sample's last month")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    sys.path.insert(0, str(HERE))
    import duckdb
    import pandas
    import polars

    chain = sample(args.tickets)
    small = sample(max(args.tickets // 5, 60_000))
    with tempfile.TemporaryDirectory(prefix="mk-bench-", dir=DATA) as tmp_name:
        tmp = Path(tmp_name)
        loads = measure_loads(chain, small, args.repeat, tmp)
        full_db, inc = build_full_database(chain, args.month, tmp)
        reports = measure_reports(full_db, args.month, args.repeat)
        helps = statistics.median(wall([*MEMBERKIT, "--help"]) for _ in range(10))
        pandas_figures = measure_pandas(chain, args.month, args.repeat, tmp, full_db)
        line_loads = measure_line_loads(args.tickets, args.repeat, tmp)
    context = {
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "pandas": pandas.__version__,
        "tickets": args.tickets,
        "members": max(args.tickets // 10, 2000),
        "repeat": args.repeat,
        "month": args.month,
        "minutes": (time.perf_counter() - started) / 60,
    }
    write_results(args.output, context, loads, inc, reports, helps, pandas_figures, line_loads)


if __name__ == "__main__":
    main()
