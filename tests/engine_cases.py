"""The report runs that the engine tests compare across engines (tests/test_translate.py on
DuckDB with the macros expanded, tests/test_spark_parity.py on Spark): every report of the
catalogue, over a month and a year, with --by store/region, --store and their own options.
Keywords are the Python API's (SPEC 7)."""

from __future__ import annotations

from decimal import Decimal

M = "2026-09"

# (report name, API keywords)
CASES: list[tuple[str, dict]] = [
    ("spend-bands", {"month": M}),
    ("spend-bands", {"month": M, "by": "store", "bands": [50, Decimal("200.5"), 800]}),
    ("spend-bands", {"year": 2025, "by": "region"}),
    ("demographics", {"month": M, "age_bands": "25,35", "by": "region"}),
    ("demographics", {"year": 2025, "store": "S002"}),
    ("spending-power", {"month": M, "by": "store"}),
    ("spending-power", {"year": "2025"}),
    ("spending-power", {"month": "2026-03", "by": "region"}),
    ("churn", {"month": M, "inactive_days": 90, "by": "store"}),
    ("churn", {"year": 2025}),
    ("churn-list", {"month": M, "store": "S001"}),
    ("churn-list-risk", {"month": M}),
    ("new-members", {"month": M, "by": "region"}),
    ("new-members", {"year": 2025}),
    ("member-problems", {"month": M, "all_members": True}),
    ("member-problems", {"month": M}),
    ("grades", {"month": M, "grade_edges": [400, 1500, 4000], "by": "store"}),
    ("grades", {"year": 2025}),
    ("grade-migration", {"month": M, "by": "region"}),
    ("complaints", {"month": M, "by_field": "category"}),
    ("complaints", {"month": M, "by": "store"}),
    ("complaints-overdue", {"month": "2026-10"}),
    ("satisfaction", {"month": M, "by_field": "channel"}),
    ("satisfaction", {"year": 2026, "by": "region"}),
    ("satisfaction-low", {"month": M}),
    ("callbacks", {"month": M, "min_amount": 500, "kinds": ["new", "lapsed"], "per_store": 3}),
    ("callbacks", {"month": M, "inactive_days": 120}),
    ("callback-counts", {"month": M, "by": "store"}),
    ("gift-issues", {"month": M}),
    ("callback-review", {"month": M, "by": "store"}),
    ("callback-effect", {"month": "2026-08", "window_days": 60}),
    ("callback-effect", {"month": M, "inactive_days": 150, "by": "region"}),
    ("expiring", {"as_of": "2026-10-05", "month": "2026-11", "min_visits": 2}),
    ("expiring", {"as_of": "2026-09-30", "store": "S003"}),
    ("churn-risk", {"as_of": "2026-10-31", "by": "region", "horizon_days": 60}),
    ("churn-risk", {"as_of": "2026-10-17"}),
    ("churn-risk", {"year": 2025, "by": "store"}),
    ("gift-stock", {"as_of": "2026-10-31"}),
    ("gift-stock", {"as_of": "2026-10-31", "location": "HQ"}),
    ("gift-reconcile", {}),
    ("gift-reconcile", {"tolerance": 2, "location": "HQ"}),
    ("gift-summary", {}),
    ("gift-requests", {"as_of": "2026-09-30"}),
    ("gift-requests-summary", {"as_of": "2026-10-31", "location": "S001"}),
]


def case_id(case: tuple[str, dict]) -> str:
    name, keywords = case
    return name + "".join(f" {k}={v}" for k, v in keywords.items())
