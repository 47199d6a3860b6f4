"""write_sample_data: every sample file, in order, into one directory."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from memberkit.sample.complaints import _write_complaints
from memberkit.sample.gifts import _write_gift_counts, _write_gift_moves, _write_gifts
from memberkit.sample.members import _write_members
from memberkit.sample.requests import _plan_gift_requests, _write_gift_requests
from memberkit.sample.service import _write_callback_log, _write_surveys
from memberkit.sample.spec import SampleSpec
from memberkit.sample.stores import _write_stores
from memberkit.sample.targets import _write_targets
from memberkit.sample.tickets import _write_transactions

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
KINDS = (
    "stores", "members", "transactions", "targets", "gifts", "gift_moves", "gift_counts",
    "complaints", "surveys", "callback_log", "gift_requests", "gift_requests_later",
)  # fmt: skip


def write_sample_data(out_dir: Path, spec: SampleSpec) -> dict[str, Path]:
    """Write the files below into out_dir (created if missing); return {kind: path}."""
    _check(spec)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / f"{kind}.csv" for kind in KINDS}
    if spec.ticket_lines or spec.lines_from:
        paths["ticket_lines"] = out_dir / "ticket_lines.csv"
    store_ids, store_weight = _write_stores(paths["stores"], spec)
    world = _write_members(paths["members"], spec, store_ids, store_weight)
    sales, visits = _write_transactions(paths["transactions"], world, paths.get("ticket_lines"))
    _write_targets(paths["targets"], world, sales)
    _write_gifts(paths["gifts"], spec)
    requests, deliveries = _plan_gift_requests(world)
    stock = _write_gift_moves(paths["gift_moves"], world, deliveries)
    _write_gift_counts(paths["gift_counts"], world, stock)
    _write_gift_requests((paths["gift_requests"], paths["gift_requests_later"]), world, requests)
    complaints = _write_complaints(paths["complaints"], world)
    interviews = _write_surveys(paths["surveys"], world)
    _write_callback_log(paths["callback_log"], world, visits, complaints, interviews)
    return paths


def _check(spec: SampleSpec) -> None:
    if spec.encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {spec.encoding!r}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", spec.end_month):
        raise ValueError(f"end_month must look like 2026-10, not {spec.end_month!r}")
    if spec.stores < 1 or spec.stores > 999 or spec.months < 1:
        raise ValueError("need 1-999 stores and at least one month")
    if spec.members < 0 or spec.tickets < 0:
        raise ValueError("members and tickets cannot be negative")
    if spec.lines_from is not None:
        end = np.datetime64(spec.end_month, "M")
        first = end - (spec.months - 1)
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", spec.lines_from) or not (
            first <= np.datetime64(spec.lines_from, "M") <= end
        ):
            raise ValueError(
                f"lines_from must be a month of the sample's period, {first} to {end}, "
                f"not {spec.lines_from!r}"
            )
