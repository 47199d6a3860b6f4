"""--output as a user writes it (SPEC 6): the format from the extension, {month} and {store}
in every command's --output, and ASCII band keys in CSV files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from itertools import takewhile
from pathlib import Path

import openpyxl
import pytest
import typer

from conftest import run_cli
from memberkit.cli import app
from memberkit.render import ascii_label

MONTH = "2026-10"


@pytest.fixture(scope="module")
def chain(sample_chain, tmp_path_factory) -> Path:
    """The sample chain with its complaints and gift files loaded too (read only here)."""
    data, base = sample_chain
    db_file = tmp_path_factory.mktemp("outputs") / "chain.duckdb"
    shutil.copy(base, db_file)
    for kind in ("complaints", "gifts", "gift-moves", "gift-counts"):
        path = data / f"{kind.replace('-', '_')}.csv"
        assert run_cli("--db", db_file, "load", kind, path).exit_code == 0
    return db_file


def cli(db_file: Path, *args) -> object:
    return run_cli("--db", db_file, *args)


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


# --- the format from the extension --------------------------------------------------------


def test_output_without_format_writes_what_its_extension_says(chain, tmp_path):
    args = ("spending-power", "--month", MONTH)
    for name in ("sp.xlsx", "sp.csv", "sp.json", "sp.txt"):
        result = cli(chain, *args, "--output", tmp_path / name)
        assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(tmp_path / "sp.xlsx")  # a workbook, not terminal text
    assert workbook.sheetnames
    document = json.loads((tmp_path / "sp.json").read_text(encoding="utf-8"))
    assert document["report"] == "spending-power" and document["period"] == MONTH
    (row,) = csv_rows(tmp_path / "sp.csv")
    assert row["scope"] == "ALL" and row["tickets"] == str(document["rows"][0]["tickets"])
    text = (tmp_path / "sp.txt").read_text(encoding="utf-8")
    assert "会员消费力" in text and f"{document['rows'][0]['tickets']:,}" in text


@pytest.mark.parametrize(
    ("fmt", "name"), [("csv", "x.xlsx"), ("xlsx", "x.csv"), ("json", "x.txt"), ("table", "x.json")]
)
def test_a_format_that_contradicts_the_extension_is_exit_2(chain, tmp_path, fmt, name):
    result = cli(chain, "spend-bands", "--month", MONTH, "--format", fmt, "-o", tmp_path / name)
    assert result.exit_code == 2
    assert f"--format {fmt} contradicts {name}" in result.stderr
    assert not (tmp_path / name).exists()


def test_an_unknown_extension_needs_a_format(chain, tmp_path):
    result = cli(chain, "spend-bands", "--month", MONTH, "-o", tmp_path / "x.dat")
    assert result.exit_code == 2 and "x.dat" in result.stderr and "--format" in result.stderr
    assert not (tmp_path / "x.dat").exists()
    # given explicitly, a format goes into any name the extension does not contradict
    result = cli(chain, "spend-bands", "--month", MONTH, "-f", "csv", "-o", tmp_path / "x.dat")
    assert result.exit_code == 0
    assert (tmp_path / "x.dat").read_text(encoding="utf-8-sig").startswith("scope,")


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--month", MONTH, "-o"),
        ("gifts", "count-sheet", "--location", "HQ", "-o"),
    ],
)
def test_workbook_commands_refuse_another_extension(chain, tmp_path, args):
    result = cli(chain, *args, tmp_path / "x.csv")
    assert result.exit_code == 2 and "x.csv" in result.stderr
    assert not (tmp_path / "x.csv").exists()


# --- {month} in every command's --output -------------------------------------------------

EVERY_OUTPUT = [  # (command, the file name's month, extension)
    (("spend-bands", "--month", MONTH), MONTH, "csv"),
    (("spend-bands", "--year", "2025"), "2025", "csv"),
    (("demographics", "--month", MONTH), MONTH, "json"),
    (("spending-power", "--month", MONTH), MONTH, "xlsx"),
    (("churn", "--month", MONTH), MONTH, "csv"),
    (("churn", "--list", "--month", MONTH), MONTH, "csv"),
    (("complaints", "--month", MONTH), MONTH, "csv"),
    (("complaints", "--overdue", "--month", MONTH), MONTH, "txt"),
    (("callbacks", "--month", MONTH), MONTH, "xlsx"),
    (("new-members", "--month", MONTH), MONTH, "csv"),
    (("new-members", "--problems", "--month", MONTH), MONTH, "csv"),
    (("grades", "--month", MONTH), MONTH, "csv"),
    (("expiring", "--as-of", "2026-10-05"), "2026-11", "csv"),
    (("churn-risk", "--as-of", "2026-10-31"), MONTH, "json"),
    (("gifts", "stock", "--as-of", "2026-10-31"), MONTH, "csv"),
    (("gifts", "issues", "--month", MONTH), MONTH, "csv"),
    (("gifts", "reconcile"), MONTH, "csv"),
    (("gifts", "count-sheet", "--location", "HQ", "--date", "2026-10-31"), MONTH, "xlsx"),
    (("report", "--month", MONTH), MONTH, "xlsx"),
    (("satisfaction", "--month", MONTH), MONTH, "csv"),
    (("satisfaction", "--low", "--month", MONTH), MONTH, "json"),
    (("callback-review", "--month", MONTH), MONTH, "csv"),
    (("callback-review", "--effect", "--month", MONTH), MONTH, "json"),
    (("gifts", "requests", "--as-of", "2026-10-31"), MONTH, "csv"),
]


def test_the_list_above_holds_every_command_with_an_output():
    def walk(command, path=()):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    with_output = {
        " ".join(path)
        for path, command in walk(typer.main.get_command(app))
        if any("--output" in getattr(p, "opts", ()) for p in command.params)
    }
    # a command's words come before its first option
    listed = {" ".join(takewhile(lambda a: a[0] != "-", args)) for args, _, _ in EVERY_OUTPUT}
    assert with_output and with_output <= listed, with_output - listed


@pytest.mark.parametrize(
    ("args", "month", "ext"), EVERY_OUTPUT, ids=[" ".join(a) for a, _, _ in EVERY_OUTPUT]
)
def test_month_stands_in_every_output(chain, tmp_path, args, month, ext):
    result = cli(chain, *args, "--output", tmp_path / f"out-{{month}}.{ext}")
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == [f"out-{month}.{ext}"]


# --- {store}: one file per store ----------------------------------------------------------

SPLITS = [  # (command, the CSV column that names each row's store)
    (("expiring", "--as-of", "2026-10-05"), "store_id"),
    (("callbacks", "--month", MONTH), "store_id"),
    (("churn", "--list", "--month", MONTH), "store_id"),
    (("spend-bands", "--month", MONTH, "--by", "store"), "scope"),
    (("gifts", "stock", "--as-of", "2026-10-31"), "location"),
]


@pytest.mark.parametrize(("args", "column"), SPLITS, ids=[" ".join(a) for a, _ in SPLITS])
def test_store_in_output_writes_each_stores_rows_to_its_own_file(chain, tmp_path, args, column):
    whole = tmp_path / "all.csv"
    assert cli(chain, *args, "-o", whole).exit_code == 0
    parts = tmp_path / "parts"
    result = cli(chain, *args, "-o", parts / "x-{store}-{month}.csv")
    assert result.exit_code == 0, result.output
    every = csv_rows(whole)
    stores = sorted({row[column] for row in every})
    assert len(stores) > 1
    written = sorted(parts.iterdir())
    assert [p.name.split("-")[1] for p in written] == stores
    for path in written:
        rows = csv_rows(path)
        assert rows and {row[column] for row in rows} == {path.name.split("-")[1]}
    # together the files hold every row once, as the one file does
    pieces = [tuple(row.values()) for p in written for row in csv_rows(p)]
    assert sorted(pieces) == sorted(tuple(row.values()) for row in every)


def test_store_splits_workbooks_and_names_the_store_of_one_store_reports(chain, tmp_path):
    result = cli(chain, "expiring", "--as-of", "2026-10-05", "-o", tmp_path / "e-{store}.xlsx")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) > 1 and all(n.startswith("e-S0") for n in names)
    report = tmp_path / "r"
    result = cli(
        chain, "report", "--month", MONTH, "--store", "S002", "-o", report / "{store}.xlsx"
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in report.iterdir()] == ["S002.xlsx"]


def test_store_without_a_split_is_exit_2(chain, tmp_path):
    result = cli(chain, "spend-bands", "--month", MONTH, "-o", tmp_path / "{store}.csv")
    assert result.exit_code == 2 and "--by store" in result.stderr
    result = cli(chain, "report", "--month", MONTH, "-o", tmp_path / "{store}.xlsx")
    assert result.exit_code == 2 and "--by store" in result.stderr
    assert not list(tmp_path.iterdir())


# --- CSV keys are ASCII -------------------------------------------------------------------


def test_band_keys_in_csv_are_ascii_and_json_keeps_the_band_arrays(chain):
    args = ("spend-bands", "--month", MONTH, "--bands", "100,300")
    header, row = csv.reader(io.StringIO(cli(chain, *args, "-f", "csv").stdout))
    assert header == [
        "scope",
        "members_total",
        "active_members",
        "active_share",
        "band_lt100_members",
        "band_lt100_share",
        "band_100_300_members",
        "band_100_300_share",
        "band_ge300_members",
        "band_ge300_share",
    ]
    bands = json.loads(cli(chain, *args, "-f", "json").stdout)["rows"][0]["bands"]
    assert [b["label"] for b in bands] == ["<100", "100–300", "≥300"]
    assert row[4::2] == [str(b["members"]) for b in bands]


def test_age_and_grade_keys_in_csv_are_ascii(chain):
    header = cli(chain, "demographics", "--month", MONTH, "-f", "csv").stdout.splitlines()[0]
    assert header.isascii()
    assert "age_lt20_members" in header and "age_ge40_share" in header
    assert "age_20_30_members" in header and "age_unknown_members" in header
    header = cli(chain, "grades", "--month", MONTH, "-f", "csv").stdout.splitlines()[0]
    assert header.isascii() and "grade_A_members" in header


def test_a_label_without_an_ascii_spelling_is_refused_not_written():
    assert ascii_label("500–1000") == "500_1000"
    with pytest.raises(ValueError, match="ASCII"):
        ascii_label("未知")
