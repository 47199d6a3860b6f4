"""Sheet names as Excel accepts them: cleaned, cut to 31 UTF-16 units and unique."""

from __future__ import annotations

import unicodedata

SHEET_NAME_LIMIT = 31  # Excel counts UTF-16 units
_NOT_IN_SHEET_NAMES = frozenset("[]:*?/\\")


def unique_sheet_name(name: str, used: set[str]) -> str:
    """`name` as Excel accepts a sheet name, unique among `used` (which it joins).

    Store ids and names come from outside. A character Excel refuses ([]:*?/\\), anything not
    printable but a space (a control character is not even valid in the workbook's XML; a
    bidi override would reverse the tab's text) and an apostrophe at either end become '_'.
    The name is cut to 31 UTF-16 units; one that is taken (case-insensitively, as Excel
    compares them) or is "History" (which Excel reserves) gets " (2)", " (3)", ... Every
    sheet of every workbook is named here."""
    clean = "".join("_" if ch in _NOT_IN_SHEET_NAMES or not _shows(ch) else ch for ch in name)
    clean = _unquoted(_cut(_unquoted(clean), SHEET_NAME_LIMIT)) or "Sheet"
    candidate, n = clean, 2
    while candidate.casefold() in used or candidate.casefold() == "history":
        suffix = f" ({n})"
        candidate, n = _cut(clean, SHEET_NAME_LIMIT - len(suffix)) + suffix, n + 1
    used.add(candidate.casefold())
    return candidate


def _shows(ch: str) -> bool:
    return ch.isprintable() or unicodedata.category(ch) == "Zs"  # U+3000 is a space too


def _unquoted(name: str) -> str:
    """Excel refuses a sheet name that starts or ends with an apostrophe."""
    if name.startswith("'"):
        name = "_" + name[1:]
    if name.endswith("'"):
        name = name[:-1] + "_"
    return name


def _cut(text: str, units: int) -> str:
    """The longest start of `text` that is at most `units` UTF-16 units (an emoji is two),
    never half a character."""
    total = 0
    for i, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > units:
            return text[:i]
    return text
