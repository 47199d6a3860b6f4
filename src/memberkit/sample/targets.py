"""targets.csv: each store's monthly sales targets, derived from the tickets' net sales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _write_csv
from memberkit.sample.spec import _rng, _World


def _write_targets(path: Path, world: _World, sales: np.ndarray) -> None:
    """Monthly targets: the store's average month scaled by the chain's season, ±10%."""
    rng = _rng(world.spec, 4)
    n_stores, n_months = sales.shape
    chain = sales.sum(axis=0)
    season = chain / chain.mean() if chain.mean() > 0 else np.ones(n_months)
    typical = sales.mean(axis=1)[:, None] * season[None, :]
    target = np.rint(typical * rng.uniform(0.9, 1.15, sales.shape) / 100).astype(np.int64)
    month, store = np.repeat(np.arange(n_months), n_stores), np.tile(np.arange(n_stores), n_months)
    keep = rng.random(len(month)) >= 0.03  # some stores lack a target some months
    frame = pl.DataFrame(
        {
            "月份": [world.month_labels[m] for m in month],
            "门店编号": [world.store_ids[s] for s in store],
            "目标销售额": target[store, month],
        }
    ).filter(pl.Series(keep))
    _write_csv(path, frame, world.spec.encoding)
