#!/usr/bin/env bash
# Set up and serve the app on its embedded default: SQLite, in-memory channel layer, local runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/sandbox.sh
bash scripts/setup.sh
bash scripts/frontend.sh
# DEBUG stays off unless you ask for it (DEBUG=1 make run): no debug pages, even on loopback.
# Cookies are not https-only here: this serves plain http on 127.0.0.1.
export DEBUG="${DEBUG:-0}" SECURE_COOKIES="${SECURE_COOKIES:-0}"
# Everything the server writes is owner-only; the per-install secret is made once, never committed.
umask 077
data="${DESIGNER_DATA_DIR:-var}"
mkdir -p "$data"
if [ -z "${SECRET_KEY:-}" ] && [ ! -s "$data/secret_key" ]; then
  .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$data/secret_key"
fi
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
if .venv/bin/python manage.py help load_examples >/dev/null 2>&1; then
  .venv/bin/python manage.py load_examples
fi
echo "Serving on http://127.0.0.1:${PORT:-8000}/ (embedded default: SQLite, in-memory channel layer, local runner)"
echo "Real-time endpoints answer on http://127.0.0.1:${DESIGNER_SCORING_PORT:-8100}/score/ (the scoring process this server starts and restarts)"
exec .venv/bin/daphne -b 127.0.0.1 -p "${PORT:-8000}" designer.asgi:application
