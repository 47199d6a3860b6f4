"""churn-risk's JSON and CSV written a chunk of members at a time (render/stream.py) are the
text to_json and to_csv write from the whole list: byte for byte, over several chunks, with
ids that need escaping or quoting, and without rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from memberkit import db
from memberkit.periods import Period, Scope
from memberkit.render import to_csv, to_json
from memberkit.render.stream import csv_parts, json_parts
from memberkit.reports import Report, prepare_connection, risk_rows
from memberkit.reports import churn_risk as cr
from test_churn_risk import CALIBRATION_END, load_cdnow


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    con = db.connect(load_cdnow(tmp_path_factory.mktemp("cdnow")), read_only=True)
    prepare_connection(con)
    day = Period("day", CALIBRATION_END, CALIBRATION_END)
    yield cr.churn_risk(con, CALIBRATION_END, Scope(by="store"), 90, day)
    con.close()


@pytest.mark.parametrize("chunk", [50_000, 1000, 7])
def test_streamed_text_is_the_whole_text(report, chunk, monkeypatch):
    monkeypatch.setattr(risk_rows, "CHUNK", chunk)
    whole = Report(**{**report.__dict__, "rows": list(report.rows)})
    assert len(whole.rows) == 2357
    assert "".join(json_parts(report, "churn-risk")) == to_json(whole, "churn-risk") + "\n"
    assert "".join(csv_parts(report, "churn-risk")) == to_csv(whole, "churn-risk")


def test_ids_that_need_escaping_and_no_rows(monkeypatch):
    monkeypatch.setattr(risk_rows, "CHUNK", 2)
    ids = np.array(['M"1', "=M2", "M\r3", "M\u202e4", "M,5"], dtype=object)
    strings = {"member_id": ids, "store_id": ids, "unit": np.array(["华东"] * 5, dtype=object)}
    figures = {k: np.arange(5.0) / 3 for k in ("x", "t_x", "T", "p_alive", "expected_purchases")}
    figures["value_at_risk"] = np.array([1.005, np.nan, 2.5, 1e17, -0.0])
    rows = cr.report_rows(strings, figures, np.arange(5))
    period = Period("day", date(2026, 1, 31), date(2026, 1, 31))
    streamed = Report("churn_risk", period, Scope(region="华东"), rows, extra={"model": {}})
    whole = Report("churn_risk", period, Scope(region="华东"), list(rows), extra={"model": {}})
    assert "".join(json_parts(streamed, "churn-risk")) == to_json(whole, "churn-risk") + "\n"
    assert "".join(csv_parts(streamed, "churn-risk")) == to_csv(whole, "churn-risk")
    empty = Report("churn_risk", period, Scope(), cr.report_rows(strings, figures, np.arange(0)))
    none = Report("churn_risk", period, Scope(), [])
    assert "".join(json_parts(empty, "churn-risk")) == to_json(none, "churn-risk") + "\n"
    assert "".join(csv_parts(empty, "churn-risk")) == to_csv(none, "churn-risk")


def test_plain_ids_with_figures_of_every_kind(monkeypatch):
    """The chunks DuckDB writes the figures of: -0.0, NaN, half cents, large and tiny values;
    a value at risk of 1e13 or more sends its chunk to the general path."""
    monkeypatch.setattr(risk_rows, "CHUNK", 3)
    ids = np.array([f"M{i}" for i in range(9)], dtype=object)
    strings = {"member_id": ids, "store_id": ids, "unit": np.array(["ALL"] * 9, dtype=object)}
    odd = np.array([-0.0, np.nan, 1e-7, 2 / 3, 95.0, 1e16, 0.125, 1e22, 3.0e-5])
    figures = {k: odd for k in ("t_x", "T", "p_alive", "expected_purchases")}
    figures["x"] = np.arange(9.0)
    figures["value_at_risk"] = np.array([-0.0, 0.125, 2.675, -0.001, np.nan, 1e13, 5.0, 7.5, 9.99])
    rows = cr.report_rows(strings, figures, np.arange(9))
    period = Period("day", date(2026, 1, 31), date(2026, 1, 31))
    streamed = Report("churn_risk", period, Scope(), rows)
    whole = Report("churn_risk", period, Scope(), list(rows))
    assert "".join(json_parts(streamed, "churn-risk")) == to_json(whole, "churn-risk") + "\n"
    assert "".join(csv_parts(streamed, "churn-risk")) == to_csv(whole, "churn-risk")
