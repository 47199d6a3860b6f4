"""engines.translate on DuckDB alone (no Spark): the macros the reports use, expanded into
their statements, give every report the same rows as DuckDB's own macros; and every query a
report runs translates to Spark SQL text."""

from __future__ import annotations

import re

import pytest

from engine_cases import CASES, case_id  # noqa: E402
from memberkit import db  # noqa: E402
from memberkit.api import Database  # noqa: E402
from memberkit.engines.translate import (  # noqa: E402
    Macros,
    macro_definition,
    parse,
    placeholders,
    to_spark,
)
from memberkit.sql import prepare_connection, query_text  # noqa: E402


class ExpandingConnection:
    """A DuckDB connection that is given the macros as SparkConnection is (kept, never sent
    to DuckDB) and runs each statement with them expanded, still in DuckDB's dialect."""

    def __init__(self, con) -> None:
        self.con = con
        self.macros = Macros()
        self.sent: list[str] = []  # what DuckDB ran
        prepare_connection(self)

    def _texts(self, sql: str) -> list[str]:
        texts = []
        for tree in parse(sql):
            macro = macro_definition(tree)
            if macro is not None:
                self.macros.define(macro)
            else:
                texts.append(self.macros.expand(tree).sql("duckdb"))
        self.sent += texts
        return texts

    def execute(self, sql, params=None):
        result = None
        for text in self._texts(sql):
            result = self.con.execute(text, params or {})
        return result

    def sql(self, sql, params=None):
        (text,) = self._texts(sql)
        return self.con.sql(text, params=params or {})

    def close(self) -> None:
        self.con.close()


@pytest.fixture(scope="module")
def duck(full_chain):
    con = db.connect(full_chain, read_only=True)
    prepare_connection(con)
    yield Database(con)
    con.close()


@pytest.fixture(scope="module")
def expanding(full_chain):
    connection = ExpandingConnection(db.connect(full_chain, read_only=True))
    yield connection
    connection.close()


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_expanded_macros_give_the_rows_of_duckdbs_macros(duck, expanding, case):
    name, keywords = case
    expected = duck.report(name, **keywords).rows
    start = len(expanding.sent)
    assert Database(expanding).report(name, **keywords).rows == expected
    sent = " ".join(expanding.sent[start:]).lower()
    assert not re.search(r"mk_\w+\(", sent)  # no macro call is left (aliases may say mk_)


def test_every_catalogue_report_is_among_the_cases():
    from memberkit.reports import catalogue

    assert {name for name, _ in CASES} == set(catalogue.ENTRIES)


def _macros() -> Macros:
    macros = Macros()
    for name in ("common", "churn_members"):
        for tree in parse(query_text(name)):
            macros.define(macro_definition(tree))
    return macros


def test_a_scalar_macro_in_a_macros_argument_is_expanded_too():
    (tree,) = parse("select mk_growth(mk_ratio(a, b), 2) from t")
    text = _macros().expand(tree).sql("duckdb")
    assert "mk_" not in text.lower()
    assert text.count("CASE WHEN") == 2  # mk_growth's mk_ratio, and the argument's


def test_two_expansions_of_a_table_macro_name_their_ctes_apart():
    (tree,) = parse(
        "select * from mk_scope_stores($store, null, null) a, mk_scope_stores(null, null, null) b"
    )
    spark = to_spark(_macros().expand(tree))
    names = [w for w in spark.replace("(", " ").split() if w.startswith("known_ids")]
    assert len(set(names)) == 2, spark  # Spark refuses a CTE name twice in one statement


def test_parameters_stay_parameters():
    (tree,) = parse("select * from mk_scope_units($store, $region, $by) u where $x > 1")
    expanded = _macros().expand(tree)
    assert placeholders(expanded) == {"store", "region", "by", "x"}
    text = to_spark(expanded)
    assert ":store" in text and "$" not in text


def test_spark_rules_for_what_sqlglot_cannot_type():
    (tree,) = parse(
        "select list(x order by k desc), e[1], e[i + 1], s['f'], list_position(['a'], y), "
        "regexp_full_match(p, '1[0-9]{10}') from t"
    )
    text = to_spark(tree)
    assert "ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('k0', k, 'v', x))" in text
    assert "TRY_ELEMENT_AT(e, 1)" in text and "TRY_ELEMENT_AT(e, i + 1)" in text
    assert "s['f']" in text
    assert "NULLIF(ARRAY_POSITION(ARRAY('a'), y), 0)" in text
    assert "REGEXP_LIKE(p, '^(?:1[0-9]{10})\\\\z')" in text


def test_a_macro_called_with_too_few_arguments_is_an_error():
    (tree,) = parse("select mk_ratio(a) from t")
    with pytest.raises(ValueError, match="mk_ratio takes 2 arguments"):
        _macros().expand(tree)


@pytest.mark.parametrize(
    "name", ["spend_bands", "churn", "satisfaction", "gift_issues", "callbacks", "grades"]
)
def test_report_queries_translate_to_spark_text(name):
    macros = _macros()
    for extra in ("complaints_scoped", "satisfaction_scoped", "gift_requests_known"):
        for tree in parse(query_text(extra)):
            macros.define(macro_definition(tree))
    (tree,) = parse(query_text(name))
    text = re.sub(r"/\*.*?\*/", "", to_spark(macros.expand(tree)))  # comments may say $x
    assert not re.search(r"mk_\w+\(", text.lower())
    assert "$" not in text
