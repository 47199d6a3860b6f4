"""Loading exports into the database (no terminal code here: the CLI renders results).

Attributes are imported on first use, so that `memberkit --help` does not pay for numpy,
polars and duckdb.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "KINDS": "memberkit.ingest.kinds",
    "LoadOptions": "memberkit.ingest.results",
    "LoadResult": "memberkit.ingest.results",
    "export_rejects": "memberkit.ingest.rejects",
    "load_file": "memberkit.ingest.loader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
