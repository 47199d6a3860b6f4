"""`memberkit info --lake DIR`: what a lake holds, read from its Parquet files with DuckDB
(no Spark needed), checked against its manifest table by table and month by month."""

from __future__ import annotations

import os
from pathlib import Path

from memberkit.errors import counted
from memberkit.lake import KEY_IS_COLUMN, PARTITION, read_manifest, schema_entries


def check_lake(dest: str | os.PathLike[str]) -> dict:
    """What the lake at `dest` holds, read from its files with DuckDB (no Spark), checked
    against its manifest: per table its rows and months, and `problems`, one line for each
    way the files disagree with the manifest (empty when they agree)."""
    import duckdb

    dest = Path(dest)
    manifest = read_manifest(dest)
    problems: list[str] = []
    tables: dict[str, dict] = {}
    expected = schema_entries()
    for name in sorted(set(expected) - set(manifest["tables"])):
        problems.append(f"{name}: in memberkit's schema but not in the manifest")
    con = duckdb.connect()
    try:
        for name, entry in manifest["tables"].items():
            tables[name] = _check_table(con, dest / name, name, entry, problems)
    finally:
        con.close()
    return {
        "lake": str(dest),
        **{k: manifest.get(k) for k in ("written_at", "memberkit_version", "schema_version")},
        "data_through": manifest.get("data_through"),
        "tables": tables,
        "problems": problems,
    }


def _check_table(con, folder: Path, name: str, entry: dict, problems: list[str]) -> dict:
    partitioned = bool(entry.get("partitioned_by"))
    files = sorted(str(p) for p in folder.glob("*/*.parquet" if partitioned else "*.parquet"))
    want = {m: n for m, n in entry.get("months", {}).items()}
    if not folder.is_dir():
        problems.append(f"{name}: its folder is missing")
        return {"rows": 0, "months": {}}
    if not files:
        if entry.get("rows"):
            problems.append(
                f"{name}: no Parquet file, {counted(entry['rows'], 'row')} in the manifest"
            )
        return {"rows": 0, "months": {}}
    source = "read_parquet($files, hive_partitioning = $hive, hive_types_autocast = false)"
    params = {"files": files, "hive": partitioned}
    columns = [
        [c, t]
        for c, t, *_ in con.execute(f"describe select * from {source}", params).fetchall()
        if not (partitioned and c == PARTITION)
    ]
    listed = [
        [c, t]
        for c, t in entry["columns"]
        if not (partitioned and name in KEY_IS_COLUMN and c == PARTITION)
    ]
    if columns != listed:
        problems.append(f"{name}: the files' columns {columns} are not the manifest's {listed}")
    if partitioned:
        found = dict(
            con.execute(
                f"select {PARTITION}, count(*) from {source} group by all order by 1", params
            ).fetchall()
        )
        for month in sorted(set(found) | set(want)):
            if found.get(month, 0) != want.get(month, 0):
                problems.append(
                    f"{name} {PARTITION}={month}: {counted(found.get(month, 0), 'row')} in the "
                    f"files, {want.get(month, 0):,} in the manifest"
                )
    else:
        found = {}
    rows = (
        sum(found.values())
        if partitioned
        else con.execute(f"select count(*) from {source}", params).fetchone()[0]
    )
    if rows != entry.get("rows"):
        problems.append(
            f"{name}: {counted(rows, 'row')} in the files, {entry.get('rows'):,} in the manifest"
        )
    return {"rows": rows, "months": found}
