"""The "Scale" section of RESULTS.md from bench_scale.py's results: every figure beside its
target (issue 22), met or not met; a step not measured says so."""

from __future__ import annotations

from churn_risk import write_section as write_section

GIB = 1024  # MiB
SCALE = 100_000_000


def heading(scale: int) -> str:
    if scale == SCALE:
        return "## Scale: 100M tickets"
    return f"## Scale: {scale:,} tickets (a quick check of bench_scale.py)"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def _when(results: dict, key: str) -> str:
    run = results[key]["run"]
    return f"measured {run['date']}"


def _run(run: dict) -> str:
    load = run.get("load_average")
    busy = f", load average up to {load:.0f}" if load is not None else ""
    return f"{run['date']} {', '.join(run['steps'])} ({run['minutes']:.1f} min{busy})"


def section(results: dict) -> str:
    ctx = results["context"]
    scale = ctx["scale"]
    data = results["data"]["value"]
    runs = results.get("runs", [])
    lines = [
        heading(scale),
        "",
        f"Written by `make bench-scale` (benchmarks/bench_scale.py) on {ctx['machine']}; Python "
        f"{ctx['python']}, duckdb {ctx['duckdb']}, polars {ctx['polars']}. The chain: "
        f"{scale:,} tickets, {data['members']:,} members, 300 stores, month {ctx['month']}; "
        f"`{data['folder']}` holds {_gb(data['csv_bytes'])} of CSV (transactions.csv "
        f"{_gb(data['tickets_bytes'])})"
        + (
            f", generated in {data['generated_seconds'] / 60:.1f} min"
            if data.get("generated_seconds")
            else ""
        )
        + (f"; the loaded database {_gb(data['db_bytes'])}" if data.get("db_bytes") else "")
        + ". Runs: "
        + "; ".join(_run(r) for r in runs)
        + ". Each step's figures are its latest run's. The machine is shared: compare ratios "
        "taken within a run, and mind the load average (2 cores: above 2, every second is "
        "stretched).",
        "",
    ]
    targets: list[tuple[str, str, bool | None]] = []
    lines += _loads(results, scale, targets)
    lines += _reports(results, targets)
    lines += _polars(results, targets)
    lines += _big(results, targets)
    lines += ["### Targets", "", "| target | figure | |", "|---|---|---|"]
    for label, figure, ok in targets:
        lines.append(f"| {label} | {figure} | {'not measured' if ok is None else verdict(ok)} |")
    return "\n".join(lines) + "\n"


def _loads(results: dict, scale: int, targets: list) -> list[str]:
    lines = ["### Loading", ""]
    if "load" not in results:
        lines += ["The load at the scale was not measured (run without --skip-load).", ""]
        targets.append((f"load at {scale:,} ≤ 1.2× floor", "—", None))
    else:
        load = results["load"]["value"]
        f, m = load["floor"], load["load"]
        ratio = m["seconds"] / f["seconds"]
        lines += [
            f"{scale:,} tickets, each in a fresh process (imports excluded), alternating, "
            f"median of {load['repeat']} ({_when(results, 'load')}; one run each by default: "
            "a load takes minutes and the machine is shared). memberkit loads into a database "
            "already holding the stores, members and targets.",
            "",
            "| step | seconds | ratio | peak RSS MiB |",
            "|---|---:|---:|---:|",
            f"| DuckDB bare typed read_csv into a new table (floor) | {f['seconds']:.1f} | 1.00 "
            f"| {f['peak_mib']:.0f} |",
            f"| `memberkit load transactions` | {m['seconds']:.1f} | {ratio:.2f} | "
            f"{m['peak_mib']:.0f} |",
            "",
        ]
        targets.append((f"load at {scale:,} ≤ 1.2× floor", f"{ratio:.2f}×", ratio <= 1.2))
        targets.append(
            ("load peak RSS ≤ 2 GiB", f"{m['peak_mib']:.0f} MiB", m["peak_mib"] <= 2 * GIB)
        )
    if "small" not in results:
        targets.append(("2M load ≤ 1.3× floor, whole processes", "—", None))
        targets.append(("2M spending-power ≤ 1.5× hand-written, whole processes", "—", None))
        return lines
    small = results["small"]["value"]
    f, m = small["floor"], small["load"]
    sp, hand = small["spending_power"], small["hand"]
    load_ratio, sp_ratio = m["seconds"] / f["seconds"], sp["seconds"] / hand["seconds"]
    lines += [
        f"At 2,000,000 tickets, whole processes (Python start-up and imports included), "
        f"median of {small['repeat']} ({_when(results, 'small')}):",
        "",
        "| step | seconds | ratio | peak RSS MiB |",
        "|---|---:|---:|---:|",
        f"| `python -c` importing duckdb, the floor's read_csv | {f['seconds']:.2f} | 1.00 | "
        f"{f['peak_mib']:.0f} |",
        f"| `memberkit load transactions` | {m['seconds']:.2f} | {load_ratio:.2f} | "
        f"{m['peak_mib']:.0f} |",
        f"| `python -c` importing duckdb, the hand-written spending-power query, rows to a file "
        f"| {hand['seconds']:.2f} | 1.00 | {hand['peak_mib']:.0f} |",
        f"| `memberkit spending-power --format json --output FILE` | {sp['seconds']:.2f} | "
        f"{sp_ratio:.2f} | {sp['peak_mib']:.0f} |",
        "",
    ]
    targets.append(
        ("2M load ≤ 1.3× floor, whole processes", f"{load_ratio:.2f}×", load_ratio <= 1.3)
    )
    targets.append(
        (
            "2M spending-power ≤ 1.5× hand-written, whole processes",
            f"{sp_ratio:.2f}×",
            sp_ratio <= 1.5,
        )
    )
    return lines


