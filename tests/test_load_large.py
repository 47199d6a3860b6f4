"""Files larger than one read buffer: DuckDB reads them in parallel, and the loader inserts
the valid rows without keeping their order, then re-reads only the rows that need care.
The line of every reject must still be exact (SPEC 3)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from conftest import TX_HEADER, rows, write
from memberkit.ingest import LoadOptions, load_file

pytestmark = pytest.mark.slow

TX = LoadOptions("transactions", max_reject_ratio=1.0)
ROWS = 800_000  # about 40 MB: several of DuckDB's CSV buffers


def ticket(i: int, amount: str = "12.50") -> str:
    return f"T{i:07d},S{i % 300:03d},2026-03-{1 + i % 28:02d} 10:00:00,M{i % 50_000:05d},{amount},1"


def test_reject_lines_stay_exact_in_a_file_read_in_parallel(con, tmp_path):
    rng = random.Random(7)
    lines = [ticket(i) for i in range(ROWS)]
    expected = {}  # physical line -> (column, reason start)
    for index in rng.sample(range(1, ROWS), 40):
        kind = rng.choice(["amount", "time", "wide", "repeat_diff", "repeat_same"])
        line = index + 2  # the header is line 1
        if kind == "amount":
            lines[index] = ticket(index, "12.5x")
            expected[line] = ("amount", "amount not a number")
        elif kind == "time":
            lines[index] = lines[index].replace("2026-03-", "2026-13-")
            expected[line] = ("txn_time", "bad date/time")
        elif kind == "wide":
            lines[index] += ",extra"
            expected[line] = (None, "too many columns")
        else:
            first = rng.randrange(0, index)
            if first + 2 in expected:
                continue
            same = kind == "repeat_same"
            lines[index] = ticket(first) if same else ticket(first, "99.99")
            if not same:
                reason = f"duplicate txn_id with different content (first at line {first + 2})"
                expected[line] = ("txn_id", reason)
    path = write(tmp_path / "big.csv", "\n".join([TX_HEADER, *lines]) + "\n")

    result = load_file(con, path, TX)

    assert result.rows_read == ROWS
    assert result.rejected == len(expected)
    assert result.loaded + result.duplicates + result.rejected == ROWS
    found = rows(con, "select line, column_name, reason from rejects order by line")
    assert [(line, column) for line, column, _ in found] == [
        (line, column) for line, (column, _) in sorted(expected.items())
    ]
    for (line, _, reason), (_, want) in zip(found, sorted(expected.items()), strict=True):
        assert reason.startswith(want[1]), (line, reason, want)
    # the rows that loaded are the first copy of every id, nothing else
    loaded_ids = rows(con, "select count(*), count(distinct txn_id) from transactions")[0]
    assert loaded_ids[0] == loaded_ids[1] == result.loaded


def test_a_second_export_overlapping_the_first_at_this_size(con, tmp_path):
    first = [ticket(i) for i in range(ROWS)]
    write(tmp_path / "a.csv", "\n".join([TX_HEADER, *first]) + "\n")
    load_file(con, tmp_path / "a.csv", TX)
    # the last 100k tickets again (one of them changed), then 100k new ones
    second = [ticket(i) for i in range(ROWS - 100_000, ROWS + 100_000)]
    second[5000] = ticket(ROWS - 100_000 + 5000, "1.00")
    write(tmp_path / "b.csv", "\n".join([TX_HEADER, *second]) + "\n")

    result = load_file(con, tmp_path / "b.csv", TX)

    assert (result.loaded, result.duplicates, result.rejected) == (100_000, 99_999, 1)
    assert rows(con, "select line, column_name, reason from rejects") == [
        (5002, "txn_id", "txn_id already loaded with different content")
    ]
    total = rows(con, "select count(*), sum(amount) from transactions")[0]
    assert total == (ROWS + 100_000, Decimal("12.50") * (ROWS + 100_000))


LOAD_IN_CHILD = """
import sys
from pathlib import Path
from memberkit import db
from memberkit.ingest import LoadOptions, load_file
con = db.connect(sys.argv[1])
load_file(con, Path(sys.argv[2]), LoadOptions("transactions", max_reject_ratio=1.0))
con.close()
print("done", flush=True)
"""


def _kill_setup(folder):
    """A database holding 100k tickets, and a second file of 500k with 1,000 of them again
    (so its load commits in two steps)."""
    from memberkit import db

    write(folder / "first.csv", "\n".join([TX_HEADER, *(ticket(i) for i in range(100_000))]))
    write(
        folder / "second.csv", "\n".join([TX_HEADER, *(ticket(i) for i in range(99_000, 600_000))])
    )
    con = db.connect(folder / "base.duckdb")
    load_file(con, folder / "first.csv", TX)
    con.close()


def _run_child(db_file, csv_file, kill_after: float | None = None) -> float:
    import os
    import signal
    import subprocess
    import sys
    import time

    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", LOAD_IN_CHILD, str(db_file), str(csv_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return time.monotonic() - start


@pytest.fixture(scope="module")
def kill_data(tmp_path_factory):
    """The files, and how long the second load takes on this machine (kill points are
    fractions of it, so they fall in the same phases on a slow or a fast machine)."""
    import shutil

    folder = tmp_path_factory.mktemp("kill")
    _kill_setup(folder)
    timed = folder / "timed.duckdb"
    shutil.copy(folder / "base.duckdb", timed)
    return folder, _run_child(timed, folder / "second.csv")


@pytest.mark.parametrize("fraction", [0.15, 0.4, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.3])
def test_a_load_killed_at_any_point_leaves_the_database_as_before_or_as_after(
    tmp_path, kill_data, fraction
):
    """SIGKILL the load at points from start-up to the end: the database opens, holds the
    rows it held before or the whole load, never part of it, and loading the file again
    completes it."""
    import shutil

    from memberkit import db

    folder, duration = kill_data
    db_file = tmp_path / "kill.duckdb"
    shutil.copy(folder / "base.duckdb", db_file)
    _run_child(db_file, folder / "second.csv", kill_after=duration * fraction)

    con = db.connect(db_file)
    try:
        count = rows(con, "select count(*), count(distinct txn_id) from transactions")[0]
        assert count[0] == count[1] and count[0] in (100_000, 600_000), count
        statuses = rows(con, "select status, count(*) from loads group by 1 order by 1")
        assert statuses in ([("loaded", 1)], [("loaded", 2)]), statuses
        assert (count[0] == 600_000) == (statuses == [("loaded", 2)])
        result = load_file(con, folder / "second.csv", TX)
        assert result.status in ("loaded", "already_loaded")
        assert rows(con, "select count(*), count(distinct txn_id) from transactions") == [
            (600_000, 600_000)
        ]
    finally:
        con.close()
