"""Hostile input, partial files (issue 17, SPEC 3.1): members and stores files with random
subsets of the optional columns, in any order, loaded over earlier files. Every row read is
loaded, duplicate or rejected (check_load), and the table is what a plain-Python model of
the merge says: a later row replaces only the columns its file has, so no stored value of a
column absent from the later file changes."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import rows, write
from memberkit.ingest import KINDS
from test_hostile_input import check_load, fresh_db, fuzz

# Values each column may take, as a file writes them; "" is blank. They are already in the
# form the loader stores (ISO dates, trimmed text), except gender, which STORED maps.
VALUES = {
    "members": {
        "member_id": ["M1", "M2", "M3", "M4", "M5", ""],
        "name": ["张伟", "王芳", "李娜", ""],
        "gender": ["男", "女", ""],
        "birth_date": ["1980-01-02", "1990-05-06", ""],
        "phone": ["13800000001", "13900000002", ""],
        "store_id": ["S001", "S002"],
        "join_date": ["2024-01-05", "2025-02-03", "2025-02-30"],  # the last is rejected
        "expiry_date": ["2026-11-04", "2027-01-01", ""],
    },
    "stores": {
        "store_id": ["S1", "S2", "S3", "S4", ""],
        "store_name": ["徐汇店", "天河店", ""],
        "region": ["华东", "华南", ""],
    },
}
STORED = {"男": "M", "女": "F", "": None}


def stored_form(column: str, value: str) -> str | None:
    return STORED[value] if column == "gender" else (value or None)


def is_valid(kind: str, row: dict[str, str]) -> bool:
    required = [c.name for c in KINDS[kind].columns if c.required]
    return all(row[c] for c in required) and row.get("join_date") != "2025-02-30"


@st.composite
def load_files(draw, kind: str) -> list[tuple[list[str], list[dict[str, str]]]]:
    """A full file, then one or two files with a random subset of the optional columns in
    a random order; each a list of columns and its rows."""
    columns = KINDS[kind].column_names
    optional = [c.name for c in KINDS[kind].columns if not c.required]
    row = st.fixed_dictionaries({c: st.sampled_from(VALUES[kind][c]) for c in columns})
    files = [(columns, draw(st.lists(row, min_size=1, max_size=6)))]
    for _ in range(draw(st.integers(1, 2))):
        kept = draw(st.lists(st.sampled_from(optional), unique=True))
        present = draw(st.permutations([c for c in columns if c not in optional or c in kept]))
        later = draw(st.lists(row, min_size=1, max_size=8))
        # some rows repeat a stored row on the file's columns, to be skipped as duplicates
        for previous in draw(st.lists(st.sampled_from(files[0][1]), max_size=3)):
            later.insert(draw(st.integers(0, len(later))), dict(previous))
        files.append((list(present), later))
    return files


def merge(model: dict, history: list, kind: str, columns: list[str], file_rows) -> tuple:
    """The merge SPEC 3 and 3.1 describe, in plain Python: (loaded, replaced, duplicate,
    rejected), with `model` (key -> stored row) and `history` (replaced members) updated."""
    key = KINDS[kind].key[0]
    names = KINDS[kind].column_names
    loaded = replaced = duplicate = rejected = 0
    first_in_file: dict[str, dict] = {}
    for raw in file_rows:
        if not is_valid(kind, raw):
            rejected += 1
            continue
        row = {c: stored_form(c, raw[c]) for c in columns}
        k = row[key]
        if k in first_in_file:  # within the file: the first row of a key wins
            same = all(first_in_file[k][c] == row[c] for c in columns)
            duplicate, rejected = duplicate + same, rejected + (not same)
            continue
        first_in_file[k] = row
        old = model.get(k)
        new = {c: row[c] if c in columns else (old[c] if old else None) for c in names}
        if old == new:
            duplicate += 1
            continue
        loaded += 1
        if old is not None:
            replaced += 1
            history.append(old)
        model[k] = new
    return loaded, replaced, duplicate, rejected


def table(db_path, kind: str, history: bool = False) -> list[tuple]:
    names = KINDS[kind].column_names
    name = KINDS[kind].history_table if history else KINDS[kind].table
    con = duckdb.connect(str(db_path), read_only=True)
    try:  # names are ours
        return sorted(
            rows(con, f"select {', '.join(f'{c}::varchar' for c in names)} from {name}"),
            key=str,
        )
    finally:
        con.close()


@pytest.mark.slow
@fuzz(16)
@given(data=st.data(), kind=st.sampled_from(sorted(VALUES)))
def test_partial_files_over_full_ones_change_only_their_columns(data, kind):
    files = data.draw(load_files(kind))
    names = KINDS[kind].column_names
    model: dict[str, dict] = {}
    history: list[dict] = []
    with fresh_db() as folder:
        db_path = folder / "t.duckdb"
        seen: set[str] = set()
        for n, (columns, drawn) in enumerate(files):
            # a row blank in every column of its file is a blank line, not a row
            file_rows = [r for r in drawn if any(r[c] for c in columns)]
            text = "".join(",".join(r[c] for c in columns) + "\n" for r in file_rows)
            path = write(folder / f"f{n}.csv", ",".join(columns) + "\n" + text)
            if path.read_text() in seen:  # the same bytes again: recognised by their hash
                checked = check_load(db_path, kind, path)
                assert checked.loads == [] and "already loaded" in checked.stdout
                continue
            seen.add(path.read_text())
            before = {k: dict(v) for k, v in model.items()}
            expected = merge(model, history, kind, columns, file_rows)
            checked = check_load(db_path, kind, path, args=("--max-reject-ratio", "1"))
            assert checked.exit_code == 0, checked.output
            (ledger,) = checked.loads  # read = loaded + duplicate + rejected: check_load
            assert ledger[3] == len(file_rows)
            assert ledger[4:] == expected, (columns, file_rows, before)
            assert table(db_path, kind) == sorted(
                (tuple(r[c] for c in names) for r in model.values()), key=str
            )
            # no stored value of a column the file lacks has changed
            for k, old in before.items():
                assert all(model[k][c] == old[c] for c in names if c not in columns)
        if KINDS[kind].history_table:  # the replaced versions are kept whole
            assert table(db_path, kind, history=True) == sorted(
                (tuple(r[c] for c in names) for r in history), key=str
            )
