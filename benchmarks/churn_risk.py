"""Churn risk (SPEC 5.11) at chain scale: `memberkit churn-risk` on a million members.

Generates a chain whose purchase histories follow the BG/NBD model with the parameters of
Fader, Hardie & Lee (2005) on CDNOW (r 0.243, alpha 4.414, a 0.793, b 2.426, time in weeks):
each member's first purchase day uniform over the two years before E, then exponential gaps
at the member's rate, dropping out after each repeat purchase with the member's probability;
a few of the purchase days carry a second ticket or a refund. Cached in benchmarks/data/
(churn-risk-MEMBERS/). Then, every step in a fresh process so that its peak RSS is its own:
  1. memberkit load of the stores, members and tickets;
  2. `memberkit churn-risk --as-of E --format json --output /dev/null`, wall time, and its
     peak RSS running the same command in-process;
  3. in process: the SQL aggregation (member_histories), the fit, p_alive and expected
     purchases for every member, building the rows; beside DuckDB's own typed read_csv of
     the tickets file into a table, and a plain per-member count(distinct day) group-by over
     the loaded table (the floors the ratios are taken against).
At the full size and at a quarter of it, to show peak memory grows only with the members.
Usage: python benchmarks/churn_risk.py [--members N] [--repeat K] [--output FILE]
Appends (or replaces) its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MEMBERKIT = [str(Path(sys.executable).with_name("memberkit"))]
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
AS_OF = date(2026, 10, 31)  # E; first purchases in the 104 weeks before it
DAYS = 728
STORES = 300
SECTION = "## Churn risk (BG/NBD) at chain scale"


# --- data ---------------------------------------------------------------------------------


def simulate(members: int, seed: int = 2005) -> tuple[np.ndarray, np.ndarray]:
    """Purchase days of BG/NBD members: (member index, day number 0..DAYS-1) per purchase,
    the first purchase of every member included. Vectorised over the members still buying:
    each round draws every such member's next gap; the rounds end when all have dropped out
    or passed E."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(PAPER["r"], 1.0 / PAPER["alpha"], members)  # purchases per week
    drop = rng.beta(PAPER["a"], PAPER["b"], members)
    first = rng.integers(0, DAYS, members)
    horizon = (DAYS - first) / 7.0  # weeks from the first purchase day to the end of E
    who, when = [np.arange(members)], [first]
    active = np.arange(members)
    elapsed = np.zeros(members)
    while active.size:
        # a rate of 0 (underflow of a tiny gamma draw) never buys again
        gap = rng.exponential(1.0, active.size) / np.maximum(rate[active], 1e-300)
        elapsed[active] += gap
        buying = elapsed[active] < horizon[active]
        active = active[buying]
        who.append(active)
        when.append(first[active] + (elapsed[active] * 7.0).astype(np.int64))
        # after each repeat purchase the member drops out with probability p
        active = active[rng.random(active.size) >= drop[active]]
    return np.concatenate(who), np.concatenate(when)


def write_chain(members: int) -> Path:
    """stores.csv, members.csv and transactions.csv of the simulated chain (cached)."""
    import polars as pl

    folder = DATA / f"churn-risk-{members}"
    if (folder / "transactions.csv").exists():
        return folder
    print(f"generating {members:,} BG/NBD members into {folder} ...", flush=True)
    partial = folder.with_suffix(".partial")
    partial.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(members)
    who, day = simulate(members)
    joined = day[:members]  # simulate() lists every member's first purchase first
    # a day bought on is one purchase however many tickets: 5% of the days get a second
    # ticket, 1% a refund of part of the first
    second = rng.random(who.size) < 0.05
    refund = rng.random(who.size) < 0.01
    who = np.concatenate([who, who[second], who[refund]])
    day = np.concatenate([day, day[second], day[refund]])
    kind = np.concatenate(
        [
            np.zeros(second.size, np.int8),
            np.ones(second.sum(), np.int8),
            np.full(refund.sum(), 2, np.int8),
        ]
    )
    home = rng.integers(0, STORES, members)
    basket = rng.lognormal(4.5, 0.6, members)  # the member's usual ticket, ~90 yuan
    amount = np.round(basket[who] * rng.lognormal(0.0, 0.3, who.size), 2)
    amount = np.where(kind == 2, -np.round(amount * 0.3, 2), np.maximum(amount, 0.01))
    items = np.where(kind == 2, -1, rng.integers(1, 6, who.size))
    away = rng.random(who.size) < 0.1  # a tenth of the tickets at another store
    store = np.where(away, rng.integers(0, STORES, who.size), home[who])
    start = datetime.combine(AS_OF - timedelta(days=DAYS - 1), datetime.min.time())
    seconds = rng.integers(8 * 3600, 22 * 3600, who.size)
    txn_time = np.datetime64(start, "s") + (day * 86400 + seconds).astype("timedelta64[s]")
    order = np.argsort(txn_time, kind="stable")
    store_ids = np.array([f"S{i:03d}" for i in range(STORES)])
    member_ids = np.char.add("M", np.char.zfill(np.arange(members).astype(str), 7))
    pl.DataFrame(
        {
            "store_id": store_ids,
            "store_name": np.char.add("门店", store_ids),
            "region": np.array(["华东", "华南", "华北", "西南"])[np.arange(STORES) % 4],
        }
    ).write_csv(partial / "stores.csv")
    join = np.datetime64(start, "D") + joined.astype("timedelta64[D]")
    pl.DataFrame(
        {"member_id": member_ids, "store_id": store_ids[home], "join_date": join}
    ).write_csv(partial / "members.csv")
    pl.DataFrame(
        {
            "txn_id": np.char.add("T", np.arange(who.size).astype(str)),
            "store_id": store_ids[store[order]],
            "txn_time": txn_time[order].astype("datetime64[ms]"),
            "member_id": member_ids[who[order]],
            "amount": amount[order],
            "item_qty": items[order],
        }
    ).write_csv(
        partial / "transactions.csv", datetime_format="%Y-%m-%d %H:%M:%S", float_precision=2
    )
    partial.rename(folder)
    return folder


