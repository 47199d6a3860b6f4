"""Crashes, full disks, folders memberkit may not write, and file permissions: a clear message,
the documented exit code, no half-written file, and the database as it was."""

from __future__ import annotations

import errno
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import MEMBER_HEADER, run_cli, state, write
from memberkit import db

MEMBERKIT = [sys.executable, "-m", "memberkit"]


def memberkit(db_file: Path, *args: object, file_limit: int | None = None, **kw):
    """Run the CLI in a process of its own; `file_limit` caps the size of any file it writes
    (RLIMIT_FSIZE: a write beyond it fails with EFBIG, as on a full disk)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [*MEMBERKIT, "--db", str(db_file), *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=limit if file_limit else None,
        **kw,
    )


LOAD_IDS = ("load_id", "replaced_by_load_id", "started_at", "finished_at")


# -- a full disk --------------------------------------------------------------------------


def test_a_load_that_fills_the_disk_says_so_and_changes_nothing(sample_chain, tmp_path):
    data, base = sample_chain
    db_file = tmp_path / "full.duckdb"
    assert run_cli("--db", db_file, "load", "stores", data / "stores.csv").exit_code == 0
    before = state(db_file)

    result = memberkit(
        db_file, "load", "transactions", data / "transactions.csv", file_limit=300_000
    )

    assert result.returncode == 1, result.stderr
    assert "the disk is full" in result.stderr and "File too large" in result.stderr
    assert "rolled back" in result.stderr and "Traceback" not in result.stderr
    assert state(db_file) == before
    # with room again, the same file loads whole
    again = memberkit(db_file, "load", "transactions", data / "transactions.csv")
    assert again.returncode == 0, again.stderr
    tickets = "select count(*), sum(hash(txn_id, store_id, txn_time, member_id, amount, item_qty))"
    with db.connect(db_file, read_only=True) as now, db.connect(base, read_only=True) as sample_db:
        assert (
            now.execute(f"{tickets} from transactions").fetchall()
            == sample_db.execute(f"{tickets} from transactions").fetchall()
        )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_report_that_fills_the_disk_leaves_no_file(sample_chain, tmp_path, fmt):
    _, db_file = sample_chain
    target = tmp_path / "out" / f"expiring.{fmt}"
    result = memberkit(
        db_file,
        "expiring",
        "--as-of",
        "2026-10-05",
        "--format",
        fmt,
        "--output",
        target,
        file_limit=2_000,
    )
    assert result.returncode == 1, result.stderr
    assert f"cannot write {target}: the disk is full" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(target.parent.iterdir()) == []  # neither the file nor its temporary


# -- folders memberkit may not write -------------------------------------------------------


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a read-only folder for an ordinary
    user; root ignores permissions, so for root a sysfs folder (which refuses new files
    even to root)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
    else:
        folder = Path("/sys/kernel")
    try:
        (folder / "probe").touch()
    except OSError:
        return folder
    raise AssertionError(f"{folder} is writable: this test needs a folder that is not")


def test_output_into_a_folder_that_cannot_be_written(sample_chain, tmp_path):
    _, db_file = sample_chain
    folder = unwritable_folder(tmp_path)
    for fmt in ("xlsx", "csv"):
        target = folder / f"expiring.{fmt}"
        result = memberkit(
            db_file, "expiring", "--as-of", "2026-10-05", "--format", fmt, "--output", target
        )
        assert result.returncode == 2, result.stderr
        assert f"cannot write {target}: Permission denied" in result.stderr
        assert "hint: choose a folder you can write to" in result.stderr
        assert "Traceback" not in result.stderr
        assert not target.exists()


def test_a_database_in_a_folder_that_cannot_be_written(sample_chain, tmp_path):
    data, _ = sample_chain
    db_file = unwritable_folder(tmp_path) / "memberkit.duckdb"
    result = memberkit(db_file, "load", "stores", data / "stores.csv")
    assert result.returncode == 2, result.stderr
    assert f"cannot open the database {db_file}" in result.stderr
    assert "Permission denied" in result.stderr and "--db" in result.stderr
    assert not db_file.exists()


# -- a crash while writing a workbook ------------------------------------------------------

WORKBOOK_KILLS = range(8)


def start_report(db_file: Path, target: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*MEMBERKIT, "--db", str(db_file), "report", "--month", "2026-10", "--output", target],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_writing(child: subprocess.Popen, folder: Path, name: str) -> None:
    """Until the workbook's temporary file appears (or the run is over)."""
    deadline = time.monotonic() + 60
    while child.poll() is None and not any(folder.glob(f".{name}.*")):
        assert time.monotonic() < deadline
        time.sleep(0.001)


