"""Hostile input (issue 9): `memberkit load` never crashes and never loses a row.

Exports are edited by hand. Whatever the file holds, `check_load` proves the same things:

- no Python exception escapes and the exit code is 0, 2 (usage) or 3 (input rejected), SPEC 6;
  a file that fails is named in one `memberkit: FILE: ...` line (and perhaps a hint);
- the output carries no raw control character from the input, and stays short;
- per file, rows read = loaded + duplicate + rejected on the summary line, in the `loads`
  ledger, and in the `rejects` table (one row per rejected row); a refused file loads
  nothing, and its summary line still accounts for every row;
- the kind's table grows by exactly what was loaded (less what was replaced); a refused or
  failed file changes nothing but its ledger and rejects rows; no table disappears.

The hypothesis tests run a modest number of examples (see FUZZ); set
MEMBERKIT_FUZZ_EXAMPLES=500 for a longer hunt.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import MEMBER_HEADER, TX_HEADER, rows, run_cli, write
from memberkit import db
from memberkit.checks.common import FAIL
from memberkit.checks.summaries import _member_keys, _ticket_months
from memberkit.errors import printable
from memberkit.ingest import KINDS
from test_real_values import BAD_TIME

GOOD = "S01,2026-03-01 10:00:00,M1,12.50,1"  # a valid ticket after its txn_id
MEMBER_GOOD = "张伟,男,1980-01-02,13800000001,S01,2024-01-05,2025-01-04"  # after member_id
TX_SQL = "select txn_id, store_id, txn_time, member_id, amount, item_qty from transactions"

FUZZ = int(os.environ.get("MEMBERKIT_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int):
    """Hypothesis settings for one property: `examples` cases (more with the variable)."""
    return settings(
        max_examples=FUZZ or examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- the guarantee -----------------------------------------------------------------------

_SUMMARY = re.compile(
    r"^(?P<file>.+?): (?P<read>[\d,]+) read, (?P<loaded>[\d,]+) loaded, "
    r"(?:(?P<replaced>[\d,]+) replaced, )?(?P<dup>[\d,]+) duplicate, (?P<rej>[\d,]+) rejected \("
)
_REFUSED = re.compile(
    r"^(?P<file>.+?): (?P<read>[\d,]+) read, REFUSED: (?P<rej>[\d,]+) rejected, nothing loaded "
    r"\((?P<would>[\d,]+) would have loaded, (?P<dup>[\d,]+) duplicate; "
)
# what a line on stderr may be: an error (one line, perhaps with a hint), a warning, a reject
_STDERR = re.compile(r"^(memberkit: |  hint: |  line |  \.\.\. |.+: warning: |.+: \.\.\. )")
# ESC, BEL, NUL, bidi overrides, ...: a line break is the only control character allowed
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


def _number(text: str | None) -> int:
    return int(text.replace(",", "")) if text else 0


@dataclass
class State:
    tables: set[str]
    counts: dict[str, int]
    loads: dict[int, tuple]  # load_id -> (kind, file_name, status, read, loaded, repl, dup, rej)
    rejects: dict[int, int]  # load_id -> rejects rows
    summaries: list[str]  # the summary checks (checks/summaries) that fail: none


def state(db_path: Path) -> State:
    """Row counts, the ledger and rejects per load (read-only: quicker than db.connect)."""
    if not db_path.exists():
        db.connect(db_path).close()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {r[0] for r in rows(con, "select table_name from duckdb_tables()")}
        counts = dict(
            rows(con, " union all ".join(f"select '{t}', count(*) from {t}" for t in tables))
        )
        loads = {
            r[0]: r[1:]
            for r in rows(
                con,
                "select load_id, kind, file_name, status, rows_read, rows_loaded, rows_replaced, "
                "rows_duplicate, rows_rejected from loads",
            )
        }
        rejects = dict(rows(con, "select load_id, count(*) from rejects group by all"))
        failing = [
            c.name for c in (_member_keys(con, []), _ticket_months(con, [])) if c.status == FAIL
        ]
    finally:
        con.close()
    return State(tables, counts, loads, rejects, failing)


@dataclass
class Checked:
    exit_code: int
    stdout: str
    stderr: str
    loads: list[tuple]  # the ledger rows this command added

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


_EMPTY: list[State] = []


def empty_state() -> State:
    """What a new database holds (computed once: the fuzz tests start from one each time)."""
    if not _EMPTY:
        with fresh_db() as folder:
            _EMPTY.append(state(folder / "empty.duckdb"))
    return _EMPTY[0]


def check_load(
    db_path: Path, kind: str, *files: Path, args: tuple = (), max_output: int = 4000
) -> Checked:
    """Run `memberkit load` in-process and check everything the module docstring promises."""
    before = state(db_path) if db_path.exists() else empty_state()
    result = run_cli("--db", db_path, "load", kind, *files, *args)
    out, err = result.stdout, result.stderr
    output = out + err
    assert result.exit_code in (0, 2, 3), output
    assert "Traceback" not in output and "unexpected error" not in output, output
    unsafe = sorted({c for c in output if c != "\n" and unicodedata.category(c) in _UNSAFE})
    assert not unsafe, (unsafe, output)
    assert len(output) <= max_output, output[:2000]
    for line in err.splitlines():
        assert _STDERR.match(line), line
    failures = [line for line in err.splitlines() if line.startswith("memberkit: ")]
    if result.exit_code == 0:
        assert not failures, err
    else:  # every failure names its file (or, for a usage error, the option)
        assert failures, err
        names = [printable(str(f)) for f in files]
        for line in failures:
            assert any(n in line for n in names) or (result.exit_code == 2 and "--" in line), err

    after = state(db_path)
    assert after.tables == before.tables
    new = {i: r for i, r in after.loads.items() if i not in before.loads}
    assert all(before.loads[i] == after.loads[i] for i in before.loads)
    assert all(after.rejects.get(i) == before.rejects.get(i) for i in before.loads)
    # one summary line per file that got as far as the ledger, in the order of the loads
    summaries = [
        m for line in out.splitlines() if (m := _SUMMARY.match(line) or _REFUSED.match(line))
    ]
    assert len(summaries) == len(new), (out, new)
    grown = dict.fromkeys(after.counts, 0)
    for line, load_id in zip(summaries, sorted(new), strict=True):
        load_kind, name, status, read, loaded, replaced, dup, rej = new[load_id]
        assert load_kind == kind and status in ("loaded", "refused")
        assert line.group("file").endswith(name), (line.group("file"), name)
        assert after.rejects.get(load_id, 0) == rej  # every rejected row kept with its reason
        assert _number(line.group("read")) == read and _number(line.group("rej")) == rej
        assert _number(line.group("dup")) == dup
        if status == "loaded":
            assert line.re is _SUMMARY and _number(line.group("loaded")) == loaded
            assert read == loaded + dup + rej
            assert _number(line.group("replaced")) == replaced
            grown[KINDS[kind].table] += loaded - replaced
            if KINDS[kind].history_table:
                grown[KINDS[kind].history_table] += replaced
        else:
            assert line.re is _REFUSED and loaded == 0 and replaced == 0
            assert read == _number(line.group("would")) + dup + rej
            assert result.exit_code == 3
    grown["loads"] = len(new)
    grown["rejects"] = sum(after.rejects.get(i, 0) for i in new)
    # the summaries of loaded tickets (schema 7) are whatever the tickets make them: exactly
    # their recomputation, and keys for every member id on a ticket
    assert not after.summaries, (after.summaries, out, err)
    for table, count in after.counts.items():
        if table == "ticket_stores":  # new store ids of loaded tickets
            assert count >= before.counts[table]
        elif table in ("ticket_months", "member_keys"):
            assert count >= before.counts[table]  # keys and summary rows only ever grow
        else:
            assert count - before.counts[table] == grown[table], (table, before, after)
    return Checked(result.exit_code, out, err, [new[i] for i in sorted(new)])


@contextmanager
def fresh_db() -> Iterator[Path]:
    """A folder with a new database, for one hypothesis example."""
    with tempfile.TemporaryDirectory(prefix="memberkit-hostile-") as folder:
        yield Path(folder)


def csv_text(header: str, *lines: str, nl: str = "\n") -> str:
    return nl.join([header, *lines]) + nl


def only_load(checked: Checked) -> tuple:
    assert len(checked.loads) == 1, checked.output
    return checked.loads[0]


# --- random bytes -----------------------------------------------------------------------

VALID_TX = csv_text(
    TX_HEADER,
    f"T1,{GOOD}",
    'T2,"S02, north",2026-03-02 11:00:00,,"￥1,234.50",2',
    "T3,东门店,20260303,M3,-5.00,-1",
    f"T1,{GOOD}",
    "T4,S01,2026-02-30 10:00:00,M1,1.00,1",
)
VALID_MEMBERS = csv_text(
    MEMBER_HEADER,
    f"M001,{MEMBER_GOOD}",
    'M002,"王, 芳",女,,13800000002,S02,2024-02-01,',
    "M003,李四,F,1990-02-30,13800000003,S01,2024-03-01,",
)
VALID_MOVES = csv_text(  # gift moves: every loaded row is checked, and warnings printed
    ",".join(KINDS["gift-moves"].column_names),
    "2026-10-01,HQ,G01,opening,5,OPN,,",
    "2026-10-02,HQ,G01,transfer,2,TRF-1,S404,",  # warning: unknown location
    "2026-10-03,S404,G01,issue,3,ISS-1,,M1",  # warnings: unknown location, below zero
    "2026-10-04,HQ,G01,transfer,1,TRF-2,,",  # rejected: a transfer needs to_location
)
VALID = {"transactions": VALID_TX, "members": VALID_MEMBERS, "gift-moves": VALID_MOVES}


def english(kind: str) -> str:
    """The kind's valid file with English headers and no Chinese text (for one-byte codecs)."""
    header = ",".join(KINDS[kind].column_names)
    lines = VALID[kind].split("\n")
    text = "\n".join([header, *lines[1:]])
    for chinese, latin in (
        ("东门店", "S03"),
        ("张伟", "Zhang"),
        ("王, 芳", "José, W"),
        ("李四", "Li"),
    ):
        text = text.replace(chinese, latin)
    return text.replace("男", "M").replace("女", "F")


