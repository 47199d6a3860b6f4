"""The analyst's pandas path the benchmarks compare memberkit against (SPEC 5.3, company-wide).

Reads the CSV exports with pandas the way an analyst would (whole files, default engine, ids as
text, ticket time as datetime, amounts as float), computes the fourteen spending-power figures
for one month, and checks them against memberkit's own report on a loaded database.
Usage: python benchmarks/pandas_path.py --db PATH --data DIR --month YYYY-MM [--encoding ENC]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from memberkit import db
from memberkit.periods import Scope, parse_month
from memberkit.reports import prepare_connection
from memberkit.reports.analyses import spending_power

# The exports' Chinese headers (SPEC 2) and the names used below.
TRANSACTION_COLUMNS = {
    "小票号": "txn_id",
    "门店编号": "store_id",
    "交易时间": "txn_time",
    "会员卡号": "member_id",
    "实收金额": "amount",
    "商品数量": "item_qty",
}
STORE_COLUMNS = {"门店编号": "store_id", "门店名称": "store_name", "区域": "region"}
TARGET_COLUMNS = {"月份": "month", "门店编号": "store_id", "目标销售额": "target_amount"}

MONEY = ("sales", "member_sales", "target")
COUNTS = ("tickets", "member_tickets", "active_members", "member_items")


def read_transactions(path: Path, encoding: str) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        encoding=encoding,
        dtype={"小票号": str, "门店编号": str, "会员卡号": str, "实收金额": float, "商品数量": int},
        parse_dates=["交易时间"],
    )
    return frame.rename(columns=TRANSACTION_COLUMNS)


def read_stores(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, encoding=encoding, dtype=str).rename(columns=STORE_COLUMNS)


def read_targets(path: Path, encoding: str) -> pd.DataFrame:
    frame = pd.read_csv(
        path, encoding=encoding, dtype={"月份": str, "门店编号": str, "目标销售额": float}
    )
    return frame.rename(columns=TARGET_COLUMNS)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """SPEC 4: a ratio whose denominator is 0 or unknown is null, never 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def growth(current: float | None, base: float | None) -> float | None:
    if current is None or base is None:
        return None
    return ratio(current - base, base)


def base_figures(month: pd.DataFrame) -> dict[str, float | int | None]:
    """Base figures of one month's transactions (refunds and zero rows included)."""
    member = month["member_id"].notna()
    ticket = month["amount"] > 0
    sales = round(float(month["amount"].sum()), 2)
    member_sales = round(float(month.loc[member, "amount"].sum()), 2)
    member_tickets = int((ticket & member).sum())
    return {
        "sales": sales,
        "member_sales": member_sales,
        "tickets": int(ticket.sum()),
        "member_tickets": member_tickets,
        "active_members": int(month.loc[ticket & member, "member_id"].nunique()),
        "member_items": int(month.loc[member, "item_qty"].sum()),
        "member_basket_value": ratio(member_sales, member_tickets),
    }