def _reports(results: dict, targets: list) -> list[str]:
    if "reports" not in results:
        for label in ("report command wall ≤ 2 s", "report query ≤ 1.5× hand-written",
                      "report peak RSS ≤ 2 GiB"):  # fmt: skip
            targets.append((label, "—", None))
        return ["### Reports", "", "Not measured.", ""]
    rows = results["reports"]["value"]
    lines = [
        "### Reports",
        "",
        f"On the loaded database ({_when(results, 'reports')}). Wall and peak RSS: the whole "
        "`memberkit ... --format json --output FILE` command in a fresh process. Query: "
        "memberkit's report function in process on a read-only connection, beside one "
        "hand-written DuckDB query checked to give the same figures (handwritten.py, "
        "handwritten_members.py); the JSON file's rows counted against the report's. "
        "Targets: wall ≤ 2 s, query ≤ 1.5× hand-written, peak ≤ 2 GiB.",
        "",
        "| report | scope | rows | wall s | peak MiB | memberkit query s | hand-written s | "
        "ratio | |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = r["query"] / r["hand"]
        ok = r["wall"] <= 2 and ratio <= 1.5 and r["peak_mib"] <= 2 * GIB
        lines.append(
            f"| {r['report']} | {r['scope']} | {r['rows']:,} | {r['wall']:.2f} | "
            f"{r['peak_mib']:.0f} | {r['query']:.2f} | {r['hand']:.2f} | {ratio:.2f} | "
            f"{verdict(ok)} |"
        )
    lines.append("")
    slow = max(rows, key=lambda r: r["wall"])
    worst = max(rows, key=lambda r: r["query"] / r["hand"])
    big = max(rows, key=lambda r: r["peak_mib"])
    ratio = worst["query"] / worst["hand"]
    over = [r for r in rows if r["wall"] > 2]
    targets += [
        (
            "every report command wall ≤ 2 s",
            f"slowest {slow['wall']:.2f} s ({slow['report']} {slow['scope']}); "
            f"{len(over)} of {len(rows)} over",
            not over,
        ),
        (
            "every report query ≤ 1.5× hand-written",
            f"worst {ratio:.2f}× ({worst['report']} {worst['scope']})",
            ratio <= 1.5,
        ),
        (
            "every report peak RSS ≤ 2 GiB",
            f"highest {big['peak_mib']:.0f} MiB ({big['report']} {big['scope']})",
            big["peak_mib"] <= 2 * GIB,
        ),
    ]
    return lines


def _polars(results: dict, targets: list) -> list[str]:
    if "polars" not in results:
        targets.append(("each report ≥ 5× faster than a polars scan of the exports", "—", None))
        return ["### Against polars", "", "Not measured.", ""]
    rows = results["polars"]["value"]
    lines = [
        "### Against polars and pandas",
        "",
        f"The analyst's fastest alternative ({_when(results, 'polars')}): the same figures, "
        "company-wide, from a polars lazy scan of the CSV exports (polars_path.py, checked "
        "equal to memberkit's: counts and text exactly, money to the cent, ratios to 1e-9), "
        "timed in process without the imports, against the whole memberkit command on the "
        "loaded database. pandas (pandas_path.py, spending power, in a fresh process, imports "
        "excluded) beside it; at 100M pandas would hold every ticket as Python objects (about "
        "ten times its 10M peak) and is not run. Target: memberkit ≥ 5× faster.",
        "",
        "| tickets | report | polars s | memberkit command s | × faster | |",
        "|---:|---|---:|---:|---:|---|",
    ]
    worst = None
    for r in rows:
        if "polars" not in r:
            lines.append(
                f"| {r['scale']:,} | {r['report']} | pandas {r['seconds']:.1f} "
                f"({r['peak_mib']:.0f} MiB) | | | |"
            )
            continue
        speed = r["polars"] / r["memberkit"]["seconds"]
        if worst is None or speed < worst[0]:
            worst = (speed, r)
        lines.append(
            f"| {r['scale']:,} | {r['report']} | {r['polars']:.2f} | "
            f"{r['memberkit']['seconds']:.2f} | {speed:.1f} | {verdict(speed >= 5)} |"
        )
    lines.append("")
    speed, r = worst
    targets.append(
        (
            "each report ≥ 5× faster than a polars scan of the exports (10M and the scale)",
            f"worst {speed:.1f}× ({r['report']} at {r['scale']:,})",
            speed >= 5,
        )
    )
    return lines


def _big(results: dict, targets: list) -> list[str]:
    if "big" not in results:
        for label in ("churn-risk ≤ 10 s, ≤ 1 GiB", "workbooks of 200k rows ≤ 5 s",
                      "monthly workbook ≤ 30 s", "`--help` ≤ 0.3 s"):  # fmt: skip
            targets.append((label, "—", None))
        return ["### Big outputs", "", "Not measured.", ""]
    big = results["big"]["value"]
    risk, help_ = big["churn_risk"], big["help"]
    lines = [
        "### Big outputs and start-up",
        "",
        f"Whole commands in a fresh process ({_when(results, 'big')}).",
        "",
        "| command | rows | wall s | peak RSS MiB |",
        "|---|---:|---:|---:|",
        f"| `churn-risk --output FILE.json` | {risk['rows']:,} | {risk['seconds']:.1f} | "
        f"{risk['peak_mib']:.0f} |",
    ]
    for key in ("expiring", "callbacks"):
        b = big[key]
        lines.append(
            f"| `{b['command']} --output FILE.xlsx` | {b['rows']:,} | {b['seconds']:.1f} | "
            f"{b['peak_mib']:.0f} |"
        )
    m = big["monthly"]
    lines += [
        f"| `report --output FILE.xlsx` (the monthly workbook) | | {m['seconds']:.1f} | "
        f"{m['peak_mib']:.0f} |",
        f"| `memberkit --help` (median of 10) | | {help_['seconds']:.2f} | "
        f"{help_['peak_mib']:.0f} |",
        "",
    ]
    targets += [
        (
            "churn-risk ≤ 10 s and ≤ 1 GiB",
            f"{risk['seconds']:.1f} s, {risk['peak_mib']:.0f} MiB ({risk['rows']:,} members)",
            risk["seconds"] <= 10 and risk["peak_mib"] <= GIB,
        ),
    ]
    for key in ("expiring", "callbacks"):
        b = big[key]
        targets.append(
            (
                f"{key} workbook of ~200k rows ≤ 5 s",
                f"{b['seconds']:.1f} s ({b['rows']:,} rows)",
                b["seconds"] <= 5,
            )
        )
    targets += [
        ("monthly workbook ≤ 30 s", f"{m['seconds']:.1f} s", m["seconds"] <= 30),
        ("`--help` ≤ 0.3 s", f"{help_['seconds']:.2f} s", help_["seconds"] <= 0.3),
    ]
    return lines
