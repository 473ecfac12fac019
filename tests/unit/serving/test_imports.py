"""The serving package is framework-free: the scoring process never imports Django & co."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import designer.serving

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("django", "rest_framework", "channels", "celery", "daphne", "kombu")


def test_serving_imports_no_framework() -> None:
    modules = ["designer.serving"] + [
        info.name for info in pkgutil.walk_packages(designer.serving.__path__, "designer.serving.")
    ]
    assert "designer.serving.server" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "", f"designer.serving imported: {out.stdout.strip()}"
