"""Checks of a report's own options that every caller shares (the commands, the Python API):
band and grade edges. Messages name the option as the caller spells it (`option`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from memberkit.errors import UsageError, option

MAX_YUAN = Decimal(10) ** 12  # band and grade edges: far above any member's spend
MAX_AGE = 120  # ages above it count as unknown (queries/demographics.sql)
MAX_DAYS = 36_500  # day counts: 100 years, so E - N days exists for every supported E


def money_threshold(value: Decimal | int | float, name: str, *, low: Decimal | None) -> Decimal:
    """An amount in yuan that spend is compared with (`low`: the least allowed, None for no
    bound), in cents; errors name the option `name` as the caller spells it."""
    threshold = Decimal(str(value))
    # the comparison is in decimal(18, 2)
    range_text = "below 1e16" if low is None else f"from {low} to below 1e16"
    too_low = low is not None and threshold < low
    if not threshold.is_finite() or threshold >= Decimal("1e16") or too_low:
        raise UsageError(f"{option(name)} must be {range_text}, not {value}")
    if threshold != threshold.quantize(Decimal("0.01")):
        # amounts are in cents: a finer threshold would be rounded without a word
        raise UsageError(f"{option(name)} has at most two decimals, not {value}")
    return threshold


def money_edges(text: str, option: str, example: str) -> list[Decimal]:
    """Band or grade edges in yuan: ascending, from 0, in cents (amounts are in cents)."""
    return _edges(text, option, example, Decimal(0), MAX_YUAN, Decimal("0.01"), "yuan")


def age_edges(text: str, option: str, example: str) -> list[Decimal]:
    """Age band edges: ascending whole years from 1 to 120."""
    return _edges(text, option, example, Decimal(1), Decimal(MAX_AGE), Decimal(1), "whole years")


def _edges(text, option, example, low, high, step, unit) -> list[Decimal]:
    wants = f"{option} wants ascending {unit} from {low:,} to {high:,}, like {example}"
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue  # 100,,300 or a trailing comma
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise UsageError(f"{wants}; {part!r} is not a number") from None
        if not value.is_finite() or not low <= value <= high:
            raise UsageError(f"{wants}; {part!r} is out of that range")
        if value % step:
            raise UsageError(f"{wants}; {part!r} is finer than {step}")
        values.append(value)
    if not values:
        raise UsageError(f"{wants}, not {text!r}")
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise UsageError(f"{wants}; {text!r} is not ascending")
    return values
