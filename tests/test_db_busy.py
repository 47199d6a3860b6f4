"""Another process holding the database: a clear message and exit 4, or a wait."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from conftest import TX_HEADER, run_cli, write
from memberkit import db

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold(db_file: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db_file), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_busy_database_exits_4_naming_the_holder(tmp_path):
    db_file = tmp_path / "busy.duckdb"
    db.connect(db_file).close()
    holder = hold(db_file, 30)
    try:
        path = write(tmp_path / "t.csv", f"{TX_HEADER}\nT1,S001,2026-10-05,M1,1.00,1\n")
        result = run_cli("--db", db_file, "load", "transactions", path)
        assert result.exit_code == 4
        assert f"in use by process {holder.pid}" in result.stderr
        assert "--wait" in result.stderr
        report = run_cli("info", "--db", db_file)
        assert report.exit_code == 4
    finally:
        holder.kill()
        holder.wait()


def test_wait_retries_until_the_holder_is_done(tmp_path):
    db_file = tmp_path / "busy.duckdb"
    db.connect(db_file).close()
    holder = hold(db_file, 1.5)
    try:
        path = write(tmp_path / "t.csv", f"{TX_HEADER}\nT1,S001,2026-10-05,M1,1.00,1\n")
        started = time.monotonic()
        result = run_cli("--db", db_file, "load", "transactions", path, "--wait", "30")
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started < 30
    finally:
        holder.wait()
