#!/usr/bin/env bash
# Generate the front end's REST types from the OpenAPI schema (drf-spectacular → openapi-typescript).
#   bash scripts/rest_types.sh [OUT]   (default: frontend/src/api/schema.gen.ts; `make types` runs it)
set -euo pipefail
out=$(realpath -m "${1:-$(dirname "$0")/../frontend/src/api/schema.gen.ts}")
cd "$(dirname "$0")/.."
schema=$(mktemp --suffix=.yaml)
trap 'rm -f "$schema"' EXIT
# Integer formats follow the database's field ranges: always describe the default (SQLite) setup.
env -u DATABASE_URL SECRET_KEY="${SECRET_KEY:-schema-only}" \
  .venv/bin/python manage.py spectacular --validate --fail-on-warn --file "$schema"
frontend/node_modules/.bin/openapi-typescript "$schema" --output "$out.tmp" >/dev/null
{
  echo "// Generated from the OpenAPI schema (/api/schema/) by \`make types\`. Do not edit by hand."
  cat "$out.tmp"
} > "$out"
rm -f "$out.tmp"
