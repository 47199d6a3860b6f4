"""Realistic sample exports of a Chinese retail chain: stores, members, POS tickets, targets, gifts.

`write_sample_data(out_dir, SampleSpec(...))` writes eight CSV files (and, on request, the
tickets as a line-level export too: see lines.py) with the headers a head office actually
receives (Chinese aliases for the member/POS exports, English for the gift
ledger). The data is deterministic for a given spec (byte-identical files) and carries the
quirks the loader and the metrics must cope with: blank fields, shared phones, refunds that
land in a later month, zero-amount gift tickets, stores without a target some months and
gift stock that goes slightly negative.

Tickets are generated vectorised in chunks of whole days and appended to the CSV, so ten
million of them take seconds and little memory.
"""

from memberkit.sample.spec import SampleSpec
from memberkit.sample.writer import write_sample_data

__all__ = ["SampleSpec", "write_sample_data"]
