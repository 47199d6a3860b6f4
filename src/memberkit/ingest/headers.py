"""Matching a file's header row to a kind's columns: aliases, --mapping files, and the
refusal of a file whose headers fit another kind better."""

from __future__ import annotations

from pathlib import Path

from memberkit.errors import InputRejected, UsageError, quoted
from memberkit.files import read_toml
from memberkit.ingest.kinds import KINDS, Kind


def read_mapping(path: Path | None, kind: Kind) -> dict[str, str]:
    """Extra header aliases for `kind` from a --mapping TOML file, keyed by lower-cased header.

    One table per kind maps another system's header to our column name:
        [transactions]
        "POS单号" = "txn_id"
    """
    if path is None:
        return {}
    parsed = read_toml(path, "mapping file")
    for section, table in parsed.items():
        if section not in KINDS or not isinstance(table, dict):
            raise UsageError(
                f"{path}: [{section}] is not a kind of file",
                hint=f"use tables named {', '.join(KINDS)}",
            )
        if not all(isinstance(v, str) for v in table.values()):
            raise UsageError(f"{path}: [{section}] must map header names to column names")
    extra = parsed.get(kind.name, {})
    for header, target in extra.items():
        if target not in kind.column_names:
            raise UsageError(
                f"{path}: [{kind.name}] maps {header!r} to {target!r}, which is not a "
                f"{kind.name} column",
                hint=f"columns: {', '.join(kind.column_names)}",
            )
    return {normalise_header(h): t for h, t in extra.items()}


# Never part of a header name: white space (str.strip's, U+00A0 and U+3000 included), the
# zero-width characters and U+FEFF (a BOM), trimmed as from values (SPEC 3.1).
_ZERO_WIDTH = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff"))


def normalise_header(header: str) -> str:
    return header.translate(_ZERO_WIDTH).strip().lower()


def map_header(
    header: list[str], kind: Kind, file_label: str, extra: dict[str, str], *, hint: bool = True
) -> tuple[dict[str, int], list[str]]:
    """Match file headers to canonical columns; return {column: position} and ignored headers.

    A missing required column is an error naming the column and the file; so is a column
    that two headers claim (the file would be ambiguous), and (`hint`: the file is being
    loaded, not just compared) headers that fit another kind better (SPEC 3.1)."""
    lookup = {c.name.lower(): c.name for c in kind.columns}
    for c in kind.columns:
        lookup.update({alias.lower(): c.name for alias in c.aliases})
    lookup.update(extra)

    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        target = lookup.get(normalise_header(raw))
        if target is None:
            ignored.append(raw)
        elif target in positions:
            raise InputRejected(
                f"{file_label}: columns {quoted(header[positions[target]])} and {quoted(raw)} "
                f"both mean {target}",
                hint="drop one of them or say which to use with --mapping",
            )
        else:
            positions[target] = index
    missing = [c for c in kind.columns if c.required and c.name not in positions]
    if missing:
        names = ", ".join(
            f"{c.name} ({'/'.join(c.aliases)})" if c.aliases else c.name for c in missing
        )
        raise InputRejected(
            f"{file_label}: missing required column{'s' if len(missing) > 1 else ''} {names} "
            f"for {kind.name}",
            hint=(_wrong_kind_hint(header, kind) if hint else None)
            or "map other header names with --mapping FILE",
        )
    if hint:
        _refuse_another_kind(header, kind, _fit(kind, positions, ignored), file_label)
    return positions, ignored


def _fit(kind: Kind, positions: dict[str, int], ignored: list[str]) -> int:
    """How many of a file's headers a kind recognises: its columns, and the headers that
    belong on its form without being stored (informational)."""
    informational = {normalise_header(h) for h in kind.informational}
    return len(positions) + len({normalise_header(h) for h in ignored} & informational)


def _best_other_kind(header: list[str], kind: Kind, above: int) -> tuple[Kind | None, int]:
    """The other kind that finds all its required columns in the headers and recognises the
    most of them, more than `above`; and how many it recognises."""
    best, best_fit = None, above
    for other in KINDS.values():
        if other is kind:
            continue
        try:
            positions, ignored = map_header(header, other, "", {}, hint=False)
        except InputRejected:
            continue
        if (other_fit := _fit(other, positions, ignored)) > best_fit:
            best, best_fit = other, other_fit
    return best, best_fit


def _refuse_another_kind(header: list[str], kind: Kind, fit: int, file_label: str) -> None:
    """A file fits another kind better when that kind finds all its required columns in it
    and recognises strictly more of its headers: `load stores targets.csv` would otherwise
    store every target's store as a store without a name or region. A tie loads as asked."""
    best, best_fit = _best_other_kind(header, kind, fit)
    if best is not None:
        raise InputRejected(
            f"{file_label}: its headers fit a {best.name} file, not {kind.name}: {best_fit} of "
            f"its {len(header)} columns are {best.name} columns, only {fit} "
            f"{'is a' if fit == 1 else 'are'} {kind.name} column{'' if fit == 1 else 's'}; "
            "nothing was loaded",
            hint=f"load it with `memberkit load {best.name} ...`; if it is a {kind.name} file, "
            f"leave out the {best.name} columns",
        )


def _wrong_kind_hint(header: list[str], kind: Kind) -> str | None:
    """If the headers fit another kind, say so: members loaded as transactions is common.
    Of several, the one that recognises most headers (a line file fits transactions too)."""
    best, _ = _best_other_kind(header, kind, 0)
    if best is None:
        return None
    return f"the headers look like a {best.name} file: `memberkit load {best.name} ...`"
