"""Nothing from a file can attack the person reading the output (SPEC 6, issue 17 case 10).

One chain is loaded through `memberkit load` whose names, ids, phones, store names, regions,
gift names and complaint fields hold spreadsheet formulas (=HYPERLINK, +cmd|, -2+3+cmd|,
@SUM), terminal escapes (ESC sequences, an OSC window title, C1 CSI, CR), bidi controls and
rich markup, and store ids and names that Excel refuses as sheet names. Every command that
writes CSV, prints a table or writes a workbook is run on it through the CLI:

- CSV: every text cell a spreadsheet would run starts with ', numeric columns parse as numbers
  (negative ones unprefixed);
- terminal: no raw control, bidi or format character reaches the screen, at 80 and 120
  columns, and markup in a name is shown, not interpreted;
- workbooks: they open, with one sheet per store holding that store's rows, valid sheet names,
  and formula-looking names as string cells.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from conftest import MEMBER_HEADER, TX_HEADER, run_cli, write
from memberkit.cli import common
from memberkit.files import defuse_formula
from memberkit.render.templates import load_template

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
NAMES = [
    HYPERLINK,
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "王\x1b[31m芳\x1b]0;title\x07",  # colour, then an OSC that retitles the window
    "a\u202eb\u2066c\u200fd",  # right-to-left override, isolate, mark
    "x\ry\x9b31m",  # CR, and C1 CSI
    "[/vip]张\u3000三 [link=http://evil.example]x[/link]",  # rich markup
]
ID_PREFIX = ["=", "+", "-", "@", "M", "M", "M", "M"]
LONG = "LONG-STORE-IDENTIFIER-00000000000"  # two ids that differ only after 31 characters
STORES = [  # id, name, region
    ("S001", HYPERLINK, "华东"),
    ("S2'", "O'Neil'", "华南"),  # an id and a name ending with an apostrophe
    ("@S3", "[a]:b*c?d/e\\f" + "很长的门店名称" * 4, "华北"),  # refused characters, long
    ("History", "", "华北"),  # Excel reserves the sheet name
    ("ab", "店", "华北"),
    ("AB", "店", "华北"),  # "ab 店" and "AB 店" are one sheet name to Excel
    ("S5", "\x1b[31m红\x1b]0;title\x07店\u202eabc", "华\x1b[31m东\u202e"),
    ("-S6", "+cmd|' /C calc'!A0", "+西南"),
    (LONG + "1", "", "华东"),
    (LONG + "2", "", "华东"),
]
STORE_IDS = [s[0] for s in STORES]


def member_id(group: str, i: int, j: int) -> str:
    return f"{ID_PREFIX[j]}{group}{i}{j}"


def csv_text(header: list[str] | str, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so that a CR in a value is quoted
    writer.writerow(header.split(",") if isinstance(header, str) else header)
    writer.writerows(rows)
    return buffer.getvalue()


def load(db_file: Path, kind: str, path: Path, *extra) -> None:
    result = run_cli("--db", db_file, "load", kind, path, *extra)
    assert result.exit_code == 0, result.output
    assert ", 0 rejected" in result.output, result.output  # every hostile row kept as text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """Members of group A lapsed in March 2026 and expire in November 2026 without the
    waiver; members of group B joined in October 2026 with a large ticket. Every store has
    one member of each group per name, so every list has every payload in every store."""
    folder = tmp_path_factory.mktemp("hostile")
    db_file = folder / "h.duckdb"
    load(
        db_file, "stores", write(folder / "stores.csv", csv_text("门店编号,门店名称,区域", STORES))
    )
    members, tickets = [], []
    for i, (store, _, _) in enumerate(STORES):
        for j, name in enumerate(NAMES):
            a, b = member_id("A", i, j), member_id("B", i, j)
            phone = f"+86138{i:02d}{j:02d}"
            members.append([a, name, "女", "1990-01-01", phone + "01", store, "2020-01-01"])
            members[-1].append(f"2026-11-{j + 1:02d}")
            members.append([b, name, "男", "1985-06-01", phone + "02", store, "2026-10-02"])
            members[-1].append("2027-10-02")
            tickets += [
                [f"TA{i}-{j}-1", store, "2026-03-01 10:00", a, "200.00", "1"],
                [f"TA{i}-{j}-2", store, "2026-03-15 10:00", a, "150.00", "1"],
                [f"TB{i}-{j}-1", store, "2026-10-03 10:00", b, "1500.00", "2"],
                [f"TB{i}-{j}-2", store, "2026-10-20 10:00", b, "30.00", "1"],
            ]
    load(db_file, "members", write(folder / "members.csv", csv_text(MEMBER_HEADER, members)))
    load(db_file, "transactions", write(folder / "tickets.csv", csv_text(TX_HEADER, tickets)))
    complaints = [
        ["=C1", "2026-10-01 10:00:00", "S5", "-A02", "+电话", "\x1b[31m服务\u202e", "", "", ""]
        + ["@张三", "-内容"],
        ["-C2", "2026-10-02 10:00:00", "@S3", "", "门店", "-商品质量", "", "", "", "", ""],
    ]
    header = (
        "投诉编号,受理时间,投诉门店,会员卡号,投诉渠道,投诉类别,首次答复时间,处理完成时间,"
        "满意度,顾客姓名,投诉内容"
    )
    load(db_file, "complaints", write(folder / "complaints.csv", csv_text(header, complaints)))
    gifts = [["-G1", HYPERLINK, "@个", "35.50"], ["G2", "\x1b[31m杯\u202e", "+", "6.80"]]
    load(
        db_file,
        "gifts",
        write(folder / "gifts.csv", csv_text("礼品编号,礼品名称,单位,单价", gifts)),
    )
    moves = [
        ["2026-10-01", "HQ", "-G1", "opening", "50", "OPN1", "", ""],
        ["2026-10-01", "HQ", "G2", "opening", "30", "OPN2", "", ""],
        ["2026-10-02", "HQ", "-G1", "transfer", "10", "=T1", "-S6", ""],
        ["2026-10-03", "-S6", "-G1", "issue", "2", "@I1", "", "-A72"],
    ]
    header = "move_date,location,gift_id,kind,qty,ref,to_location,member_id"
    load(db_file, "gift-moves", write(folder / "moves.csv", csv_text(header, moves)))
    counts = [
        ["2026-10-31", "HQ", "-G1", "39", "+cmd|' /C calc'!A0"],  # book 40: one short
        ["2026-10-31", "HQ", "G2", "30", "\x1b[31m王\u202e"],
        ["2026-10-31", "-S6", "-G1", "8", "=x"],
    ]
    header = "count_date,location,gift_id,counted_qty,counted_by"
    load(db_file, "gift-counts", write(folder / "counts.csv", csv_text(header, counts)))
    return db_file


# --- 1. CSV: the formula guard on every writer ----------------------------------------------

# (arguments, template): every command that writes CSV, on data that reaches it
CSV_COMMANDS = [
    (("expiring", "--as-of", "2026-10-15"), "expiring"),
    (("churn", "--list", "--month", "2026-10"), "churn-list"),
    (("churn", "--list", "--risk", "--month", "2026-10"), "churn-list-risk"),
    (("churn", "--month", "2026-10", "--by", "store"), "churn"),
    (("callbacks", "--month", "2026-10"), "callbacks"),
    (("new-members", "--problems", "--all-members", "--month", "2026-10"), "member-problems"),
    (("new-members", "--month", "2026-10", "--by", "store"), "new-members"),
    (("complaints", "--overdue", "--month", "2026-10"), "complaints-overdue"),
    (("complaints", "--month", "2026-10", "--by", "category"), "complaints"),
    (("churn-risk", "--as-of", "2026-10-31"), "churn-risk"),
    (("spend-bands", "--month", "2026-10", "--by", "store"), "spend-bands"),
    (("demographics", "--month", "2026-10", "--by", "region"), "demographics"),
    (("spending-power", "--month", "2026-10", "--by", "store"), "spending-power"),
    (("grades", "--month", "2026-10", "--by", "store"), "grades"),
    (("grades", "--migration", "--month", "2026-10", "--by", "store"), "grade-migration"),
    (("gifts", "stock", "--as-of", "2026-10-31"), "gift-stock"),
    (("gifts", "issues", "--month", "2026-10"), "gift-issues"),
    (("gifts", "reconcile"), "gift-reconcile"),
    (("gifts", "reconcile", "--summary"), "gift-summary"),
]
NUMERIC = {"count", "money", "ratio", "decimal"}


def read(path: Path) -> str:
    """A CSV file's text as written: no newline translation (a CR inside a quoted value stays
    a CR), without the BOM."""
    return path.read_bytes().decode("utf-8-sig")


def format_of(key: str, template_name: str) -> str:
    """The template's format of a CSV key: a column, or a field of a group's items
    (band_lt100_members: the field `members` of the group with prefix `band`)."""
    template = load_template(template_name)
    for column in template.columns:
        if column.key == key:
            return column.format
    fields = [
        f
        for g in template.groups
        for f in g.fields
        if key.startswith(f"{g.prefix}_") and key.endswith(f"_{f.key}")
    ]
    assert fields, f"{template_name}: {key} is not in the template"
    return max(fields, key=lambda f: len(f.key)).format


def assert_safe_csv(text: str, template_name: str, where: str) -> list[dict[str, str]]:
    """Every text cell that starts like a formula starts with '; every numeric column is a
    number (or empty for undefined), never prefixed. Returns the rows."""
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows, f"{where}: no rows (the test data does not reach this list)"
    formats = {key: format_of(key, template_name) for key in rows[0]}
    guarded = 0
    for row in rows:
        for key, cell in row.items():
            fmt = formats[key]
            if fmt in NUMERIC:
                if cell != "":
                    float(cell)  # a number, as written: "-35.50", "-1", "0.125"
                continue
            assert not cell.startswith(FORMULA_STARTS), f"{where}: {key}={cell!r}"
            guarded += cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS)
    assert guarded, f"{where}: no guarded cell (the hostile values do not reach this list)"
    return rows


@pytest.mark.parametrize(
    ("args", "template"), CSV_COMMANDS, ids=[" ".join(a) for a, _ in CSV_COMMANDS]
)
def test_every_csv_guards_formulas_and_keeps_numbers(hostile, tmp_path, args, template):
    target = tmp_path / "out.csv"
    result = run_cli("--db", hostile, *args, "--format", "csv", "--output", target)
    assert result.exit_code == 0, result.output
    assert_safe_csv(read(target), template, " ".join(args))
    printed = run_cli("--db", hostile, *args, "--format", "csv")  # to stdout
    assert printed.exit_code == 0, printed.output
    assert_safe_csv(printed.stdout, template, " ".join(args) + " (stdout)")


def test_csv_values_are_guarded_exactly_and_negative_numbers_stay_numbers(hostile, tmp_path):
    target = tmp_path / "callbacks.csv"
    args = ("--db", hostile, "callbacks", "--month", "2026-10", "-f", "csv", "-o", target)
    assert run_cli(*args).exit_code == 0
    rows = assert_safe_csv(read(target), "callbacks", "callbacks")
    by_member = {(r["kind"], r["member_id"]): r for r in rows}
    # the id -B02, its name and its phone +86... are text: each gets one apostrophe, and
    # nothing else changes
    row = by_member["after_sale", "'-B02"]
    assert row["name"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["phone"] == "'+861380002" + "02"
    assert row["store_id"] == "S001" and row["reason_amount"] == "1500.00"
    assert by_member["after_sale", "'=B00"]["name"] == "'" + HYPERLINK
    assert by_member["lapsed", "'@A13"]["name"] == "'@SUM(A1:A2)"
    assert by_member["lapsed", "'@A13"]["store_id"] == "S2'"
    assert by_member["lapsed", "MA64"]["name"] == NAMES[4]  # not a formula: as it is
    assert {r["store_id"] for r in rows} >= {"'@S3", "'-S6"}

    target = tmp_path / "reconcile.csv"
    assert run_cli("--db", hostile, "gifts", "reconcile", "-f", "csv", "-o", target).exit_code == 0
    rows = assert_safe_csv(read(target), "gift-reconcile", "gifts reconcile")
    (short,) = [r for r in rows if r["location"] == "HQ" and r["gift_id"] == "'-G1"]
    assert (short["variance"], short["variance_value"]) == ("-1", "-35.50")
    assert short["counted_by"] == "'+cmd|' /C calc'!A0"
    assert short["gift_name"] == "'" + HYPERLINK


def test_rejects_file_guards_every_text_cell(tmp_path):
    """--rejects: the raw line, the file name and every other text cell; the line number
    stays a number. `-2+3+cmd` used to pass the guard (a '-' followed by a digit)."""
    good = [
        [f"M{i:03d}", f"会员{i}", "女", "1990-01-01", f"1380000{i:04d}", "S001"] for i in range(3)
    ]
    good = [r + ["2024-01-01", "2026-12-31"] for r in good]
    bad = [
        ["-2+3+cmd|' /C calc'!A0", "x", "女", "1990-01-01", "13800001234", "S001", "2024-13-01"],
        ["=1+1", "@SUM(A1)", "女", "1990-01-01", "13800001235", "S001", "2024-13-01"],
        ["+M9", "-12.50", "女", "1990-01-01", "13800001236", "S001", "2024-13-01"],
    ]
    bad = [r + ["2026-12-31"] for r in bad]
    members = write(tmp_path / "-members.csv", csv_text(MEMBER_HEADER, good + bad))
    target = tmp_path / "rejects.csv"
    result = run_cli(
        "--db", tmp_path / "r.duckdb", "load", "members", members,
        "--rejects", target, "--max-reject-ratio", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(read(target), newline="")))
    assert [int(r["line"]) for r in rows] == [5, 6, 7]
    for row in rows:
        for key, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (key, cell)
    assert {r["file"] for r in rows} == {"'-members.csv"}
    raws = [r["raw"] for r in rows]
    assert raws[0].startswith("'-2+3+cmd|") and raws[1].startswith("'=1+1,@SUM(A1),")
    assert raws[2].startswith("'+M9,-12.50,")


def test_the_guard_itself():
    """The one rule every CSV writer uses: text starting with = + - @ tab or CR."""
    for text in (HYPERLINK, "+1", "-2+3+cmd|' /C calc'!A0", "-12.50", "@SUM(A1)", "\t=1", "\r+1"):
        assert defuse_formula(text) == "'" + text
    for text in ("王芳", "S001", "", "'=1", " =1", "12.50", "1-2"):
        assert defuse_formula(text) == text


# --- 2. terminal: no raw control or bidi character, no markup -------------------------------

TABLE_COMMANDS = [args for args, _ in CSV_COMMANDS] + [
    ("churn-risk", "--as-of", "2026-10-31", "--by", "store"),
    ("spend-bands", "--month", "2026-10", "--by", "region"),
    ("spend-bands", "--month", "2026-10", "--region", STORES[6][2]),  # in the title
    ("info",),
    ("check",),
]


def unsafe(text: str) -> list[str]:
    """Characters that must not reach a terminal raw: C0 (but the newline), DEL, C1, format
    characters (bidi controls, zero-width, marks) and line/paragraph separators."""
    return sorted(
        {
            repr(c)
            for c in text
            if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn")
        }
    )


@pytest.fixture(params=["80", "120"])
def columns(request, monkeypatch):
    """A terminal this many columns wide: the console is made again with COLUMNS set."""
    monkeypatch.setenv("COLUMNS", request.param)
    monkeypatch.setattr(common.out, "_console", None)
    monkeypatch.setattr(common.err, "_console", None)
    return int(request.param)


@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=lambda v: " ".join(v))
def test_terminal_tables_escape_control_and_bidi_characters(hostile, columns, args):
    result = run_cli("--db", hostile, *args)
    assert result.exit_code == 0, result.output
    printed = result.stdout + result.stderr
    assert unsafe(printed) == [], f"{args} at {columns} columns"


@pytest.fixture
def wide(monkeypatch):
    """A terminal wide enough that no cell is cut, to read what a table shows."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(common.out, "_console", None)
    monkeypatch.setattr(common.err, "_console", None)


