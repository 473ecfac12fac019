"""Test-only module implementations: no-op, sleep, fail N times, chatty, spawn, frames, ….

Each is `def run(ctx) -> dict` like a real module; they run inside engine worker processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from designer.engine.context import StepContext, StepError


def noop(ctx: StepContext) -> dict[str, Any]:
    """Does nothing; its output is a constant (so identical bytes everywhere)."""
    return {"out": {"ok": True}}


def const(ctx: StepContext) -> dict[str, Any]:
    """Outputs {"value": <param value>}: identical bytes for identical params."""
    return {"out": {"value": ctx.params["value"]}}


def add(ctx: StepContext) -> dict[str, Any]:
    """Outputs the input's value plus `amount` (and logs what it did)."""
    value = ctx.input("in")["value"] + ctx.params["amount"]
    ctx.log(f"{ctx.node_id}: {value}")
    return {"out": {"value": value}}


def join(ctx: StepContext) -> dict[str, Any]:
    """Sums the values of its two inputs (the second optional)."""
    total = ctx.input("a")["value"]
    second = ctx.input("b")
    if second is not None:
        total += second["value"]
    return {"out": {"value": total}}


def sleep(ctx: StepContext) -> dict[str, Any]:
    """Sleeps `seconds`, then outputs its node id and times (for overlap checks)."""
    start = time.time()
    ctx.log(f"sleeping {ctx.params['seconds']:g} s")
    time.sleep(ctx.params["seconds"])
    return {"out": {"node": ctx.node_id, "start": start, "end": time.time()}}


def blas_threads(ctx: StepContext) -> dict[str, Any]:
    """Imports `imports` (comma-separated), sleeps `seconds` (to overlap with others), then
    outputs the most BLAS threads any loaded BLAS library may use."""
    import importlib

    import numpy  # noqa: F401  (loads OpenBLAS)
    from threadpoolctl import threadpool_info

    for name in filter(None, ctx.params["imports"].split(",")):
        importlib.import_module(name)

    time.sleep(ctx.params["seconds"])
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return {"out": {"node": ctx.node_id, "threads": max(blas)}}


def flaky(ctx: StepContext) -> dict[str, Any]:
    """Fails the first `times` attempts (counted in files under `marker_dir`), then succeeds."""
    marker = Path(ctx.params["marker_dir"]) / f"{ctx.node_id}.attempts"
    count = int(marker.read_text()) if marker.exists() else 0
    marker.write_text(str(count + 1))
    if count < ctx.params["times"]:
        raise RuntimeError(f"flaky failure {count + 1}")
    return {"out": {"attempts": count + 1}}


def fail(ctx: StepContext) -> dict[str, Any]:
    """Always fails: a StepError naming a param when `user` is set, else a RuntimeError."""
    if ctx.params["user"]:
        raise StepError("the value is not acceptable", param="user")
    raise RuntimeError("boom")


def chatty(ctx: StepContext) -> dict[str, Any]:
    """Logs through ctx.log, print, stderr and a subprocess, and reports progress."""
    ctx.log("hello from ctx.log")
    print("hello from print")
    print("hello from stderr", file=sys.stderr)
    subprocess.run([sys.executable, "-c", "print('hello from a subprocess')"], check=True)
    for i in range(1, 4):
        ctx.progress(i, 3)
        time.sleep(0.06)
    return {"out": {"done": True}}


def where(ctx: StepContext) -> dict[str, Any]:
    """Reports where it runs: container or not, network interfaces, uid, the image's marker."""
    try:
        from designer_step_marker import VALUE  # type: ignore[import-not-found]
    except ImportError:
        VALUE = None
    status = dict(
        line.split(":\t", 1) for line in Path("/proc/self/status").read_text().splitlines()
    )
    facts = {
        "in_container": os.path.exists("/.dockerenv"),
        "interfaces": sorted(os.listdir("/sys/class/net")),
        "uid": os.getuid(),
        "marker": VALUE,
        "root_writable": os.access("/", os.W_OK),
        "tmp_writable": os.access("/tmp", os.W_OK),
        "capabilities": int(status["CapEff"], 16),
        "no_new_privs": status["NoNewPrivs"] == "1",
    }
    ctx.log(f"running in a container: {facts['in_container']}")
    return {"out": {"upstream": ctx.input("in"), **facts}}


def spawn(ctx: StepContext) -> dict[str, Any]:
    """Starts a long-lived child process, writes its pid to `pid_file`, then sleeps."""
    child = subprocess.Popen(["sleep", "300"])
    Path(ctx.params["pid_file"]).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(ctx.params["seconds"])
    return {"out": {"child": child.pid}}


def crash(ctx: StepContext) -> dict[str, Any]:
    """Kills its own worker process."""
    os._exit(3)


def hoard(ctx: StepContext) -> dict[str, Any]:
    """Holds `mb` megabytes of memory it has written to, 16 MB at a time."""
    import numpy as np

    held = [np.ones(2 * 1024 * 1024) for _ in range(int(ctx.params["mb"]) // 16)]
    return {"out": len(held) * 16}


def frame(ctx: StepContext) -> dict[str, Any]:
    """Outputs a small DataFrame with `rows` rows."""
    import pandas as pd

    n = ctx.params["rows"]
    df = pd.DataFrame(
        {
            "x": list(range(n)),
            "y": [i * 0.5 for i in range(n)],
            "label": ["a", "b"] * (n // 2) + ["a"] * (n % 2),
        }
    )
    return {"dataset": df}


def head(ctx: StepContext) -> dict[str, Any]:
    """Outputs the first `n` rows of its input DataFrame and a Metrics dict."""
    df = ctx.input("dataset")
    return {"dataset": df.head(ctx.params["n"]), "metrics": {"rows": len(df)}}


def external(ctx: StepContext) -> dict[str, Any]:
    """A non-deterministic source that reads a file (outside data)."""
    return {"out": {"text": Path(ctx.params["path"]).read_text()}}


def bad_output(ctx: StepContext) -> dict[str, Any]:
    """Returns a value that does not fit its DataFrame port."""
    return {"dataset": [1, 2, 3]}


def cwd(ctx: StepContext) -> dict[str, Any]:
    """Reports its working directory, the environment it sees and its BLAS kernels."""
    import numpy  # noqa: F401  (loads its BLAS)
    from threadpoolctl import threadpool_info

    blas = sorted(
        {str(lib.get("architecture")) for lib in threadpool_info() if lib["user_api"] == "blas"}
    )
    return {
        "out": {
            "cwd": os.getcwd(),
            "workdir": str(ctx.workdir),
            "env": sorted(os.environ),
            "blas": blas,
        }
    }


def dataset_io(ctx: StepContext) -> dict[str, Any]:
    """Writes its input frame as a dataset version, reads it back."""
    import pandas as pd

    df = ctx.input("dataset")
    path = ctx.workdir / "out.parquet"
    df.to_parquet(path)
    version = ctx.datasets.write(ctx.params["name"], path, "from a test")
    read_path, read_version = ctx.datasets.read(ctx.params["name"])
    return {
        "dataset": pd.read_parquet(read_path),
        "metrics": {"version": read_version, "wrote": version},
    }


def exits(ctx: StepContext) -> dict[str, Any]:
    """Calls sys.exit, as a signal handler that stops the process does."""
    sys.exit(4)
