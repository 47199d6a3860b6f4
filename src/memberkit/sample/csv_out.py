"""Writing the sample CSV files: frames appended to one file in the spec's encoding, and
the helpers shaping their columns (blank fields, prefixed ids).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl


@contextmanager
def _csv_appender(path: Path, encoding: str) -> Iterator[Callable[[pl.DataFrame], None]]:
    """Yield a function appending frames to one CSV in `encoding` (header from the first)."""
    with open(path, "wb") as fh:
        if encoding == "utf-8-sig":
            fh.write("\ufeff".encode())
        first = True

        def append(frame: pl.DataFrame) -> None:
            nonlocal first
            _append(fh, frame, first, encoding)
            first = False

        yield append


def _write_csv(path: Path, frame: pl.DataFrame, encoding: str) -> None:
    with _csv_appender(path, encoding) as append:
        append(frame)


def _append(fh: BinaryIO, frame: pl.DataFrame, header: bool, encoding: str) -> None:
    options = dict(
        include_header=header,
        float_precision=2,
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%d %H:%M:%S",
    )
    if encoding == "gb18030":
        # Re-encode chunk by chunk: polars only writes UTF-8.
        fh.write(frame.write_csv(**options).encode("gb18030"))
    else:
        frame.write_csv(fh, **options)


def _blank(series: pl.Series, mask: np.ndarray) -> pl.Series:
    """The series with the masked positions null (written as an empty field)."""
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(None).otherwise(series)).to_series()


def _prefixed(prefix: str, column: str, digits: int) -> pl.Expr:
    """Number column -> zero-padded text id like S001 (null stays null)."""
    return pl.concat_str(pl.lit(prefix), pl.col(column).cast(pl.String).str.zfill(digits)).alias(
        column
    )
