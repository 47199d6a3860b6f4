"""Real processes sharing one database: a load holds it, reports and the cron job wait or say
who holds it (exit 4), two loads never interleave, and every row ends up loaded exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import TX_HEADER

pytestmark = pytest.mark.slow

MEMBERKIT = [sys.executable, "-m", "memberkit"]
SAMPLE_MEMBERS = 2000  # `memberkit sample-data` defaults: M00000001 .. M00002000


def memberkit(db_file: Path, *args: object, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [*MEMBERKIT, "--db", str(db_file), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


def tickets(path: Path, first: int, count: int) -> Path:
    """`count` tickets numbered from `first`, all sample members, dated in 2026 before
    October: enough visits and spend that every member earns the fee waiver."""
    with path.open("w", encoding="utf-8") as f:
        f.write(TX_HEADER + "\n")
        for i in range(first, first + count):
            f.write(
                f"X{i:09d},S00{1 + i % 8},2026-{1 + i % 9:02d}-{1 + i % 28:02d} 10:00:00,"
                f"M{1 + i % SAMPLE_MEMBERS:08d},{10 + i % 90}.50,1\n"
            )
    return path


def wait_until_locked(db_file: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until `process` holds the database (DuckDB's lock: a read-only open is refused)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the load ended before it was seen holding the database"
        try:
            duckdb.connect(str(db_file), read_only=True).close()
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                return
            raise
        time.sleep(0.01)
    raise AssertionError("the load never took the database")


def ticket_counts(db_file: Path) -> tuple[int, int]:
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return con.execute("select count(*), count(distinct txn_id) from transactions").fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def chain(sample_chain, tmp_path_factory):
    """The sample chain's database, and a 2M-ticket file whose load takes seconds."""
    _, base = sample_chain
    folder = tmp_path_factory.mktemp("chain")
    big = tickets(folder / "big.csv", 0, 2_000_000)
    return folder, base, big


def copy_db(base: Path, target: Path) -> Path:
    target.write_bytes(base.read_bytes())
    return target


EXPIRING = ("expiring", "--as-of", "2026-10-05", "--format", "json")


def test_a_report_and_the_cron_job_started_during_a_long_load(chain, tmp_path):
    """The report without --wait exits 4 naming the loading process; the cron job with
    --wait waits for the load, then lists members as they are after it."""
    _, base, big = chain
    db_file = copy_db(base, tmp_path / "busy.duckdb")
    before = json.loads(finish(memberkit(db_file, *EXPIRING))[1])
    assert before["rows"], "the sample must have members to list, or the check below is empty"

    # --wait: the polling below opens the database for an instant now and then
    load = memberkit(db_file, "load", "transactions", big, "--wait", 60)
    wait_until_locked(db_file, load)
    report = memberkit(db_file, "spend-bands", "--month", "2026-09")
    cron = memberkit(db_file, *EXPIRING, "--wait", "300")
    code, stdout, stderr = finish(report)
    load_still_running = load.poll() is None
    assert load_still_running, "the load finished too soon for this test to mean anything"
    assert code == 4, stderr
    assert f"in use by process {load.pid} (memberkit load transactions {big} --wait 60)" in stderr
    assert "--wait" in stderr and "Traceback" not in stderr
    assert stdout == ""

    load_code, load_out, load_err = finish(load)
    assert load_code == 0, load_err
    assert "2,000,000 read, 2,000,000 loaded" in load_out
    cron_code, cron_out, cron_err = finish(cron)
    assert cron_code == 0, cron_err
    assert "waiting up to 300 s" in cron_err  # said once, for the cron log
    after = json.loads(cron_out)
    again = json.loads(finish(memberkit(db_file, *EXPIRING))[1])
    assert after == again  # it saw the whole load, not part of it
    assert after != before  # and the load did change the list (every member earned the waiver)
    assert after["rows"] == []


def test_reports_share_the_database_and_a_load_waits_for_them(chain, tmp_path):
    _, base, _ = chain
    db_file = copy_db(base, tmp_path / "shared.duckdb")
    # a reader that keeps the database open for a while (a long report)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "print('open', flush=True)\ntime.sleep(3)\n",
            str(db_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "open"
    reports = [memberkit(db_file, "spend-bands", "--month", m) for m in ("2026-09", "2026-10")]
    small = tickets(tmp_path / "small.csv", 5_000_000, 1000)
    refused = finish(memberkit(db_file, "load", "transactions", small))
    waited = memberkit(db_file, "load", "transactions", small, "--wait", "60")
    for report in reports:
        code, stdout, stderr = finish(report)
        assert code == 0, stderr
        assert "会员消费水平分析" in stdout
    assert refused[0] == 4, refused
    assert f"in use by process {holder.pid}" in refused[2]
    code, stdout, stderr = finish(waited)
    assert code == 0, stderr
    assert "1,000 read, 1,000 loaded" in stdout
    holder.wait()


def two_files(tmp_path: Path) -> tuple[Path, Path, int]:
    """Two 1M-ticket exports that share 200k identical tickets: 1.8M distinct in all."""
    first = tickets(tmp_path / "a.csv", 0, 1_000_000)
    second = tickets(tmp_path / "b.csv", 800_000, 1_000_000)
    return first, second, 1_800_000


def test_two_loads_at_once_with_wait_both_load_and_every_row_once(chain, tmp_path):
    _, base, _ = chain
    db_file = copy_db(base, tmp_path / "two.duckdb")
    before, _ = ticket_counts(db_file)
    first, second, distinct = two_files(tmp_path)
    loads = [memberkit(db_file, "load", "transactions", f, "--wait", 300) for f in (first, second)]
    results = [finish(p) for p in loads]
    assert [code for code, _, _ in results] == [0, 0], results
    outputs = sorted(stdout for _, stdout, _ in results)
    # whichever ran second found the 200k shared tickets already loaded
    summaries = sorted(
        ("200,000 duplicate" in o, "1,000,000 read" in o and "0 rejected" in o) for o in outputs
    )
    assert summaries == [(False, True), (True, True)], outputs
    assert ticket_counts(db_file) == (before + distinct, before + distinct)


def test_two_loads_at_once_without_wait_the_loser_exits_4_and_loads_later(chain, tmp_path):
    _, base, _ = chain
    db_file = copy_db(base, tmp_path / "race.duckdb")
    before, _ = ticket_counts(db_file)
    first, second, distinct = two_files(tmp_path)
    loads = {f: memberkit(db_file, "load", "transactions", f) for f in (first, second)}
    results = {f: finish(p) for f, p in loads.items()}
    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 4], results
    loser = next(f for f, (code, _, _) in results.items() if code == 4)
    winner = next(f for f in loads if f != loser)
    assert f"in use by process {loads[winner].pid}" in results[loser][2]
    # the loser changed nothing: the database holds exactly the winner's file
    assert ticket_counts(db_file) == (before + 1_000_000, before + 1_000_000)
    code, stdout, stderr = finish(memberkit(db_file, "load", "transactions", loser))
    assert code == 0, stderr
    assert "1,000,000 read, 800,000 loaded, 200,000 duplicate, 0 rejected" in stdout
    assert ticket_counts(db_file) == (before + distinct, before + distinct)