# --- measurements -------------------------------------------------------------------------

# Runs in a fresh process: one step, its figures and the process's peak RSS (VmHWM).
CHILD = r"""
import json, re, statistics, sys, time
from datetime import date
from pathlib import Path
step, *args = sys.argv[1:]


def peak_mib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


out = {}
if step == "load":
    from memberkit import db
    from memberkit.ingest import LoadOptions, load_file
    folder, db_path = Path(args[0]), args[1]
    start = time.perf_counter()
    con = db.connect(db_path)
    for kind in ("stores", "members", "transactions"):
        result = load_file(con, folder / f"{kind}.csv", LoadOptions(kind))
        assert result.status == "loaded", result
    con.close()
    out["seconds"] = time.perf_counter() - start
elif step == "command":
    from memberkit.cli import app
    start = time.perf_counter()
    try:
        app(["--db", args[0], "churn-risk", "--as-of", args[1], "--format", "json",
             "--output", args[2]])
    except SystemExit as stop:
        assert stop.code in (0, None), stop.code
    out["seconds"] = time.perf_counter() - start
elif step == "stages":
    import duckdb
    import numpy as np
    from memberkit import db
    from memberkit.periods import Scope
    from memberkit.reports import prepare_connection
    from memberkit.reports import bgnbd
    from memberkit.reports import churn_risk as cr
    db_path, as_of, tickets, repeat = args[0], date.fromisoformat(args[1]), args[2], int(args[3])
    con = db.connect(db_path, read_only=True)
    prepare_connection(con)
    times = {k: [] for k in ("sql", "distinct", "optimiser", "figures", "rows", "total")}
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = cr.member_histories(con, as_of, Scope())
        t1 = time.perf_counter()
        fit = bgnbd.fit_bgnbd(*cr.history_weeks(data))
        t2 = time.perf_counter()
        figures = cr.member_figures(fit, data, cr.DEFAULT_HORIZON_DAYS)
        t3 = time.perf_counter()
        rows = cr.report_rows(data, figures, np.arange(len(data["x"])))
        t4 = time.perf_counter()
        times["sql"].append(t1 - t0)
        times["optimiser"].append(fit.seconds)
        times["distinct"].append(t2 - t1 - fit.seconds)  # checks + distinct triples
        times["figures"].append(t3 - t2)
        times["rows"].append(t4 - t3)
        times["total"].append(t4 - t0)
        del rows, data, figures
    out = {k: statistics.median(v) for k, v in times.items()}
    out["fit"] = fit.as_dict() | {"repeaters": fit.repeaters}
    out["peak_mib"] = peak_mib()  # before the baselines below add their own
    group_by = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.sql(
            "select member_id, count(distinct txn_time::date) as days, "
            "min(txn_time::date) as first_day, max(txn_time::date) as last_day "
            "from transactions where member_id is not null and txn_time < $end::date + 1 "
            "group by member_id",
            params={"end": as_of},
        ).fetchnumpy()
        group_by.append(time.perf_counter() - t0)
    out["group_by"] = statistics.median(group_by)
    con.close()
    read_csv = []
    for _ in range(repeat):
        floor = duckdb.connect()
        t0 = time.perf_counter()
        floor.execute('''
            create table transactions as select * from read_csv($p, header = true, columns = {
                'txn_id': 'VARCHAR', 'store_id': 'VARCHAR', 'txn_time': 'TIMESTAMP',
                'member_id': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'item_qty': 'INTEGER'})
        ''', {'p': tickets})
        read_csv.append(time.perf_counter() - t0)
        floor.close()
    out["read_csv"] = statistics.median(read_csv)
out.setdefault("peak_mib", peak_mib())
print(json.dumps(out))
"""


