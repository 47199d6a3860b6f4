"""What a loaded row does to what is stored (issue 17, SPEC 3 and 3.1): partial files replace
only their own columns, a file of another kind is refused, every gift-move row is a movement,
and a load that fills the disk says so and leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

from conftest import MEMBER_HEADER, fingerprint, write
from memberkit import db
from test_faults import memberkit

# --- a full disk in the middle of a load with repeats (issue case 11) ----------------------


def members_csv(path: Path, ids: range) -> Path:
    lines = [MEMBER_HEADER] + [
        f"M{i:06d},会员{i},女,1990-01-01,138{i:08d},S001,2024-01-01,2026-12-31" for i in ids
    ]
    return write(path, "\n".join(lines) + "\n")


def test_a_full_disk_during_a_load_with_repeats_says_the_disk_is_full(tmp_path):
    """A members file that repeats stored members commits its bulk rows first; when that
    COMMIT fails for lack of room, DuckDB has no transaction left to roll back, and the load
    used to report "cannot rollback - no transaction is active" instead of the full disk."""
    db_file = tmp_path / "full.duckdb"
    first = memberkit(db_file, "load", "members", members_csv(tmp_path / "a.csv", range(3000)))
    assert first.returncode == 0, first.stderr
    con = db.connect(db_file, read_only=True)
    try:
        before = fingerprint(con)
    finally:
        con.close()
    second = members_csv(tmp_path / "b.csv", range(1500, 6000))  # 1,500 repeats, 3,000 new
    # any file may grow to 100 kB (RLIMIT_FSIZE): the WAL of the first COMMIT cannot
    result = memberkit(db_file, "load", "members", second, file_limit=100_000)
    assert result.returncode == 1, result.stderr
    assert "the database could not be written: the disk is full" in result.stderr
    assert "File too large" in result.stderr
    assert "rollback" not in result.stderr and "Traceback" not in result.stderr
    con = db.connect(db_file, read_only=True)  # undoes a committed first part, if any
    try:
        assert fingerprint(con) == before
    finally:
        con.close()
    again = memberkit(db_file, "load", "members", second)
    assert again.returncode == 0, again.stderr
    assert "4,500 read, 3,000 loaded, 0 replaced, 1,500 duplicate, 0 rejected" in again.stdout
