"""Run the report queries of queries/ with bound parameters and return their rows.

A report is one SQL file (queries/NAME.sql, using the macros of queries/common.sql) run with
the period and scope bound as parameters; rows come back as plain dicts in the shape of the
JSON output (SPEC 6). Nothing here formats, prints or imports the terminal layer.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

from memberkit.errors import InputRejected, option
from memberkit.periods import Period, Scope
from memberkit.reports.summarised import require_summaries

# memberkit.sql is where the query text and the shared macros live (ingest needs the macros
# too); named here as well, for the callers that know them as memberkit.reports'.
from memberkit.sql import MACRO_FILES as MACRO_FILES
from memberkit.sql import prepare_connection as prepare_connection
from memberkit.sql import query_text as query_text

_PARAMETER = re.compile(r"\$([a-z_]+)")


@dataclass
class Report:
    name: str
    period: Period
    scope: Scope
    rows: list[dict[str, Any]]
    # no transaction in the period for the scope: figures are zeros and nulls
    empty: bool = False
    notes: list[str] = field(default_factory=list)  # what it could not check, may still change
    # keys of its template's footnotes: why a figure that looks wrong is right (spend-bands)
    footnotes: list[str] = field(default_factory=list)
    where: str = ""  # a title's {where}: 总仓/门店, or which call-backs a sheet holds
    split: str | None = None  # rows split by other than the store tree (complaints' category)
    kinds: tuple[str, ...] = ()  # the call-back kinds asked for
    model: dict[str, Any] | None = None  # the churn-risk model as fitted
    units: list[dict[str, Any]] | None = None  # churn risk per store or region
    extra: dict[str, Any] = field(default_factory=dict)  # keys the JSON adds beside its rows
    options: dict[str, Any] = field(default_factory=dict)  # what it ran with, for the record


def query_relation(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> duckdb.DuckDBPyRelation:
    """queries/NAME.sql with the parameters it names bound, never formatted into SQL."""
    require_summaries(con)
    sql = query_text(name)
    used = set(_PARAMETER.findall(sql))
    missing = used - params.keys()
    if missing:
        raise ValueError(f"query {name} needs parameters {sorted(missing)}")
    # duckdb 2.x refuses a relation while an execute() result is unfinished: every execute()
    # in memberkit is fetched with fetchall(), which finishes it.
    return con.sql(sql, params={k: v for k, v in params.items() if k in used})


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict]:
    """Run queries/NAME.sql and return its rows as dicts."""
    relation = query_relation(con, name, params)
    columns = relation.columns
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def period_params(period: Period, scope: Scope) -> dict[str, Any]:
    return {"start": period.start, "end": period.end, **scope.params()}


def check_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """A store or region that does not exist is an error naming it, not an empty table."""
    if scope.store is not None:
        found = con.execute(
            "select count(*) from (select store_id from stores union "
            "select store_id from members union select store_id from ticket_stores) "
            "where store_id = $store",
            {"store": scope.store},
        ).fetchall()[0][0]
        if not found:
            raise InputRejected(
                f"no store {scope.store!r} in the database",
                hint="`memberkit info --stores` lists the stores",
            )
    if scope.region is not None:
        found = con.execute(
            "select count(*) from stores where region = $region", {"region": scope.region}
        ).fetchall()[0][0]
        if not found:
            regions = [
                r[0]
                for r in con.execute(
                    "select distinct region from stores where region is not null order by 1"
                ).fetchall()
            ]
            raise InputRejected(
                f"no region {scope.region!r} in the stores table",
                hint=f"regions: {', '.join(regions)}" if regions else "load stores first",
            )


def check_scope_known_in(con: duckdb.DuckDBPyConnection, scope: Scope, table: str) -> None:
    """check_scope for a report over service records (complaints, surveys), which belong to
    their store: a store may be known from `table`'s rows alone."""
    if scope.store is not None:
        known = con.execute(  # the table's name comes from the code, not from input
            f"select count(*) from {table} where store_id = $store", {"store": scope.store}
        ).fetchall()[0][0]
        if known:
            return
    check_scope(con, scope)


def data_through(con: duckdb.DuckDBPyConnection):
    """The day of the latest ticket (None without tickets): how far the data reaches."""
    return con.execute("select max(txn_time)::date from transactions").fetchall()[0][0]


def empty_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    """Which of these tables hold no row: a report's zeros then have that cause."""
    return [  # names from the code, not from input
        t for t in tables if not con.execute(f"select exists (from {t})").fetchall()[0][0]
    ]


def missing_history(con: duckdb.DuckDBPyConnection, end) -> InputRejected | None:
    """Why no member has a purchase history up to `end`, when a whole table or the period is
    the cause (the churn-risk model would only say '0 of 0 members'); None otherwise."""
    members, tickets, first_day, ids, known = con.execute(
        """
        select
            (select count(*) from members),
            (select count(*) from transactions),
            (select min(txn_time)::date from transactions),
            count(distinct t.member_id),
            count(distinct t.member_id) filter (where m.member_id is not null),
        from transactions t
        left join members m on m.member_id = t.member_id
        where t.member_id is not null and t.txn_time < $end::date + interval 1 day
        """,
        {"end": end},
    ).fetchall()[0]
    if not tickets:
        return InputRejected(
            "no tickets are loaded: there is no purchase history",
            hint="load the tickets first: `memberkit load transactions FILE`",
        )
    if not members:
        return InputRejected(
            f"no member ids are on file: the members table is empty ({ids:,} member ids "
            f"on tickets up to {end})",
            hint="load the members file: `memberkit load members FILE`",
        )
    if first_day > end:
        return InputRejected(
            f"no ticket on or before {end} (the first is on {first_day})",
            hint=f"choose a later day ({option('as_of')}) or month ({option('month')})",
        )
    if not ids:
        return InputRejected(
            f"no ticket up to {end} carries a member id ({tickets:,} tickets loaded)",
            hint="check the member id column of the tickets files",
        )
    if known * 2 < ids:
        return InputRejected(
            f"only {known:,} of the {ids:,} member ids on tickets up to {end} are in the "
            f"members table ({members:,} members on file)",
            hint="load the members file those tickets belong to: `memberkit load members FILE`",
        )
    return None


def has_transactions(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> bool:
    row = con.execute(
        """
        select exists (
            select 1 from transactions t
            join mk_scope_stores($store, $region, $by) s on s.store_id = t.store_id
            where t.txn_time >= $start::timestamp
              and t.txn_time < $end::timestamp + interval 1 day
        )
        """,
        period_params(period, scope),
    ).fetchall()
    return bool(row[0][0])


class _Reports(types.ModuleType):
    """SPEC 7 has `memberkit.reports()` list the report names, and `memberkit.reports` is
    also this package: once imported, the package attribute is this module, so the module
    itself answers the call (a module's class may be a ModuleType subclass)."""

    def __call__(self) -> list[str]:
        from memberkit.reports.catalogue import ENTRIES

        return list(ENTRIES)


sys.modules[__name__].__class__ = _Reports
