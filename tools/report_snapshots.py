"""Capture every report's output on the sample chain, and diff two captures.

A developer tool for refactors that must keep every figure and output byte-for-byte (issue
19: one definition per report). Not a test: it compares the code with its own earlier output.

    .venv/bin/python tools/report_snapshots.py capture OUT_DIR [--jobs N]
    .venv/bin/python tools/report_snapshots.py diff A B [--max-lines N]

capture builds a database from sample_data/ with the load commands of the Makefile's `demo`
target (read from the Makefile, same order) in a temporary folder, then runs every report
command in several option sets each (every format: json, csv, the terminal table at
COLUMNS=120 with NO_COLOR=1, and xlsx; a few with --output). Each command's stdout goes to
OUT_DIR/NAME.EXT (or its --output file is NAME.EXT), its stderr, when it says anything, to
NAME.EXT.stderr.txt, and OUT_DIR/commands.txt lists every file with its exact command line and
exit code. Workbooks are kept, and their cell values (openpyxl, from the dev extra) are written
beside them as NAME.xlsx.json (sheet name -> rows of values), which is what diff compares: xlsx
bytes carry the time they were written. Load times and the temporary folder are replaced by
placeholders (see "normalising" below).

Every period is explicit (--month, --year, --as-of, --date), so nothing depends on the day the
capture runs. memberkit is the console script next to sys.executable: run this with the
virtualenv's python.

diff compares two capture folders file by file (NAME.xlsx only by its NAME.xlsx.json), prints a
unified diff of each file that differs and names the files present in only one, and ends with
"N files, all identical" (exit 0) or "K of N files differ" (exit 1; 2 if A or B is no folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEMBERKIT = Path(sys.executable).with_name("memberkit")
DB_NAME = "memberkit.duckdb"

# The sample data's latest month (the Makefile's DEMO_MONTH) and the periods around it.
MONTH = "2026-10"
MONTH_END = "2026-10-31"
PREVIOUS_MONTH = "2026-09"
YEAR = "2025"
STORE = "S004"
REGION = "华南"
COUNT_DATE = "2026-10-31"  # the sample's gift counts are all on this day

# Every command runs with this environment (on top of the caller's, without MEMBERKIT_*), so
# that the terminal tables are 120 columns wide and uncoloured.
ENV = {"COLUMNS": "120", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}


@dataclass(frozen=True)
class Run:
    name: str  # file name without extension; unique
    args: tuple[str, ...]  # after `memberkit --db DB`
    ext: str  # json, csv, txt (terminal table) or xlsx
    expect: int = 0  # the exit code it should have
    outputs: tuple[str, ...] = field(default=())  # files or folders it writes into OUT_DIR


def _fmt(ext: str) -> tuple[str, ...]:
    return ("--format", {"txt": "table"}.get(ext, ext))


# --- what to run -----------------------------------------------------------------------------

# The period options of every period report. "company" is the default scope of the latest month.
PERIODS: dict[str, tuple[str, ...]] = {
    "company": ("--month", MONTH),
    "by-store": ("--month", MONTH, "--by", "store"),
    "by-region": ("--month", MONTH, "--by", "region"),
    f"store-{STORE}": ("--month", MONTH, "--store", STORE),
    "region-huanan": ("--month", MONTH, "--region", REGION),
    f"month-{PREVIOUS_MONTH}": ("--month", PREVIOUS_MONTH),
    f"year-{YEAR}": ("--year", YEAR),
}

# Each period report (command and mode) -> its own options with a non-default value, run once on
# the latest month. Every mode is run in every period of PERIODS as JSON, then once as CSV, as
# the terminal table (zh and en) and as a workbook.
PERIOD_REPORTS: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "spend-bands": (("spend-bands",), {"bands": ("--bands", "50,200,800")}),
    "demographics": (("demographics",), {"age-bands": ("--age-bands", "25,35,45,55")}),
    "spending-power": (("spending-power",), {}),
    "churn": (("churn",), {"inactive-days-90": ("--inactive-days", "90")}),
    "churn-list": (("churn", "--list"), {"inactive-days-90": ("--inactive-days", "90")}),
    "churn-list-risk": (
        ("churn", "--list", "--risk"),
        {"inactive-days-90": ("--inactive-days", "90")},
    ),
    "new-members": (("new-members",), {}),
    "new-members-problems": (("new-members", "--problems"), {"all-members": ("--all-members",)}),
    "grades": (("grades",), {"grade-edges": ("--grade-edges", "300,1000,3000")}),
    "grades-migration": (
        ("grades", "--migration"),
        {"grade-edges": ("--grade-edges", "300,1000,3000")},
    ),
    "complaints": (
        ("complaints",),
        {"by-category": ("--by", "category"), "by-channel": ("--by", "channel")},
    ),
    "complaints-overdue": (("complaints", "--overdue"), {}),
    "callbacks": (
        ("callbacks",),
        {
            "kind-after_sale": ("--kind", "after_sale"),
            "kind-new": ("--kind", "new"),
            "kind-lapsed": ("--kind", "lapsed"),
            "min-amount-500": ("--min-amount", "500"),
            "inactive-days-90": ("--inactive-days", "90"),
            "per-store-3": ("--per-store", "3"),
        },
    ),
    "gifts-issues": (("gifts", "issues"), {}),
}

# Reports with a day instead of a period: name -> (command, {variant: options}); the first
# variant is the one also run as CSV, table and workbook.
DAY_REPORTS: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "churn-risk": (
        ("churn-risk",),
        {
            "company": ("--as-of", MONTH_END),
            "by-store": ("--as-of", MONTH_END, "--by", "store"),
            "by-region": ("--as-of", MONTH_END, "--by", "region"),
            f"store-{STORE}": ("--as-of", MONTH_END, "--store", STORE),
            "region-huanan": ("--as-of", MONTH_END, "--region", REGION),
            "as-of-2026-09-30": ("--as-of", "2026-09-30"),
            "as-of-2025-12-31": ("--as-of", "2025-12-31"),
            "horizon-days-30": ("--as-of", MONTH_END, "--horizon-days", "30"),
        },
    ),
    "expiring": (
        ("expiring",),
        {
            "as-of-2026-10-05": ("--as-of", "2026-10-05"),  # the list for 2026-11
            "as-of-2026-11-05": ("--as-of", "2026-11-05"),  # for 2026-12, the data ends before
            "month-2026-12": ("--as-of", "2026-10-05", "--month", "2026-12"),
            "min-visits-5": ("--as-of", "2026-10-05", "--min-visits", "5"),
            "min-spend-2000": ("--as-of", "2026-10-05", "--min-spend", "2000"),
        },
    ),
    "gifts-stock": (
        ("gifts", "stock"),
        {
            "company": ("--as-of", MONTH_END),
            "location-HQ": ("--as-of", MONTH_END, "--location", "HQ"),
            f"location-{STORE}": ("--as-of", MONTH_END, "--location", STORE),
            "as-of-2025-12-31": ("--as-of", "2025-12-31"),
        },
    ),
    # never --post: it writes adjust moves into the database
    "gifts-reconcile": (
        ("gifts", "reconcile"),
        {
            "latest": (),  # each location's latest count: a fact of the data, not of today
            f"date-{COUNT_DATE}": ("--date", COUNT_DATE),
            f"location-{STORE}": ("--location", STORE),
            "tolerance-1": ("--tolerance", "1"),
        },
    ),
    "gifts-reconcile-summary": (
        ("gifts", "reconcile", "--summary"),
        {
            "latest": (),
            "location-HQ": ("--location", "HQ"),
            "tolerance-1": ("--tolerance", "1"),
        },
    ),
}

# Lists: one list, each row naming its store; --by is a usage error (exit 2).
LISTS = {"churn-list", "churn-list-risk", "new-members-problems", "complaints-overdue", "callbacks"}

# Commands that show a phone column in the terminal: their table once more with --show-phone.
SHOW_PHONE = {
    "churn-list",
    "churn-list-risk",
    "new-members-problems",
    "callbacks",
    "expiring",
}


def runs() -> list[Run]:
    out: list[Run] = []

    def add(name: str, args: tuple[str, ...], ext: str, expect: int = 0) -> None:
        if ext == "xlsx":
            book(name, (*args, "--format", "xlsx", "--output", f"{name}.xlsx"))
        else:
            out.append(Run(name, (*args, *_fmt(ext)), ext, expect))

    def to_file(name: str, args: tuple[str, ...], ext: str) -> None:
        """The same with --output NAME.EXT: files get what stdout does not (a CSV's BOM)."""
        out.append(
            Run(
                name,
                (*args, *_fmt(ext), "--output", f"{name}.{ext}"),
                ext,
                outputs=(f"{name}.{ext}",),
            )
        )

    def book(name: str, args: tuple[str, ...], *more: str) -> None:
        """A command writing the workbook NAME.xlsx (and the files or folders `more`)."""
        out.append(Run(name, args, "xlsx", outputs=(f"{name}.xlsx", *more)))

    add("info", ("info",), "json")
    add("info.loads-3", ("info", "--loads", "3"), "json")
    add("info.table", ("info",), "txt")
    add("check", ("check",), "json")
    add("check.table", ("check",), "txt")

    for report, (command, own) in PERIOD_REPORTS.items():
        for variant, period in PERIODS.items():
            if report in LISTS and "--by" in period:
                continue
            add(f"{report}.{variant}", (*command, *period), "json")
        for variant, options in own.items():
            add(f"{report}.{variant}", (*command, *PERIODS["company"], *options), "json")
        company = (*command, *PERIODS["company"])
        add(f"{report}.company", company, "csv")
        to_file(f"{report}.company.output", company, "csv")
        add(f"{report}.company.table", company, "txt")
        add(f"{report}.company.table-en", (*company, "--lang", "en"), "txt")
        if report in SHOW_PHONE:
            add(f"{report}.company.table-show-phone", (*company, "--show-phone"), "txt")
        add(f"{report}.company", company, "xlsx")

    for report, (command, variants) in DAY_REPORTS.items():
        for variant, options in variants.items():
            add(f"{report}.{variant}", (*command, *options), "json")
        first, options = next(iter(variants.items()))
        base = (*command, *options)
        add(f"{report}.{first}", base, "csv")
        to_file(f"{report}.{first}.output", base, "csv")
        add(f"{report}.{first}.table", base, "txt")
        add(f"{report}.{first}.table-en", (*base, "--lang", "en"), "txt")
        if report in SHOW_PHONE:
            add(f"{report}.{first}.table-show-phone", (*base, "--show-phone"), "txt")
        add(f"{report}.{first}", base, "xlsx")
    # churn-risk by store: a second table of units (also in JSON and the workbook's first sheet)
    by_store = (*DAY_REPORTS["churn-risk"][0], *DAY_REPORTS["churn-risk"][1]["by-store"])
    add("churn-risk.by-store", by_store, "csv")
    add("churn-risk.by-store.table", by_store, "txt")
    add("churn-risk.by-store", by_store, "xlsx")
    # JSON and the terminal table written to a file, once
    to_file(
        "spend-bands.company.output",
        (*PERIOD_REPORTS["spend-bands"][0], *PERIODS["company"]),
        "json",
    )
    to_file(
        "spend-bands.company.output",
        (*PERIOD_REPORTS["spend-bands"][0], *PERIODS["company"]),
        "txt",
    )
    # a count line that does not match the book: exit 5
    add("gifts-reconcile.fail-on-variance", ("gifts", "reconcile", "--fail-on-variance"), "json", 5)

    # the expiring list as cron writes it: the all-stores workbook and one per store in a folder
    name = "expiring.split-by-store"
    args = f"expiring --as-of 2026-10-05 --format xlsx --output {name}.xlsx --split-by-store"
    book(name, (*args.split(), f"{name}.d"), f"{name}.d")
    # blind count sheets (a form: xlsx only)
    for location, lang in (("HQ", "zh"), (STORE, "en")):
        name = f"gifts-count-sheet.{location}-{lang}"
        args = f"gifts count-sheet --location {location} --date {COUNT_DATE} --lang {lang}"
        book(name, (*args.split(), "--output", f"{name}.xlsx"))
    # the monthly workbook
    workbooks = {**PERIODS, "by-store-en": ("--month", MONTH, "--by", "store", "--lang", "en")}
    for variant, options in workbooks.items():
        name = f"report.{variant}"
        book(name, ("report", *options, "--output", f"{name}.xlsx"))

    names = [f"{r.name}.{r.ext}" for r in out]
    assert len(names) == len(set(names)), "two runs write the same file"
    return out


# --- normalising -----------------------------------------------------------------------------

# What may differ between two captures of the same code becomes a placeholder of the same width
# (so terminal tables keep their layout):
# - the time of a load (info's "finished" column and finished_at, the workbook cover's recent
#   loads) and the time a workbook was generated: a date of the capture's run followed by a
#   time of day, on the same line (a space or T between them; fractions of any length), or on
#   the next line at the same terminal column, where a table wraps its cell ->
#   YYYY-MM-DD hh:mm:ss.ffffff;
# - the temporary folder holding the database -> <TMP>, the capture folder -> <OUT>.
# A run date without a time of day is data and stays: the sample's members expire on
# 2026-12-04 too. (A data time on a run date would be hidden; the sample data end in 2026-10.)


def normaliser(run_days: list[str], paths: dict[str, str]):
    days = "|".join(re.escape(d) for d in run_days)
    with_time = re.compile(rf"(?<!\d)(?:{days})([ T])\d\d:\d\d(:\d\d)?(\.\d+)?(?![\d:])")
    alone = re.compile(rf"(?<!\d)(?:{days})(?![\d:]|[ T]\d)")
    wrapped_time = re.compile(r"\d\d:\d\d(:\d\d)?(?![\d:])")

    def placeholder(m: re.Match[str]) -> str:
        return f"YYYY-MM-DD{m[1]}hh:mm" + (":ss" if m[2] else "") + (".ffffff" if m[3] else "")

    def normalise(text: str) -> str:
        for path, name in paths.items():
            text = text.replace(path, name)
        lines = text.split("\n")
        for i, line in enumerate(lines):
            line = with_time.sub(placeholder, line)
            below = lines[i + 1] if i + 1 < len(lines) else ""
            columns_below = {c: j for j, c in enumerate(_columns(below))}
            columns = _columns(line)
            for m in reversed(list(alone.finditer(line))):
                j = columns_below.get(columns[m.start()])
                time_below = wrapped_time.match(below, j) if j is not None else None
                if time_below and (j == 0 or not below[j - 1].isdigit()):
                    line = line[: m.start()] + "YYYY-MM-DD" + line[m.end() :]
                    shape = "hh:mm:ss" if time_below[1] else "hh:mm"
                    below = below[:j] + shape + below[time_below.end() :]
            lines[i] = line
            if i + 1 < len(lines):
                lines[i + 1] = below
        return "\n".join(lines)

    return normalise


def _columns(line: str) -> list[int]:
    """The terminal column each character of `line` starts at (CJK characters are two wide)."""
    columns, column = [], 0
    for char in line:
        columns.append(column)
        column += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return columns


# --- workbooks -------------------------------------------------------------------------------


def _cell(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return "NaN"
    return value


def workbook_json(path: Path) -> str:
    """The cell values of a workbook, sheet name -> rows, one row a line."""
    try:
        import openpyxl
    except ImportError:
        sys.exit("openpyxl is missing: install memberkit's dev extra (pip install -e '.[dev]')")
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        parts = []
        for sheet in book.worksheets:
            rows = [
                json.dumps([_cell(v) for v in row], ensure_ascii=False)
                for row in sheet.iter_rows(values_only=True)
            ]
            body = ",\n".join(f"    {r}" for r in rows)
            name = json.dumps(sheet.title, ensure_ascii=False)
            parts.append(f"  {name}: [\n{body}\n  ]" if rows else f"  {name}: []")
    finally:
        book.close()
    return "{\n" + ",\n".join(parts) + "\n}\n"


# --- capture ---------------------------------------------------------------------------------


def demo_loads() -> list[list[str]]:
    """The `memberkit ... load KIND FILE` commands of the Makefile's demo target, in order."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    m = re.search(r"^demo:.*?\n((?:\t.*\n|#.*\n|\n)*)", makefile, re.M)
    if m is None:
        sys.exit("no demo target in the Makefile")
    loads = []
    for line in m.group(1).splitlines():
        found = re.match(r"\t\$\(BIN\)/memberkit --db \$\(DEMO_DB\) (load .*)$", line)
        if found:
            loads.append(shlex.split(found.group(1)))
    if not loads:
        sys.exit("the Makefile's demo target loads nothing")
    return loads


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERKIT_")}
    env.update(ENV)
    return env


def command_line(args: list[str]) -> str:
    return shlex.join(["memberkit", *args])


def capture(out_dir: Path, jobs: int) -> int:
    if not MEMBERKIT.exists():
        sys.exit(f"no memberkit next to {sys.executable}: run this with the virtualenv's python")
    if out_dir.exists() and any(out_dir.iterdir()):
        sys.exit(f"{out_dir} is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    out_dir = out_dir.resolve()
    started = time.monotonic()
    first_day = dt.date.today()
    env = environment()
    listing: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="report-snapshots-"))
    try:
        db = tmp / DB_NAME
        paths = {str(tmp): "<TMP>", str(out_dir): "<OUT>"}
        for path in list(paths):
            real = os.path.realpath(path)
            if real != path:
                paths[real] = paths[path]
        db_args = ["--db", str(db)]

        # the demo database: every load must succeed
        for load in demo_loads():
            args = [*db_args, *load]
            done = subprocess.run(
                [str(MEMBERKIT), *args], cwd=REPO, env=env, capture_output=True, timeout=600
            )
            if done.returncode != 0:
                sys.stderr.write(done.stderr.decode("utf-8", "replace"))
                sys.exit(f"{command_line(args)} failed (exit {done.returncode})")
            name = "load." + load[1]
            (out_dir / f"{name}.txt").write_bytes(done.stdout)
            if done.stderr:
                (out_dir / f"{name}.txt.stderr.txt").write_bytes(done.stderr)
            listing.append(_listed(f"{name}.txt", args, done.returncode, bool(done.stderr)))
        print(f"database built in {time.monotonic() - started:.1f} s", file=sys.stderr)

        todo = runs()

        def one(run: Run):
            args = [*db_args, *run.args]
            done = subprocess.run(
                [str(MEMBERKIT), *args], cwd=out_dir, env=env, capture_output=True, timeout=600
            )
            return run, args, done

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, todo))

        run_days = [first_day.isoformat()]
        day = first_day
        while day < dt.date.today():
            day += dt.timedelta(days=1)
            run_days.append(day.isoformat())
        normalise = normaliser(run_days, paths)

        def write(path: Path, data: bytes) -> None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                path.write_bytes(data)
            else:
                path.write_text(normalise(text), encoding="utf-8", newline="")

        # the loads' output (run in the repository, naming sample_data/...) is normalised too
        for file in sorted(out_dir.glob("load.*")):
            write(file, file.read_bytes())

        unexpected = []
        for run, args, done in results:
            if done.returncode != run.expect:
                unexpected.append(f"{run.name}.{run.ext}: exit {done.returncode}")
            if not run.outputs:
                write(out_dir / f"{run.name}.{run.ext}", done.stdout)
            elif done.stdout:
                write(out_dir / f"{run.name}.{run.ext}.stdout.txt", done.stdout)
            if done.stderr:
                write(out_dir / f"{run.name}.{run.ext}.stderr.txt", done.stderr)
            for file in run.outputs:
                if run.ext != "xlsx" and (out_dir / file).is_file():
                    write(out_dir / file, (out_dir / file).read_bytes())
            for file in run.outputs or [f"{run.name}.{run.ext}"]:
                listing.append(_listed(file, args, done.returncode, bool(done.stderr)))

        for book in sorted(out_dir.rglob("*.xlsx")):
            json_path = book.with_name(book.name + ".json")
            json_path.write_text(normalise(workbook_json(book)), encoding="utf-8")

        header = [
            "# memberkit report snapshots: FILE <TAB> exit code <TAB> command line",
            "# reports run in the capture folder, loads in the repository, all with "
            + " ".join(f"{k}={v}" for k, v in ENV.items())
            + " and no MEMBERKIT_* variable",
            "# <TMP> is the temporary folder of the database, <OUT> the capture folder; FILE is",
            "# the command's stdout, or the file it writes with --output (its stdout, if any, then",
            "# in FILE.stdout.txt); its stderr, when it has any, is in FILE.stderr.txt; workbooks",
            "# (and those in a folder a command writes) are compared by their cell values in",
            "# NAME.xlsx.json",
        ]
        lines = [normalise(line) for line in listing]
        (out_dir / "commands.txt").write_text("\n".join([*header, *lines]) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    files = sum(1 for p in out_dir.rglob("*") if p.is_file())
    took = time.monotonic() - started
    print(
        f"{len(results)} report commands, {files} files -> {out_dir} in {took:.0f} s",
        file=sys.stderr,
    )
    if unexpected:
        print("unexpected exit codes (recorded in commands.txt):", file=sys.stderr)
        for line in unexpected:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def _listed(file: str, args: list[str], code: int, stderr: bool) -> str:
    return f"{file}\t{code}\t{command_line(args)}" + ("\t(+ stderr)" if stderr else "")


# --- diff ------------------------------------------------------------------------------------


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def diff(a: Path, b: Path, max_lines: int) -> int:
    for folder in (a, b):
        if not folder.is_dir():
            print(f"{folder} is not a folder", file=sys.stderr)
            return 2  # not 1: that says the captures differ
    names_a, names_b = _files(a), _files(b)
    # a workbook's bytes carry the time it was written: it is compared by its .xlsx.json, and
    # counted only when it is in one capture alone
    both = names_a & names_b
    names = sorted(n for n in names_a | names_b if not (n.endswith(".xlsx") and n in both))
    differing = 0
    for name in names:
        if name not in both:
            print(f"only in {a if name in names_a else b}: {name}")
            differing += 1
            continue
        left, right = (a / name).read_bytes(), (b / name).read_bytes()
        if left == right:
            continue
        differing += 1
        lines = list(
            difflib.unified_diff(
                left.decode("utf-8", "replace").splitlines(keepends=True),
                right.decode("utf-8", "replace").splitlines(keepends=True),
                fromfile=f"{a}/{name}",
                tofile=f"{b}/{name}",
            )
        )
        if not lines:  # the same text with other bytes (invalid UTF-8)
            lines = [f"--- {a}/{name}\n", f"+++ {b}/{name}\n", "binary contents differ\n"]
        shown = lines if max_lines <= 0 else lines[:max_lines]
        for line in shown:
            end = "" if line.endswith("\n") else "\n\\ No newline at end of file\n"
            sys.stdout.write(line + end)
        if len(shown) < len(lines):
            print(f"... {len(lines) - len(shown)} more diff lines of {name} (--max-lines 0: all)")
    total = len(names)
    if differing:
        print(f"{differing} of {total} files differ")
        return 1
    print(f"{total} files, all identical")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cap = commands.add_parser("capture", help="run every report on the sample chain into OUT_DIR")
    cap.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a new or empty folder")
    cap.add_argument("--jobs", type=int, default=1, help="reports run at once (default 1)")
    dif = commands.add_parser("diff", help="compare two captures; exit 1 if they differ")
    dif.add_argument("a", type=Path, metavar="A")
    dif.add_argument("b", type=Path, metavar="B")
    dif.add_argument(
        "--max-lines", type=int, default=200, help="diff lines shown per file (default 200; 0: all)"
    )
    args = parser.parse_args()
    if args.command == "capture":
        return capture(args.out_dir, max(1, args.jobs))
    return diff(args.a, args.b, args.max_lines)


if __name__ == "__main__":
    sys.exit(main())
