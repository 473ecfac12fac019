#!/usr/bin/env bash
# Create .venv and install the pinned Python packages (skipped when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ]; then
  .venv/bin/pip install -qq --upgrade pip
  .venv/bin/pip install -qq -r requirements.txt -r requirements-dev.txt
  touch "$stamp"
fi
# matplotlib's font list as sandboxes see the fonts: each plotting step starts from it
if [ ! -d .venv/share/designer/matplotlib ] || [ "$stamp" -nt .venv/share/designer/matplotlib ]; then
  .venv/bin/python -c 'from designer.sandbox.fonts import build; build()'
fi
