"""What a loaded row does to what is stored (issue 17, SPEC 3 and 3.1): partial files replace
only their own columns, a file of another kind is refused, every gift-move row is a movement,
and a load that fills the disk says so and leaves the database as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MEMBER_HEADER, fingerprint, rows, run_cli, write
from memberkit import db
from memberkit.ingest.headers import map_header
from memberkit.ingest.kinds import KINDS, Kind
from test_faults import memberkit
from test_hostile_input import check_load, only_load


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
        "are targets columns, only 1 is a stores column; nothing was loaded"
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
    """All kinds × all files `memberkit sample-data` writes: each loads as its own kind, and
    as any other kind is refused (exit 3: columns missing, or a better-fitting kind named)
    and changes nothing."""
    data = tmp_path / "sample"
    made = run_cli("sample-data", data, "--tickets", "300", "--members", "40", "--months", "2")
    assert made.exit_code == 0, made.output
    for own, name in SAMPLE_FILES.items():  # in an order that loads stores before counts
        result = run_cli("--db", db_path, "load", own, data / name)
        assert result.exit_code == 0, (own, result.output)
        assert "0 rejected" in result.stdout, (own, result.output)
    before = state(db_path)
    for kind in SAMPLE_FILES:
        others = {own: data / name for own, name in SAMPLE_FILES.items() if own != kind}
        result = run_cli("--db", db_path, "load", kind, *others.values())
        assert result.exit_code == 3, (kind, result.output)
        for own, path in others.items():
            refusal = f"memberkit: {path}: "
            assert refusal + "missing required column" in result.stderr or (
                refusal + f"its headers fit a {own} file, not {kind}" in result.stderr
            ), (own, kind, result.stderr)
    assert state(db_path) == before


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


# --- partial files (issue case 2, SPEC 3.1 Partial files) ----------------------------------


def expiring(db_file: Path) -> list[tuple]:
    result = run_cli(
        "--db", db_file, "expiring", "--as-of", "2026-10-05", "--format", "json", "--show-phone"
    )
    assert result.exit_code == 0, result.output
    return sorted((r["member_id"], r["phone"]) for r in json.loads(result.stdout)["rows"])


def test_a_members_update_without_phone_and_expiry_keeps_them(db_path, tmp_path):
    """A members file without the phone and expiry columns, loaded as an update, used to
    erase every stored phone and expiry date: the expiring list went empty."""
    full = write(
        tmp_path / "members.csv",
        f"{MEMBER_HEADER}\n"
        "M1,张伟,男,1980-01-02,13800000001,S001,2024-01-05,2026-11-04\n"
        "M2,王芳,女,1985-03-04,13800000002,S002,2024-02-01,2026-11-20\n"
        "M3,李娜,女,1990-05-06,13800000003,S001,2024-03-01,2026-11-30\n",
    )
    assert run_cli("--db", db_path, "load", "members", full).exit_code == 0
    listed = [("M1", "13800000001"), ("M2", "13800000002"), ("M3", "13800000003")]
    assert expiring(db_path) == listed
    update = write(
        tmp_path / "update.csv",
        "会员卡号,姓名,性别,出生日期,开卡门店,开卡日期\n"
        "M1,张薇,女,1980-01-02,S001,2024-01-05\n"  # name and gender corrected: replaced
        "M2,王芳,女,1985-03-04,S002,2024-02-01\n"  # the same on its columns: duplicate
        "M3,,女,1990-05-06,S003,2024-03-01\n"  # name blank in the export, moved store
        "M4,赵六,男,1995-07-08,S001,2026-10-01\n",  # new
    )
    result = run_cli("--db", db_path, "load", "members", update)
    assert result.exit_code == 0, result.output
    assert "4 read, 3 loaded, 2 replaced, 1 duplicate, 0 rejected" in result.stdout
    assert expiring(db_path) == listed
    con = db.connect(db_path, read_only=True)
    try:
        assert rows(
            con,
            "select member_id, name, gender, store_id, phone, expiry_date::varchar "
            "from members order by 1",
        ) == [
            ("M1", "张薇", "F", "S001", "13800000001", "2026-11-04"),
            ("M2", "王芳", "F", "S002", "13800000002", "2026-11-20"),
            ("M3", None, "F", "S003", "13800000003", "2026-11-30"),  # blank: now empty
            ("M4", "赵六", "M", "S001", None, None),
        ]
        # the versions replaced are kept whole
        assert rows(
            con, "select member_id, name, store_id, phone from members_history order by 1"
        ) == [("M1", "张伟", "S001", "13800000001"), ("M3", "李娜", "S001", "13800000003")]
    finally:
        con.close()


# Two versions of one row of each kind that replaces by key; the second differs from the
# first in every column that is not part of the key.
VERSIONS = {
    "members": (
        "M1,张伟,男,1980-01-02,13800000001,S001,2024-01-05,2026-11-04",
        "M1,张薇,女,1981-02-03,13900000009,S002,2024-02-06,2027-11-04",
    ),
    "stores": ("S001,徐汇店,华东", "S001,徐汇旗舰店,华南"),
    "gifts": ("G01,保温杯,个,35.50", "G01,大保温杯,只,36.00"),
    "gift-counts": ("2024-09-30,HQ,G01,61,吴刚", "2024-09-30,HQ,G01,58,李娜"),
    "complaints": (
        "C1,2024-09-01 10:00:00,S001,M1,门店,服务态度,2024-09-01 12:00:00,2024-09-02 10:00:00,满意",
        "C1,2024-09-01 11:00:00,S002,M2,热线,收银结算,2024-09-01 13:00:00,2024-09-03 10:00:00,一般",
    ),
}


def stored(db_file: Path, kind: Kind, key_value: str) -> dict:
    con = db.connect(db_file, read_only=True)
    try:
        names = ", ".join(kind.column_names)
        found = rows(  # names are ours; the key value is bound
            con, f"select {names} from {kind.table} where {kind.key[-1]} = $k", {"k": key_value}
        )
    finally:
        con.close()
    assert len(found) == 1, found
    return dict(zip(kind.column_names, found[0], strict=True))


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_a_later_row_replaces_only_the_columns_its_file_has(name, tmp_path):
    """For every kind that replaces by key with optional columns: a later file that lacks
    some of them replaces the columns it has and keeps the stored values of the others; the
    same file again (other bytes) is identical on its columns: a duplicate."""
    kind = KINDS[name]
    names = kind.column_names
    key = names.index(kind.key[-1])  # the key column, given a new value for each case
    optional = [c.name for c in kind.columns if not c.required]
    subsets = [[c] for c in optional] + [optional]  # the columns left out

    def version(which: int, case: int) -> list[str]:
        values = VERSIONS[name][which].split(",")
        return [v + f"X{case}" if i == key else v for i, v in enumerate(values)]

    def csv(columns: list[str], *records: list[str]) -> str:
        picked = [[r[names.index(c)] for c in columns] for r in records]
        return "\n".join(",".join(r) for r in [columns, *picked]) + "\n"

    def stored() -> dict[str, dict]:
        con = db.connect(db_file, read_only=True)
        try:  # table and column names are ours
            found = rows(con, f"select {', '.join(names)} from {kind.table}")
        finally:
            con.close()
        return {r[key]: dict(zip(names, r, strict=True)) for r in found}

    # what each version is once stored (gender, satisfaction, ... normalised)
    db_file = tmp_path / "alone.duckdb"
    check_load(
        db_file, name, write(tmp_path / "alone.csv", csv(names, version(0, 0), version(1, 1)))
    )
    old, new = stored()[version(0, 0)[key]], stored()[version(1, 1)[key]]

    db_file = tmp_path / "partial.duckdb"
    first = [version(0, n) for n in range(len(subsets))]
    loaded = check_load(db_file, name, write(tmp_path / "full.csv", csv(names, *first)))
    assert only_load(loaded)[3:] == (len(subsets), len(subsets), 0, 0, 0)
    texts = []
    for n, left_out in enumerate(subsets):
        columns = [c for c in names if c not in left_out]
        texts.append(csv(columns, version(1, n)))
        # (read, loaded, replaced, duplicate, rejected); a file of only the key says nothing
        # new about a stored key: it is identical on its columns
        changes = len(columns) > len(kind.key)
        counts = (1, 1, 1, 0, 0) if changes else (1, 0, 0, 1, 0)
        path = write(tmp_path / f"partial{n}.csv", texts[-1])
        assert only_load(check_load(db_file, name, path))[3:] == counts, left_out
    now = stored()
    for n, left_out in enumerate(subsets):
        for column in names:
            if column != names[key]:
                expected = (old if column in left_out else new)[column]
                assert now[version(1, n)[key]][column] == expected, (left_out, column, now)
    for n in (0, len(subsets) - 1):  # one column left out, all optional ones left out
        again = write(tmp_path / f"again{n}.csv", texts[n].replace("\n", "\r\n"))
        assert only_load(check_load(db_file, name, again))[3:] == (1, 0, 0, 1, 0)
    assert stored() == now


# --- gift moves: every row is a movement (issue case 9, SPEC 3.1 Gift moves) ----------------

# an anonymous 赠品发放登记表: no ref, no member; two handouts of one gift on one day
HANDOUTS = "日期,地点,赠品编号,类型,数量\n" + "2026-10-05,S001,G01,issue,1\n" * 2
MOVES = "move_date,location,gift_id,kind,qty,ref,to_location,member_id\n"


def gift_chain(db_path: Path, tmp_path: Path) -> None:
    """A store, a gift and an opening stock of 10 at the store (ref OPN)."""
    for kind, text in (
        ("stores", "store_id,store_name,region\nS001,一店,华东\n"),
        ("gifts", "gift_id,gift_name,unit,unit_cost\nG01,保温杯,个,35.50\n"),
        ("gift-moves", MOVES + "2026-10-01,S001,G01,opening,10,OPN,,\n"),
    ):
        result = run_cli("--db", db_path, "load", kind, write(tmp_path / f"{kind}.csv", text))
        assert result.exit_code == 0, result.output


def stock(db_path: Path) -> tuple[int, int]:
    """(issued, closing) of G01 at S001 for October 2026."""
    result = run_cli("--db", db_path, "gifts", "stock", "--as-of", "2026-10-31", "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = [r for r in json.loads(result.stdout)["rows"] if r["location"] == "S001"]
    return row["issued"], row["closing"]


def test_two_identical_handouts_in_one_file_are_two(db_path, tmp_path):
    """They used to load as one plus a "duplicate": stock one too high."""
    gift_chain(db_path, tmp_path)
    checked = check_load(db_path, "gift-moves", write(tmp_path / "handouts.csv", HANDOUTS))
    assert checked.exit_code == 0, checked.output
    assert only_load(checked)[3:] == (2, 2, 0, 0, 0)  # read, loaded, replaced, dup, rejected
    assert stock(db_path) == (2, 8)
    # a count of 8 after the two handouts matches the book
    count = write(
        tmp_path / "count.csv", "count_date,location,gift_id,counted_qty\n2026-10-06,S001,G01,8\n"
    )
    assert run_cli("--db", db_path, "load", "gift-counts", count).exit_code == 0
    result = run_cli("--db", db_path, "gifts", "reconcile", "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["rows"]
    assert (row["book_qty"], row["counted_qty"], row["status"]) == (8, 8, "match")
    # `memberkit check` does not call the two handouts a key held twice
    result = run_cli("--db", db_path, "check", "--format", "json")
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["unique_keys.gift-moves"]["status"] == "pass"
    assert checks["ledger.gift-moves"]["status"] == "pass"
    # the same file again is recognised by its hash and changes nothing
    again = run_cli("--db", db_path, "load", "gift-moves", tmp_path / "handouts.csv")
    assert "already loaded" in again.stdout and stock(db_path) == (2, 8)


def test_an_overlapping_export_without_refs_loads_with_a_warning(db_path, tmp_path):
    """Rows without a ref cannot be told from an earlier file's: they load (they may be new
    handouts), and each one equal to an earlier load's row is named in a warning."""
    gift_chain(db_path, tmp_path)
    assert check_load(db_path, "gift-moves", write(tmp_path / "w1.csv", HANDOUTS)).exit_code == 0
    overlap = write(tmp_path / "w2.csv", HANDOUTS + "2026-10-06,S001,G01,issue,1\n")
    checked = check_load(db_path, "gift-moves", overlap)
    assert checked.exit_code == 0 and only_load(checked)[3:] == (3, 3, 0, 0, 0)
    warned = [line for line in checked.stderr.splitlines() if "without a ref" in line]
    assert [line.split(": warning: ")[1].split(":")[0] for line in warned] == [
        "line 2, column ref",
        "line 3, column ref",
    ]
    assert warned[0].startswith(f"{overlap}: warning: ")
    assert stock(db_path) == (5, 5)


