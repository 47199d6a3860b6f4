"""`memberkit sample-data --ticket-lines / --lines-from`: the chain's tickets as product lines.

Checked on the written files with the csv module: the lines sum exactly (in cents) to the
tickets of the ticket file, the two options only add or move tickets, and the lines hold what
a real line export holds.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
SPEC = ("--seed", "3", "--stores", "4", "--members", "300", "--tickets", "4000")
PERIOD = ("--months", "4", "--end-month", "2026-03")
LINE_HEADER = ["小票号", "行号", "门店编号", "销售时间", "会员卡号", "商品编码", "商品名称",
               "品类", "数量", "金额"]  # fmt: skip
FILES = ("stores", "members", "transactions", "targets", "gifts", "gift_moves", "gift_counts",
         "complaints")  # fmt: skip


def read(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def cents(text: str) -> int:
    value = Decimal(text) * 100
    assert value == value.to_integral_value(), text  # two decimals, exact
    return int(value)


def sample(folder: Path, *options: str, period: tuple[str, ...] = PERIOD) -> Path:
    result = run_cli("sample-data", folder, *SPEC, *period, *options)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    return sample(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def lined(tmp_path_factory) -> Path:
    return sample(tmp_path_factory.mktemp("lined"), "--ticket-lines")


@pytest.fixture(scope="module")
def split(tmp_path_factory) -> Path:
    return sample(tmp_path_factory.mktemp("split"), "--lines-from", "2026-02")


def by_ticket(lines: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    tickets: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in lines:
        tickets[line["小票号"]].append(line)
    return tickets


def test_lines_sum_exactly_to_the_tickets(plain, lined):
    tickets = {t["小票号"]: t for t in read(plain / "transactions.csv")}
    assert len(tickets) == 4000
    lines = read(lined / "ticket_lines.csv")
    assert list(lines[0]) == LINE_HEADER
    grouped = by_ticket(lines)
    assert list(grouped) == list(tickets)  # every ticket, in the ticket file's order
    for txn_id, ticket_lines in grouped.items():
        ticket = tickets[txn_id]
        assert 1 <= len(ticket_lines) <= 8, txn_id
        assert [int(x["行号"]) for x in ticket_lines] == list(range(1, len(ticket_lines) + 1))
        assert sum(cents(x["金额"]) for x in ticket_lines) == cents(ticket["实收金额"]), txn_id
        assert sum(int(x["数量"]) for x in ticket_lines) == int(ticket["商品数量"]), txn_id
        for x in ticket_lines:
            assert (x["门店编号"], x["销售时间"], x["会员卡号"]) == (
                ticket["门店编号"],
                ticket["交易时间"],
                ticket["会员卡号"],
            ), txn_id
    assert 2.5 < len(lines) / len(tickets) < 5  # a few items per ticket


def test_ticket_lines_leaves_every_other_file_byte_identical(plain, lined):
    for name in FILES:
        assert (lined / f"{name}.csv").read_bytes() == (plain / f"{name}.csv").read_bytes(), name
    assert not (plain / "ticket_lines.csv").exists()


def test_lines_from_moves_the_later_tickets_to_the_line_file(plain, lined, split):
    for name in FILES:
        if name != "transactions":
            assert (split / f"{name}.csv").read_bytes() == (plain / f"{name}.csv").read_bytes()
    everything = read(plain / "transactions.csv")
    before = [t for t in everything if t["交易时间"] < "2026-02-01"]
    assert 0 < len(before) < len(everything)
    # the ticket file keeps the earlier tickets, as written without the option
    assert read(split / "transactions.csv") == before
    plain_text = (plain / "transactions.csv").read_text(encoding="utf-8")
    assert plain_text.startswith((split / "transactions.csv").read_text(encoding="utf-8"))
    # the line file holds the later ones, split as --ticket-lines splits them
    lines = read(split / "ticket_lines.csv")
    later = {t["小票号"] for t in everything} - {t["小票号"] for t in before}
    assert set(by_ticket(lines)) == later
    assert lines == [x for x in read(lined / "ticket_lines.csv") if x["小票号"] in later]
    assert all(x["销售时间"] >= "2026-02-01" for x in lines)


def test_the_lines_look_like_a_real_line_export(lined):
    tickets = by_ticket(read(lined / "ticket_lines.csv"))
    all_lines = [x for ticket_lines in tickets.values() for x in ticket_lines]
    totals = {t: sum(cents(x["金额"]) for x in ls) for t, ls in tickets.items()}
    # 1 to 8 lines a ticket, each count seen
    assert set(Counter(len(ls) for ls in tickets.values())) == set(range(1, 9))

    # two identical lines on a ticket: the same item scanned twice, told apart by 行号 only
    def same_scan(ls):
        scans = Counter(tuple(v for k, v in x.items() if k != "行号") for x in ls)
        return max(scans.values()) >= 2

    repeated = [t for t, ls in tickets.items() if same_scan(ls)]
    assert len(repeated) > 0.02 * len(tickets)
    # a returned item inside a sale: a negative line on a ticket that is positive overall
    returns = [
        t for t, ls in tickets.items() if totals[t] > 0 and any(cents(x["金额"]) < 0 for x in ls)
    ]
    assert len(returns) > 0.01 * len(tickets)
    for t in returns:
        back = [x for x in tickets[t] if cents(x["金额"]) < 0]
        assert all(int(x["数量"]) < 0 for x in back), t
    # refunds: every line negative (or zero)
    refunds = [t for t, total in totals.items() if total < 0]
    assert len(refunds) > 0.005 * len(tickets)
    for t in refunds:
        assert all(int(x["数量"]) < 0 and cents(x["金额"]) <= 0 for x in tickets[t]), t
    # zero-amount gift lines: gift tickets of nothing but gifts, and gifts beside paid items
    gifts = [x for x in all_lines if x["品类"] == "赠品"]
    assert gifts and all(cents(x["金额"]) == 0 and int(x["数量"]) > 0 for x in gifts)
    assert any(total == 0 for total in totals.values())
    assert any(totals[x["小票号"]] > 0 for x in gifts)
    # a small catalogue: barcodes (13 digits, China's 69 prefix, so only text keeps them) and
    # the shop's own codes, each with one name and category
    codes = {x["商品编码"]: (x["商品名称"], x["品类"]) for x in all_lines}
    assert 20 <= len(codes) <= 40
    assert len({(x["商品编码"], x["商品名称"], x["品类"]) for x in all_lines}) == len(codes)
    assert any(len(c) == 13 and c.startswith("69") for c in codes)
    assert any(not c.isdigit() for c in codes)
    assert len({category for _, category in codes.values()}) >= 8
    # several items on one line too
    assert any(int(x["数量"]) >= 2 for x in all_lines)


def test_lines_in_gb18030_hold_the_same_rows(lined, tmp_path):
    encoded = sample(tmp_path / "gb", "--ticket-lines", "--encoding", "gb18030")
    raw = (encoded / "ticket_lines.csv").read_bytes()
    assert raw != (lined / "ticket_lines.csv").read_bytes()
    assert read(encoded / "ticket_lines.csv", "gb18030") == read(lined / "ticket_lines.csv")


@pytest.mark.parametrize("month", ["2026-04", "2025-11", "2026-13", "202602"])
def test_lines_from_outside_the_period_is_refused(tmp_path, month):
    result = run_cli("sample-data", tmp_path / "out", *SPEC, *PERIOD, "--lines-from", month)
    assert result.exit_code == 2, result.output
    assert "2025-12 to 2026-03" in result.output and month in result.output
    assert not (tmp_path / "out").exists()


def test_the_bundled_sample_data_is_the_generator_with_lines_from_its_last_month(tmp_path):
    """sample_data/ is `memberkit sample-data DIR --lines-from 2026-10` byte for byte: the
    last month's tickets come as a line file, every other file as before."""
    made = tmp_path / "made"
    result = run_cli("sample-data", made, "--lines-from", "2026-10")
    assert result.exit_code == 0, result.output
    bundled = sorted(p.name for p in (ROOT / "sample_data").iterdir())
    assert bundled == sorted(p.name for p in made.iterdir())
    for name in bundled:
        assert (ROOT / "sample_data" / name).read_bytes() == (made / name).read_bytes(), name
    tickets = read(ROOT / "sample_data" / "transactions.csv")
    lines = read(ROOT / "sample_data" / "ticket_lines.csv")
    assert max(t["交易时间"] for t in tickets) < "2026-10-01" <= min(x["销售时间"] for x in lines)