# Bytes a hand edit or a broken export puts into a file.
NASTY = [
    b'"',
    b'""',
    b",",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xfe\xff",
    "东门店".encode("gb18030"),
    "\u3000".encode(),
    b"\x1b[31m",
    b"\x07",
    b'=HYPERLINK("http://x")',
    b"\\",
    b";",
    b"2026-02-30",
    b"1.234",
]
splice_bytes = st.one_of(st.sampled_from(NASTY), st.binary(min_size=1, max_size=12))


# What random bytes may follow: nothing, a valid header, a workbook's or a BOM's first bytes.
PREFIXES = [b"", "header", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xef\xbb\xbf", b"\xff\xfe"]


@fuzz(10)
@given(
    data=st.binary(max_size=3000),
    kind=st.sampled_from(sorted(KINDS)),
    prefix=st.sampled_from(PREFIXES),
)
def test_random_bytes_as_a_whole_file(data, kind, prefix):
    if prefix == "header":
        prefix = ",".join(KINDS[kind].column_names).encode() + b"\n"
    with fresh_db() as folder:
        path = folder / "random.csv"
        path.write_bytes(prefix + data)
        check_load(folder / "t.duckdb", kind, path, args=("--max-reject-ratio", "1"))


@fuzz(15)
@given(
    kind=st.sampled_from(sorted(VALID)),
    splices=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), splice_bytes), min_size=1, max_size=4
    ),
    crlf=st.booleans(),
    ratio=st.sampled_from(["0.01", "0.5", "1"]),
)
def test_random_bytes_spliced_into_a_valid_file(kind, splices, crlf, ratio):
    data = VALID[kind].replace("\n", "\r\n" if crlf else "\n").encode()
    for where, cut, new in splices:  # replace `cut` bytes at a point with `new`
        at = int(where * len(data))
        data = data[:at] + new + data[at + cut :]
    with fresh_db() as folder:
        path = folder / "spliced.csv"
        path.write_bytes(data)
        check_load(folder / "t.duckdb", kind, path, args=("--max-reject-ratio", ratio))


