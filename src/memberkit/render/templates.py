"""Report layouts from templates/NAME.toml: titles, column labels in zh/en, number formats,
and the labels of the codes a column holds."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from memberkit.db import asset_dir

if TYPE_CHECKING:
    from memberkit.periods import Scope
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
    # per code column (a status, a problem), each code's label: tables and sheets show the
    # labels, CSV and JSON the codes (SPEC 6); [codes.COLUMN] in the template file
    codes: dict[str, dict[str, Label]] = {}

    @model_validator(mode="after")
    def _codes_name_columns(self) -> Template:
        stray = set(self.codes) - {c.key for c in self.columns}
        if stray:  # a typo would silently show codes
            raise ValueError(f"codes for no column: {sorted(stray)}")
        return self

    def title_text(self, lang: Lang, period_start: date, where: str = "") -> str:
        """The title, with {year}, {month} and {where} filled in where it has them. `where`
        is a gift form's place (hq or store: 总仓/门店, gifts.form_place) or text made in
        the language already (which call-backs a sheet holds), used as it is."""
        return self.title.in_(lang).format(
            year=f"{period_start:%Y}", month=f"{period_start:%m}", where=place_name(where, lang)
        )

    def sheet_name(self, lang: Lang) -> str:
        """The sheet's name: `sheet`, else the title (templates keep both within Excel's 31
        characters and free of {placeholders}; a test checks it)."""
        return (self.sheet or self.title).in_(lang)

    def show_code(self, key: str, value: Any, lang: Lang) -> Any:
        """A value of column `key` as a table or a sheet shows it: a code by its label in
        the language; any other value (an id, a name, None) as it is."""
        return self.code_labels(lang).get(key, {}).get(value, value)

    def code_labels(self, lang: Lang) -> dict[str, dict[str, str]]:
        """Per code column, each code's label in the language."""
        return {
            key: {code: label.in_(lang) for code, label in labels.items()}
            for key, labels in self.codes.items()
        }


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


def place_name(place: str, lang: Lang) -> str:
    """A gift form's place (gifts.form_place: hq, store or nothing) by its name in the
    language; any other text as it is."""
    words = load_words(lang)
    return {"hq": words["hq"], "store": words["store"]}.get(place, place)


def scope_labels(lang: Lang, *, split: bool) -> dict[str, str]:
    """The scope codes of SPEC 6 in words: ALL (the total row of a split, else the whole
    company), the region of stores without one, the category or channel not given, and HQ
    (the gift forms' location). A store id or a region name is shown as it is."""
    words = load_words(lang)
    return {
        "ALL": words["all_units"] if split else words["company"],
        "(no region)": words["no_region"],
        "(none)": words["not_given"],
        "HQ": words["hq"],
    }


def scope_name(scope: Scope, lang: Lang) -> str:
    """A report's scope as a title, a sheet's subtitle or a cover names it."""
    return scope_labels(lang, split=False).get(scope.label, scope.label)


def with_code_labels(report: Report, template: Template, lang: Lang) -> Report:
    """The report as a terminal table or a workbook sheet shows it: each code of the
    template's code columns by its label, and the scope codes in words (scope_labels). CSV
    and JSON are written from the report itself and keep the codes (SPEC 6)."""
    labels = code_label_maps(report, template, lang)
    if not labels:
        return report
    rows = [
        {
            **row,
            **{key: codes.get(row[key], row[key]) for key, codes in labels.items() if key in row},
        }
        for row in report.rows
    ]
    return replace(report, rows=rows)


def code_label_maps(report: Report, template: Template, lang: Lang) -> dict[str, dict]:
    """Per column of codes, each code's label as with_code_labels shows it."""
    labels = template.code_labels(lang)
    if any(c.key == "scope" for c in template.columns):
        # a split by a code (satisfaction's channels) labels its codes as the template says
        scope_codes = scope_labels(lang, split=bool(report.scope.by or report.split))
        labels["scope"] = {**labels.get("scope", {}), **scope_codes}
    return labels


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
