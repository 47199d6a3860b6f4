"""Files larger than one read buffer: DuckDB reads them in parallel, and the loader inserts
the valid rows without keeping their order, then re-reads only the rows that need care.
The line of every reject must still be exact (SPEC 3)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from conftest import TX_HEADER, fingerprint, rows, write
from memberkit.ingest import LoadOptions, load_file
from test_real_values import BAD_TIME

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
            expected[line] = ("txn_time", BAD_TIME)
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


def run_load(db_file, csv_file, kill_after: float | None = None) -> float:
    """`memberkit load transactions` in a process of its own, SIGKILLed after `kill_after`
    seconds if given; returns how long it ran."""
    import os
    import signal
    import subprocess
    import sys
    import time

    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "memberkit", "--db", str(db_file), "load", "transactions"]
        + [str(csv_file), "--max-reject-ratio", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return time.monotonic() - start


@pytest.fixture(scope="module")
def kill_data(tmp_path_factory):
    """The files, the database before the second load and after it, and how long that load
    takes on this machine (kill points are drawn as fractions of it, so that they spread
    over the same phases on a slow or a fast machine)."""
    import shutil

    from memberkit import db

    folder = tmp_path_factory.mktemp("kill")
    _kill_setup(folder)
    timed = folder / "timed.duckdb"
    shutil.copy(folder / "base.duckdb", timed)
    duration = run_load(timed, folder / "second.csv")
    states = {}
    for name in ("base", "timed"):
        con = db.connect(folder / f"{name}.duckdb", read_only=True)
        states[name] = fingerprint(con)
        con.close()
    assert states["timed"]["transactions"][0] == 600_000
    return folder, duration, states["base"], states["timed"]


KILL_SEEDS = range(12)


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_a_load_killed_at_a_random_point_leaves_the_database_as_before_or_as_after(
    tmp_path, kill_data, seed
):
    """SIGKILL the load at a random point from start-up to past its end: the database opens
    and holds exactly the rows it held before (or, killed after the commit, exactly those
    of a finished load), never part of it; loading the file again completes it."""
    import random
    import shutil

    from memberkit import db

    folder, duration, before, after = kill_data
    db_file = tmp_path / "kill.duckdb"
    shutil.copy(folder / "base.duckdb", db_file)
    kill_after = duration * random.Random(seed).uniform(0.05, 1.15)
    run_load(db_file, folder / "second.csv", kill_after=kill_after)

    con = db.connect(db_file)
    try:
        state = fingerprint(con)
        print(f"seed {seed}: killed after {kill_after:.2f} of {duration:.2f} s:", end=" ")
        print("as before" if state == before else "as after")
        if state != before:
            # a finished load: the same rows as the timed run (the ledger's times differ)
            assert {t: v for t, v in state.items() if t != "loads"} == {
                t: v for t, v in after.items() if t != "loads"
            }
            assert rows(con, "select count(*) from loads where status = 'loaded'") == [(2,)]
    finally:
        con.close()
    assert run_load(db_file, folder / "second.csv") >= 0
    con = db.connect(db_file, read_only=True)
    try:
        assert rows(con, "select count(*), count(distinct txn_id) from transactions") == [
            (600_000, 600_000)
        ]
        assert rows(con, "select status, rows_loaded, rows_duplicate from loads order by 1, 2") == [
            ("loaded", 100_000, 0),
            ("loaded", 500_000, 1_000),
        ]
    finally:
        con.close()
