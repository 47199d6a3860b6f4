"""What a loaded row does to what is stored (issue 17, SPEC 3 and 3.1): partial files replace
only their own columns, a file of another kind is refused, every gift-move row is a movement,
and a load that fills the disk says so and leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MEMBER_HEADER, fingerprint, rows, run_cli, write
from memberkit import db
from memberkit.ingest.kinds import KINDS, Kind, map_header
from test_faults import memberkit


def state(db_file: Path) -> dict:
    con = db.connect(db_file, read_only=True)
    try:
        return fingerprint(con)
    finally:
        con.close()


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
    before = state(db_file)
    second = members_csv(tmp_path / "b.csv", range(1500, 6000))  # 1,500 repeats, 3,000 new
    # any file may grow to 100 kB (RLIMIT_FSIZE): the WAL of the first COMMIT cannot
    result = memberkit(db_file, "load", "members", second, file_limit=100_000)
    assert result.returncode == 1, result.stderr
    assert "the database could not be written: the disk is full" in result.stderr
    assert "File too large" in result.stderr
    assert "rollback" not in result.stderr and "Traceback" not in result.stderr
    assert state(db_file) == before  # (opening undoes a committed first part, if any)
    again = memberkit(db_file, "load", "members", second)
    assert again.returncode == 0, again.stderr
    assert "4,500 read, 3,000 loaded, 0 replaced, 1,500 duplicate, 0 rejected" in again.stdout


# --- a file of another kind (issue case 2, SPEC 3.1 Partial files) -------------------------

SAMPLE_FILES = {  # kind -> the file `memberkit sample-data` writes for it
    "stores": "stores.csv",
    "members": "members.csv",
    "transactions": "transactions.csv",
    "targets": "targets.csv",
    "gifts": "gifts.csv",
    "gift-moves": "gift_moves.csv",
    "gift-counts": "gift_counts.csv",
    "complaints": "complaints.csv",
}


def test_stores_asked_for_a_targets_file_is_refused_naming_targets(db_path, tmp_path):
    """`load stores targets.csv` used to replace every store with one without a name or
    region: stores need only store_id, which a targets file has."""
    stores = write(
        tmp_path / "stores.csv", "门店编号,门店名称,区域\nS001,徐汇店,华东\nS002,天河店,华南\n"
    )
    assert run_cli("--db", db_path, "load", "stores", stores).exit_code == 0
    targets = write(
        tmp_path / "targets.csv", "月份,门店编号,目标销售额\n2026-10,S001,480000\n2026-10,S002,1\n"
    )
    result = run_cli("--db", db_path, "load", "stores", targets)
    assert result.exit_code == 3, result.output
    assert (
        f"memberkit: {targets}: its headers fit a targets file, not stores: 3 of its 3 columns "
        "are targets columns, 1 are stores columns; nothing was loaded"
    ) in result.stderr
    assert "`memberkit load targets ...`" in result.stderr
    con = db.connect(db_path, read_only=True)
    try:
        assert rows(con, "select store_id, store_name, region from stores order by 1") == [
            ("S001", "徐汇店", "华东"),
            ("S002", "天河店", "华南"),
        ]
        assert rows(con, "select count(*) from loads") == [(1,)]  # no ledger row either
    finally:
        con.close()
    # and as what it is, it loads
    assert run_cli("--db", db_path, "load", "targets", targets).exit_code == 0


def test_every_sample_file_loads_as_its_own_kind_and_no_other(db_path, tmp_path):
    """All kinds × all files `memberkit sample-data` writes: a file asked to load as another
    kind is refused (exit 3: columns missing, or a better-fitting kind named) and changes
    nothing; as its own kind it loads."""
    data = tmp_path / "sample"
    made = run_cli("sample-data", data, "--tickets", "300", "--members", "40", "--months", "2")
    assert made.exit_code == 0, made.output
    db.connect(db_path).close()
    for own, name in SAMPLE_FILES.items():  # in an order that loads stores before counts
        path = data / name
        before = state(db_path)
        for kind in SAMPLE_FILES:
            if kind == own:
                continue
            result = run_cli("--db", db_path, "load", kind, path)
            assert result.exit_code == 3, (own, kind, result.output)
            refusal = f"memberkit: {path}: "
            assert refusal + "missing required column" in result.stderr or (
                refusal + f"its headers fit a {own} file, not {kind}" in result.stderr
            ), (own, kind, result.stderr)
        assert state(db_path) == before, own
        result = run_cli("--db", db_path, "load", own, path)
        assert result.exit_code == 0, (own, result.output)
        assert "0 rejected" in result.stdout, (own, result.output)


def variants(kind: Kind) -> list[list[str]]:
    """Headers a file of `kind` may have: canonical names, each alias in turn, only the
    required columns, and the informational headers of its form."""
    canonical = [c.name for c in kind.columns]
    found = [canonical, canonical + list(kind.informational)]
    for i in range(max(len(c.aliases) for c in kind.columns)):
        found.append(
            [c.aliases[min(i, len(c.aliases) - 1)] if c.aliases else c.name for c in kind.columns]
        )
    found.append([c.name for c in kind.columns if c.required])
    found.append([c.aliases[0] if c.aliases else c.name for c in kind.columns if c.required])
    return found


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_own_headers_are_its_own(name):
    kind = KINDS[name]
    for header in variants(kind):
        positions, _ = map_header(header, kind, "f.csv", {})
        assert {c.name for c in kind.columns if c.required} <= set(positions), header
