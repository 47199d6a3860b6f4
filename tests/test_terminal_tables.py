"""Terminal tables (SPEC 6): no number, date, id or phone is ever cut, at any width; a table
too wide turns on its side; lists show their first --limit rows and say how many more, and
files hold every row.

Every report of the catalogue is rendered at 80 and 120 columns and each value of its JSON
rows is looked for, formatted here from the JSON as a reader expects it (1,234.50, 12.3%,
138****5678), as a whole cell of the text."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

import memberkit
from conftest import run_cli
from memberkit.cli import framework
from memberkit.periods import Scope, month
from memberkit.render import grid, terminal
from memberkit.render.templates import load_template, scope_labels
from memberkit.reports import Report

M = "2026-10"
DAY = "2026-10-31"

# every report of the catalogue, with the API's keywords for a month of the sample chain
REPORTS = [
    ("spend-bands", {"month": M, "by": "store"}),
    ("demographics", {"month": M, "by": "region"}),
    ("spending-power", {"month": M, "by": "store"}),
    ("churn", {"month": M, "by": "store"}),
    ("churn-list", {"month": M}),
    ("churn-list-risk", {"month": M}),
    ("new-members", {"month": M, "by": "store"}),
    ("member-problems", {"month": M, "all_members": True}),
    ("grades", {"month": M, "by": "region"}),
    ("grade-migration", {"month": M}),
    ("complaints", {"month": M, "by": "store"}),
    ("complaints-overdue", {"month": M}),
    ("satisfaction", {"month": M, "by": "region"}),
    ("satisfaction-low", {"month": M}),
    ("callbacks", {"month": M}),
    ("callback-counts", {"month": M, "by": "store"}),
    ("gift-issues", {"month": M, "by": "store"}),
    ("callback-review", {"month": M, "by": "store"}),
    ("callback-effect", {"month": "2026-08", "window_days": 60, "by": "region"}),
    ("expiring", {"as_of": "2026-10-05"}),
    ("churn-risk", {"as_of": DAY, "by": "region"}),
    ("gift-stock", {"as_of": DAY}),
    ("gift-reconcile", {}),
    ("gift-summary", {}),
    ("gift-requests", {"as_of": DAY}),
    ("gift-requests-summary", {"as_of": DAY}),
]
RULES = "│┃"


@pytest.fixture(scope="module")
def chain(full_chain):
    """The sample chain with every file loaded (conftest.full_chain): read only here."""
    return full_chain


@pytest.fixture(scope="module")
def results(chain):
    with memberkit.open(chain) as db:
        yield {name: db.report(name, **keywords) for name, keywords in REPORTS}


def masked(phone: str) -> str:
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def as_read(value, fmt: str) -> str:
    """A JSON value as a table shows it."""
    if fmt == "count":
        return f"{int(value):,}"
    # as a spreadsheet rounds: a half away from zero (Decimal's own format would round it
    # to even)
    if fmt in ("money", "decimal"):
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    if fmt == "ratio":
        percent = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{percent}%"
    if fmt == "phone":
        return masked(value)
    return str(value)


def expected(
    row: dict, name: str, relabelled=(), split: bool = False
) -> tuple[list[str], list[str]]:
    """The cells a JSON row must show whole, and the words of its free text (which may wrap
    between words); `relabelled`: columns whose codes the command shows in words. A code
    (of the template's [codes.*], or a scope code: ALL of a split is 合计) as its zh label."""
    template = load_template(name)
    labels = template.code_labels("zh")
    labels["scope"] = scope_labels("zh", split=split)
    whole, words = [], []
    for column in template.columns:
        value = row.get(column.key)
        if value is None or column.key in relabelled:
            continue
        value = labels.get(column.key, {}).get(value, value)
        if column.key in terminal.FREE_TEXT:
            words.extend(w for w in str(value).split(" ") if w)
        else:
            whole.append(as_read(value, column.format))
    for group in template.groups:
        for item in row.get(group.key) or []:
            values = [as_read(item[f.key], f.format) for f in group.fields]
            whole.extend([f"{values[0]} ({values[1]})"] if len(values) == 2 else values)
    return whole, words


def rendered(report: Report, name: str, width: int, lang: str = "zh", limit: int = 0) -> str:
    view = terminal.terminal_view(report, name, lang, width=width, limit=limit)
    console = Console(width=view.width, file=io.StringIO(), record=True)
    console.print(view.renderable)
    return console.export_text()


def cells_of(text: str) -> set[str]:
    return {cell.strip() for line in text.splitlines() for cell in re.split(f"[{RULES}]", line)}


def some_rows(rows: list) -> slice:
    """All rows of a short report; the first and last hundred of a long one."""
    return slice(None) if len(rows) <= 200 else slice(None, 100)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", [name for name, _ in REPORTS])
def test_every_value_of_every_report_is_shown_whole(results, name, width):
    result = results[name]
    json_rows, report_rows = result.rows, result.report.rows
    assert json_rows, f"{name}: the sample chain gives no row to look at"
    if len(json_rows) > 200:  # the first and the last hundred
        json_rows = json_rows[:100] + json_rows[-100:]
        report_rows = report_rows[:100] + report_rows[-100:]
    text = rendered(replace(result.report, rows=report_rows), name, width)
    assert "…" not in text
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert too_wide == [], f"{name}: lines wider than {width}"
    cells = cells_of(text)
    for row in json_rows:
        split = bool(result.report.scope.by or result.report.split)
        whole, words = expected(row, name, split=split)
        missing = [value for value in whole if value not in cells]
        assert missing == [], f"{name} at {width}: {missing} not whole in\n{text[:3000]}"
        assert [w for w in words if w not in text] == [], f"{name}: free text cut"


def test_the_reports_above_are_the_catalogue():
    assert sorted(name for name, _ in REPORTS) == sorted(memberkit.reports())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grades_label_each_of_their_four_figures(results, lang):
    """A grade's members, share, spend and spend share each on a line (or under a heading)
    of its own, named by the template's words, not four numbers in one cell."""
    text = rendered(results["grades"].report, "grades", 80, lang)
    template = load_template("grades")
    (group,) = template.groups
    all_row = next(r for r in results["grades"].rows if r["scope"] == "ALL")
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    for item in all_row["grades"]:
        for field in group.fields:
            label = f"{group.item_name(item['label'], lang)} {field.label.in_(lang)}"
            assert label in lines, label
            assert as_read(item[field.key], field.format) in cells_of(lines[label])


def test_spending_power_by_store_turns_on_its_side_with_every_amount(results):
    """22 columns do not fit 80 or 120: a line per figure, a column per store."""
    result = results["spending-power"]
    for width in (80, 120):
        text = rendered(result.report, "spending-power", width)
        assert text.startswith("会员消费力分析表 · 2026-10 · 全公司（按门店）")
        lines = [line for line in text.splitlines() if "│" in line]
        sales = [line for line in lines if line.split("│")[1].strip() == "销售额"]
        shown = [cell for line in sales for cell in cells_of(line)]
        assert {f"{r['sales']:,.2f}" for r in result.rows} <= set(shown)


def test_a_table_that_fits_stays_a_table(results):
    """A short list fits 120 columns as a table: one line per member, with all of its row."""
    result = results["churn-list-risk"]
    text = rendered(result.report, "churn-list-risk", 120, limit=5)
    for row in result.rows[:5]:
        (line,) = [line for line in text.splitlines() if f" {row['member_id']} " in line]
        assert masked(row["phone"]) in line and f"{row['value_at_risk']:,.2f}" in line


def test_without_a_width_the_table_is_as_wide_as_it_needs(results):
    """Piped where no terminal is (cron, a script's redirect): one line per row, however
    wide, nothing cut."""
    result = results["spending-power"]
    view = terminal.terminal_view(result.report, "spending-power", "zh", width=None)
    console = Console(width=view.width, file=io.StringIO(), record=True)
    console.print(view.renderable)
    text = console.export_text()
    assert view.width > 200
    for row in result.rows:
        scope = scope_labels("zh", split=True).get(row["scope"], row["scope"])  # ALL: 合计
        (line,) = [line for line in text.splitlines() if f"│ {scope} " in line]
        assert f"{row['sales']:,.2f}" in line and f"{row['member_attach_rate']:.2f}" in line


def test_terminal_width_comes_from_columns_else_the_terminal_read_in(monkeypatch):
    monkeypatch.setenv("COLUMNS", "97")
    assert framework.terminal_width() == 97
    monkeypatch.delenv("COLUMNS")
    terminals = {2: 133}  # the terminal is on stderr: stdout goes to a pipe or a file

    def size(fd):
        if fd not in terminals:
            raise OSError("not a terminal")
        return os.terminal_size((terminals[fd], 40))

    def stdout_is(kind):
        result = os.stat_result((kind, *[0] * 9))
        monkeypatch.setattr(framework.os, "fstat", lambda fd: result)

    monkeypatch.setattr(framework.os, "get_terminal_size", size)
    monkeypatch.setattr(framework.os, "isatty", lambda fd: fd in terminals)
    stdout_is(stat.S_IFIFO)  # | less: read in the terminal
    assert framework.terminal_width() == 133
    stdout_is(stat.S_IFREG)  # > file.txt: as wide as the table needs
    assert framework.terminal_width() is None
    terminals.clear()  # cron: no terminal anywhere
    stdout_is(stat.S_IFIFO)
    assert framework.terminal_width() is None


# --- lists and --limit ------------------------------------------------------------------------

LISTS = [
    (["churn", "--list", "--month", M], "churn-list"),
    (["churn", "--list", "--risk", "--month", M], "churn-list-risk"),
    (["new-members", "--problems", "--all-members", "--month", M], "member-problems"),
    (["expiring", "--as-of", "2026-10-05"], "expiring"),
    (["callbacks", "--month", M], "callbacks"),
    (["churn-risk", "--as-of", DAY], "churn-risk"),
    (["complaints", "--overdue", "--month", M], "complaints-overdue"),
    (["satisfaction", "--low", "--month", M], "satisfaction-low"),
    (["gifts", "stock", "--as-of", DAY], "gift-stock"),
    (["gifts", "reconcile"], "gift-reconcile"),
    (["gifts", "reconcile", "--summary"], "gift-summary"),
    (["gifts", "requests", "--as-of", DAY], "gift-requests"),
]


@pytest.fixture
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")


def json_rows(chain, argv) -> list[dict]:
    result = run_cli("--db", chain, *argv, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def more_line(hidden: int) -> str:
    return f"另有 {hidden:,} 行未显示：--limit 0 显示全部，或用 --output 写入文件"


@pytest.mark.parametrize(("argv", "name"), LISTS, ids=lambda v: str(v))
def test_every_list_takes_limit(chain, columns, argv, name):
    rows = json_rows(chain, argv)
    assert len(rows) > 2, f"{name}: the sample chain gives too short a list"
    result = run_cli("--db", chain, *argv, "--limit", "2")
    assert result.exit_code == 0, result.output
    cells = cells_of(result.stdout)
    # the first two rows are shown (by their row), the third is not
    # (callbacks shows its kinds by name, as other codes may be)
    shown = [r for r in rows[:3] if all(v in cells for v in expected(r, name, {"kind"})[0])]
    assert shown == rows[:2]
    assert result.stdout.rstrip().endswith(more_line(len(rows) - 2))


def test_the_default_limit_is_50_and_0_shows_all(chain, columns):
    argv = ["churn-risk", "--as-of", DAY]
    members = [r["member_id"] for r in json_rows(chain, argv)]
    assert len(members) > 60
    ids = re.compile(r"M\d{8}")

    shown = run_cli("--db", chain, *argv)
    assert shown.exit_code == 0, shown.output
    assert ids.findall(shown.stdout) == members[:50]
    assert shown.stdout.rstrip().endswith(more_line(len(members) - 50))

    everything = run_cli("--db", chain, *argv, "--limit", "0")
    assert ids.findall(everything.stdout) == members
    assert "--limit 0" not in everything.stdout


def test_english_says_how_many_more_in_english(chain, columns):
    argv = ["churn", "--list", "--month", M]
    rows = json_rows(chain, argv)
    result = run_cli("--db", chain, *argv, "--limit", "1", "--lang", "en")
    assert result.stdout.rstrip().endswith(f"{len(rows) - 1:,} more — use --limit 0 or --output")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_files_hold_every_row_whatever_the_limit(chain, columns, tmp_path, fmt):
    argv = ["churn", "--list", "--risk", "--month", M]
    members = [r["member_id"] for r in json_rows(chain, argv)]
    assert len(members) > 50
    target = tmp_path / f"list.{fmt}"
    result = run_cli("--db", chain, *argv, "--limit", "3", "--format", fmt, "--output", target)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8-sig")
    if fmt == "csv":
        assert [r["member_id"] for r in csv.DictReader(io.StringIO(text))] == members
    elif fmt == "json":
        assert [r["member_id"] for r in json.loads(text)["rows"]] == members
    else:
        assert re.findall(r"M\d{8}", text) == members
        assert "--limit 0" not in text


def test_csv_and_json_on_stdout_hold_every_row_whatever_the_limit(chain):
    argv = ["churn", "--list", "--month", M]
    members = [r["member_id"] for r in json_rows(chain, argv)]
    assert len(members) > 3
    shown = run_cli("--db", chain, *argv, "--limit", "3", "--format", "json")
    assert [r["member_id"] for r in json.loads(shown.stdout)["rows"]] == members
    shown = run_cli("--db", chain, *argv, "--limit", "3", "--format", "csv")
    assert [r["member_id"] for r in csv.DictReader(io.StringIO(shown.stdout))] == members


@pytest.mark.parametrize(
    "argv",
    [
        ["churn", "--month", M],
        ["new-members", "--month", M],
        ["complaints", "--month", M],
    ],
)
def test_limit_without_a_list_is_a_usage_error(chain, argv):
    result = run_cli("--db", chain, *argv, "--limit", "5")
    assert result.exit_code == 2
    assert "--limit" in result.output


def test_only_the_rows_shown_are_formatted(monkeypatch):
    """A list of 100,000 members in the terminal formats its first 50, not every row."""
    calls = []
    real = terminal.format_value

    def counting(value, fmt, **kwargs):
        calls.append(value)
        return real(value, fmt, **kwargs)

    monkeypatch.setattr(terminal, "format_value", counting)
    rows = [
        {"member_id": f"M{i:08d}", "store_id": "S001", "x": i, "t_x": 1.0, "T": 2.0}
        | {"p_alive": 0.5, "expected_purchases": 1.0, "value_at_risk": 10.0}
        for i in range(100_000)
    ]
    report = Report("churn-risk", month(2026, 10), Scope(), rows)
    text = rendered(report, "churn-risk", 120, limit=50)
    columns = len(load_template("churn-risk").columns)
    assert len(calls) == 50 * columns
    assert "M00000049" in text and "M00000050" not in text
    assert more_line(100_000 - 50) in text


# --- any values at any width ------------------------------------------------------------------

digits = st.text("0123456789", min_size=11, max_size=11)
names = st.text(st.sampled_from("王李张三芳 　ab"), min_size=1, max_size=12).filter(str.strip)
members = st.fixed_dictionaries(
    {
        "store_id": st.text("S0123456789", min_size=1, max_size=12),
        "member_id": st.text("M0123456789", min_size=1, max_size=16),
        "name": names,
        "phone": digits,
        "join_date": st.dates(date(1990, 1, 1), date(2030, 1, 1)),
        "expiry_date": st.dates(date(1990, 1, 1), date(2030, 1, 1)),
        "visits": st.integers(0, 10**9),
        "spend": st.decimals(0, 10**11, places=2),
        "visits_short": st.integers(0, 99),
        "spend_short": st.decimals(0, 10**6, places=2),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(members, min_size=1, max_size=8), width=st.integers(40, 240))
def test_any_list_at_any_width_shows_every_value_whole(rows, width):
    report = Report("expiring", month(2026, 11), Scope(), rows)
    text = rendered(report, "expiring", width)
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= width
    cells = cells_of(text)
    json_like = json.loads(memberkit.render.to_json(report, "expiring"))["rows"]
    for row in json_like:
        whole, words = expected(row, "expiring")
        assert [v for v in whole if v not in cells] == []
        assert [w for w in words if w not in text] == []


def test_free_text_breaks_at_spaces_only():
    assert grid.word_lines("M001 M002 M003", 9) == ["M001 M002", "M003"]
    assert grid.word_lines("张　三 李四", 6) == ["张　三", "李四"]  # U+3000 holds a name


def test_a_value_wider_than_the_terminal_is_folded_not_cut():
    long_id = "M" + "0123456789" * 6
    row = {
        "store_id": "S001", "member_id": long_id, "name": "王芳", "phone": "13800001234",
        "join_date": date(2024, 1, 1), "expiry_date": date(2026, 11, 1), "visits": 1,
        "spend": Decimal("10.00"), "visits_short": 2, "spend_short": Decimal("990.00"),
    }  # fmt: skip
    text = rendered(Report("expiring", month(2026, 11), Scope(), [row]), "expiring", 40)
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= 40
    assert "会员卡号" in text and "开卡门店" in text and "990.00" in text  # labels stay too
    pieces = [c.strip() for line in text.splitlines() for c in re.split(f"[{RULES}]", line)]
    assert long_id in "".join(p for p in pieces if p.startswith("M") or p.isdigit())


def test_without_a_width_a_footnote_is_one_line_never_cut_at_the_table(results):
    """A footnote under a narrow table, written to a file or a pipe: one whole line (wrapped at
    the table's width it split '30' into '3' and '0' on two lines)."""
    result = results["spend-bands"]
    report = replace(result.report, footnotes=["active_where_shopped"])
    view = terminal.terminal_view(report, "spend-bands", "zh", width=None)
    console = Console(width=view.width, file=io.StringIO(), record=True)
    console.print(view.renderable)
    note = load_template("spend-bands").footnotes["active_where_shopped"].in_("zh")
    assert f"注：{note}" in console.export_text().splitlines()


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (3.625, "decimal", "3.63"),  # a half: up, as the workbook's 0.00 shows it
        (-3.625, "decimal", "-3.63"),
        (0.0625, "ratio", "6.3%"),
        (-0.0625, "ratio", "-6.3%"),
        (0.0624999, "ratio", "6.2%"),
        (1234567.005, "decimal", "1,234,567.01"),
        (1.0, "ratio", "100.0%"),
    ],
)
def test_a_half_rounds_away_from_zero_as_in_the_workbook(value, fmt, shown):
    from memberkit.render import format_value

    assert format_value(value, fmt) == shown
