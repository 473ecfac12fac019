# The two commands the README opens with, and the checks and benchmarks behind them.
PY := .venv/bin/python
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: run run-distributed test setup frontend lint typecheck unit bench golden types screenshot clean

run:            ## set up and serve the app on 127.0.0.1:8000 (SQLite, in-memory layer, local runner)
	bash scripts/run.sh

run-distributed: ## PostgreSQL, Redis, 2 Daphne behind nginx on 127.0.0.1:8000, 2 Celery workers, the scheduler
	bash scripts/run-distributed.sh

test:           ## install and start what the tests need, run the whole suite, stop the services
	bash scripts/test.sh

setup:          ## create .venv and install the Python packages
	bash scripts/setup.sh

frontend:       ## build the front end into static/dist
	bash scripts/frontend.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/mypy

unit: setup     ## fast engine and module tests only (no services)
	.venv/bin/pytest tests/unit -q

golden: setup   ## refresh tests/fixtures/graphs/*.plan.json from the compiler
	$(PY) -m tests.unit.engine.golden --refresh

screenshot: setup frontend  ## refresh docs/screenshots/ (the editor after a run, endpoints; Chromium)
	DESIGNER_SCREENSHOTS=$(CURDIR)/docs/screenshots .venv/bin/pytest -p no:cacheprovider -m e2e \
	  tests/e2e/test_editor.py::test_run_live_preview_and_rerun_reuses tests/e2e/test_endpoints.py \
	  tests/e2e/test_realtime_endpoints.py

types: setup    ## regenerate the front end's TypeScript types: WebSocket protocol and REST (OpenAPI)
	$(PY) -m designer.realtime.typescript > frontend/src/protocol.gen.ts
	$(PY) -m designer.realtime.protocol_doc > docs/protocol.md
	[ -d frontend/node_modules ] || bash scripts/frontend.sh
	bash scripts/rest_types.sh

bench: setup
	$(PY) bench/engine.py && $(PY) bench/compile.py --baseline main && $(PY) bench/modules.py && $(PY) bench/memory.py --baseline main && $(PY) bench/api.py && $(PY) bench/ws.py && $(PY) bench/collab.py && $(PY) bench/compaction.py && $(PY) bench/canvas.py && $(PY) bench/sandbox.py && $(PY) bench/endpoints.py && $(PY) bench/uploads.py && $(PY) bench/scoring.py && $(PY) bench/distributed.py

clean:
	rm -rf .venv var static/dist frontend/node_modules
