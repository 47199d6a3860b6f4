"""`gifts reconcile --post` lists the adjustments it records; --dry-run lists them and records
nothing (SPEC 5.6: every counted known gift with a non-zero variance is settled)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import run_cli, state


@pytest.fixture(scope="module")
def gifts_db(sample_chain, tmp_path_factory) -> Path:
    data, base = sample_chain
    db_file = tmp_path_factory.mktemp("post") / "gifts.duckdb"
    shutil.copy(base, db_file)
    for kind in ("gifts", "gift-moves", "gift-counts"):
        path = data / f"{kind.replace('-', '_')}.csv"
        assert run_cli("--db", db_file, "load", kind, path).exit_code == 0
    return db_file


@pytest.fixture
def counted(gifts_db, tmp_path) -> Path:
    return Path(shutil.copy(gifts_db, tmp_path / "counted.duckdb"))


def reconcile_rows(db_file: Path) -> list[dict]:
    result = run_cli("--db", db_file, "gifts", "reconcile", "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


ADJUSTMENT = re.compile(
    r"^  (\S+) (\S+) (\S+)(?: .*)?: adjust ([+-]\d+) \(book (-?\d+) -> counted (-?\d+)\)$"
)


def said_adjustments(stderr: str) -> list[tuple]:
    return [
        (m[1], m[2], m[3], int(m[4]), int(m[5]), int(m[6]))
        for line in stderr.splitlines()
        if (m := ADJUSTMENT.match(line))
    ]


def expected_adjustments(rows: list[dict]) -> list[tuple]:
    """SPEC 5.6: counted known gifts (match, over, short) whose variance is not zero."""
    return [
        (
            r["location"],
            r["count_date"],
            r["gift_id"],
            r["variance"],
            r["book_qty"],
            r["counted_qty"],
        )
        for r in rows
        if r["status"] in ("match", "over", "short") and r["variance"] != 0
    ]


def test_dry_run_lists_what_post_would_record_and_records_nothing(counted):
    before = state(counted)
    expected = expected_adjustments(reconcile_rows(counted))
    assert expected, "the sample counts hold no variance to post"
    result = run_cli("--db", counted, "gifts", "reconcile", "--post", "--dry-run")
    assert result.exit_code == 0, result.output
    assert said_adjustments(result.stderr) == expected
    assert "would post" in result.stderr and "nothing was posted" in result.stderr
    assert state(counted) == before
    # --dry-run alone previews the same
    alone = run_cli("--db", counted, "gifts", "reconcile", "--dry-run")
    assert said_adjustments(alone.stderr) == expected
    assert state(counted) == before


def test_post_lists_what_it_recorded_and_settles_the_book(counted):
    rows = reconcile_rows(counted)
    expected = expected_adjustments(rows)
    result = run_cli("--db", counted, "gifts", "reconcile", "--post", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert said_adjustments(result.stderr) == expected
    assert len(expected) > 1 and f"posted {len(expected)} adjustments" in result.stderr
    after = {(r["location"], r["gift_id"]): r for r in reconcile_rows(counted)}
    for location, _, gift, _, _, counted_qty in expected:
        assert after[location, gift]["book_qty"] == counted_qty
        assert after[location, gift]["variance"] == 0
    # the same count posts nothing a second time, and says so
    settled = state(counted)
    again = run_cli("--db", counted, "gifts", "reconcile", "--post")
    assert again.exit_code == 0
    assert said_adjustments(again.stderr) == [] and "posted 0 adjustments" in again.stderr
    assert state(counted) == settled
