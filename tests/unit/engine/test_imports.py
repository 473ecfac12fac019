"""The engine is framework-free: importing all of it pulls in no Django, DRF, Channels or Celery."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import designer.engine

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = (
    "django",
    "rest_framework",
    "channels",
    "celery",
    "daphne",
    "kombu",
    "designer.modules",
)


def engine_modules() -> list[str]:
    names = ["designer.engine"]
    for info in pkgutil.walk_packages(designer.engine.__path__, "designer.engine."):
        names.append(info.name)
    return sorted(names)


def test_engine_imports_no_framework() -> None:
    modules = engine_modules()
    assert {
        "designer.engine.execute",
        "designer.engine.runners.local",
        "designer.engine.__main__",
    } <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "bad = sorted(m for m in sys.modules if m.startswith(forbidden))\n"
        "print(','.join(bad))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "", f"the engine imported: {out.stdout.strip()}"


def test_engine_does_not_import_pandas_until_needed() -> None:
    code = (
        "import sys, designer.engine.execute, designer.engine.runners.local\n"
        "import designer.engine.__main__\n"
        "print('pandas' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False"
