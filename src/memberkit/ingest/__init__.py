"""Loading exports into the database (no terminal code here: the CLI renders results)."""

from memberkit.ingest.kinds import KINDS
from memberkit.ingest.loader import LoadOptions, LoadResult, export_rejects, load_file

__all__ = ["KINDS", "LoadOptions", "LoadResult", "export_rejects", "load_file"]
