# 暖新助手: `make run` sets up and starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
EVAL_DIR ?= ../shared/eval
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

MODEL_INPUTS := config.yml domain.yml \
	$(shell find data nlu content/gazetteer content/vocabulary -type f \
	  \( -name '*.yml' -o -name '*.py' -o -name '*.txt' -o -name '*.csv' -o -name '*.tsv' \) 2>/dev/null)

.PHONY: run test eval lint setup model db services bench clean lock

run: setup model db
	$(PY) -m bot.stack

test: setup model db services lint
	$(PY) -m pytest

eval: model
	$(PY) $(EVAL_DIR)/score.py --quiet --data $(EVAL_DIR)/worker_dev.jsonl --min-accuracy 0.92 \
		--max-in-scope-fallback 0.06 --max-confident-errors 0.03 --min-oos-recall 0.90 --min-district-f1 0.97
	$(PY) $(EVAL_DIR)/score.py --quiet --data $(EVAL_DIR)/real_questions.jsonl --min-accuracy 0.90 \
		--max-confident-errors 0.04 --min-oos-recall 0.85

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock scripts/setup.sh
	scripts/setup.sh
	@touch $@

# Retrain when training data, domain, config, components or dictionaries change,
# or when no model archive is left.
model: setup
	@ls models/*.tar.gz >/dev/null 2>&1 || rm -f models/.trained
	@$(MAKE) --no-print-directory models/.trained

models/.trained: $(MODEL_INPUTS)
	$(PY) -m bot.rasa_server train --force --out models --quiet
	@ls -t models/*.tar.gz | tail -n +4 | xargs -r rm -f
	@touch $@

db: setup
	$(PY) -m core.cli init

services:
	scripts/test_services.sh

bench: setup model db
	$(PY) bench/run_all.py

lock: setup
	$(VENV)/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf models var .rasa .pytest_cache tests/output
