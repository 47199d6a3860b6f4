"""The analyst's fastest alternative to a database: a polars lazy scan of the CSV exports.

For each report (company-wide), polars scan_csv of the exports (ids and names as text, times
and dates parsed, amounts as floats: money sums are rounded to the cent, as an analyst who
checks against the books would) computes the same figures, in the shape handwritten.py
compares (a tuple per row, Baseline.figures of memberkit's row); `check` proves them equal to
memberkit's report on a database loaded from the same files. Beside pandas_path.py, which
does spending power the pandas way.
Usage: python benchmarks/polars_path.py --db PATH --data DIR --month YYYY-MM [--report NAME]
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from polars_scan import (
    c,
    churn_members,
    collect,
    growth,
    in_days,
    lapsed,
    members,
    money,
    on_file,
    ratio,
    scan,
    tickets,
)

from memberkit.periods import Period, parse_month
from memberkit.reports.analyses import DEFAULT_AGE_EDGES, DEFAULT_SPEND_EDGES
from memberkit.reports.expiring import month_after
from memberkit.reports.members import ACTIVATION_DAYS, DEFAULT_GRADE_EDGES

MIN_VISITS, MIN_SPEND, MIN_AMOUNT = 3, 1000, 1000


def spend_bands(folder: Path, period: Period) -> list[tuple]:
    on = collect(members(folder).filter(on_file(period)).select(pl.len())).item()
    spend = collect(
        tickets(folder)
        .filter(in_days(period.start, period.end) & c("member_id").is_not_null())
        .group_by("member_id")
        .agg(money(c("amount").sum()).alias("spend"), (c("amount") > 0).any().alias("ticket"))
        .filter(c("ticket"))
    )["spend"]
    active = len(spend)
    edges = [float(e) for e in DEFAULT_SPEND_EDGES]
    bounds = [-math.inf, *edges, math.inf]
    bands = [int(((spend >= lo) & (spend < hi)).sum()) for lo, hi in itertools.pairwise(bounds)]
    return [("ALL", on, active, ratio(active, on), *bands, *(ratio(b, active) for b in bands))]


def demographics(folder: Path, period: Period) -> list[tuple]:
    active = (
        tickets(folder)
        .filter(in_days(period.start, period.end) & c("member_id").is_not_null())
        .filter(c("amount") > 0)
        .select("member_id")
        .unique()
    )
    end = period.end
    # completed years at E: a birthday later in the year than E's day has not come yet
    age = (
        end.year
        - c("birth_date").dt.year()
        # (month and day are Int8: widened before * 100)
        - (
            (c("birth_date").dt.month().cast(pl.Int32) * 100 + c("birth_date").dt.day())
            > end.month * 100 + end.day
        )
    )
    people = collect(
        active.join(members(folder).drop("store_id"), on="member_id", how="left").select(
            "gender", pl.when(c("birth_date") <= end).then(age).alias("age")
        )
    )
    n = len(people)
    g = people["gender"]
    genders = [int((g == "M").sum()), int((g == "F").sum())]
    genders.append(n - sum(genders))
    a = people["age"]
    e1, e2, e3 = DEFAULT_AGE_EDGES
    ages = [
        int((a < e1).sum()),
        int(((a >= e1) & (a < e2)).sum()),
        int(((a >= e2) & (a < e3)).sum()),
        int(((a >= e3) & (a <= 120)).sum()),
    ]
    ages.append(n - sum(ages))
    groups = genders + ages
    return [("ALL", n, *groups, *(ratio(x, n) for x in groups))]


def _month_figures(frame: pl.DataFrame) -> dict:
    member = frame.filter(c("member_id").is_not_null())
    ticket = frame.filter(c("amount") > 0)
    member_tickets = int((member["amount"] > 0).sum())
    member_sales = round(float(member["amount"].sum()), 2)
    return {
        "sales": round(float(frame["amount"].sum()), 2),
        "member_sales": member_sales,
        "tickets": len(ticket),
        "member_tickets": member_tickets,
        "active": ticket.filter(c("member_id").is_not_null())["member_id"].n_unique(),
        "items": int(member["item_qty"].sum()),
        "basket": ratio(member_sales, member_tickets),
    }


def spending_power(folder: Path, period: Period) -> list[tuple]:
    yoy, mom = period.years_back(1), period.previous()
    frames = {}
    for key, p in (("cur", period), ("yoy", yoy), ("mom", mom)):
        frames[key] = _month_figures(
            collect(
                tickets(folder)
                .filter(in_days(p.start, p.end))
                .select("member_id", "amount", "item_qty")
            )
        )
    cur, y, m = frames["cur"], frames["yoy"], frames["mom"]
    targets = collect(
        scan(
            folder / "targets.csv",
            {
                "月份": ("month", pl.String),
                "门店编号": ("store_id", pl.String),
                "目标销售额": ("target", pl.Float64),
            },
        ).filter(c("month") == period.label)
    )["target"]
    target = round(float(targets.sum()), 2) if len(targets) else None
    return [
        (
            "ALL", cur["sales"], cur["member_sales"], cur["tickets"], cur["member_tickets"],
            cur["active"], cur["items"], target, ratio(cur["sales"], target),
            growth(cur["sales"], y["sales"]), growth(cur["sales"], m["sales"]),
            ratio(cur["member_sales"], cur["sales"]),
            growth(cur["member_sales"], y["member_sales"]),
            growth(cur["member_sales"], m["member_sales"]),
            cur["basket"], growth(cur["basket"], y["basket"]), growth(cur["basket"], m["basket"]),
            ratio(cur["member_tickets"], cur["tickets"]),
            growth(cur["member_tickets"], y["member_tickets"]),
            growth(cur["member_tickets"], m["member_tickets"]),
            ratio(cur["member_tickets"], cur["active"]),
            ratio(cur["items"], cur["member_tickets"]),
        )
    ]  # fmt: skip


def churn(folder: Path, period: Period) -> list[tuple]:
    f = collect(
        churn_members(folder, period).select(
            c("base").sum().alias("base"),
            c("lapsed").sum().alias("lapsed"),
            c("newly").sum().alias("newly"),
            c("returned").fill_null(False).sum().alias("returned"),
            money(c("spend_365d").filter(c("lapsed")).sum()).alias("lapsed_spend"),
            money(c("spend_365d").filter(c("base")).sum()).alias("base_spend"),
        )
    ).row(0, named=True)
    return [
        (
            "ALL", f["base"], f["lapsed"], ratio(f["lapsed"], f["base"]),
            ratio(f["lapsed_spend"], f["base_spend"]), f["newly"], f["returned"],
            f["lapsed_spend"], f["base_spend"],
        )
    ]  # fmt: skip


def churn_list(folder: Path, period: Period) -> list[tuple]:
    return collect(
        lapsed(folder, period)
        .select(
            "member_id", "name", "phone", "store_id", "last",
            (pl.lit(period.end) - c("last")).dt.total_days().alias("days_since"),
            "spend_365d", "tickets_365d",
        )
        .sort(["spend_365d", "last", "member_id"], descending=[True, True, False])
    ).rows()  # fmt: skip


def expiring(folder: Path, period: Period) -> list[tuple]:
    listed = month_after(period.end)
    as_of_end = period.end + timedelta(days=1)
    due = members(folder).filter(c("expiry_date").is_between(listed.start, listed.end))
    year = (
        due.select("member_id", c("expiry_date").dt.offset_by("-1y").alias("from"))
        .join(tickets(folder).filter(c("txn_time") < as_of_end), on="member_id")
        .filter(c("txn_time") >= c("from"))
        .group_by("member_id")
        .agg((c("amount") > 0).sum().alias("visits"), money(c("amount").sum()).alias("spend"))
    )
    return collect(
        due.join(year, on="member_id", how="left")
        .with_columns(c("visits").fill_null(0), c("spend").fill_null(0.0))
        .filter((c("visits") < MIN_VISITS) & (c("spend") < MIN_SPEND))
        .select(
            "store_id", "member_id", "name", "phone", "join_date", "expiry_date", "visits",
            "spend", (MIN_VISITS - c("visits")).clip(0).alias("visits_short"),
            money((MIN_SPEND - c("spend")).clip(0)).alias("spend_short"),
        )
        .sort(["store_id", "expiry_date", "member_id"])
    ).rows()  # fmt: skip


def grades(folder: Path, period: Period) -> list[tuple]:
    year = tickets(folder).filter(
        c("member_id").is_not_null() & in_days(period.end - timedelta(days=364), period.end)
    )
    spend = year.group_by("member_id").agg(money(c("amount").sum()).alias("spend"))
    graded = collect(
        members(folder)
        .filter(on_file(period))
        .join(spend, on="member_id", how="left")
        .select(c("spend").fill_null(0.0))
    )["spend"]
    bounds = [math.inf, *(float(e) for e in reversed(DEFAULT_GRADE_EDGES)), -math.inf]
    cells = [(graded >= lo) & (graded < hi) for hi, lo in itertools.pairwise(bounds)]  # A..D
    n, total = len(graded), round(float(graded.sum()), 2)
    counts = [int(x.sum()) for x in cells]
    spends = [round(float(graded.filter(x).sum()), 2) for x in cells]
    return [
        (
            "ALL", n, total, *counts, *(ratio(x, n) for x in counts), *spends,
            *(ratio(x, total) for x in spends),
        )
    ]  # fmt: skip


def new_members(folder: Path, period: Period) -> list[tuple]:
    ago = period.years_back(1)
    joined = members(folder).filter(
        c("join_date").is_between(period.start, period.end)
        | c("join_date").is_between(ago.start, ago.end)
    )
    new = joined.filter(c("join_date") >= period.start).select("member_id", "join_date")
    first = c("join_date").cast(pl.Datetime("us"))
    activated = collect(
        new.join(tickets(folder).filter(c("amount") > 0), on="member_id")
        .filter(
            (c("txn_time") >= first)
            & (c("txn_time") < first + timedelta(ACTIVATION_DAYS + 1))
        )
        .select(c("member_id").n_unique())
    ).item()  # fmt: skip
    f = collect(
        joined.select(
            (c("join_date") >= period.start).sum().alias("new"),
            (c("join_date") <= ago.end).sum().alias("ago"),
        )
    ).row(0, named=True)
    return [
        (
            "ALL", f["new"], f["ago"], growth(f["new"], f["ago"]), activated,
            ratio(activated, f["new"]),
        )
    ]  # fmt: skip


def callbacks(folder: Path, period: Period) -> list[tuple]:
    people = members(folder)
    paid = tickets(folder).filter(
        in_days(period.start, period.end) & (c("amount") > 0) & c("member_id").is_not_null()
    )
    after_sale = (
        paid.sort(["amount", "txn_time", "txn_id"], descending=[True, False, False])
        .group_by("member_id")
        .first()
        .filter(c("amount") >= MIN_AMOUNT)
        .select(pl.lit("after_sale").alias("kind"), "member_id", "txn_time", "amount")
    )
    joined = people.filter(c("join_date").is_between(period.start, period.end))
    new = (
        paid.join(joined, on="member_id")
        .sort(["txn_time", "txn_id"])
        .group_by("member_id")
        .first()
        .select(pl.lit("new").alias("kind"), "member_id", "txn_time", "amount")
    )  # fmt: skip
    lapsed_calls = lapsed(folder, period).select(
        pl.lit("lapsed").alias("kind"),
        "member_id",
        c("last").cast(pl.Datetime("us")).alias("txn_time"),
        c("spend_365d").alias("amount"),
    )
    order = pl.col("kind").replace_strict({"after_sale": 0, "new": 1, "lapsed": 2})
    return collect(
        pl.concat([after_sale, new, lapsed_calls])
        .join(people.select("member_id", "store_id", "name", "phone"), on="member_id")
        .select(
            "kind", "store_id", "member_id", "name", "phone",
            c("txn_time").dt.date().alias("reason_date"), money(c("amount")).alias("amount"),
        )
        .sort(
            [order, "store_id", "amount", "reason_date", "member_id"],
            descending=[False, False, True, True, False],
        )
    ).rows()  # fmt: skip


REPORTS = {
    "spend-bands": spend_bands,
    "demographics": demographics,
    "spending-power": spending_power,
    "churn": churn,
    "churn-list": churn_list,
    "expiring": expiring,
    "grades": grades,
    "new-members": new_members,
    "callbacks": callbacks,
}


def same(a: object, b: object) -> bool:
    """Counts, dates and text exactly; money to the cent; ratios within 1e-9; null as null."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, (str, date)) or isinstance(b, (str, date)):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.005)