# Fields as a person types them into a text editor: no quoting rules followed.
FIELD_PIECES = st.sampled_from(
    ['"', "'", ",", "\t", "\r", "\n", "\x00", "\u3000", " ", "\x1b[31m", "\x07", "=1+1", "@SUM",
     "+1", "-", "东", "T1", "S01", "2026-03-01", "12.50", "1", "¥", ";", "\\", "\u202e"]
)  # fmt: skip
hand_field = st.lists(FIELD_PIECES, max_size=4).map("".join)


@fuzz(12)
@given(
    records=st.lists(st.lists(hand_field, min_size=4, max_size=8), min_size=1, max_size=6),
    quoted=st.booleans(),
    nl=st.sampled_from(["\n", "\r\n"]),
)
def test_hand_edited_fields(records, quoted, nl):
    """Quotes, commas, tabs, CR, NUL and escapes anywhere: quoted properly or not at all."""
    if quoted:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=nl).writerows([TX_HEADER.split(","), *records])
        text = buffer.getvalue()
    else:
        text = csv_text(TX_HEADER, *(",".join(r) for r in records), nl=nl)
    with fresh_db() as folder:
        path = write(folder / "edited.csv", text)
        check_load(folder / "t.duckdb", "transactions", path, args=("--max-reject-ratio", "1"))


CODECS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "latin-1"]
FORCED = [None, "utf-8", "gb18030", "utf-16", "utf-16-le", "latin-1", "ascii", "big5"]


@fuzz(10)
@given(
    codec=st.sampled_from(CODECS),
    forced=st.sampled_from(FORCED),
    chinese=st.booleans(),
    kind=st.sampled_from(["transactions", "members"]),
)
def test_any_encoding_forced_or_detected(codec, forced, chinese, kind):
    text = VALID[kind] if chinese else english(kind)
    if codec == "latin-1":
        text = english(kind).replace("￥", "¥")
    with fresh_db() as folder:
        path = folder / "encoded.csv"
        path.write_bytes(text.encode(codec))
        args = ("--max-reject-ratio", "1") + (("--encoding", forced) if forced else ())
        checked = check_load(folder / "t.duckdb", kind, path, args=args)
        if forced is None and codec in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
            assert checked.exit_code == 0, checked.output  # the encodings memberkit detects
            read = only_load(checked)[3]
            assert read == text.count("\n") - 1


@fuzz(10)
@given(
    delimiter=st.one_of(st.none(), st.text(max_size=2), st.sampled_from(['"', "\n", "\r"])),
    encoding=st.one_of(
        st.none(),
        st.text(max_size=8),
        st.sampled_from(["rot13", "base64", "hex", "zlib", "bz2", "uu", "undefined", "utf-16"]),
    ),
)
def test_any_delimiter_and_encoding_option(delimiter, encoding):
    args = ["--max-reject-ratio", "1"]
    if delimiter is not None:
        args += ["--delimiter", delimiter]
    if encoding is not None:
        args += ["--encoding", encoding]
    with fresh_db() as folder:
        path = write(folder / "stores.csv", "store_id,region\nS01,East\nS02,西区\n")
        check_load(folder / "t.duckdb", "stores", path, args=tuple(args))


# --- personal data never printed ---------------------------------------------------------


@dataclass
class MemberRow:
    member_id: str
    name: str
    phone: str
    problem: str  # what is wrong with the row, besides name and phone

    def fields(self) -> list[str]:
        f = [self.member_id, self.name, "男", "1980-01-02", self.phone, "S01", "2024-01-05", ""]
        match self.problem:
            case "bad birth date":
                f[3] = "1980-02-30"
            case "bad join date":
                f[6] = "yesterday"
            case "no store":
                f[5] = ""
            case "extra column":
                f.append(self.name)
            case "short":
                f = f[:5]
            case "quote in name":
                f[1] = f'"{self.name}'
        return f


