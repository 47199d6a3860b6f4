"""What a load is asked to do (LoadOptions) and what it reports (LoadResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memberkit.ingest.source import PreparedFile


@dataclass
class LoadOptions:
    kind: str
    encoding: str | None = None
    delimiter: str | None = None
    mapping: Path | None = None
    max_reject_ratio: float = 0.01
    # Times with a UTC offset (ISO ...T14:30+08:00) become wall time in this zone.
    timezone: str = "Asia/Shanghai"
    # The order of day and month in dates written 05/10/2026: dmy, mdy or None (refused).
    date_format: str | None = None
    sheets: list[str] | None = None  # XLSX: read only these sheets (--sheet)


@dataclass
class RejectSample:
    line: int | None
    column: str | None
    reason: str
    sheet: str | None = None  # a workbook's sheet, when rows come from several


@dataclass
class LoadResult:
    file: str
    kind: str
    status: str  # loaded | refused | already_loaded
    load_id: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    loaded: int = 0
    replaced: int = 0
    duplicates: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    first_rejects: list[RejectSample] = field(default_factory=list)
    warnings: list[RejectSample] = field(default_factory=list)  # loaded rows worth a look
    refusal: str | None = None  # why a refused file was refused
    previous_load_id: int | None = None
    previous_loaded_at: datetime | None = None
    notes: list[str] = field(default_factory=list)  # about the file: title lines skipped, ...
    tickets: int | None = None  # ticket lines: the tickets formed (rolled up) from them

    @classmethod
    def of_load(
        cls,
        prepared: PreparedFile,
        kind: str,
        load_id: int,
        *,
        read: int,
        loaded: int,
        refusal: str | None,
        **counts: Any,
    ) -> LoadResult:
        """What one load of `prepared` did: a refused load (`refusal` says why) keeps nothing."""
        return cls(
            file=prepared.label,
            kind=kind,
            load_id=load_id,
            status="loaded" if refusal is None else "refused",
            encoding=prepared.encoding,
            delimiter=prepared.delimiter,
            rows_read=read,
            loaded=loaded if refusal is None else 0,
            refusal=refusal,
            **counts,
        )

    @property
    def reject_ratio(self) -> float:
        return self.rejected / self.rows_read if self.rows_read else 0.0


def too_many_rejects(rejected: int, read: int, max_ratio: float) -> str:
    """Why a file with more rejects than allowed was refused."""
    return (
        f"{rejected / read:.1%} of its rows were rejected, more than --max-reject-ratio "
        f"{max_ratio:.1%}"
    )
