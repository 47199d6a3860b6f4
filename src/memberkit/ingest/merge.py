"""What a loaded row does to what is stored: repeats within the file, ids already loaded,
replacement of the columns a file has, and the warnings of loaded rows (SPEC 3, 3.1)."""

from __future__ import annotations

from memberkit.ingest.kinds import Kind
from memberkit.ingest.records import locate
from memberkit.ingest.results import RejectSample
from memberkit.ingest.source import PreparedFile
from memberkit.sql import prepare_connection


def same_content(kind: Kind, a: str, b: str) -> str:
    return " and ".join(f"{a}.{c} is not distinct from {b}.{c}" for c in kind.column_names)


def key_match(kind: Kind, a: str, b: str) -> str:
    """Rows with the same key; a key column may be optional (a move's ref), so null = null."""
    return " and ".join(
        f"{a}.{k} = {b}.{k}" if kind.column(k).required else f"{a}.{k} is not distinct from {b}.{k}"
        for k in kind.key
    )


def find_clashes(con, kind: Kind, load_id: int, had_rows: bool, rows: int) -> None:
    """mk_clash: the keys of this load that occur more than once in the table, within the
    file or beside an earlier load's row (only looked for if the table had rows)."""
    key = ", ".join(kind.key)
    params: dict = {"load_id": load_id}
    within_file = f"""
        select {key} from {kind.table} where load_id = $load_id
        group by {key} having count(*) > 1
    """
    unique = rows >= PROOF_MIN_ROWS and keys_unique(con, kind, load_id)
    if unique:
        within_file = f"select {key} from {kind.table} where load_id = $load_id and false"
    earlier = ""
    if had_rows:
        # The load's distinct keys in a table of known size, so that the join builds its
        # hash table on them; and their range on each required key column, so that zone
        # maps skip older row groups (ticket numbers and dates rise with time): the cost
        # follows the new rows, not the size of the database.
        con.execute(
            f"create temp table mk_new_keys as "
            f"select {'' if unique else 'distinct'} {key} from {kind.table} "
            "where load_id = $load_id",
            params,
        )
        ranged = [k for k in kind.key if kind.column(k).required]
        bounds = con.execute(
            f"select {', '.join(f'min({k}), max({k})' for k in ranged)} from mk_new_keys"
        ).fetchall()[0]
        for i in range(len(ranged)):
            params |= {f"lo{i}": bounds[2 * i], f"hi{i}": bounds[2 * i + 1]}
        in_range = " and ".join(f"o.{k} between $lo{i} and $hi{i}" for i, k in enumerate(ranged))
        earlier = f"""
        union
        select {", ".join(f"n.{k}" for k in kind.key)}
        from mk_new_keys n join {kind.table} o on {key_match(kind, "n", "o")}
        where o.load_id <> $load_id and {in_range or "true"}
        """
    con.execute(f"create temp table mk_clash as {within_file} {earlier}", params)


# A load this small is checked by grouping its keys: quick enough, nothing to prove.
PROOF_MIN_ROWS = 500_000
# The widest range of numbers the proof's bitmap covers: DuckDB's bitstring_agg refuses a
# billion, and this is 110 MB (per thread).
BITMAP_MAX = 900_000_000