def member_rows(tokens: list[tuple[str, str]], draw) -> list[MemberRow]:
    problems = ["", "", "", "bad birth date", "bad join date", "no store", "extra column"]
    problems += ["short", "quote in name", "same id, other content", "same row again"]
    out: list[MemberRow] = []
    for i, (name, phone) in enumerate(tokens):
        problem = draw(st.sampled_from(problems))
        if problem in ("same id, other content", "same row again") and out:
            earlier = draw(st.sampled_from(out))
            if problem == "same row again":
                out.append(earlier)
                continue
            out.append(MemberRow(earlier.member_id, name, phone, ""))
        else:
            out.append(MemberRow(f"M{i:03d}", name, phone, problem))
    return out


@fuzz(8)
@given(data=st.data())
def test_names_and_phones_never_reach_the_terminal(data):
    """Two exports of the same members (the second replaces names and phones) with bad rows
    among them: rejects, warnings and refusals give file, line, column and reason only."""
    count = data.draw(st.integers(1, 10))
    hexes = data.draw(st.lists(st.text("0123456789abcdef", min_size=10, max_size=10),
                               min_size=2 * count, max_size=2 * count, unique=True))  # fmt: skip
    tokens = [(f"Nm{h}", f"1{int(h, 16) % 10**10:010d}") for h in hexes]
    extra = data.draw(st.booleans())  # an unknown column holding personal notes
    header = MEMBER_HEADER + (",备注" if extra else "")
    ratio = data.draw(st.sampled_from(["0.01", "1"]))
    with fresh_db() as folder:
        files = []
        for i, part in enumerate((tokens[:count], tokens[count:])):
            lines = [",".join(m.fields() + [m.name] * extra) for m in member_rows(part, data.draw)]
            files.append(write(folder / f"members-{i}.csv", csv_text(header, *lines)))
        checked = check_load(
            folder / "t.duckdb",
            "members",
            *files,
            args=("--max-reject-ratio", ratio, "--rejects", folder / "rejects.csv"),
        )
        for name, phone in tokens:
            assert name not in checked.output and phone not in checked.output, checked.output
        event(f"exit {checked.exit_code}, {sum(load[5] for load in checked.loads)} replaced")


# --- encodings ---------------------------------------------------------------------------

TX_CHINESE = csv_text(TX_HEADER, "T1,东门店,2026-03-01 10:00:00,M1,1.00,1")