def test_rows_with_a_ref_are_matched_against_earlier_loads(db_path, tmp_path):
    """A row whose ref is loaded with the same content is skipped; with other content it is
    rejected; within a file two rows of one ref are two lines of the document."""
    gift_chain(db_path, tmp_path)
    lines = "2026-10-05,S001,G01,issue,1,ISS-7,,M1\n" * 2
    first = check_load(db_path, "gift-moves", write(tmp_path / "r1.csv", MOVES + lines))
    assert only_load(first)[3:] == (2, 2, 0, 0, 0)
    assert stock(db_path) == (2, 8)
    overlap = write(
        tmp_path / "r2.csv",
        MOVES
        + "2026-10-01,S001,G01,opening,10,OPN,,\n"  # loaded before: duplicate
        + "2026-10-05,S001,G01,issue,1,ISS-7,,M1\n"  # loaded before: duplicate
        + "2026-10-05,S001,G01,issue,3,ISS-7,,M1\n"  # ISS-7 with another quantity: rejected
        + "2026-10-06,S001,G01,issue,1,ISS-8,,M2\n",  # new
    )
    checked = check_load(db_path, "gift-moves", overlap, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0, checked.output
    assert only_load(checked)[3:] == (4, 1, 0, 2, 1)
    assert "line 4, column move_date/" in checked.stderr
    assert "/member_id already loaded with different content" in checked.stderr
    assert stock(db_path) == (3, 7)


def test_check_finds_a_gift_move_with_a_ref_held_by_two_loads(db_path, tmp_path):
    """What the loader keeps unique for movements: a key with a ref comes from one load."""
    gift_chain(db_path, tmp_path)
    assert check_load(db_path, "gift-moves", write(tmp_path / "h.csv", HANDOUTS)).exit_code == 0
    con = db.connect(db_path)
    try:  # the opening row again, as if the handouts' load had held it; the ledger agrees
        (handouts,) = rows(con, "select load_id from loads where file_name = 'h.csv'")[0]
        con.execute(
            "insert into gift_moves select * replace ($id as load_id) from gift_moves "
            "where ref = 'OPN'",
            {"id": handouts},
        )
        con.execute(
            "update loads set rows_read = rows_read + 1, rows_loaded = rows_loaded + 1 "
            "where load_id = $id",
            {"id": handouts},
        )
    finally:
        con.close()
    result = run_cli("--db", db_path, "check", "--format", "json")
    assert result.exit_code == 1, result.output
    failed = {c["name"]: c for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"}
    assert list(failed) == ["unique_keys.gift-moves"]
    assert failed["unique_keys.gift-moves"]["detail"].startswith(
        "1 key of gift_moves (move_date, location, gift_id, kind, ref, to_location, member_id) "
        "held by rows of more than one load, 2 rows in all; e.g. (2026-10-01, S001, G01, "
        "opening, OPN, null, null)"
    )
