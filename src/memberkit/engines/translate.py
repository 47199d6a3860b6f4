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

import itertools
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
                _rename_ctes(body)
                alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(macro.name))
                return exp.Subquery(this=body, alias=alias.copy())
            return node
        if isinstance(node, exp.Anonymous):
            macro = self._macros.get(node.name.lower())
            if macro is not None and not macro.table:
                # the arguments may call macros too: a replaced node is not visited again
                args = [self.expand(a) for a in node.expressions]
                return exp.Paren(this=_substitute(macro, args))
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


_CALLS = itertools.count(1)


def _rename_ctes(body: exp.Expression) -> None:
    """Give the named subqueries (CTEs) of one expansion of a table macro names of their own:
    Spark wants every CTE of a statement named once, and sqlglot moves nested ones to the
    top, where two expansions of one macro, or a query's own CTE of the same name, would
    clash."""
    names = {cte.alias_or_name.lower() for cte in body.find_all(exp.CTE)}
    if not names:
        return
    suffix = f"__m{next(_CALLS)}"
    for cte in body.find_all(exp.CTE):
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(cte.alias_or_name + suffix)))
    for table in body.find_all(exp.Table):
        if not table.db and table.name.lower() in names:
            alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
            table.set("this", exp.to_identifier(table.name + suffix))
            table.set("alias", alias)


def spread_lists(tree: exp.Expression, lists: dict[str, int]) -> exp.Expression:
    """The statement with each list parameter `$name` of n values as a list of n parameters
    `$name__0` ... (Spark binds no array of decimals as one argument)."""

    def spread(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in lists:
            items = [exp.Placeholder(this=f"{node.name}__{i}") for i in range(lists[node.name])]
            return exp.Array(expressions=items)
        return node

    return tree.transform(spread, copy=True)


def placeholders(tree: exp.Expression) -> set[str]:
    """The `$name` parameters a statement uses."""
    return {p.name for p in tree.find_all(exp.Placeholder) if p.name}


# --- DuckDB to Spark: what sqlglot cannot translate without types -------------------------


def to_spark(tree: exp.Expression) -> str:
    """A statement whose macros are expanded, as Spark SQL text (parameters as `:name`)."""
    tree = tree.transform(_spark_rule, copy=True)
    tree = tree.transform(_grouping_having, copy=False)
    return tree.sql(dialect="spark")


def _grouping_having(node: exp.Expression) -> exp.Expression:
    """`select ... group by grouping sets (...) having grouping(x) = 0 or ...`: Spark does
    not resolve grouping() in a having clause unless x is among the outputs as written. The
    grouping() values become hidden outputs, and the having a filter around the query."""
    having = node.args.get("having") if isinstance(node, exp.Select) else None
    if having is None or not any(having.find_all(exp.Grouping)):
        return node
    outputs = [e.alias_or_name for e in node.expressions]
    hidden: dict[str, str] = {}
    for call in list(having.find_all(exp.Grouping)):
        name = hidden.setdefault(call.sql("spark"), f"__grouping_{len(hidden)}")
        call.replace(exp.column(name))
    node.set("having", None)
    for text, name in hidden.items():
        node.append("expressions", exp.alias_(sqlglot.parse_one(text, read="spark"), name))
    outer = exp.select(*outputs).from_(node.subquery("__grouped")).where(having.this)
    return outer


def _spark_rule(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)  # a planner hint of DuckDB's; Spark plans its own
        return node
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        return _element_at(node)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node.this)
    if isinstance(node, exp.GroupConcat) and isinstance(node.this, exp.Order):
        return _ordered_text(node)
    if isinstance(node, exp.RegexpFullMatch):
        return _regexp_full_match(node.this, node.expression)
    if isinstance(node, exp.Anonymous):
        rule = _FUNCTIONS.get(node.name.lower())
        if rule is not None:
            return rule(*node.expressions)
    return node