def spending_power_pandas(
    transactions_csv: Path,
    stores_csv: Path,
    targets_csv: Path,
    month: str,
    *,
    encoding: str = "utf-8-sig",
) -> dict[str, object]:
    """The fourteen figures of SPEC 5.3 for the whole company and month YYYY-MM."""
    transactions = read_transactions(transactions_csv, encoding)
    stores = read_stores(stores_csv, encoding)
    targets = read_targets(targets_csv, encoding)

    current = pd.Period(month, freq="M")
    yoy, mom = current - 12, current - 1
    ticket_month = transactions["txn_time"].dt.to_period("M")
    figures = {p: base_figures(transactions[ticket_month == p]) for p in (current, yoy, mom)}
    c, y, m = figures[current], figures[yoy], figures[mom]

    # The company: every store in the stores file or on a ticket; a target for any other store
    # id does not count. No target row for the month: target and completion are null.
    company = set(stores["store_id"]) | set(transactions["store_id"])
    month_targets = targets[(targets["month"] == month) & targets["store_id"].isin(company)]
    target = round(float(month_targets["target_amount"].sum()), 2) if len(month_targets) else None

    return {
        **{k: c[k] for k in ("sales", "member_sales", *COUNTS)},
        "target": target,
        "sales_completion_rate": ratio(c["sales"], target),
        "sales_yoy": growth(c["sales"], y["sales"]),
        "sales_mom": growth(c["sales"], m["sales"]),
        "member_sales_share": ratio(c["member_sales"], c["sales"]),
        "member_sales_yoy": growth(c["member_sales"], y["member_sales"]),
        "member_sales_mom": growth(c["member_sales"], m["member_sales"]),
        "member_basket_value": c["member_basket_value"],
        "member_basket_value_yoy": growth(c["member_basket_value"], y["member_basket_value"]),
        "member_basket_value_mom": growth(c["member_basket_value"], m["member_basket_value"]),
        "member_ticket_share": ratio(c["member_tickets"], c["tickets"]),
        "member_tickets_yoy": growth(c["member_tickets"], y["member_tickets"]),
        "member_tickets_mom": growth(c["member_tickets"], m["member_tickets"]),
        "member_frequency": ratio(c["member_tickets"], c["active_members"]),
        "member_attach_rate": ratio(c["member_items"], c["member_tickets"]),
    }


def same(key: str, ours: object, theirs: object) -> bool:
    """Money to the cent, counts exactly, ratios to 1e-9 relative; null only matches null."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if key in MONEY:
        return round(float(ours) * 100) == round(float(theirs) * 100)
    if key in COUNTS:
        return int(ours) == int(theirs)
    return math.isclose(float(ours), float(theirs), rel_tol=1e-9, abs_tol=0.0)


class CheckResult(NamedTuple):
    figures: dict[str, object]
    pandas_seconds: float
    memberkit_seconds: float


def check(
    db_path: Path, sample_dir: Path, month: str, *, encoding: str = "utf-8-sig"
) -> CheckResult:
    """Compare the pandas figures with memberkit's report; AssertionError names any mismatch."""
    started = time.perf_counter()
    ours = spending_power_pandas(
        sample_dir / "transactions.csv",
        sample_dir / "stores.csv",
        sample_dir / "targets.csv",
        month,
        encoding=encoding,
    )
    pandas_seconds = time.perf_counter() - started

    started = time.perf_counter()
    con = db.connect(db_path, read_only=True)
    try:
        prepare_connection(con)
        report = spending_power(con, parse_month(month), Scope())
    finally:
        con.close()
    memberkit_seconds = time.perf_counter() - started

    (theirs,) = report.rows
    missing = sorted(set(ours) ^ (set(theirs) - {"scope"}))
    differing = [
        f"{key}: pandas {ours[key]!r} != memberkit {theirs[key]!r}"
        for key in ours
        if key in theirs and not same(key, ours[key], theirs[key])
    ]
    if missing or differing:
        raise AssertionError(
            f"spending power {month} differs: "
            + "; ".join([*(f"{k}: only on one side" for k in missing), *differing])
        )
    return CheckResult(ours, pandas_seconds, memberkit_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="a database loaded from --data")
    parser.add_argument("--data", type=Path, required=True, help="directory of the CSV exports")
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("--encoding", default="utf-8-sig", help="of the CSVs, e.g. gb18030")
    args = parser.parse_args()
    result = check(args.db, args.data, args.month, encoding=args.encoding)
    print(f"## Spending power {args.month}, company-wide: pandas and memberkit agree\n")
    for key, value in result.figures.items():
        print(f"{key:26} {'—' if value is None else value}")
    print(f"\npandas read + compute: {result.pandas_seconds:.3f} s")
    print(f"memberkit report (database already loaded): {result.memberkit_seconds:.3f} s")


if __name__ == "__main__":
    main()
