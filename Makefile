# Everything installs into .venv from nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo/memberkit.duckdb
# the sample data's latest month
DEMO_MONTH ?= 2026-10

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Load the bundled sample data into a fresh demo database, show what it holds and the
# analyses of its latest month.
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB).wal
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/memberkit --db $(DEMO_DB) load stores sample_data/stores.csv
	$(BIN)/memberkit --db $(DEMO_DB) load members sample_data/members.csv
	$(BIN)/memberkit --db $(DEMO_DB) load transactions sample_data/transactions.csv
	$(BIN)/memberkit --db $(DEMO_DB) load targets sample_data/targets.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gifts sample_data/gifts.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gift-moves sample_data/gift_moves.csv
	$(BIN)/memberkit --db $(DEMO_DB) load gift-counts sample_data/gift_counts.csv
	$(BIN)/memberkit --db $(DEMO_DB) info
	$(BIN)/memberkit --db $(DEMO_DB) spend-bands --month $(DEMO_MONTH) --by region
	$(BIN)/memberkit --db $(DEMO_DB) spending-power --month $(DEMO_MONTH)
	$(BIN)/memberkit --db $(DEMO_DB) gifts reconcile --summary

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# Load and report timings against DuckDB baselines in the same run (see benchmarks/).
bench: install
	$(BIN)/python benchmarks/load_bench.py
	rm -f benchmarks/data/bench.duckdb*
	$(BIN)/memberkit --db benchmarks/data/bench.duckdb load stores benchmarks/data/t1000000-utf-8/stores.csv
	$(BIN)/memberkit --db benchmarks/data/bench.duckdb load members benchmarks/data/t1000000-utf-8/members.csv
	$(BIN)/memberkit --db benchmarks/data/bench.duckdb load transactions benchmarks/data/t1000000-utf-8/transactions.csv
	$(BIN)/python benchmarks/report_bench.py --db benchmarks/data/bench.duckdb --month 2026-10

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache .hypothesis