def _element_at(node: exp.Bracket) -> exp.Expression:
    """DuckDB's list[i] counts from 1 and is null outside the list; Spark's list[i] counts
    from 0 and fails outside it in ANSI mode: try_element_at is DuckDB's. sqlglot keeps a
    literal index from 0 and an expression as written (from 1). A text index is a struct's
    field or a map's key: left as it is."""
    (index,) = node.expressions
    if isinstance(index, exp.Literal) and index.is_string:
        return node
    if isinstance(index, exp.Literal):
        index = exp.Literal.number(int(index.this) + 1)
    return exp.Anonymous(this="try_element_at", expressions=[node.this, index])


def _ordered_list(order: exp.Order) -> exp.Expression:
    """list(x order by k1, k2 desc): Spark's collect_list has no order. The values are
    collected with their keys as structs, sorted by the keys with DuckDB's null order (last
    ascending, first descending) and then unwrapped."""
    keys = [o for o in order.expressions]
    fields: list[exp.Expression] = []
    for i, ordered in enumerate(keys):
        fields += [exp.Literal.string(f"k{i}"), ordered.this.copy()]
    fields += [exp.Literal.string("v"), order.this.copy()]
    collected = exp.Anonymous(
        this="collect_list", expressions=[exp.Anonymous(this="named_struct", expressions=fields)]
    )
    cases = []
    for i, ordered in enumerate(keys):
        left, right = f"l.k{i}", f"r.k{i}"
        # DuckDB puts nulls last both ways unless told (sqlglot's parse says which)
        nulls_first = bool(ordered.args.get("nulls_first"))
        low, high = ("-1", "1") if not ordered.args.get("desc") else ("1", "-1")
        null_low, null_high = ("-1", "1") if nulls_first else ("1", "-1")
        cases.append(
            f"when {left} is null and {right} is not null then {null_low} "
            f"when {left} is not null and {right} is null then {null_high} "
            f"when {left} < {right} then {low} when {left} > {right} then {high}"
        )
    comparator = sqlglot.parse_one(
        f"(l, r) -> case {' '.join(cases)} else 0 end", read="spark", into=exp.Lambda
    )
    sorted_list = exp.Anonymous(this="array_sort", expressions=[collected, comparator])
    unwrap = sqlglot.parse_one("e -> e.v", read="spark", into=exp.Lambda)
    return exp.Anonymous(this="transform", expressions=[sorted_list, unwrap])


def _ordered_text(node: exp.GroupConcat) -> exp.Expression:
    """string_agg([distinct] x, sep order by ...): the values as an ordered list, joined.
    Distinct and ordered by itself: the set of values, sorted (nulls are left out by both)."""
    order: exp.Order = node.this
    separator = node.args.get("separator") or exp.Literal.string(",")
    value = order.this
    if isinstance(value, exp.Distinct):
        (value,) = value.expressions
        (key,) = order.expressions
        if key.this != value or key.args.get("desc"):
            raise ValueError("string_agg(distinct x order by y) runs on Spark only with y = x")
        values = exp.Anonymous(this="collect_set", expressions=[value.copy()])
        listed = exp.Anonymous(this="array_sort", expressions=[values])
    else:
        listed = _ordered_list(order)
    return exp.Anonymous(this="array_join", expressions=[listed, separator.copy()])


def _list_position(values: exp.Expression, value: exp.Expression) -> exp.Expression:
    # DuckDB: null when absent; Spark's array_position: 0
    position = exp.Anonymous(this="array_position", expressions=[values, value])
    return exp.Nullif(this=position, expression=exp.Literal.number(0))


def _regexp_full_match(text: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    # Spark's regexp_like finds the pattern anywhere; anchored, it must match the whole text
    # (\z, not $: Java's $ also matches before a final line break)
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        raise ValueError("regexp_full_match needs a literal pattern to run on Spark")
    anchored = exp.Literal.string(f"^(?:{pattern.this})\\z")
    return exp.Anonymous(this="regexp_like", expressions=[text, anchored])


def _current_setting(_name: exp.Expression) -> exp.Expression:
    # DuckDB's settings (memory_limit) do not exist on Spark: the connection ignores `set`
    return exp.cast(exp.Null(), "string")


_FUNCTIONS = {
    "list_position": _list_position,
    "current_setting": _current_setting,
}
