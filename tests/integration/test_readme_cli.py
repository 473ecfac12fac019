"""The README's engine command runs every example on a fresh clone: a folder with no `var/`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.json"))


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_runs_from_the_cli_as_the_readme_says(tmp_path: Path, example: str) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGNER_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "designer.engine", "run", f"examples/{example}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " succeeded in " in done.stdout
    assert (tmp_path / "var" / "engine" / "artifacts").is_dir()  # the default store, relative
