"""Periods (--month / --year) and scopes (--store / --region / --by), SPEC section 4."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from memberkit.errors import UsageError
from memberkit.errors import option as option_name


@dataclass(frozen=True)
class Period:
    """A calendar month or year; start and end are inclusive dates."""

    kind: str  # 'month' | 'year' | 'day' (a stock or count date)
    start: date
    end: date

    @property
    def label(self) -> str:
        return {"month": f"{self.start:%Y-%m}", "year": f"{self.start:%Y}"}.get(
            self.kind, self.start.isoformat()
        )

    def years_back(self, years: int = 1) -> Period:
        """The same month or year `years` earlier (the YoY base)."""
        start = self.start.replace(year=self.start.year - years)
        return month(start.year, start.month) if self.kind == "month" else year(start.year)

    def previous(self) -> Period | None:
        """The previous month (the MoM base); not defined for a year."""
        if self.kind != "month":
            return None
        last = self.start - timedelta(days=1)
        return month(last.year, last.month)


def month(y: int, m: int) -> Period:
    start = date(y, m, 1)
    following = date(y + (m == 12), m % 12 + 1, 1)
    return Period("month", start, following - timedelta(days=1))


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def last_complete_month(today: date) -> Period:
    previous = today.replace(day=1) - timedelta(days=1)
    return month(previous.year, previous.month)


# Dates and periods given as options lie within these years: every date a report derives
# from them (a year earlier, the previous month, E - N days, E + 30 days, the month after)
# then exists, for Python and for DuckDB alike (SPEC 6: exit 2 naming the option otherwise).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _check_year(y: int, option: str, text: str, what: str) -> None:
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise UsageError(
            f"{option} wants {what} in the years {FIRST_YEAR}-{LAST_YEAR}, not {text!r}",
            hint="memberkit supports dates from 1900-01-01 to 2999-12-31",
        )


def parse_month(text: str, option: str | None = None) -> Period:
    option = option or option_name("month")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"{option} wants YYYY-MM (like 2026-10), not {text!r}")
    _check_year(int(match.group(1)), option, text, "a month")
    return month(int(match.group(1)), int(match.group(2)))


def parse_year(text: str, option: str | None = None) -> Period:
    option = option or option_name("year")
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise UsageError(f"{option} wants YYYY (like 2026), not {text!r}")
    _check_year(int(text), option, text, "a year")
    return year(int(text))


def parse_day(text: str, option: str) -> date:
    """YYYY-MM-DD (or YYYY-M-D) within the supported years: --as-of, --date."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text.strip())
    if not match:
        raise UsageError(f"{option} wants YYYY-MM-DD (like 2026-10-05), not {text!r}")
    _check_year(int(match.group(1)), option, text, "a day")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a day of the calendar") from None


def choose_period(month_text: str | None, year_text: str | None, today: date) -> Period:
    if month_text is not None and year_text is not None:
        raise UsageError(f"give {option_name('month')} or {option_name('year')}, not both")
    if year_text is not None:
        return parse_year(year_text)
    if month_text is not None:
        return parse_month(month_text)
    return last_complete_month(today)


@dataclass(frozen=True)
class Scope:
    """Which stores count (one store, one region, or all) and how rows are split."""

    store: str | None = None
    region: str | None = None
    by: str | None = None  # None | 'store' | 'region'

    @property
    def label(self) -> str:
        """The scope of the single row when there is no --by: store id, region, or ALL."""
        return self.store or self.region or "ALL"

    def params(self) -> dict[str, str | None]:
        return {"store": self.store, "region": self.region, "by": self.by}


def choose_scope(store: str | None, region: str | None, by: str | None) -> Scope:
    for name, value, what in (("store", store, "store id"), ("region", region, "region")):
        if value is not None and not value.strip():
            raise UsageError(f"{option_name(name)} wants a {what}, not {value!r}")
    if store and region:
        raise UsageError(f"give {option_name('store')} or {option_name('region')}, not both")
    if by not in (None, "store", "region"):
        raise UsageError(f"{option_name('by')} takes store or region, not {by!r}")
    if store and by:
        raise UsageError(
            f"{option_name('by')} splits a region or the company; it does not go with "
            f"{option_name('store')}"
        )
    return Scope(store=store, region=region, by=by)


__all__ = [
    "Period",
    "Scope",
    "choose_period",
    "choose_scope",
    "month",
    "parse_day",
    "parse_month",
    "parse_year",
    "year",
]
