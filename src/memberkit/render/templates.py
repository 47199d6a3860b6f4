"""Report layouts from templates/NAME.toml: titles, column labels in zh/en, number formats."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from memberkit.db import asset_dir

if TYPE_CHECKING:
    from memberkit.reports import Report

Format = Literal["text", "count", "money", "ratio", "decimal", "date", "phone"]
Lang = Literal["zh", "en"]


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str

    def in_(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    label: Label
    format: Format


class Group(BaseModel):
    """A list inside each row (bands, genders, age bands), spread into one column per item."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    prefix: str  # CSV keys: PREFIX_LABEL_FIELD in ASCII, e.g. band_lt100_members
    item: Label  # how an item is named, with {label}
    item_labels: dict[str, Label] = {}
    fields: list[Column]

    def item_name(self, label: str, lang: Lang) -> str:
        if label in self.item_labels:
            return self.item_labels[label].in_(lang)
        return self.item.in_(lang).format(label=label)


class Chart(BaseModel):
    """A chart in the workbook.

    kind 'group': one column per item of a list (bands, genders) of the total row, plotting
    `field`. kind 'comparison': the `figures` this period against last month and last year.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["group", "comparison"]
    title: Label
    type: Literal["column", "bar", "pie"] = "column"
    group: str | None = None
    field: str = "members"
    figures: list[str] = []
    title_year: Label | None = None  # a comparison over a whole year has no last month

    def title_for(self, lang: Lang, period_kind: str) -> str:
        title = self.title_year if period_kind == "year" and self.title_year else self.title
        return title.in_(lang)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Label
    sheet: Label | None = None  # sheet name in a workbook (default: the title)
    columns: list[Column]
    groups: list[Group] = []
    charts: list[Chart] = []
    transpose_single_row: bool = False
    # in a workbook, figures down and one column per row (store) however many rows there are:
    # many figures print readably down an A4 page, not across it
    figures_down: bool = False
    # footnotes a report asks for (Report.footnotes) when a figure would puzzle a reader
    footnotes: dict[str, Label] = {}

    def title_text(self, lang: Lang, period_start: date, where: str = "") -> str:
        """The title, with {year}, {month} and {where} (总仓/门店) filled in where it has them."""
        return self.title.in_(lang).format(
            year=f"{period_start:%Y}", month=f"{period_start:%m}", where=where
        )

    def sheet_name(self, lang: Lang) -> str:
        """The sheet's name: `sheet`, else the title (templates keep both within Excel's 31
        characters and free of {placeholders}; a test checks it)."""
        return (self.sheet or self.title).in_(lang)


NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "money": "#,##0.00",
    "ratio": "0.0%",
    "decimal": "#,##0.00",
    "date": "yyyy-mm-dd",
}


def footnotes(report: Report, template: Template, lang: Lang) -> list[str]:
    """The footnotes the report asks for, in `lang`, from its template."""
    return [template.footnotes[key].in_(lang) for key in report.footnotes]


@cache
def load_template(name: str) -> Template:
    path = asset_dir("templates") / f"{name}.toml"
    return Template.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


@cache
def load_words(lang: Lang) -> dict[str, str]:
    """The words of the forms that belong to no one report (templates/words.toml)."""
    words = tomllib.loads((asset_dir("templates") / "words.toml").read_text(encoding="utf-8"))
    if set(words["zh"]) != set(words["en"]):  # a word in one language only is a defect
        raise ValueError(f"templates/words.toml: {set(words['zh']) ^ set(words['en'])}")
    return words[lang]
