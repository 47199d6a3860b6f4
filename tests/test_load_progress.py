"""The load's progress: bytes while the file is scanned, then each stage without a size as a
task of its own (spinner, elapsed time), never a bar sitting full while rows are inserted."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from memberkit.cli.load import StageProgress


def test_each_stage_after_the_scan_has_no_size_and_the_full_bar_is_gone():
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with Progress(TextColumn("{task.description}"), BarColumn(), console=console) as bar:
        scan = bar.add_task("t.csv: scanning", total=1000)
        progress = StageProgress(bar, scan, "t.csv")
        progress.advance(1000)
        progress.phase("reading the file")
        progress.phase("loading into the database")
        shown = [t for t in bar.tasks if t.visible]
    assert [t.description for t in shown] == ["t.csv: loading into the database"]
    assert shown[0].total is None  # a spinner and a moving bar, not 1000 of 1000
    assert [t.description for t in bar.tasks if not t.visible] == [
        "t.csv: scanning",
        "t.csv: reading the file",
    ]
