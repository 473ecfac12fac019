#!/usr/bin/env bash
# Install and start everything the tests need, run the whole suite, then stop the services.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh
bash scripts/frontend.sh
export PATH="$PWD/.venv/bin:$PATH"

services=$(mktemp -d /tmp/designer-test-XXXXXX)
trap 'bash scripts/services.sh stop "$services"' EXIT
set -a
eval "$(bash scripts/services.sh start "$services")"
set +a
# every service must run here (skips are for `make unit`): a missing one fails the run, and
# so does any test that skips for want of one
if [ -z "${DOCKER_HOST:-}" ]; then
  echo "make test: the Docker engine did not start (see $services/docker.log)" >&2
  exit 1
fi
export DESIGNER_TEST_REQUIRE_ALL=1
export SECRET_KEY=test-only-secret SECURE_COOKIES=0 DESIGNER_DATA_DIR="$services/data"
mkdir -p "$DESIGNER_DATA_DIR"

echo "== lint and types"
ruff check .
ruff format --check .
mypy

if [ -f frontend/package.json ]; then
  echo "== front-end unit tests"
  (cd frontend && npm run --silent test)
fi

# Two test processes (pytest-xdist; a file's tests stay in one): the suite waits on servers,
# workers and sandboxes as much as it computes, so two finish the SQLite pass in ~3/4 the time.
side_by_side=(-n "${TEST_PROCESSES:-2}" --dist loadgroup)

echo "== test suite on SQLite"
# the contract tests (Schemathesis, a fixed time budget) run once, on PostgreSQL, below
pytest -p no:cacheprovider -m "not e2e" --ignore=tests/integration/contract "${side_by_side[@]}" "$@"

# Playwright's sync API keeps an event loop running for the rest of its pytest session,
# which the WebSocket tests' own asyncio loops cannot share: the browser gets a session of its own.
echo "== end-to-end tests in Chromium"
pytest -p no:cacheprovider -m e2e tests/e2e "$@"

echo "== API integration and security tests on PostgreSQL"
DATABASE_URL="$TEST_DATABASE_URL" pytest -p no:cacheprovider -m "not e2e" tests/integration tests/security \
  "${side_by_side[@]}" "$@"
