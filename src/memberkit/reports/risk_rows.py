"""Churn risk (SPEC 5.11): the report's rows, one per member of the scope, kept as the
per-member arrays and an order, and built as dicts a chunk at a time when read.

Millions of members must not become millions of dicts at once: a writer reads the rows as
columns of plain values chunk by chunk (`column_chunks`), a table or a workbook reads a
slice or iterates, and `len` costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

KEYS = (
    "scope",
    "member_id",
    "store_id",
    "x",
    "t_x",
    "T",
    "p_alive",
    "expected_purchases",
    "value_at_risk",
)
CHUNK = 50_000


def risk_order(at_risk: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The members at the given positions, highest value at risk first, unknown value at
    risk last, ties in position order (member id order: the stable sort keeps it)."""
    values = at_risk[members]
    unknown = np.isnan(values)
    return members[np.lexsort((-np.where(unknown, 0.0, values), unknown))]


class RiskRows(Sequence):
    """The rows of the members at `order`: `strings` holds member_id, store_id and unit
    (arrow or numpy arrays by position), `figures` x, t_x, T, p_alive, expected_purchases
    and value_at_risk (numpy, by position)."""

    def __init__(self, strings: dict[str, Any], figures: dict[str, np.ndarray], order) -> None:
        self._strings = strings
        self._figures = figures
        self._order = np.asarray(order, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._order)

    def arrays(self, start: int, stop: int) -> dict[str, Any]:
        """Rows start..stop: the texts as lists, the figures as numpy arrays (x as int64,
        value_at_risk rounded to cents, NaN where unknown), KEYS order."""
        at = self._order[start:stop]
        figures = self._figures
        return {
            "scope": _take(self._strings["unit"], at),
            "member_id": _take(self._strings["member_id"], at),
            "store_id": _take(self._strings["store_id"], at),
            "x": figures["x"][at].astype(np.int64),
            **{k: figures[k][at] for k in ("t_x", "T", "p_alive", "expected_purchases")},
            "value_at_risk": round_cents(figures["value_at_risk"][at]),
        }

    def columns(self, start: int, stop: int) -> dict[str, list]:
        """Rows start..stop as a list of plain values per key (KEYS order)."""
        columns = {
            k: v if isinstance(v, list) else v.tolist() for k, v in self.arrays(start, stop).items()
        }
        columns["value_at_risk"] = [None if math.isnan(v) else v for v in columns["value_at_risk"]]
        return columns

    def column_chunks(self, size: int | None = None) -> Iterator[dict[str, list]]:
        size = size or CHUNK
        for start in range(0, len(self), size):
            yield self.columns(start, start + size)

    def array_chunks(self, size: int | None = None) -> Iterator[dict[str, Any]]:
        size = size or CHUNK
        for start in range(0, len(self), size):
            yield self.arrays(start, start + size)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for columns in self.column_chunks():
            yield from _dicts(columns)

    def __getitem__(self, item):
        if isinstance(item, slice):
            start, stop, step = item.indices(len(self))
            if step != 1:
                return list(self)[item]
            return _dicts(self.columns(start, max(start, stop)))
        index = range(len(self))[item]  # negative indices, and IndexError past the end
        return _dicts(self.columns(index, index + 1))[0]

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def round_cents(values: np.ndarray) -> np.ndarray:
    """round(v, 2) of each value as Python rounds it (the exact value, half to even), by
    numpy: rint(100 v) / 100 is that wherever 100 v is not within a hair of a half cent (its
    own rounding error is far smaller below ten million); those and larger values are
    rounded one by one by Python."""
    scaled = values * 100.0
    cents = np.rint(scaled)
    rounded = cents / 100.0
    with np.errstate(invalid="ignore"):
        doubtful = (np.abs(np.abs(scaled - cents) - 0.5) < 1e-6) | (np.abs(values) >= 1e7)
    for i in np.flatnonzero(doubtful):
        rounded[i] = round(float(values[i]), 2)
    return rounded


def _take(values, at: np.ndarray) -> list:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.take(pa.array(at)).to_pylist()
    return values[at].tolist()


def _dicts(columns: dict[str, list]) -> list[dict[str, Any]]:
    # a dict display per row: four times faster than dict(zip(keys, values))
    return [
        {
            "scope": scope,
            "member_id": member_id,
            "store_id": store_id,
            "x": x,
            "t_x": t_x,
            "T": T,
            "p_alive": alive,
            "expected_purchases": expected,
            "value_at_risk": at_risk,
        }
        for scope, member_id, store_id, x, t_x, T, alive, expected, at_risk in zip(
            *(columns[k] for k in KEYS), strict=True
        )
    ]