def test_gb18030_file_forced_as_utf8_is_refused_naming_the_file(db_path, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(TX_CHINESE.encode("gb18030"))
    checked = check_load(db_path, "transactions", path, args=("--encoding", "utf-8"))
    assert checked.exit_code == 3 and "not valid UTF-8" in checked.stderr
    assert checked.loads == []
    # detected, the same file loads
    assert check_load(db_path, "transactions", path).exit_code == 0


def test_utf16_without_bom_is_refused_with_the_encoding_to_pass(db_path, tmp_path):
    texts = {"ascii": english("transactions"), "chinese": TX_CHINESE}
    for codec in ("utf-16-le", "utf-16-be"):
        files = []
        for name, text in texts.items():
            files.append(tmp_path / f"{name}-{codec}.txt")
            files[-1].write_bytes(text.encode(codec))
        checked = check_load(db_path, "transactions", *files)
        assert checked.exit_code == 3 and checked.loads == []
        for path in files:
            assert f"memberkit: {path}: looks like UTF-16 text without a BOM\n" in checked.stderr
        assert checked.stderr.count(f"hint: pass --encoding {codec}\n") == 2
        # and with that option they load
        args = ("--encoding", codec, "--max-reject-ratio", "1")
        checked = check_load(db_path, "transactions", *files, args=args)
        assert checked.exit_code == 0
        assert [load[3] for load in checked.loads] == [t.count("\n") - 1 for t in texts.values()]


def test_forced_utf16_on_a_file_without_bom_says_which_utf16(db_path, tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(TX_CHINESE.encode("utf-16-le"))
    checked = check_load(db_path, "transactions", path, args=("--encoding", "utf-16"))
    assert checked.exit_code == 3 and "utf-16-le" in checked.stderr


def test_latin1_bytes_are_refused_or_loaded_as_latin1_when_asked(db_path, tmp_path):
    text = csv_text(
        ",".join(KINDS["transactions"].column_names), "T1,Café,2026-03-01 10:00:00,M1,1,1"
    )
    path = write(tmp_path / "latin1.csv", text, "latin-1")
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3 and "--encoding" in checked.stderr
    checked = check_load(db_path, "transactions", path, args=("--encoding", "latin-1"))
    assert checked.exit_code == 0
    assert loaded_tickets(db_path)[0][:2] == ("T1", "Café")


def test_bom_followed_by_gb18030_is_refused_naming_the_file(db_path, tmp_path):
    path = tmp_path / "bom_gbk.csv"
    path.write_bytes(b"\xef\xbb\xbf" + TX_CHINESE.encode("gb18030"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3 and "BOM" in checked.stderr and "--encoding" in checked.stderr


@pytest.mark.parametrize("name", ["rot13", "zlib", "undefined"])
def test_an_encoding_that_is_not_a_text_encoding_is_a_usage_error(db_path, tmp_path, name):
    path = write(tmp_path / "tx.csv", TX_CHINESE)
    checked = check_load(db_path, "transactions", path, args=("--encoding", name))
    assert checked.exit_code == 2 and name in checked.stderr


@pytest.mark.parametrize("delimiter", ['"', "\n", "\r"])
def test_a_quote_or_line_break_as_delimiter_is_a_usage_error(db_path, tmp_path, delimiter):
    path = write(tmp_path / "stores.csv", f"store_id{delimiter}region\nS01{delimiter}East\n")
    checked = check_load(db_path, "stores", path, args=("--delimiter", delimiter))
    assert checked.exit_code == 2 and "--delimiter" in checked.stderr


# --- quoting, NUL, CR, tabs --------------------------------------------------------------


def loaded_tickets(db_path: Path) -> list[tuple]:
    con = db.connect(db_path)
    try:
        return rows(con, TX_SQL + " order by txn_id")
    finally:
        con.close()


def reject_rows(db_path: Path) -> list[tuple]:
    con = db.connect(db_path)
    try:
        return rows(con, "select line, column_name, reason from rejects order by load_id, line")
    finally:
        con.close()


@pytest.mark.parametrize("at_end", [False, True], ids=["mid-file", "last-line"])
def test_unbalanced_quote_refuses_the_file_naming_its_line(db_path, tmp_path, at_end):
    """(It used to load the other rows and reject the rest of the file as one record; SPEC
    3.1 refuses a quote still open at the end of the file.)"""
    bad = 'T9,"S01,2026-03-01 10:00:00,M1,1.00,1'
    lines = [f"T1,{GOOD}", f"T2,{GOOD}", bad] if at_end else [f"T1,{GOOD}", bad, f"T2,{GOOD}"]
    path = write(tmp_path / "quote.csv", csv_text(TX_HEADER, *lines))
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 3 and checked.loads == []
    line = 4 if at_end else 3
    assert f"{path}: line {line}, column '门店编号': the quote opened here is never closed" in (
        checked.stderr
    )
    assert loaded_tickets(db_path) == []


def test_two_stray_quotes_joining_two_rows_refuse_the_file(db_path, tmp_path):
    """Found by the personal-data fuzz test: two stray quotes pair up across a line break
    (and DuckDB 2.0's reader then lost the rows after them). The quote joins lines 3-4
    into one record whose store_id spans them: the file is refused, naming line 3."""
    lines = [
        f"T1,{GOOD}",  # 2
        'T2,"S01,2026-03-01 10:00:00,M1,1.00,1',  # 3-4: one record, a misplaced quote
        'T3,"S01,2026-03-01 10:00:00,M1,1.00,1',
        "T1,S01,2026-03-01 10:00:00,M1,99.00,1",  # 5: T1 with other content
        f"T4,{GOOD}",  # 6
    ]
    path = write(tmp_path / "quotes.csv", csv_text(TX_HEADER, *lines))
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 3 and checked.loads == []
    assert f"{path}: line 3, column '门店编号': the quoted value opened here runs over 2 lines" in (
        checked.stderr
    )


def test_quote_inside_an_unquoted_field_is_kept_as_text(db_path, tmp_path):
    path = write(tmp_path / "quote.csv", csv_text(TX_HEADER, f'T1,S0"1,{GOOD[4:]}', f"T2,{GOOD}"))
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0 and only_load(checked)[3:] == (2, 2, 0, 0, 0)
    assert [t[:2] for t in loaded_tickets(db_path)] == [("T1", 'S0"1'), ("T2", "S01")]


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_quoted_line_breaks_load_intact_where_free_text(db_path, tmp_path, nl):
    """Quoted line breaks load in a column that is free text (here one not read); in an id
    column they refuse the file (SPEC 3.1; they used to load into store_id)."""
    path = write(
        tmp_path / "breaks.csv",
        csv_text(
            f"{TX_HEADER},备注",
            f'T1,S01,{GOOD[4:]},"called{nl}twice"',
            f"T2,{GOOD},",
            "T3,S01,bad,M1,1,1,",
            nl=nl,
        ),
    )
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0
    assert [t[:2] for t in loaded_tickets(db_path)] == [("T1", "S01"), ("T2", "S01")]
    assert reject_rows(db_path) == [(5, "txn_time", BAD_TIME)]
    in_id = write(
        tmp_path / "id_breaks.csv", csv_text(TX_HEADER, f'T5,"S01{nl}annex",{GOOD[4:]}', nl=nl)
    )
    checked = check_load(db_path, "transactions", in_id)
    assert checked.exit_code == 3
    assert f"{in_id}: line 2, column '门店编号': the quoted value opened here runs over 2" in (
        checked.stderr
    )


def test_nul_bytes_never_crash_and_are_kept_in_text(db_path, tmp_path):
    path = write(
        tmp_path / "nul.csv",
        csv_text(TX_HEADER, f"T\x001,{GOOD}", "T2,S01,2026-03-01 10:00:00,M1,1\x00.00,1", "\x00"),
    )
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0
    assert loaded_tickets(db_path)[0][0] == "T\x001"


@pytest.mark.parametrize(
    "line",
    [
        "T2,S0\r1,2026-03-01 10:00:00,M1,1.00,1",  # a CR inside a value
        "T2,S01,2026-03-01 10:00:00,M1,1.00,1\r\rT3,S01,2026-03-01 10:00:00,M1,1.00,1",
    ],
    ids=["in-a-value", "as-a-line-end"],
)
def test_lone_carriage_return_is_refused_with_its_line(db_path, tmp_path, line):
    path = write(tmp_path / "cr.csv", csv_text(TX_HEADER, f"T1,{GOOD}", line, f"T4,{GOOD}"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3
    assert f"{path}: line 3" in checked.stderr and "carriage return" in checked.stderr
    assert checked.loads == []
    # quoted, the same CR is data
    quoted = write(tmp_path / "quoted_cr.csv", csv_text(TX_HEADER, f'T1,"S0\r1",{GOOD[4:]}'))
    assert check_load(db_path, "transactions", quoted).exit_code == 0
    assert loaded_tickets(db_path)[0][1] == "S0\r1"


def test_tabs_mixed_with_commas(db_path, tmp_path):
    path = write(
        tmp_path / "mixed.csv",
        csv_text(TX_HEADER, f"T1,{GOOD}", "T2\t" + GOOD.replace(",", "\t"), f"T3\t{GOOD}"),
    )
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0
    assert only_load(checked)[3:] == (3, 1, 0, 0, 2)
    assert [t[0] for t in loaded_tickets(db_path)] == ["T1"]
    assert [r[0] for r in reject_rows(db_path)] == [3, 4]
    # a tab-separated file with a stray comma keeps the comma as text
    tabs = write(
        tmp_path / "tabs.csv",
        csv_text(TX_HEADER.replace(",", "\t"), "T4\tS01,east\t2026-03-01 10:00:00\tM1\t1.00\t1"),
    )
    assert check_load(db_path, "transactions", tabs).exit_code == 0
    assert loaded_tickets(db_path)[1][:2] == ("T4", "S01,east")


# --- huge fields and headers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "header", "lines"),
    [
        (
            "members",
            MEMBER_HEADER,
            [
                f"M001,{MEMBER_GOOD}",
                f"M002,{'x' * (10 << 20)},男,1980-01-02,13800000002,S01,2024-01-05,",
                f"M003,{MEMBER_GOOD}",
            ],
        ),
        (
            "transactions",
            TX_HEADER,
            [f"T1,{GOOD}", f"T2,S01,2026-03-01 10:00:00,M1,{'9' * (10 << 20)},1", f"T3,{GOOD}"],
        ),
    ],
    ids=["10MB-name", "10MB-amount"],
)
def test_a_10mb_field_ends_quickly_with_a_reject(db_path, tmp_path, kind, header, lines):
    path = write(tmp_path / "huge.csv", csv_text(header, *lines))
    started = time.monotonic()
    checked = check_load(db_path, kind, path, args=("--max-reject-ratio", "1"))
    assert time.monotonic() - started < 20
    assert checked.exit_code == 0
    assert only_load(checked)[4:] == (2, 0, 0, 1)  # loaded, replaced, duplicate, rejected
    assert "line 3: line too long" in checked.stderr


def test_a_header_with_10000_columns_loads_and_the_warning_is_capped(db_path, tmp_path):
    header = TX_HEADER + "," + ",".join(f"extra{i}" for i in range(10_000))
    path = write(tmp_path / "wide.csv", csv_text(header, f"T1,{GOOD}" + ",x" * 10_000))
    started = time.monotonic()
    checked = check_load(db_path, "transactions", path, max_output=1000)
    assert time.monotonic() - started < 20
    assert checked.exit_code == 0 and only_load(checked)[4] == 1
    assert "extra0" in checked.stderr and "extra9999" not in checked.stderr
    assert "10,000" in checked.stderr  # says how many it ignores


def test_a_header_line_longer_than_a_megabyte_is_read_whole(db_path, tmp_path):
    names = [f"extra{i}_{'z' * 200}" for i in range(10_000)]  # about 2 MB
    path = write(
        tmp_path / "wide.csv",
        csv_text(TX_HEADER + "," + ",".join(names), f"T1,{GOOD}" + ",1" * 10_000),
    )
    checked = check_load(db_path, "transactions", path, max_output=2000)
    # (the header used to be cut at 1 MB, and the row then had "too many columns")
    assert checked.exit_code == 0 and only_load(checked)[3:] == (1, 1, 0, 0, 0)
    assert "z" * 100 not in checked.output  # no name printed whole


def test_a_huge_header_field_is_refused(db_path, tmp_path):
    path = write(tmp_path / "huge_header.csv", csv_text(TX_HEADER + "," + "h" * 200_000, "T1"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3 and "h" * 100 not in checked.output


# --- formulas, control characters, injection -------------------------------------------

HOSTILE_TEXT = [
    '=HYPERLINK("http://evil.example","click")',
    "+1",
    "-2+3",
    "@SUM(A1:A9)",
    "bell\x07name",
    "\x1b[31mred\x1b[0m",
    "right\u202eto-left",
    "tab\there",
]


def test_formulas_and_control_characters_in_names_load_as_text(db_path, tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MEMBER_HEADER.split(","))
    for i, name in enumerate(HOSTILE_TEXT):
        writer.writerow([f"M{i:03d}", name, "男", "", f"1380000{i:04d}", "S01", "2024-01-05", ""])
    buffer.write("M999,bad\x1b[2J,x,x\n")  # too few columns: rejected, and printed safely
    path = write(tmp_path / "members.csv", buffer.getvalue())
    checked = check_load(db_path, "members", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0 and only_load(checked)[3:] == (9, 8, 0, 0, 1)
    con = db.connect(db_path)
    try:
        assert rows(con, "select name from members order by member_id") == [
            (name,) for name in HOSTILE_TEXT
        ]
    finally:
        con.close()


def test_formulas_in_a_workbook_load_as_text(db_path, tmp_path):
    import xlsxwriter

    path = tmp_path / "members.xlsx"
    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, MEMBER_HEADER.split(","))
    for i, name in enumerate(HOSTILE_TEXT[:4], start=1):
        sheet.write_row(i, 0, [f"M{i:03d}", name, "男", "", "13800000001", "S01", "2024-01-05"])
    workbook.close()
    checked = check_load(db_path, "members", path)
    assert checked.exit_code == 0 and only_load(checked)[3:5] == (4, 4)
    con = db.connect(db_path)
    try:
        assert rows(con, "select name from members order by member_id") == [
            (name,) for name in HOSTILE_TEXT[:4]
        ]
    finally:
        con.close()


def test_control_characters_in_headers_and_file_names_are_printed_escaped(db_path, tmp_path):
    header = TX_HEADER + ",x\x1b[31mred\x07,\x00nul,a\u202eb,\x1b]0;title\x07"
    lines = [f"T1,{GOOD},1,2,3,4", f"T2,{GOOD},1,2"]  # line 3: too few columns
    path = write(tmp_path / "ctl\x1b[32m.csv", csv_text(header, *lines))
    checked = check_load(db_path, "transactions", path, args=("--max-reject-ratio", "1"))
    assert checked.exit_code == 0
    assert "warning: ignoring unknown column" in checked.stderr
    assert "\\x1b[31mred\\x07" in checked.stderr and "ctl\\x1b[32m.csv" in checked.stdout


def test_a_file_name_that_is_not_utf8_loads(db_path, tmp_path):
    path = tmp_path / os.fsdecode(b"pos-\xff\xfe.csv")
    write(path, csv_text(TX_HEADER, f"T1,{GOOD}"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 0 and "pos-\\xff\\xfe.csv" in checked.stdout
    assert only_load(checked)[1] == "pos-\\xff\\xfe.csv"


INJECTION_IDS = [
    "S01'; drop table transactions;--",
    'S02"; drop table members; --',
    '"',
    "x'",  # a lone ' is Excel's text marker on an empty value (SPEC 3.1): blank
    "\\",
    "back\\slash\\",
    "$store",
    "$1",
    "?",
    "../../etc",
    "..\\..\\x",
    "%s%n",
    "{rejects}",
    "c0",
]


def test_ids_with_quotes_semicolons_and_paths_load_verbatim_and_round_trip(db_path, tmp_path):
    tickets, stores = io.StringIO(), io.StringIO()
    csv.writer(tickets, lineterminator="\n").writerows(
        [TX_HEADER.split(",")]
        + [[v, v, "2026-03-01 10:00:00", v, f"{i}.00", 1] for i, v in enumerate(INJECTION_IDS)]
    )
    csv.writer(stores, lineterminator="\n").writerows(
        [["store_id", "store_name", "region"]] + [[v, "name", v] for v in INJECTION_IDS]
    )
    tx_path = write(tmp_path / "ids.csv", tickets.getvalue())
    stores_path = write(tmp_path / "stores.csv", stores.getvalue())
    assert check_load(db_path, "transactions", tx_path).exit_code == 0
    assert check_load(db_path, "stores", stores_path).exit_code == 0
    con = db.connect(db_path)
    try:
        tables = {r[0] for r in rows(con, "select table_name from duckdb_tables()")}
        assert {"transactions", "members", "stores", "loads", "rejects"} <= tables
        for value in INJECTION_IDS:
            assert rows(
                con,
                "select store_id, member_id from transactions where txn_id = $v",
                {"v": value},
            ) == [(value, value)]
            assert rows(con, "select region from stores where store_id = $v", {"v": value}) == [
                (value,)
            ]
        assert rows(con, "select count(*) from transactions") == [(len(INJECTION_IDS),)]
    finally:
        con.close()


# --- files that are not files, empty files, headers ---------------------------------------


def test_empty_and_blank_files_are_refused_naming_each_and_the_others_load(db_path, tmp_path):
    files = {
        "empty.csv": (b"", "the file is empty"),
        "bom_only.csv": (b"\xef\xbb\xbf", "line 1 is empty"),
        "blank_lines.csv": (b"\n\n\n", "line 1 is empty"),
        "blank_crlf_lines.csv": (b"\r\n  \r\n\t\r\n", "line 1 is empty"),
        "good.csv": (csv_text(TX_HEADER, f"T1,{GOOD}").encode(), None),
    }
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
    checked = check_load(db_path, "transactions", *(tmp_path / name for name in files))
    assert checked.exit_code == 3 and len(checked.loads) == 1
    for name, (_, words) in files.items():
        if words:
            assert f"memberkit: {tmp_path / name}: {words}" in checked.stderr
    assert loaded_tickets(db_path)[0][0] == "T1"


def test_header_only_files_load_zero_rows(db_path, tmp_path):
    files = []
    for name, data in [
        ("no_newline.csv", TX_HEADER.encode()),
        ("newline.csv", TX_HEADER.encode() + b"\n"),
        ("bom_crlf.csv", b"\xef\xbb\xbf" + TX_HEADER.encode() + b"\r\n"),
        ("bom_crlf_blank.csv", b"\xef\xbb\xbf" + TX_HEADER.encode() + b"\r\n\r\n\r\n"),
    ]:
        files.append(tmp_path / name)
        files[-1].write_bytes(data)
    checked = check_load(db_path, "transactions", *files)
    assert checked.exit_code == 0
    assert [load[3:5] for load in checked.loads] == [(0, 0)] * 4


def test_a_folder_is_a_usage_error_naming_it(db_path, tmp_path):
    folder = tmp_path / "exports.csv"
    folder.mkdir()
    checked = check_load(db_path, "transactions", folder)
    assert checked.exit_code == 2 and "folder" in checked.stderr


def test_a_file_that_cannot_be_opened_is_refused_and_the_others_still_load(
    db_path, tmp_path, monkeypatch
):
    """chmod 000 for an ordinary user; root reads any file, so for root the file's open()
    is made to fail with 'Permission denied' instead."""
    from memberkit.ingest import scan as source  # where files are opened

    locked = write(tmp_path / "locked.csv", csv_text(TX_HEADER, f"T1,{GOOD}"))
    other = write(tmp_path / "other.csv", csv_text(TX_HEADER, f"T2,{GOOD}"))

    def guarded_open(file, *args, **kwargs):
        if Path(file) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return open(file, *args, **kwargs)

    if os.geteuid() == 0:
        monkeypatch.setattr(source, "open", guarded_open, raising=False)
    else:
        locked.chmod(0)
    try:
        checked = check_load(db_path, "transactions", locked, other)
    finally:
        locked.chmod(0o600)
    assert checked.exit_code == 3
    assert f"{locked}: cannot be read: Permission denied" in checked.stderr
    assert [t[0] for t in loaded_tickets(db_path)] == ["T2"]


def test_ambiguous_or_wrong_kind_headers_are_refused_naming_the_column_or_kind(db_path, tmp_path):
    cases = {
        "same_name_twice.csv": (TX_HEADER + ",txn_id", "both mean txn_id"),
        "case_and_spaces.csv": (
            TX_HEADER.replace("小票号", "TXN_ID") + ", txn_id ",
            "columns 'TXN_ID' and 'txn_id' both mean txn_id",
        ),
        "alias_and_name.csv": (TX_HEADER + ",小票号", "both mean txn_id"),
        "members.csv": (MEMBER_HEADER, "memberkit load members"),
        "stores.csv": ("store_id,store_name,region", "memberkit load stores"),
    }
    for name, (header, _) in cases.items():
        write(tmp_path / name, csv_text(header, f"T1,{GOOD},T1"))
    checked = check_load(db_path, "transactions", *(tmp_path / name for name in cases))
    assert checked.exit_code == 3 and checked.loads == []
    for name, (_, words) in cases.items():
        message = next(line for line in checked.stderr.splitlines() if name in line)
        hint = checked.stderr.split(message, 1)[1].split("\nmemberkit: ", 1)[0]
        assert words in message + hint, (name, checked.stderr)


def test_headers_differing_only_in_case_and_spaces_are_matched(db_path, tmp_path):
    header = " TXN_ID ,Store_Id,TXN_time,  member_ID,Amount  ,ITEM_QTY"
    path = write(tmp_path / "case.csv", csv_text(header, f"T1,{GOOD}"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 0 and only_load(checked)[4] == 1


def test_duplicate_unknown_headers_are_ignored_once_each(db_path, tmp_path):
    path = write(tmp_path / "dups.csv", csv_text(TX_HEADER + ",备注,备注,", f"T1,{GOOD},a,b,"))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 0 and only_load(checked)[4] == 1
    assert "备注" in checked.stderr


def test_the_same_file_twice_in_one_command_loads_once(db_path, tmp_path):
    path = write(tmp_path / "tx.csv", csv_text(TX_HEADER, f"T1,{GOOD}", f"T1,{GOOD}"))
    checked = check_load(db_path, "transactions", path, path)
    assert checked.exit_code == 0 and only_load(checked)[3:] == (2, 1, 0, 1, 0)
    assert f"{path}: already loaded" in checked.stdout


# --- refused files still account for every row -----------------------------------------


def test_a_refused_file_accounts_for_every_row_and_changes_nothing_else(db_path, tmp_path):
    seed = write(tmp_path / "seed.csv", csv_text(TX_HEADER, f"T0,{GOOD}"))
    check_load(db_path, "transactions", seed)
    lines = [f"T{i},{GOOD}" for i in range(1, 96)] + [f"T1,{GOOD}", f"T0,{GOOD}"]
    lines += ["T96,S01,bad,M1,1,1", "T97,S01,2026-03-01,M1,x,1", "T98", f"T99,{GOOD},x"]
    path = write(tmp_path / "refused.csv", csv_text(TX_HEADER, *lines))
    checked = check_load(db_path, "transactions", path)
    assert checked.exit_code == 3
    # 101 read: 95 would have loaded, 2 duplicates, 4 rejected
    assert only_load(checked)[2:] == ("refused", 101, 0, 0, 2, 4)
    assert "101 read, REFUSED: 4 rejected, nothing loaded (95 would have loaded, 2 duplicate;" in (
        checked.stdout
    )
    assert [t[0] for t in loaded_tickets(db_path)] == ["T0"]
