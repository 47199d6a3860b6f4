"""Existing warehouse tables as memberkit's tables on Spark (SPEC 8, `--tables FILE.toml`).

Each `[table]` of the file names a memberkit table, the warehouse table that holds its rows
(`table = "dw.fact_pos_ticket"`, default: the memberkit name) and the warehouse names of its
columns (`columns = { txn_id = "ticket_no", ... }`, default: memberkit's names). A temporary
view named as the memberkit table selects the columns under memberkit's names. The ticket
summaries the reports read (member_keys, ticket_months, ticket_stores) do not exist in a
warehouse: unless the file maps them, they are views derived from the mapped transactions
with the loader's own SQL (memberkit.summaries), translated.

A file naming a table or column memberkit does not have is refused naming the file and the
key (exit 2, like `load --mapping`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from memberkit.errors import UsageError
from memberkit.files import read_toml
from memberkit.summaries import SUMMARY_ROWS

# The summaries as the loader keeps them: every member id on a ticket keyed in id order, the
# summary rows keyed through those keys, the stores on tickets.
_MEMBER_KEYS = """
    select row_number() over (order by member_id) as member_key, member_id
    from (select distinct member_id from transactions where member_id is not null)
"""
_TICKET_MONTHS = f"""
    select s.load_id, s.month, s.store_id, k.member_key, s.net_amount, s.tickets, s.items,
        s.ticket_days, s.purchase_days, s.transaction_rows
    from ({SUMMARY_ROWS.format(where="true")}) s
    left join member_keys k on k.member_id = s.member_id
"""
_TICKET_STORES = "select distinct store_id from transactions"
DERIVED = {
    "member_keys": _MEMBER_KEYS,
    "ticket_months": _TICKET_MONTHS,
    "ticket_stores": _TICKET_STORES,
}


@cache
def memberkit_columns() -> dict[str, tuple[str, ...]]:
    """Each table of memberkit's schema and its columns, in order (from schema.sql)."""
    import duckdb

    from memberkit.schema import ensure_schema

    con = duckdb.connect()
    try:
        ensure_schema(con)
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'main' order by table_name, column_index"
        ).fetchall():
            columns.setdefault(table, []).append(column)
    finally:
        con.close()
    return {t: tuple(c) for t, c in columns.items()}


def read_tables_file(path: str | Path) -> dict[str, tuple[str, dict[str, str]]]:
    """The file's mapping: memberkit table -> (warehouse table, {memberkit column: warehouse
    column}); refused naming the file and key when it names what memberkit does not have."""
    path = Path(path)
    parsed = read_toml(path, "tables file")
    known = memberkit_columns()
    mapping = {}
    for name, entry in parsed.items():
        if name not in known:
            raise UsageError(
                f"{path}: [{name}] is not a memberkit table",
                hint=f"tables: {', '.join(sorted(known))}",
            )
        if not isinstance(entry, dict):
            raise UsageError(f"{path}: [{name}] must be a table with `table` and `columns`")
        for key in entry.keys() - {"table", "columns"}:
            raise UsageError(f"{path}: [{name}] {key}: only `table` and `columns` are read")
        table = entry.get("table", name)
        columns = entry.get("columns", {})
        if not isinstance(table, str) or not table.strip():
            raise UsageError(f"{path}: [{name}] table: a table name, not {table!r}")
        if not isinstance(columns, dict):
            raise UsageError(f'{path}: [{name}] columns: a table of column = "name"')
        for column, source in columns.items():
            if column not in known[name]:
                raise UsageError(
                    f"{path}: [{name}] columns.{column}: {name} has no column {column}",
                    hint=f"columns of {name}: {', '.join(known[name])}",
                )
            if not isinstance(source, str) or not source.strip():
                raise UsageError(
                    f"{path}: [{name}] columns.{column}: a column name, not {source!r}"
                )
        mapping[name] = (table, dict(columns))
    return mapping


def register_tables(spark, toml_path) -> None:
    """Temporary views named as memberkit's tables over the warehouse tables the file maps
    (columns renamed), plus member_keys / ticket_months / ticket_stores derived from the
    transactions when the file does not map them."""
    path = Path(toml_path)
    mapping = read_tables_file(path)
    known = memberkit_columns()
    for name, (table, columns) in mapping.items():
        source = spark.table(table)
        present = set(source.columns)
        for column, warehouse in columns.items():
            if warehouse not in present:
                raise UsageError(
                    f"{path}: [{name}] columns.{column}: {table} has no column {warehouse!r}",
                    hint=f"columns of {table}: {', '.join(source.columns)}",
                )
        selected = [
            source[columns.get(c, c)].alias(c) for c in known[name] if columns.get(c, c) in present
        ]
        if name == "transactions" and "load_id" not in columns and "load_id" not in present:
            # summaries are per load; a warehouse's tickets are one load as far as reports go
            from pyspark.sql import functions

            selected.append(functions.lit(0).cast("bigint").alias("load_id"))
        source.select(*selected).createOrReplaceTempView(name)
    _derive_summaries(spark, mapping)


def _derive_summaries(spark, mapping: dict) -> None:
    from memberkit.engines.translate import parse, to_spark

    for name, sql in DERIVED.items():  # in order: ticket_months joins member_keys
        if name in mapping:
            continue
        (tree,) = parse(sql)
        spark.sql(to_spark(tree)).createOrReplaceTempView(name)
        # kept once computed: every report query reads them, and a view would group all the
        # tickets again each time (the name is ours, not input)
        spark.sql(f"cache lazy table {name}")