def test_escapes_and_markup_are_shown_as_written(hostile, wide):
    """What was escaped can be read: the category of complaint =C1 and a name with markup
    (which rich used to interpret: '[/vip]' ended the command with a MarkupError)."""
    result = run_cli("--db", hostile, "complaints", "--month", "2026-10", "--by", "category")
    assert result.exit_code == 0, result.output
    assert "\\x1b[31m服务\\u202e" in result.stdout
    result = run_cli("--db", hostile, "gifts", "reconcile", "--location", "HQ", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "\\x1b[31m王\\u202e" in result.stdout  # counted_by of G2
    result = run_cli("--db", hostile, "churn", "--list", "--month", "2026-10", "--store", "AB")
    assert result.exit_code == 0, result.output
    assert "[/vip]张\u3000三 [link=http://evil.example]x[/link]" in result.stdout


def test_info_escapes_store_ids_and_file_names(tmp_path, wide):
    """`info` prints store ids found on tickets and the file names of loads: escaped, and a
    file name is never read as markup."""
    tickets = csv_text(TX_HEADER, [["T1", "S\x1b[31mX\u202e", "2026-10-01 10:00", "", "9.00", "1"]])
    path = write(tmp_path / "[vip]t.csv", tickets)
    db_file = tmp_path / "i.duckdb"
    load(db_file, "transactions", path)
    result = run_cli("--db", db_file, "info")
    assert result.exit_code == 0, result.output
    assert unsafe(result.stdout) == []
    assert "S\\x1b[31mX\\u202e" in result.stdout
    assert "[vip]t.csv" in result.stdout


# --- 3. and 4. workbooks: valid sheet names, one per store, text stays text ------------------


def valid_sheet_names(names: list[str]) -> None:
    for name in names:
        assert len(name.encode("utf-16-le")) // 2 <= 31, name
        assert not set(name) & set("[]:*?/\\"), name
        assert not name.startswith("'") and not name.endswith("'"), name
        assert name.casefold() != "history", name
        assert unsafe(name) == [], name
    assert len({n.casefold() for n in names}) == len(names), names


def sheet_rows(ws) -> list[dict]:
    header = [c.value for c in ws[4] if c.value is not None]
    rows = []
    for row in ws.iter_rows(min_row=5, max_col=len(header)):
        if row[0].value is None:
            break
        rows.append({h: c for h, c in zip(header, row, strict=True)})
    return rows


def no_formulas(wb) -> None:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def per_store_sheets(wb, first: int, store_column: str, member_column: str) -> dict[str, set]:
    """{store id: member ids} of the sheets after the first `first`, one store per sheet."""
    stores: dict[str, set] = {}
    for ws in wb.worksheets[first:]:
        rows = sheet_rows(ws)
        (store,) = {r[store_column].value for r in rows}
        assert store not in stores, f"two sheets for {store!r}"
        assert store in ws["A2"].value  # the subtitle's scope names it
        stores[store] = {r[member_column].value for r in rows}
    return stores


def test_expiring_workbook_has_a_valid_sheet_per_store(hostile, tmp_path):
    target = tmp_path / "e.xlsx"
    result = run_cli(
        "--db", hostile, "expiring", "--as-of", "2026-10-15", "-f", "xlsx", "-o", target
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(target)
    valid_sheet_names(wb.sheetnames)
    assert len(wb.sheetnames) == 1 + len(STORES)
    expected = {
        s: {member_id("A", i, j) for j in range(len(NAMES))} for i, s in enumerate(STORE_IDS)
    }
    assert per_store_sheets(wb, 1, "开卡门店", "会员卡号") == expected
    # 4. a name that looks like a formula is a string cell holding exactly that name
    cells = {r["会员卡号"].value: r["姓名"] for r in sheet_rows(wb.worksheets[0])}
    assert (cells["=A00"].value, cells["=A00"].data_type) == (HYPERLINK, "s")
    assert cells["+A01"].data_type == "s" and cells["+A01"].value == NAMES[1]
    # control characters kept, in the _xHHHH_ form Excel reads back (openpyxl does not)
    assert cells["MA04"].value == "王_x001B_[31m芳_x001B_]0;title_x0007_"
    no_formulas(wb)


def test_expiring_split_by_store_writes_a_valid_workbook_per_store(hostile, tmp_path):
    folder = tmp_path / "split"
    result = run_cli(
        "--db", hostile, "expiring", "--as-of", "2026-10-15", "--split-by-store", folder
    )
    assert result.exit_code == 0, result.output
    files = sorted(folder.iterdir())
    assert len(files) == 1 + len(STORES)
    seen = {}
    for path in files:
        wb = openpyxl.load_workbook(path)
        valid_sheet_names(wb.sheetnames)
        no_formulas(wb)
        if "全部门店" not in path.name:
            seen.update(per_store_sheets(wb, 0, "开卡门店", "会员卡号"))
    assert set(seen) == set(STORE_IDS)


def test_callbacks_workbook_has_a_valid_sheet_per_store(hostile, tmp_path):
    target = tmp_path / "c.xlsx"
    result = run_cli("--db", hostile, "callbacks", "--month", "2026-10", "-f", "xlsx", "-o", target)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(target)
    valid_sheet_names(wb.sheetnames)
    assert wb.sheetnames[:4] == ["全部回访", "售后回访", "新会员回访", "流失会员回访"]
    assert len(wb.sheetnames) == 4 + len(STORES)
    expected = {
        s: {member_id(g, i, j) for g in "AB" for j in range(len(NAMES))}
        for i, s in enumerate(STORE_IDS)
    }
    assert per_store_sheets(wb, 4, "开卡门店", "会员卡号") == expected
    everyone = sheet_rows(wb.worksheets[0])
    assert len(everyone) == len(STORES) * len(NAMES) * 3  # after-sale and new (B), lapsed (A)
    names = {r["姓名"].value: r["姓名"].data_type for r in everyone}
    assert names[HYPERLINK] == "s"
    no_formulas(wb)


def test_every_other_workbook_keeps_text_as_text(hostile, tmp_path):
    """The count sheet (its own xlsxwriter.Workbook) and report workbooks: they open, their
    sheet names are valid, and =HYPERLINK(...) from a gift name is a string cell."""
    sheet = tmp_path / "count.xlsx"
    result = run_cli("--db", hostile, "gifts", "count-sheet", "--location", "HQ", "-o", sheet)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(sheet)
    valid_sheet_names(wb.sheetnames)
    names = {c.value: c.data_type for row in wb.worksheets[0].iter_rows() for c in row}
    assert names[HYPERLINK] == "s"
    no_formulas(wb)
    for args in (
        ("gifts", "stock", "--as-of", "2026-10-31"),
        ("churn", "--list", "--month", "2026-10"),
        ("complaints", "--overdue", "--month", "2026-10"),
        ("spend-bands", "--month", "2026-10", "--by", "store"),
    ):
        target = tmp_path / "r.xlsx"
        result = run_cli("--db", hostile, *args, "-f", "xlsx", "-o", target)
        assert result.exit_code == 0, (args, result.output)
        wb = openpyxl.load_workbook(target)
        valid_sheet_names(wb.sheetnames)
        no_formulas(wb)
    monthly = tmp_path / "month.xlsx"
    result = run_cli("--db", hostile, "report", "--month", "2026-10", "-o", monthly)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(monthly)
    valid_sheet_names(wb.sheetnames)
    no_formulas(wb)


@pytest.mark.parametrize(
    "args",
    [
        ("callbacks", "--month", "2026-10"),
        ("complaints", "--month", "2026-10", "--by", "category"),
        ("gifts", "stock", "--as-of", "2026-10-31"),
    ],
    ids=lambda v: v[0],
)
def test_json_is_exact_and_safe_on_a_screen(hostile, args):
    """JSON is data, not a spreadsheet: no apostrophes, every value exactly as loaded; and
    printed to a terminal it holds no raw DEL, C1 or bidi character (they are \\u escapes,
    which a JSON reader turns back into the same value)."""
    result = run_cli("--db", hostile, *args, "-f", "json")
    assert result.exit_code == 0, result.output
    assert unsafe(result.stdout) == []
    rows = json.loads(result.stdout)["rows"]
    if args[0] == "callbacks":
        names = {r["member_id"]: r["name"] for r in rows}
        assert [names[member_id("B", 0, j)] for j in range(len(NAMES))] == NAMES
    elif args[0] == "complaints":
        assert [r["scope"] for r in rows] == ["\x1b[31m服务\u202e", "-商品质量", "ALL"]
    else:
        assert {r["gift_name"] for r in rows} == {HYPERLINK, "\x1b[31m杯\u202e"}