def keys_unique(con, kind: Kind, load_id: int) -> bool:
    """A cheap proof that no key of the load repeats, for the common case of ticket numbers
    ending in a run of digits (T0000000001): True only if proven, False if not (then the keys
    are grouped, which costs three times as much for 100M rows, most of it in a hash table
    of 100M strings).

    f(key) = the key's last n characters as a number, n the length of one key's trailing
    digits. Equal keys have equal f, so if every row's f lies in [lo, hi] and the rows set as
    many distinct bits of a bitmap over [lo, hi] as there are rows, no two keys are equal.
    Where f is not one to one ('T1' and 'T01'), or the bounds were guessed wrong, the proof
    fails and nothing is lost but its one pass (a third of the grouping's cost)."""
    if len(kind.key) != 1 or kind.column(kind.key[0]).type != "text":
        return False
    key, table, params = kind.key[0], kind.table, {"load_id": load_id}
    # Where the trailing digits start is read off one key; the bounds off a sample of row
    # groups (about 1% of the table), widened, or where it holds none of the load, exactly.
    one = con.execute(
        f"select {key} from {table} where load_id = $load_id limit 1", params
    ).fetchall()
    if not one or one[0][0] is None:
        return False
    digits = len(one[0][0]) - len(one[0][0].rstrip("0123456789"))
    if not 0 < digits <= 18:
        return False
    f = f"try_cast(substr({key}, length({key}) - $digits + 1) as bigint)"
    params["digits"] = digits
    bounds = con.execute(
        f"select min({f}), max({f}), count(*) from {table} "
        "where load_id = $load_id using sample 1% (system)",
        params,
    ).fetchall()[0]
    if bounds[2]:
        if bounds[0] is None:
            return False
        # a sample of a few row groups can miss much of the range: up to three times its
        # span, within what DuckDB's bitmaps take
        span = bounds[1] - bounds[0]
        margin = min(span + 4096, (BITMAP_MAX - span) // 2)
        lo, hi = bounds[0] - margin, bounds[1] + margin
    else:
        lo, hi = con.execute(
            f"select min({f}), max({f}) from {table} where load_id = $load_id", params
        ).fetchall()[0]
    # an error here would end the load's transaction: a range bitstring_agg refuses is not
    # tried
    if lo is None or not 0 <= hi - lo <= BITMAP_MAX:
        return False
    rows, inside, distinct = con.execute(
        f"""
        select count(*), count(*) filter (where f between $lo and $hi),
            bit_count(bitstring_agg(f, $lo, $hi) filter (where f between $lo and $hi))
        from (select {f} as f from {table} where load_id = $load_id)
        """,
        params | {"lo": lo, "hi": hi},
    ).fetchall()[0]
    return rows == inside == distinct


def key_in_clash(kind: Kind, alias: str) -> str:
    return f"exists (select 1 from mk_clash c where {key_match(kind, alias, 'c')})"


def clashes_differ(con, kind: Kind, absent: list[str]) -> bool:
    """Does any repeated key come with more than one content (the table's rows), on the
    columns the file has?"""
    content = ", ".join(f"t.{c}" for c in kind.column_names if c not in absent)
    differing = con.execute(
        f"""
        select 1 from mk_clash c join {kind.table} t on {key_match(kind, "t", "c")}
        group by {", ".join(f"c.{k}" for k in kind.key)}
        having count(distinct row({content})) > 1
        limit 1
        """
    ).fetchall()
    return bool(differing)


def keep_stored_values(con, kind: Kind, absent: list[str]) -> None:
    """Give the file's rows whose key is stored that row's values in the columns the file
    lacks: a later row then replaces only what its file says, and is identical (skipped)
    when it agrees on those columns. Run once the load's own rows of these keys are out of
    the table, so the only rows a key matches are earlier loads' (one each)."""
    if not absent:
        return
    stored = ", ".join(f"{c} = t.{c}" for c in absent)
    con.execute(
        f"update mk_rows s set {stored} from {kind.table} t "
        f"where s.reason is null and {key_match(kind, 's', 't')}"
    )


def classify(con, kind: Kind) -> None:
    """Find later rows of an id within the file, and rows whose id is already loaded.

    Movements (gift moves) have no repeats within a file, and only rows with a ref are
    matched against earlier loads; several stored rows may hold such a key (two lines of
    one document), and a row is the same as the stored one if it equals any of them."""
    key = ", ".join(kind.key)
    same_key = key_match(kind, "v", "f")
    con.execute(
        f"""
        create temp table mk_dupes as
        with valid as (select * from mk_rows where reason is null),
        firsts as (
            select {key}, min(ord) as first_ord from valid
            group by {key} having count(*) > 1
        )
        select v.ord, f.first_ord, {same_content(kind, "v", "first")} as identical
        from valid v
        join firsts f on {same_key}
        join valid first on first.ord = f.first_ord
        where {"false" if kind.movement_ref else "v.ord <> f.first_ord"}
        """
    )
    same = same_content(kind, "s", "t")
    movement = kind.movement_ref
    con.execute(
        f"""
        create temp table mk_existing as
        select s.ord, {f"bool_or({same})" if movement else same} as identical
        from (select * from mk_rows where reason is null) s
        join {kind.table} t on {key_match(kind, "s", "t")}
        where s.ord not in (select ord from mk_dupes)
        {f"and s.{movement} is not null group by s.ord" if movement else ""}
        """
    )


def merge(con, kind: Kind, load_id: int) -> None:
    columns = ", ".join(kind.column_names)
    if kind.on_conflict == "replace":
        # The later row wins; the version it replaces is kept where the kind keeps history.
        old_match = key_match(kind, "t", "s")
        replaced = (
            f"exists (select 1 from mk_rows s join mk_existing e on s.ord = e.ord "
            f"where not e.identical and {old_match})"
        )
        if kind.history_table:
            con.execute(
                f"insert into {kind.history_table} "
                f"select t.*, $load_id from {kind.table} t where {replaced}",
                {"load_id": load_id},
            )
        con.execute(f"delete from {kind.table} t where {replaced}")
        skip = "select ord from mk_existing where identical"
    else:
        skip = "select ord from mk_existing"
    con.execute(
        f"""
        insert into {kind.table} ({columns}, load_id)
        select {columns}, $load_id from mk_rows
        where reason is null
          and ord not in (select ord from mk_dupes)
          and ord not in ({skip})
        """,
        {"load_id": load_id},
    )
    if kind.lists_stores:
        con.execute(
            f"insert into ticket_stores select distinct store_id from {kind.table} "
            "where load_id = $load_id and store_id not in (select store_id from ticket_stores)",
            {"load_id": load_id},
        )


def warnings(con, prepared: PreparedFile, kind: Kind, load_id: int) -> list[RejectSample]:
    """Loaded rows that match the kind's warning rules, with the line they came from."""
    if not kind.warnings:
        return []
    # the tables' macros (mk_gift_entries) live with the report queries, in queries/
    prepare_connection(con)
    found = []
    for condition, column, message in kind.warnings:
        ords = con.execute(
            f"""
            select r.ord from mk_rows r
            where r.reason is null
              and r.ord not in (select ord from mk_dupes)
              and r.ord not in (select ord from mk_existing)
              and ({condition})
            order by r.ord
            """,
            {"load_id": load_id} if "$load_id" in condition else {},
        ).fetchall()
        found += [(o[0], column, message) for o in ords]
    if not found:
        return []
    _, by_ordinal = locate(
        prepared.csv_path, [], [o for o, _, _ in found], delimiter=prepared.delimiter
    )
    samples = []
    for ordinal, column, message in sorted(found):
        where = by_ordinal.get(ordinal)
        line = prepared.line_of_record(where.record, where.line) if where else None
        samples.append(RejectSample(line, column, message))
    return samples
