"""Engines other than the embedded DuckDB that the reports can run on (SPEC 8).

Reports run DuckDB-dialect SQL through a connection; an engine here is a connection
look-alike that translates that SQL (engines.translate) and runs it elsewhere
(engines.spark). Nothing here is imported by the default install's code paths: pyspark and
sqlglot are the `spark` extra, imported only when an engine is asked for.
"""
