"""DuckDB SQL, as queries/ and the reports write it, into Spark SQL (sqlglot).

Spark has no macros: a connection keeps the `create or replace temp macro` definitions it is
given (Macros.define) and expands them into the statements that follow, scalar macros as
parenthesised expressions and table macros as subqueries, so each report keeps its one SQL
definition. `$name` parameters stay parameters (Spark's `:name` markers, bound by the caller):
no value is ever formatted into the text.

Where sqlglot's DuckDB-to-Spark translation needs the types it cannot see, a rule below says
what it does instead (1-based list indexing, ordered list aggregates, list length); the SQL in
queries/ avoids the constructs that would need more (tests/test_translate.py runs every
report's expanded SQL on DuckDB against the original).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: exp.Expression  # an expression, or a query for a table macro
    table: bool


@lru_cache(maxsize=512)
def _parse(sql: str) -> tuple[exp.Expression, ...]:
    return tuple(s for s in sqlglot.parse(sql, read="duckdb") if s is not None)


def parse(sql: str) -> list[exp.Expression]:
    """The statements of a DuckDB SQL text, each a tree of its own (callers may change it)."""
    return [s.copy() for s in _parse(sql)]


def macro_definition(statement: exp.Expression) -> Macro | None:
    """The macro a `create [or replace] [temp] macro` statement defines (None: not one)."""
    if not isinstance(statement, exp.Create) or str(statement.args.get("kind")).upper() != "MACRO":
        return None
    signature = statement.this
    name = signature.this.name.lower()
    params = tuple(p.name.lower() for p in signature.expressions)
    table = isinstance(statement.expression, exp.Query)
    return Macro(name, params, statement.expression, table)


def setting_statement(statement: exp.Expression) -> bool:
    """`set NAME = VALUE`: a DuckDB setting (memory, hash tables), not a query."""
    return isinstance(statement, exp.Set)


class Macros:
    """The macros a connection was given, in order of definition; expand() replaces their
    calls in a statement by their bodies."""

    def __init__(self) -> None:
        self._macros: dict[str, Macro] = {}
        self.version = 0  # changes with every definition that changes a body

    def __contains__(self, name: str) -> bool:
        return name in self._macros

    def define(self, macro: Macro) -> None:
        # A body is expanded when it is defined: later definitions of the macros it calls do
        # not change it (DuckDB binds a macro's calls when it is used; memberkit defines each
        # macro once per text, so the two agree).
        expanded = Macro(macro.name, macro.params, self.expand(macro.body.copy()), macro.table)
        old = self._macros.get(macro.name)
        if old is None or old.body != expanded.body or old.params != expanded.params:
            self.version += 1
        self._macros[macro.name] = expanded

    def expand(self, tree: exp.Expression) -> exp.Expression:
        """The tree with every macro call replaced, innermost first."""
        return tree.transform(self._replace_call, copy=False)

    def _replace_call(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            macro = self._macros.get(node.this.name.lower())
            if macro is not None and macro.table:
                body = _substitute(macro, [self.expand(a) for a in node.this.expressions])
                alias = node.args.get("alias") or exp.TableAlias(
                    this=exp.to_identifier(macro.name)
                )
                return exp.Subquery(this=body, alias=alias.copy())
            return node
        if isinstance(node, exp.Anonymous):
            macro = self._macros.get(node.name.lower())
            if macro is not None and not macro.table:
                # the arguments may call macros too: a replaced node is not visited again
                return exp.Paren(this=_substitute(macro, [self.expand(a) for a in node.expressions]))
        return node


def _substitute(macro: Macro, args: list[exp.Expression]) -> exp.Expression:
    """The macro's body with its parameters replaced by the call's arguments (parenthesised:
    an argument `a - b` stays one operand)."""
    if len(args) != len(macro.params):
        raise ValueError(f"macro {macro.name} takes {len(macro.params)} arguments, got {len(args)}")
    values = dict(zip(macro.params, args, strict=True))

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.lower() in values:
            value = values[node.name.lower()].copy()
            simple = (exp.Column, exp.Literal, exp.Placeholder, exp.Parameter, exp.Null)
            return value if isinstance(value, simple) else exp.Paren(this=value)
        return node

    return macro.body.copy().transform(replace, copy=False)


def placeholders(tree: exp.Expression) -> set[str]:
    """The `$name` parameters a statement uses."""
    return {p.name for p in tree.find_all(exp.Placeholder) if p.name}
