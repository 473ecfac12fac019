"""matplotlib's font list, built once beside the interpreter for every sandbox to start from.

matplotlib scans the fonts it can use and caches the list in its config folder the first time
it is imported; a sandbox's /tmp (where that folder is) starts empty, so every plotting step
scanned them again (~0.07 s, decision 0054). `build()`, which scripts/setup.sh calls, makes the
list as a sandbox sees the fonts (a clean environment, an empty home: the system's and
matplotlib's own fonts) in FONT_LIST, inside the virtual environment that every sandbox running
a script sees read-only; the script harness copies it into its config folder, where matplotlib
reads it and may rewrite it (it rebuilds a list that names a font since removed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

FONT_LIST = Path(sys.prefix) / "share" / "designer" / "matplotlib"


def build(target: Path = FONT_LIST) -> list[Path]:
    """Build matplotlib's font list into `target` (each file replaced whole); its files."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as scratch:
        config, home = Path(scratch, "config"), Path(scratch, "home")
        config.mkdir()
        home.mkdir()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(home)}
        env["MPLCONFIGDIR"] = str(config)
        subprocess.run(
            [sys.executable, "-s", "-c", "import matplotlib.font_manager"], env=env, check=True
        )
        built = sorted(config.glob("fontlist-*.json"))
        if not built:
            raise RuntimeError(f"matplotlib wrote no font list into {config}")
        for stale in target.glob("fontlist-*.json"):
            stale.unlink()
        for path in built:
            os.replace(path, target / path.name)
    return [target / path.name for path in built]
