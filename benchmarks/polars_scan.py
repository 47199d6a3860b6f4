"""polars lazy scans of the CSV exports (SPEC 2's Chinese headers, English names) and the
pieces polars_path.py's reports share: members on file, a period's tickets, each member's
history up to E (SPEC 5.4)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from memberkit.periods import Period

INACTIVE = 180
c = pl.col


def scan(path: Path, columns: dict[str, tuple[str, pl.DataType]]) -> pl.LazyFrame:
    """An export with its Chinese header (SPEC 2), columns renamed to English."""
    schema = {zh: dtype for zh, (_, dtype) in columns.items()}
    frame = pl.scan_csv(path, schema=schema, has_header=True)
    return frame.rename({zh: name for zh, (name, _) in columns.items()})


def tickets(folder: Path) -> pl.LazyFrame:
    return scan(
        folder / "transactions.csv",
        {
            "小票号": ("txn_id", pl.String),
            "门店编号": ("store_id", pl.String),
            "交易时间": ("txn_time", pl.Datetime("us")),
            "会员卡号": ("member_id", pl.String),
            "实收金额": ("amount", pl.Float64),
            "商品数量": ("item_qty", pl.Int64),
        },
    )


def members(folder: Path) -> pl.LazyFrame:
    frame = scan(
        folder / "members.csv",
        {
            "会员卡号": ("member_id", pl.String),
            "姓名": ("name", pl.String),
            "性别": ("gender", pl.String),
            "出生日期": ("birth_date", pl.Date),
            "手机号": ("phone", pl.String),
            "开卡门店": ("store_id", pl.String),
            "开卡日期": ("join_date", pl.Date),
            "到期日期": ("expiry_date", pl.Date),
        },
    )
    gender = c("gender").str.strip_chars().str.to_lowercase()
    return frame.with_columns(
        pl.when(gender.is_in(["m", "male", "男", "男性"]))
        .then(pl.lit("M"))
        .when(gender.is_in(["f", "female", "女", "女性"]))
        .then(pl.lit("F"))
        .alias("gender")
    ).filter(c("store_id").is_not_null())  # no home store: in no scope


def money(expr: pl.Expr) -> pl.Expr:
    return expr.round(2)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def growth(a, b):
    return None if a is None or b is None else ratio(a - b, b)


def on_file(period: Period) -> pl.Expr:
    return (c("join_date") <= period.end) & (
        c("expiry_date").is_null() | (c("expiry_date") >= period.start)
    )


def in_days(first: date, last: date) -> pl.Expr:
    return (c("txn_time") >= first) & (c("txn_time") < last + timedelta(days=1))


def collect(frame: pl.LazyFrame) -> pl.DataFrame:
    return frame.collect(engine="streaming")


def history(folder: Path, period: Period) -> pl.LazyFrame:
    """Every member's tickets up to E, one row per member (SPEC 5.4)."""
    paid = c("amount") > 0
    year = c("txn_time") >= period.end - timedelta(days=364)
    return (
        tickets(folder)
        .filter(c("member_id").is_not_null() & (c("txn_time") < period.end + timedelta(days=1)))
        .group_by("member_id")
        .agg(
            c("txn_time").filter(paid).max().dt.date().alias("last"),
            c("txn_time").filter(paid & (c("txn_time") >= period.start)).min().dt.date()
            .alias("first_in"),
            c("txn_time").filter(paid & (c("txn_time") < period.start)).max().dt.date()
            .alias("last_before"),
            money(c("amount").filter(year).sum()).alias("spend_365d"),
            (paid & year).sum().alias("tickets_365d"),
        )
    )  # fmt: skip


def churn_members(folder: Path, period: Period) -> pl.LazyFrame:
    lapsed_by = period.end - timedelta(days=INACTIVE)
    return (
        members(folder)
        .join(history(folder, period), on="member_id", how="left")
        .with_columns(
            base=on_file(period) & c("last").is_not_null(),
            returned=(c("first_in") - c("last_before")).dt.total_days() > INACTIVE,
        )
        .with_columns(
            lapsed=c("base") & (c("last") <= lapsed_by),
            newly=c("base") & c("last").is_between(period.start - timedelta(INACTIVE), lapsed_by),
        )
    )


def lapsed(folder: Path, period: Period) -> pl.LazyFrame:
    return churn_members(folder, period).filter(c("lapsed"))
