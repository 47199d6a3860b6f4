"""Plain-Python reference for loading a line-level POS export (小票明细, SPEC 3.2).

No DuckDB and no memberkit here: the csv module reads the file, Decimal sums the amounts, and
the rules are written from SPEC 3.2 and the decisions of issue 18:

- a line's values are parsed by type; a bad value rejects the line with its own reason, and
  the rest of its ticket with one naming the bad lines ("ticket T rejected: line 5 of it was
  rejected");
- with a line_no column, the same txn_id + line_no again with identical content is a
  duplicate, with other content a bad line (reason naming the first one); without line_no,
  identical lines are two sales;
- lines of a ticket that disagree on store_id, txn_time or member_id (checked in that order)
  reject the whole ticket, naming the first line and the first that differs;
- a ticket already stored with the same rolled-up content (store, time, member, sum of
  amount, sum of qty): its lines are duplicates; with other content: rejected.

It understands the headers and value forms the tests write (see VALUE_FORMS), nothing more.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

COLUMNS = ("txn_id", "line_no", "store_id", "txn_time", "member_id", "sku", "item_name",
           "category", "qty", "amount")  # fmt: skip
HEADERS = {
    "txn_id": ("txn_id", "小票号"),
    "line_no": ("line_no", "行号"),
    "store_id": ("store_id", "门店编号"),
    "txn_time": ("txn_time", "交易时间", "销售时间"),
    "member_id": ("member_id", "会员卡号"),
    "sku": ("sku", "商品编码"),
    "item_name": ("item_name", "商品名称"),
    "category": ("category", "品类"),
    "qty": ("qty", "数量"),
    "amount": ("amount", "金额"),
}
TIME_FORMS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")
REQUIRED = ("txn_id", "store_id", "txn_time", "qty", "amount")
SPREAD = "a ticket's lines must all come in one file"

Ticket = tuple  # (store_id, txn_time, member_id, amount, item_qty)


@dataclass
class Row:
    line: int  # physical line in the file
    raw: str
    values: dict | None  # parsed, by canonical column (None: the CSV reader rejects it)
    bad: tuple[str | None, str] | None  # (column, reason) of a bad value
    txn_id: str | None


@dataclass
class Reject:
    line: int
    column: str | None
    reason: str
    exact: bool  # else `reason` is how the stored reason starts


@dataclass
class Outcome:
    read: int = 0
    loaded: int = 0
    duplicate: int = 0
    tickets: dict[str, Ticket] = field(default_factory=dict)  # formed by this file
    lines: list[tuple] = field(default_factory=list)  # stored, in COLUMNS order
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)


def _parse(column: str, text: str):
    """(value, None) or (None, reason the loader gives)."""
    text = text.strip()
    if not text:
        return (None, "missing required value") if column in REQUIRED else (None, None)
    if column in ("line_no", "qty"):
        try:
            return int(text), None
        except ValueError:
            return None, "not a whole number"
    if column == "txn_time":
        for form in TIME_FORMS:
            try:
                return datetime.strptime(text, form), None
            except ValueError:
                pass
        return None, "bad date/time"
    if column == "amount":
        try:
            value = Decimal(text.removeprefix("¥"))
        except InvalidOperation:
            return None, "amount not a number"
        return (
            (value, None)
            if value == value.quantize(Decimal("0.01"))
            else (None, "more than two decimals")
        )
    return text, None


def read_rows(text: str, delimiter: str) -> list[Row]:
    """The file's data rows, parsed (the header's names mapped back by HEADERS)."""
    names = {alias: column for column, aliases in HEADERS.items() for alias in aliases}
    physical = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [names[h] for h in next(reader)]
    rows, start = [], reader.line_num + 1
    for fields in reader:  # a record (a quoted name may hold a line break) and its lines
        number, start = start, reader.line_num + 1
        raw = "".join(physical[number - 1 : reader.line_num]).rstrip("\r\n")
        txn_index = header.index("txn_id")
        if len(fields) != len(header):  # the CSV reader's own reject
            txn = fields[txn_index].strip() if txn_index < len(fields) else None
            rows.append(Row(number, raw, None, (None, "too many columns"), txn or None))
            continue
        values, bad = dict.fromkeys(COLUMNS), None
        for column in COLUMNS:  # the loader names the first bad column in this order
            if column in header:
                values[column], why = _parse(column, fields[header.index(column)])
                bad = bad or ((column, why) if why else None)
        rows.append(Row(number, raw, values, bad, values["txn_id"]))
    return rows


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:5])
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    return f"{'line' if len(lines) == 1 else 'lines'} {shown}{more}"


def load(rows: list[Row], has_line_no: bool, stored: dict[str, Ticket]) -> Outcome:
    """What loading these rows into a database holding `stored` tickets does."""
    out = Outcome(read=len(rows))
    by_ticket: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.txn_id is None:  # a line without a ticket is rejected alone
            out.rejects.append(Reject(row.line, *row.bad, exact=False))
        else:
            by_ticket[row.txn_id].append(row)

    def reject_all(ticket: list[Row], column: str, reason: str) -> None:
        out.rejects.extend(Reject(r.line, column, reason, exact=True) for r in ticket)

    for txn_id, ticket in by_ticket.items():
        bad = {r.line: Reject(r.line, *r.bad, exact=False) for r in ticket if r.bad}
        repeats: set[int] = set()  # lines that repeat an earlier line_no identically
        if has_line_no:
            first: dict[int, Row] = {}
            for r in ticket:
                if r.bad or r.values["line_no"] is None:
                    continue
                number = r.values["line_no"]
                if number not in first:
                    first[number] = r
                elif r.values == first[number].values:
                    repeats.add(r.line)
                else:
                    why = (f"line_no {number} of ticket {txn_id} given again with different "
                           f"content (first at line {first[number].line})")  # fmt: skip
                    bad[r.line] = Reject(r.line, "line_no", why, exact=True)
        if bad:
            listed = sorted(bad)
            verb = "was" if len(listed) == 1 else "were"
            why = f"ticket {txn_id} rejected: {_lines_text(listed)} of it {verb} rejected"
            out.rejects.extend(
                bad.get(r.line) or Reject(r.line, "txn_id", why, True) for r in ticket
            )
            continue
        kept = [r for r in ticket if r.line not in repeats]
        head = kept[0]
        disagree = next(
            (
                (column, differ[0])
                for column in ("store_id", "txn_time", "member_id")
                if (differ := [r.line for r in kept if r.values[column] != head.values[column]])
            ),
            None,
        )
        if disagree:
            column, at = disagree
            why = f"ticket {txn_id} rejected: its lines disagree on {column} "
            why += f"(lines {head.line}, {at})"
            reject_all(ticket, column, why)
            continue
        rolled = (
            head.values["store_id"],
            head.values["txn_time"],
            head.values["member_id"],
            sum((r.values["amount"] for r in kept), Decimal(0)),
            sum(r.values["qty"] for r in kept),
        )
        if txn_id in stored:
            if stored[txn_id] == rolled:
                out.duplicate += len(ticket)
            else:
                reject_all(
                    ticket, "txn_id", f"txn_id already loaded with different content ({SPREAD})"
                )
            continue
        out.tickets[txn_id] = rolled
        out.lines.extend(tuple(r.values[c] for c in COLUMNS) for r in kept)
        out.duplicate += len(repeats)
    out.loaded = len(out.lines)
    out.rejects.sort(key=lambda r: r.line)
    return out
