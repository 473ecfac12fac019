#!/usr/bin/env bash
# Set up and serve the app on its embedded default: SQLite, in-memory channel layer, local runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/sandbox.sh
bash scripts/setup.sh
bash scripts/frontend.sh
export DEBUG="${DEBUG:-1}" SECURE_COOKIES="${SECURE_COOKIES:-0}"
mkdir -p var
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
if .venv/bin/python manage.py help load_examples >/dev/null 2>&1; then
  .venv/bin/python manage.py load_examples
fi
echo "Serving on http://127.0.0.1:${PORT:-8000}/ (embedded default: SQLite, in-memory channel layer, local runner)"
exec .venv/bin/daphne -b 127.0.0.1 -p "${PORT:-8000}" designer.asgi:application