def child(step: str, *args: object) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, step, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(members: int, repeat: int, tmp: Path) -> dict:
    folder = write_chain(members)
    tickets = folder / "transactions.csv"
    db_path = tmp / f"churn-risk-{members}.duckdb"
    print(f"{members:,} members: loading ...", flush=True)
    load = child("load", folder, db_path)
    print(f"{members:,} members: churn-risk ...", flush=True)
    output = tmp / "churn-risk.json"
    command = [*MEMBERKIT, "--db", str(db_path), "churn-risk", "--as-of", str(AS_OF)]
    command += ["--format", "json", "--output", str(output)]
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    in_process = child("command", db_path, AS_OF, output)
    stages = child("stages", db_path, AS_OF, tickets, repeat)
    return {
        "members": members,
        "tickets": sum(1 for _ in open(tickets, "rb")) - 1,
        "tickets_mb": tickets.stat().st_size / 1e6,
        "json_mb": output.stat().st_size / 1e6,
        "load": load,
        "wall": statistics.median(walls),
        "command": in_process,
        "stages": stages,
    }


def section(context: dict, runs: list[dict]) -> str:
    big, small = runs[0], runs[-1]
    s = big["stages"]
    fit = s["fit"]
    lines = [
        SECTION,
        "",
        f"Run {context['date']} on {context['machine']}; Python {context['python']}, duckdb "
        f"{context['duckdb']}, numpy {context['numpy']}, scipy {context['scipy']}; median of "
        f"{context['repeat']}. Written by `python benchmarks/churn_risk.py` "
        f"({context['minutes']:.1f} min). A simulated chain whose members buy by the BG/NBD "
        f"model with the paper's CDNOW parameters: {big['members']:,} members, "
        f"{big['tickets']:,} tickets ({big['tickets_mb']:.0f} MB) over {DAYS // 7} weeks to "
        f"E = {AS_OF}, {STORES} stores. Fitted: r {fit['r']:.3f}, alpha {fit['alpha']:.3f}, "
        f"a {fit['a']:.3f}, b {fit['b']:.3f} ({fit['repeaters']:,} members with a repeat "
        f"purchase; alpha above the paper's, presumably because purchase times are cut to "
        f"whole days, merging purchases made on one day).",
        "",
        "| step | seconds | × group-by | × read_csv |",
        "|---|---:|---:|---:|",
    ]
    group_by, read_csv = s["group_by"], s["read_csv"]
    steps = [
        ("DuckDB read_csv of the tickets file into a table (floor)", read_csv),
        ("DuckDB per-member count(distinct day) group-by on the loaded table", group_by),
        ("SQL aggregation to one row per member (member_histories)", s["sql"]),
        ("distinct (x, t_x, T) triples", s["distinct"]),
        ("fit: L-BFGS-B with the analytic gradient", s["optimiser"]),
        ("p_alive, expected purchases, value at risk for every member", s["figures"]),
        ("report rows in value-at-risk order", s["rows"]),
        ("in process, all of the above but the floors", s["total"]),
        (
            f"`memberkit churn-risk --format json --output FILE` wall ({big['json_mb']:.0f} MB)",
            big["wall"],
        ),
    ]
    for label, seconds in steps:
        lines.append(
            f"| {label} | {seconds:.2f} | {seconds / group_by:.2f} | {seconds / read_csv:.2f} |"
        )

    def per_member(key: str) -> float:
        grew = big[key]["peak_mib"] - small[key]["peak_mib"]
        return grew * 2**20 / (big["members"] - small["members"])

    lines += [
        "",
        "Peak RSS, each in a fresh interpreter: "
        + "; ".join(
            f"{r['members']:,} members ({r['tickets']:,} tickets): the whole command "
            f"{r['command']['peak_mib']:.0f} MiB, the in-process steps without the JSON "
            f"{r['stages']['peak_mib']:.0f} MiB"
            for r in runs
        )
        + f". Per member added: {per_member('command'):,.0f} bytes for the command, of "
        f"which {per_member('stages'):,.0f} for the per-member arrays and the rows (a dict "
        "per member); the rest is the JSON text being built. The tickets stay in DuckDB, "
        "whose aggregation streams them. Loading the three files with memberkit took "
        + ", ".join(f"{r['load']['seconds']:.1f} s" for r in runs)
        + ".",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, text: str, heading: str = SECTION) -> None:
    """Replace a benchmark's section of RESULTS.md (from its heading up to the next '## '
    heading that is not its own), or append it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if heading in old:
        before, rest = old.split(heading, 1)
        after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
        new = before + text + ("\n## " + after if after else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    import duckdb
    import scipy

    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mk-risk-", dir=DATA) as tmp_name:
        runs = [
            measure(size, args.repeat, Path(tmp_name)) for size in (args.members, args.members // 4)
        ]
    context = {
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "repeat": args.repeat,
        "minutes": (time.perf_counter() - started) / 60,
    }
    text = section(context, runs)
    write_section(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
