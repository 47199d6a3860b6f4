"""The "Spark" section of RESULTS.md from bench_spark.py's results: the export, a local Spark
session's fixed costs, and one month of every report on Spark against DuckDB, as ratios."""

from __future__ import annotations

from churn_risk import write_section as write_section

SCALE = 10_000_000
# with its line end: "## Spark" alone would also match the heading of a quick check
HEADING = "## Spark\n"


def heading(scale: int) -> str:
    if scale == SCALE:
        return HEADING
    return f"## Spark, a quick check at {scale:,} tickets\n"


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def _s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f}"


def section(results: dict) -> str:
    ctx = results["context"]
    export = results["export"]
    lines = [
        heading(ctx["scale"]).rstrip("\n"),
        "",
        f"Written by `make bench-spark` (benchmarks/bench_spark.py) on {ctx['date']}, "
        f"{ctx['machine']}; Python {ctx['python']}, duckdb {ctx['duckdb']}, pyspark "
        f"{ctx['pyspark']} on `{ctx['master']}`"
        + "".join(f", `{k}={v}`" for k, v in ctx.get("conf", {}).items())
        + f". The chain: {ctx['scale']:,} tickets "
        f"(`memberkit sample-data`, {export['members']:,} members, {export['stores']} stores), "
        f"month {ctx['month']}; each report run "
        f"{ctx['repeat']}× per engine; {ctx['minutes']:.1f} min, load average up to "
        f"{ctx['load_average']:.1f} (2 cores: above 2, every second is stretched). Compare "
        "ratios taken within the run.",
        "",
        "### Export",
        "",
        "| | |",
        "|---|---|",
        f"| `memberkit export parquet` (whole process) | {export['seconds']:.1f} s, peak "
        f"{export['peak_mib']:,.0f} MiB |",
        f"| the lake | {export['tables']} tables, {export['files']:,} Parquet files, "
        f"{_gb(export['lake_bytes'])} (the database: {_gb(export['db_bytes'])}) |",
        f"| tickets | {export['tickets']:,} in {export['months']} month folders; the last "
        f"month's folder {_gb(export['month_bytes'])} |",
        "",
        "### Local Spark's fixed costs",
        "",
        f"Starting the session: {results['session_seconds']:.1f} s; registering the lake's "
        f"{export['tables']} tables as views: {results['register_seconds']:.1f} s.",
        "",
        "### One month of every report, in process",
        "",
        "DuckDB: the median of its runs. Spark: the first run (its plans not yet compiled, "
        "files not yet cached) and the median of the later runs. Same rows: Spark's rows equal "
        "DuckDB's (counts and amounts exactly, ratios within 1e-9).",
        "",
        "| report | scope | rows | DuckDB s | Spark first s | Spark s | Spark / DuckDB "
        "| same rows |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    ratios = []
    for row in results["reports"]:
        if "error" in row:
            lines.append(
                f"| {row['report']} | {row['scope']} | {row['rows']:,} | {_s(row['duckdb'])} "
                f"| — | — | — | fails: {row['error']} |"
            )
            continue
        ratio = row["spark"] / row["duckdb"] if row["duckdb"] else float("inf")
        ratios.append(ratio)
        lines.append(
            f"| {row['report']} | {row['scope']} | {row['rows']:,} | {_s(row['duckdb'])} | "
            f"{_s(row['spark_first'])} | {_s(row['spark'])} | {ratio:,.1f}× | "
            f"{'yes' if row['same_rows'] else '**no**'} |"
        )
    if ratios:
        ratios.sort()
        lines += [
            "",
            f"Spark / DuckDB over {len(ratios)} reports: median {ratios[len(ratios) // 2]:,.1f}×, "
            f"from {ratios[0]:,.1f}× to {ratios[-1]:,.1f}×.",
        ]
    commands = results.get("commands")
    if commands:
        duck, spark = commands["duckdb"], commands["spark"]
        lines += [
            "",
            "### The whole command, start-up included",
            "",
            "| `spend-bands --by store --format json` | seconds | peak RSS of the Python process |",
            "|---|---:|---:|",
            f"| DuckDB | {duck['seconds']:.1f} | {duck['peak_mib']:,.0f} MiB |",
            f"| Spark ({ctx['master']}) | {spark['seconds']:.1f} | {spark['peak_mib']:,.0f} MiB "
            "(the JVM beside it not counted) |",
            f"| ratio | {spark['seconds'] / duck['seconds']:,.1f}× | |",
        ]
    return "\n".join(lines) + "\n"