def test_split_sums_exactly_at_the_edges():
    """The split itself on the extremes the chain can write: a 1-cent sale of 12 items, a
    1-cent refund, gift tickets, 12-item refunds, large baskets; every ticket many times."""
    import numpy as np

    from memberkit.sample.lines import split_tickets

    edge = [(1, 12), (1, 1), (-1, -1), (-1, -12), (0, 1), (0, 2), (2, 2), (99_999_99, 12),
            (-12_345, -3), (7, 3)]  # fmt: skip
    cents = np.array([c for c, _ in edge] * 300, dtype=np.int64)
    qty = np.array([q for _, q in edge] * 300, dtype=np.int64)
    lines = split_tickets(np.random.default_rng(1), cents, qty)
    n = len(cents)
    assert (np.bincount(lines["ticket"], lines["cents"], n) == cents).all()
    assert (np.bincount(lines["ticket"], lines["qty"], n) == qty).all()
    per_ticket = np.bincount(lines["ticket"], minlength=n)
    assert per_ticket.min() >= 1 and per_ticket.max() <= 8
    assert (np.diff(lines["ticket"]) >= 0).all()  # in ticket order, then by line number
    sign = np.sign(cents[lines["ticket"]])
    assert ((lines["cents"] * sign >= 0) | (lines["qty"] < 0)).all()  # only returns go against
    assert (lines["cents"][cents[lines["ticket"]] == 0] == 0).all()
    assert (lines["qty"] != 0).all()