@pytest.fixture(scope="module")
def writing_time(sample_chain, tmp_path_factory):
    """How long `memberkit report` writes its workbook on this machine: from the moment its
    temporary file appears to the rename (kill points are drawn within it)."""
    _, db_file = sample_chain
    folder = tmp_path_factory.mktemp("timed")
    child = start_report(db_file, folder / "2026-10.xlsx")
    wait_for_writing(child, folder, "2026-10.xlsx")
    started = time.monotonic()
    while not (folder / "2026-10.xlsx").exists():
        assert child.poll() in (None, 0)
        time.sleep(0.001)
    child.wait()
    return time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("seed", WORKBOOK_KILLS)
def test_a_workbook_killed_while_written_is_never_left_half_written(
    sample_chain, writing_time, tmp_path, seed
):
    """SIGKILL `memberkit report` at a random moment while it writes the workbook: the
    final name holds nothing or the whole workbook, never part of one."""
    _, db_file = sample_chain
    target = tmp_path / "2026-10.xlsx"
    child = start_report(db_file, target)
    wait_for_writing(child, tmp_path, target.name)
    # early in the measured window: on a busy machine it stretches, so a fraction of it
    # would mostly land after the rename
    time.sleep(min(writing_time, 0.1) * random.Random(seed).uniform(0, 1))
    killed = child.poll() is None
    if killed:
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    print(
        f"seed {seed}: {'killed' if killed else 'finished'} ({writing_time:.3f} s to write); "
        f"final file: {target.exists()}"
    )
    if target.exists():
        with zipfile.ZipFile(target) as book:  # whole: every part is there and intact
            assert book.testzip() is None
            assert "xl/workbook.xml" in book.namelist()
        import openpyxl

        assert len(openpyxl.load_workbook(target, read_only=True).sheetnames) >= 5
    else:
        assert killed
    # running again writes it whole
    result = memberkit(db_file, "report", "--month", "2026-10", "--output", target)
    assert result.returncode == 0, result.stderr
    assert zipfile.ZipFile(target).testzip() is None


# -- a crash in the middle of a members load (replacements and history) -----------------------


def members_file(path: Path, count: int, changed_every: int = 0) -> Path:
    lines = [MEMBER_HEADER]
    for i in range(count):
        phone = f"139{i:08d}" if changed_every and i % changed_every == 0 else f"138{i:08d}"
        lines.append(f"M{i:08d},会员{i},女,1990-01-01,{phone},S001,2024-01-01,2026-12-31")
    return write(path, "\n".join(lines) + "\n")


