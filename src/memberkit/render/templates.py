"""Report layouts from templates/NAME.toml: titles, column labels in zh/en, number formats."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from memberkit.db import asset_dir

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
    prefix: str  # CSV keys: PREFIX_LABEL_FIELD, e.g. band_<100_members
    item: Label  # how an item is named, with {label}
    item_labels: dict[str, Label] = {}
    fields: list[Column]

    def item_name(self, label: str, lang: Lang) -> str:
        if label in self.item_labels:
            return self.item_labels[label].in_(lang)
        return self.item.in_(lang).format(label=label)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Label
    columns: list[Column]
    groups: list[Group] = []
    transpose_single_row: bool = False


@cache
def load_template(name: str) -> Template:
    path = asset_dir("templates") / f"{name}.toml"
    return Template.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
