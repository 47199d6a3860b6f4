"""The stores a user can name: the list `memberkit info --stores` prints, and --store given
as an id in any case or as a store's exact name, resolved to the id the data uses."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import TYPE_CHECKING

from memberkit.errors import InputRejected, option
from memberkit.periods import Scope

if TYPE_CHECKING:
    import duckdb

# Every store id the data knows (the stores table, home stores, stores on tickets, and the
# stores complaints and surveys are about), with its name and region where the stores table
# has them.
_KNOWN = """
    with ids as (
        select store_id from stores
        union select store_id from members
        union select store_id from ticket_stores
        union select store_id from complaints where store_id is not null
        union select store_id from surveys
    )
    select
        ids.store_id,
        any_value(s.store_name) as store_name,
        any_value(s.region) as region,
        bool_or(s.store_id is not null) as in_stores_table,
    from ids left join stores s using (store_id)
    group by ids.store_id
"""


def store_list(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Each store: id, name, region, whether the stores table has it (ids that only members
    or tickets name do not), members with it as home store and its tickets (amount > 0),
    ordered by id."""
    cursor = con.execute(
        f"""
        with known as ({_KNOWN}),
        members_per_store as (
            select store_id, count(*) as members from members group by store_id
        ),
        tickets_per_store as (
            select store_id, count(*) as tickets from transactions
            where amount > 0 group by store_id
        )
        select k.store_id, k.store_name, k.region, k.in_stores_table,
            coalesce(m.members, 0) as members, coalesce(t.tickets, 0) as tickets
        from known k
        left join members_per_store m using (store_id)
        left join tickets_per_store t using (store_id)
        order by k.store_id
        """
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def resolve_store(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The store id that --store names: the id as written, else the one id equal to it in
    any case, else the one store with exactly that name. Nothing, or a name or case shared
    by several stores, is refused naming the close matches (exit 3, like an unknown id)."""
    known = con.execute(f"select store_id, store_name from ({_KNOWN}) k").fetchall()
    ids = {store_id for store_id, _ in known}
    if text in ids:
        return text
    for candidates, what in (
        (sorted(i for i in ids if i.casefold() == text.casefold()), "ids"),
        (sorted(i for i, name in known if name == text), "stores named"),
    ):
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise InputRejected(
                f"{option('store')} {text!r} is ambiguous: {len(candidates)} {what} match it "
                f"({', '.join(candidates)})",
                hint="give the store id exactly as `memberkit info --stores` lists it",
            )
    labels = {i: f"{i} ({name})" if name else i for i, name in known}
    # names that hold what was typed (天河 -> 广州天河店), then ids and names that look alike
    close = sorted(i for i, name in known if name and text.casefold() in name.casefold())
    close += difflib.get_close_matches(text, list(ids), n=5, cutoff=0.6)
    by_name = {name: i for i, name in known if name}
    close += [by_name[n] for n in difflib.get_close_matches(text, list(by_name), n=5, cutoff=0.5)]
    close = list(dict.fromkeys(close))[:5]
    raise InputRejected(
        f"no store {text!r} in the database",
        hint=(f"did you mean {', '.join(labels[i] for i in close)}? " if close else "")
        + "`memberkit info --stores` lists the stores",
    )


def resolve_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> Scope:
    """The scope with --store resolved to a store id (see resolve_store)."""
    if scope.store is None:
        return scope
    store = resolve_store(con, scope.store)
    return scope if store == scope.store else replace(scope, store=store)


def store_ids(con: duckdb.DuckDBPyConnection, region: str | None = None) -> list[str]:
    """The ids of the stores table, or of one region's stores, in order."""
    rows = con.execute(
        "select distinct store_id from stores where $region is null or region = $region "
        "order by store_id",
        {"region": region},
    ).fetchall()
    return [r[0] for r in rows]
