# Everything installs into .venv from nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo/memberkit.duckdb
# the sample data's latest month
DEMO_MONTH ?= 2026-10

.PHONY: install demo test lint bench bench-scale bench-spark clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# the Spark extras are for `make test` and `make bench-spark`: demo stays light
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Load the bundled sample data into a fresh demo database, show what it holds and the
# analyses of its latest month. sample_data/ is `memberkit sample-data sample_data
# --lines-from $(DEMO_MONTH)`: the tickets before that month in transactions.csv, the
# month's as product lines in ticket_lines.csv.
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB).wal
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/memberkit --db $(DEMO_DB) load stores sample_data/stores.csv
	$(BIN)/memberkit --db $(DEMO_DB) load members sample_data/members.csv
	$(BIN)/memberkit --db $(DEMO_DB) load transactions sample_data/transactions.csv
	# the latest month comes as a line-level POS export (小票明细): rolled up into tickets
	$(BIN)/memberkit --db $(DEMO_DB) load ticket-lines sample_data/ticket_lines.csv
	$(BIN)/memberkit --db $(DEMO_DB) load targets sample_data/targets.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gifts sample_data/gifts.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gift-moves sample_data/gift_moves.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gift-counts sample_data/gift_counts.csv
	$(BIN)/memberkit --db $(DEMO_DB) load complaints sample_data/complaints.csv
	# the service records: satisfaction surveys, the call-back log, and the gift requests
	# exported twice (the later export decides requests the first showed pending)
	$(BIN)/memberkit --db $(DEMO_DB) load surveys sample_data/surveys.csv
	$(BIN)/memberkit --db $(DEMO_DB) load callback-log sample_data/callback_log.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gift-requests sample_data/gift_requests.csv \
		sample_data/gift_requests_later.csv
	$(BIN)/memberkit --db $(DEMO_DB) info
	$(BIN)/memberkit --db $(DEMO_DB) spend-bands --month $(DEMO_MONTH) --by region
	$(BIN)/memberkit --db $(DEMO_DB) spending-power --month $(DEMO_MONTH)
	$(BIN)/memberkit --db $(DEMO_DB) gifts reconcile --summary
	$(BIN)/memberkit --db $(DEMO_DB) gifts requests --summary --as-of 2026-10-31
	$(BIN)/memberkit --db $(DEMO_DB) complaints --month $(DEMO_MONTH) --by store
	$(BIN)/memberkit --db $(DEMO_DB) satisfaction --month $(DEMO_MONTH) --by channel
	# the call-back log: what the calls reached, and whether calling lapsed members paid off
	# (judged on August's calls: a 60-day window after July's end lies within the data)
	$(BIN)/memberkit --db $(DEMO_DB) callback-review --month $(DEMO_MONTH)
	$(BIN)/memberkit --db $(DEMO_DB) callback-review --month 2026-08 --effect --window-days 60

# the suite on every core (two here), a test file to a worker: module fixtures are built once
# (with the Spark engine's extras: its tests start a local Spark and a Spark Connect server)
test: install
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,spark-connect]'
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# ruff, then the layers written down as import-linter contracts in pyproject.toml
# (install puts the dev extra, import-linter among it, into the venv)
lint: install
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/lint-imports

# Chain-scale benchmark (benchmarks/bench.py): writes benchmarks/RESULTS.md. Generated data
# is cached in benchmarks/data/. BENCH_ARGS=--tickets 2000000 for a quicker run.
# benchmarks/churn_risk.py fits the churn-risk model at 1M members (RISK_BENCH_ARGS=--members N).
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
	# after bench.py, which rewrites RESULTS.md: this replaces only its own section
	$(BIN)/python benchmarks/churn_risk.py $(RISK_BENCH_ARGS)

# Issue 22's targets at 100M tickets (benchmarks/bench_scale.py): generates the chain into
# benchmarks/data/scale-100000000/ if absent (5.3 GB of CSV; its databases take a few GB more
# while it runs) and replaces its section of RESULTS.md. SCALE_ARGS=--scale 10000000 for
# a quick check; --db PATH --skip-load reports on an already loaded database.
bench-scale: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_scale.py $(SCALE_ARGS)

# The reports on local Spark against DuckDB at 10M tickets (benchmarks/bench_spark.py): the
# chain and its database are cached in benchmarks/data/; replaces the "## Spark" section of
# RESULTS.md. SPARK_BENCH_ARGS=--scale 200000 for a quick check.
bench-spark: install
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	$(BIN)/python benchmarks/bench_spark.py $(SPARK_BENCH_ARGS)

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache .hypothesis .import_linter_cache