@pytest.mark.slow
def test_a_members_load_killed_at_random_points(tmp_path):
    """The members path deletes replaced rows and keeps them in members_history: killed at
    random points, the database holds what it held before or the finished load."""
    base = tmp_path / "base.duckdb"
    first = members_file(tmp_path / "first.csv", 150_000)
    second = members_file(tmp_path / "second.csv", 300_000, changed_every=10)  # 15k changed
    assert memberkit(base, "load", "members", first).returncode == 0
    before = state(base)
    timed = tmp_path / "timed.duckdb"
    shutil.copy(base, timed)
    started = time.monotonic()
    assert memberkit(timed, "load", "members", second).returncode == 0
    duration = time.monotonic() - started
    after = state(timed, LOAD_IDS)
    assert after["members_history"][0] == 15_000

    outcomes = []
    for seed in range(6):
        db_file = tmp_path / f"kill{seed}.duckdb"
        shutil.copy(base, db_file)
        child = subprocess.Popen(
            [*MEMBERKIT, "--db", str(db_file), "load", "members", str(second)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(duration * random.Random(seed).uniform(0.1, 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        now = state(db_file)
        outcomes.append("before" if now == before else "after")
        if now != before:
            assert state(db_file, LOAD_IDS) == after
        assert memberkit(db_file, "load", "members", second).returncode == 0
        assert state(db_file, LOAD_IDS) == after
    print("members load kills:", outcomes)


# -- permissions -----------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_with_personal_data_are_owner_only_whatever_the_umask(sample_chain, tmp_path):
    data, _ = sample_chain
    old = os.umask(0o022)
    try:
        db_file = tmp_path / "private.duckdb"
        # the WAL lives while a connection has uncommitted checkpoints: look at it then
        con = db.connect(db_file)
        con.execute("create table scratch as select 1 as x")
        assert mode(db_file) == 0o600
        assert mode(Path(f"{db_file}.wal")) == 0o600
        con.close()
        for kind in ("stores", "members", "transactions"):
            assert run_cli("--db", db_file, "load", kind, data / f"{kind}.csv").exit_code == 0
        phones = tmp_path / "expiring.csv"
        result = run_cli(
            "--db", db_file, "expiring", "--as-of", "2026-10-05", "-f", "csv", "-o", phones
        )
        assert result.exit_code == 0 and ",phone," in phones.read_text(encoding="utf-8-sig")
        assert mode(phones) == 0o600
        book = tmp_path / "expiring.xlsx"
        assert (
            run_cli(
                "--db", db_file, "expiring", "--as-of", "2026-10-05", "-o", book, "-f", "xlsx"
            ).exit_code
            == 0
        )
        assert mode(book) == 0o600
        # a report without personal data follows the umask like any other file
        bands = tmp_path / "bands.csv"
        assert (
            run_cli(
                "--db", db_file, "spend-bands", "--month", "2026-10", "-f", "csv", "-o", bands
            ).exit_code
            == 0
        )
        assert mode(bands) == 0o644
    finally:
        os.umask(old)


def test_a_database_shared_with_a_group_keeps_its_wal_shared_the_same(tmp_path):
    db_file = tmp_path / "shared.duckdb"
    db.connect(db_file).close()
    db_file.chmod(0o640)  # an administrator's choice: analysts in the group may read it
    con = db.connect(db_file)
    try:
        con.execute("create table scratch as select 1 as x")
        assert mode(Path(f"{db_file}.wal")) == 0o640
    finally:
        con.close()
    assert mode(db_file) == 0o640


def test_file_errors_name_the_file_and_say_what_to_do():
    from memberkit.errors import EXIT_UNEXPECTED, EXIT_USAGE, environment_error, file_error

    full = file_error("/data/x.xlsx", OSError(errno.ENOSPC, "No space left on device"))
    assert full.exit_code == EXIT_UNEXPECTED
    assert full.message == "cannot write /data/x.xlsx: the disk is full (No space left on device)"
    # an OSError from elsewhere may be a read: said neutrally
    elsewhere = environment_error(OSError(errno.ENOSPC, "No space left on device", "/tmp/x"))
    assert elsewhere.message == "cannot use /tmp/x: the disk is full (No space left on device)"
    denied = environment_error(PermissionError(errno.EACCES, "Permission denied", "/x"))
    assert denied.exit_code == EXIT_USAGE
    assert environment_error(ValueError("not a file problem")) is None


def test_an_unexpected_error_never_prints_the_value_it_choked_on(tmp_path, monkeypatch):
    """A bug's message often quotes the offending value, which may be a phone or a name."""

    def broken(*args, **kwargs):
        raise RuntimeError("Conversion Error: Could not convert string '13812345678' to INT32")

    monkeypatch.setattr(db, "connect", broken)
    result = run_cli("--db", tmp_path / "x.duckdb", "info")
    assert result.exit_code == 1
    assert "unexpected error: RuntimeError: Conversion Error" in result.stderr
    assert "13812345678" not in result.output + result.stderr
    assert "MEMBERKIT_DEBUG=1" in result.stderr


def test_the_rejects_file_is_owner_only_and_excel_runs_none_of_it(tmp_path):
    """--rejects keeps the raw rows (names, phones): owner-only; a raw row or a name that
    starts like a formula is written so that Excel shows it instead of running it."""
    members = write(
        tmp_path / "members.csv",
        f"{MEMBER_HEADER}\n"
        + "".join(
            f"M{i:03d},会员{i},女,1990-01-01,1380000{i:04d},S001,2024-01-01,2026-12-31\n"
            for i in range(200)
        )
        + '=HYPERLINK("http://evil"),x,女,1990-01-01,13800001234,S001,2024-13-01,2026-12-31\n',
    )
    target = tmp_path / "rejects.csv"
    result = run_cli("--db", tmp_path / "r.duckdb", "load", "members", members, "--rejects", target)
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    text = target.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_csv_reports_defuse_names_that_look_like_formulas():
    from memberkit.files import defuse_formula

    assert defuse_formula('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [defuse_formula(v) for v in ("+1", "@SUM(A1)", "-A1", "\t=1")] == [
        "'+1",
        "'@SUM(A1)",
        "'-A1",
        "'\t=1",
    ]
    # SPEC 6: any text starting with '-' (numbers in numeric columns are never text)
    assert defuse_formula("-12.50") == "'-12.50"
    assert [defuse_formula(v) for v in ("王芳", "S001", "")] == ["王芳", "S001", ""]
