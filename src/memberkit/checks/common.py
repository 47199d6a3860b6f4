"""What every check shares: CheckResult, the loads ledger row, and how detail lines name
counts, values and lists."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from memberkit.errors import printable

PASS, WARN, FAIL = "pass", "warn", "fail"

# Statuses a finished load may have; 'loading' marks a load under way (or killed).
_FINISHED = ("loaded", "refused")
_SHOWN = 5  # how many load ids or store ids a detail line names


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # pass | warn | fail
    count: int  # how many things break the invariant (0 when it holds)
    detail: str  # one line

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Load:
    load_id: int
    kind: str
    file_name: str
    status: str
    started_at: object
    rows_read: int
    rows_loaded: int
    rows_replaced: int
    rows_duplicate: int
    rows_rejected: int


def _shown(text: str) -> str:
    """A value from a file, for a terminal line: no control characters, not too long."""
    text = printable(text)
    return text if len(text) <= 60 else text[:59] + "…"


def _ids(values: list[str]) -> str:
    shown = ", ".join(_shown(v) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


def _listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:3])
    return shown + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