def check(name: str, theirs: list[tuple], ours: list[tuple]) -> None:
    """ours: polars's rows; theirs: memberkit's, as Baseline.figures tuples."""
    if len(theirs) != len(ours):
        raise AssertionError(f"{name}: memberkit {len(theirs)} rows, polars {len(ours)}")
    for number, (mine, hand) in enumerate(zip(theirs, ours, strict=True)):
        for column, (a, b) in enumerate(zip(mine, hand, strict=True)):
            if not same(a, b):
                raise AssertionError(
                    f"{name}: row {number} ({mine[0]}), column {column}: "
                    f"memberkit {a!r} != polars {b!r}"
                )


def memberkit_figures(con, name: str, period: Period) -> list[tuple]:
    import handwritten

    rows = handwritten.memberkit_report(con, name, period, False)
    return [handwritten.BASELINES[name].figures(row) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="a database loaded from --data")
    parser.add_argument("--data", type=Path, required=True, help="directory of the CSV exports")
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("--report", action="append", choices=sorted(REPORTS))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from memberkit import db
    from memberkit.reports import prepare_connection

    period = parse_month(args.month)
    con = db.connect(args.db, read_only=True)
    prepare_connection(con)
    failed = 0
    for name in args.report or REPORTS:
        start = time.perf_counter()
        ours = REPORTS[name](args.data, period)
        seconds = time.perf_counter() - start
        try:
            check(name, memberkit_figures(con, name, period), ours)
        except AssertionError as exc:
            failed += 1
            print(f"FAIL {exc}")
            continue
        print(f"OK   {name:<16} polars {seconds:8.3f} s  ({len(ours):,} rows)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
