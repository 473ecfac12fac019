#!/usr/bin/env bash
# Write the OpenAPI schema (drf-spectacular) to docs/openapi.yaml and generate the front end's
# REST types from it (openapi-typescript → frontend/src/api/schema.gen.ts). `make types` runs it;
# tests/integration/api/test_schema.py checks that both committed files are current.
#   bash scripts/rest_types.sh [TS_OUT [SCHEMA_OUT]]
set -euo pipefail
root=$(realpath "$(dirname "$0")/..")
out=$(realpath -m "${1:-$root/frontend/src/api/schema.gen.ts}")
schema=$(realpath -m "${2:-$root/docs/openapi.yaml}")
cd "$root"
# Integer formats follow the database's field ranges: always describe the default (SQLite) setup.
env -u DATABASE_URL SECRET_KEY="${SECRET_KEY:-schema-only}" \
  .venv/bin/python manage.py spectacular --validate --fail-on-warn --file "$schema"
frontend/node_modules/.bin/openapi-typescript "$schema" --output "$out.tmp" >/dev/null
{
  echo "// Generated from the OpenAPI schema (docs/openapi.yaml) by \`make types\`. Do not edit by hand."
  cat "$out.tmp"
} > "$out"
rm -f "$out.tmp"
