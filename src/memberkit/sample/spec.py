"""What a sample chain is made of (SampleSpec), and what the later files need to know
about the earlier ones (_World), with the random streams and weights they all use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SampleSpec:
    seed: int = 7
    stores: int = 8
    members: int = 2_000
    tickets: int = 60_000
    months: int = 26  # months of tickets, ending with end_month inclusive
    end_month: str = "2026-10"  # YYYY-MM, last month with tickets
    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" or "gb18030": encoding of every written CSV
    ticket_lines: bool = False  # also write ticket_lines.csv: the tickets as product lines
    lines_from: str | None = None  # YYYY-MM: tickets from then on only as lines (implies lines)


@dataclass(frozen=True)
class _World:
    """What the later files need to know about the earlier ones."""

    spec: SampleSpec
    start: np.datetime64  # first day of the ticket period
    days: np.ndarray  # every day of the period, datetime64[D]
    month_of_day: np.ndarray  # index of each day's month within the period
    month_labels: list[str]  # "YYYY-MM" per period month
    month_first_day: np.ndarray  # day index of each month's first day
    store_ids: list[str]
    store_weight: np.ndarray  # share of the chain's tickets per store
    member_join: np.ndarray  # join day index relative to `start` (members ordered by join)
    member_home: np.ndarray  # home store index
    member_activity: np.ndarray  # relative shopping frequency, 0 = never buys
    member_expiry: np.ndarray  # expiry day index relative to `start`; NO_EXPIRY where blank
    member_no_phone: np.ndarray  # the card has no phone number (nobody can call)


NO_EXPIRY = 1 << 40  # a day index later than any: the card's expiry date is blank


@dataclass(frozen=True)
class _Visits:
    """Each member's first and last ticket day (amount > 0, any store) per period month,
    as day indexes relative to `start`; NO_TICKET where the member had none that month.
    The service records (sample/service.py) call back members as the tickets say."""

    first: np.ndarray  # (members, months)
    last: np.ndarray  # (members, months)


NO_TICKET = -1


@dataclass(frozen=True)
class _Delivery:
    """A gift request delivered: a transfer HQ -> store whose ref is the request id."""

    day: int
    store: int
    gift: int
    qty: int
    ref: str  # the request id


def _rng(spec: SampleSpec, stream: int) -> np.random.Generator:
    # One independent stream per file kind: changing the ticket count leaves members alone.
    return np.random.default_rng([spec.seed, stream])


def _normalised(weights: np.ndarray) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()
