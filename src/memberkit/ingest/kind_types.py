"""What a kind of input file is made of: its columns (Column) and the rules its rows
follow when loaded (Kind). The kinds themselves are declared in kinds.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    # text | date | timestamp | money | int | gender | month | move_kind | satisfaction |
    # score | survey_channel | callback_kind | call_outcome (codes: ingest/parse.sql)
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    # Free text written by people (names, comments): the only columns where a quoted value
    # may span lines, and where characters inside a value are kept as written (SPEC 3.1).
    # Ids, codes, dates and numbers are never free text.
    free_text: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # What a row whose key is already loaded with different content does:
    # 'reject' (a ticket is immutable) or 'replace' (a later member export wins).
    on_conflict: str
    history_table: str | None = None
    # Row rules beyond the column types: (SQL condition on the typed columns that makes a row
    # bad, the column to blame, the reason). The SQL is ours, never built from input.
    checks: tuple[tuple[str, str, str], ...] = ()
    # A file of this kind is all or nothing: one rejected row refuses it (count sheets).
    refuse_on_any_reject: bool = False
    # Headers that belong on the form but are not stored (no "unknown column" warning).
    informational: tuple[str, ...] = ()
    # Rows that load but deserve a look: (SQL condition on a loaded row `r`, evaluated after
    # the merge so it can consult the tables, $load_id the load's own id; the column; the
    # message).
    warnings: tuple[tuple[str, str, str], ...] = ()
    # The loader adds new store ids of this kind's rows to ticket_stores.
    lists_stores: bool = False
    # Every row is a movement (gift moves, SPEC 3.1): two identical rows of a file are two
    # handouts, never a duplicate. Only a row with this reference column set is matched
    # against earlier loads (the same content: skipped; other content: rejected); a row
    # without one always loads.
    movement_ref: str | None = None
    # Each row is one line of a ticket (SPEC 3.2): rows are kept line by line in `table`, and
    # each ticket (txn_id) is rolled up into this table (ingest/lines.py).
    rolls_up_into: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)
