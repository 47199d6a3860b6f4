"""Gift stock (SPEC 5.6): the book from the ledger, counts against it, and posting the count."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from memberkit.errors import InputRejected
from memberkit.periods import Period, Scope
from memberkit.reports import Report, run_query

if TYPE_CHECKING:
    import duckdb

# One ref per post: a second post for the same count (after a recount or a late move) is
# another move, and must not share the first one's key (date, location, gift, kind, ref).
POST_REF = "COUNT-{location}-{count_date}-P{load_id}"


def _day_period(day: date) -> Period:
    return Period("day", day, day)


def form_place(location: str | None) -> str:
    """The handbook names its forms after the place: hq (总仓) or store (门店), a code the
    renderer names in the language (templates/words.toml); none for every place."""
    return "" if location is None else ("hq" if location == "HQ" else "store")


def check_location(con: duckdb.DuckDBPyConnection, location: str | None) -> None:
    if location is None or location == "HQ":
        return
    known = con.execute(
        "select count(*) from stores where store_id = $l", {"l": location}
    ).fetchall()[0][0]
    if not known:
        raise InputRejected(f"no location {location!r}: not HQ and not in the stores table")


def stock(con: duckdb.DuckDBPyConnection, as_of: date, location: str | None = None) -> Report:
    check_location(con, location)
    rows = run_query(con, "gift_stock", {"as_of": as_of, "location": location})
    return Report(
        "gift-stock",
        _day_period(as_of),
        Scope(store=location),
        rows,
        where=form_place(location),
    )


def reconcile(
    con: duckdb.DuckDBPyConnection,
    location: str | None = None,
    count_date: date | None = None,
    tolerance: int = 0,
) -> Report:
    check_location(con, location)
    rows = run_query(
        con,
        "gift_reconcile",
        {"location": location, "count_date": count_date, "tolerance": tolerance},
    )
    latest = max((r["count_date"] for r in rows), default=count_date or date.today())
    return Report(
        "gift-reconcile",
        _day_period(latest),
        Scope(store=location),
        rows,
        where=form_place(location),
        options={"tolerance": tolerance},
    )


def summary(report: Report) -> Report:
    """盘点汇总表: one row per counted location."""
    totals: dict[str, dict] = defaultdict(
        lambda: {
            "lines": 0,
            "matched": 0,
            "over": 0,
            "short": 0,
            "not_counted": 0,
            "unknown_gift": 0,
            "variance_qty": 0,
            "variance_value": Decimal("0.00"),
        }
    )
    for row in report.rows:
        total = totals[row["location"]]
        total["count_date"] = row["count_date"]
        total["lines"] += row["counted_qty"] is not None
        total[{"match": "matched"}.get(row["status"], row["status"])] += 1
        if row["status"] in ("match", "over", "short"):
            # an unknown gift has a quantity but no cost: it would count in one total only
            total["variance_qty"] += row["variance"]
            total["variance_value"] += row["variance_value"] or 0  # a gift without a cost
    rows = [{"location": loc, **values} for loc, values in totals.items()]
    for row in rows:
        row["count_date"] = row.pop("count_date")
    return replace(report, name="gift-summary", rows=rows)


def variances(report: Report) -> list[dict]:
    """The lines that make --fail-on-variance fail: anything but a match."""
    return [row for row in report.rows if row["status"] != "match"]


def adjustments(report: Report) -> list[dict]:
    """The lines --post settles: every counted known gift with a non-zero variance (a match
    within --tolerance too); not-counted and unknown gifts are left alone."""
    return [r for r in report.rows if r["status"] in ("over", "short", "match") and r["variance"]]


def post(con: duckdb.DuckDBPyConnection, report: Report) -> int:
    """Record adjust moves so that book equals counted at the count date, for every counted
    known gift with a non-zero variance. The adjustment is dated on the count, so the same
    count posts nothing a second time; a recount or a late move shows a new variance, which
    the next post settles."""
    postable = adjustments(report)
    if not postable:
        return 0
    from memberkit.db import record_load, transaction

    with transaction(con):
        load_id = con.execute("select nextval('load_ids')").fetchall()[0][0]
        for row in postable:
            con.execute(
                "insert into gift_moves values ($d, $loc, $gift, 'adjust', $qty, $ref, null, "
                "null, $load)",
                {
                    "d": row["count_date"],
                    "loc": row["location"],
                    "gift": row["gift_id"],
                    "qty": row["variance"],
                    "load": load_id,
                    "ref": POST_REF.format(
                        location=row["location"], count_date=row["count_date"], load_id=load_id
                    ),
                },
            )
        record_load(
            con,
            load_id,
            "gift-moves",
            name="(count posted)",
            path="(memberkit gifts reconcile --post)",
            status="loaded",
            started=datetime.now(),
            read=len(postable),
            loaded=len(postable),
        )
    return len(postable)


def gifts_held(con: duckdb.DuckDBPyConnection, location: str, day: date) -> list[dict]:
    """The gifts a location holds or has held: every gift with a move there up to `day`."""
    check_location(con, location)
    cursor = con.execute(
        """
        select distinct e.gift_id, g.gift_name, g.unit
        from mk_gift_entries() e
        left join gifts g on g.gift_id = e.gift_id
        where e.location = $location and e.move_date <= $day
        order by e.gift_id
        """,
        {"location": location, "day": day},
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def issues(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    """Gifts handed out in the period, per store (or region, or the company) and gift."""
    from memberkit.reports import check_scope, period_params

    check_scope(con, scope)
    rows = run_query(con, "gift_issues", period_params(period, scope))
    return Report("gift-issues", period, scope, rows)
