"""--tables FILE.toml (SPEC 8) read and checked without Spark: a table or column memberkit
does not have is refused naming the file and the key (exit 2, like load --mapping)."""

from __future__ import annotations

import pytest

from memberkit.engines.tables import memberkit_columns, read_tables_file
from memberkit.errors import EXIT_USAGE, UsageError


def _file(tmp_path, text: str):
    path = tmp_path / "tables.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_maps_tables_and_columns_and_defaults_to_memberkits_names(tmp_path):
    path = _file(
        tmp_path,
        '[transactions]\ntable = "dw.fact_pos_ticket"\n'
        'columns = { txn_id = "ticket_no", amount = "paid_amt" }\n'
        '[members.columns]\nmember_id = "card_no"\n',
    )
    assert read_tables_file(path) == {
        "transactions": ("dw.fact_pos_ticket", {"txn_id": "ticket_no", "amount": "paid_amt"}),
        "members": ("members", {"member_id": "card_no"}),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tickets]\ntable = "x"\n', r"\[tickets\] is not a memberkit table"),
        (
            '[transactions]\ncolumns = { ticket = "ticket_no" }\n',
            r"\[transactions\] columns.ticket: transactions has no column ticket",
        ),
        ('[transactions]\ntable = ""\n', r"\[transactions\] table: a table name"),
        ('[transactions]\nwhere = "x"\n', r"\[transactions\] where: only `table` and `columns`"),
        ("transactions = 3\n", r"\[transactions\] must be a table"),
        ("[members]\ncolumns = { phone = 7 }\n", r"\[members\] columns.phone: a column name"),
        ("[transactions\n", "not a valid tables file"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_key(tmp_path, text, message):
    path = _file(tmp_path, text)
    with pytest.raises(UsageError, match=message) as raised:
        read_tables_file(path)
    assert str(path) in raised.value.message
    assert raised.value.exit_code == EXIT_USAGE


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(UsageError, match="tables file not found"):
        read_tables_file(tmp_path / "nope.toml")


def test_memberkits_columns_come_from_its_schema():
    columns = memberkit_columns()
    wanted = {"txn_id", "store_id", "txn_time", "member_id", "amount", "item_qty"}
    assert wanted <= set(columns["transactions"])
    assert "member_key" in columns["ticket_months"]
