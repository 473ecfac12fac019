#!/usr/bin/env bash
# Install the front end's npm packages and build it with Vite into static/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f frontend/package.json ] || exit 0
cd frontend
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
