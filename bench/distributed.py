"""Distributed-mode benchmark, store part: a 100 MB table put to and got from each backend.

    .venv/bin/python bench/distributed.py [--rounds 3] [--mb 100]

A 100 MB Parquet table (random floats, so it does not compress away) is written with `put`
and read back with `get` (digest checked) on the folder store (the baseline, in the same run)
and on the object store: moto's S3-compatible server on loopback, started here unless
TEST_S3_ENDPOINT names one. Object-store reads are measured twice: cold (a new host, whose
cache is empty: the bytes come from the bucket) and warm (from this host's cache). Rounds are
interleaved so machine load hits both backends alike; medians are printed side by side.
Goal: a warm object-store read within 1.5x of a folder read (the cache is a folder store).
The Celery overhead part of this benchmark comes with the fault work (issue 15, part 2).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from designer.engine.objectstore import ObjectStore  # noqa: E402
from designer.engine.store import ArtifactStore  # noqa: E402
from tests.support.objectstore import BUCKET, object_store_env  # noqa: E402
from tests.support.processes import free_port  # noqa: E402

WARM_GOAL = 1.5


def table_bytes(megabytes: int) -> bytes:
    """Parquet bytes of a table of random floats, about `megabytes` MB."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = megabytes * (1 << 20) // (8 * 10)
    frame = pd.DataFrame(np.random.default_rng(7).random((rows, 10)), columns=list("abcdefghij"))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame), sink, compression="snappy")
    return sink.getvalue().to_pybytes()


def s3_server(workdir: Path) -> tuple[str, subprocess.Popen[bytes] | None]:
    """The endpoint of an S3-compatible server with the test bucket (started here if need be)."""
    endpoint = os.environ.get("TEST_S3_ENDPOINT", "")
    process = None
    if not endpoint:
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        server = Path(sys.executable).parent / "moto_server"
        log = open(workdir / "moto.log", "wb")  # noqa: SIM115 - lives as long as the server
        process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
            urllib.request.urlopen(request, timeout=2).close()
            return endpoint, process
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def one_round(data: bytes, workdir: Path, round_: int) -> dict[str, float]:
    """Seconds of each measure in one round (fresh stores, so nothing is written twice)."""
    folder = ArtifactStore(workdir / f"folder{round_}")
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    here = ObjectStore(url, workdir / f"host-a{round_}")
    elsewhere = ObjectStore(url, workdir / f"host-b{round_}")  # another host: empty cache
    seconds: dict[str, float] = {}

    def timed(name: str, action: Callable[[], object]) -> None:
        start = time.perf_counter()
        action()
        seconds[name] = time.perf_counter() - start

    digest = folder.put(data)  # warms the page cache alike for every measure below
    folder.delete(digest)
    timed("folder put", lambda: folder.put(data))
    timed("folder get", lambda: folder.get(digest))
    timed("object put", lambda: here.put(data))
    timed("object get (cold: from the bucket)", lambda: elsewhere.get(digest))
    timed("object get (warm: this host's cache)", lambda: here.get(digest))
    shutil.rmtree(workdir / f"folder{round_}", ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-dist-"))
    endpoint, server = s3_server(workdir)
    os.environ.update(object_store_env(endpoint, workdir / "cache"))
    data = table_bytes(args.mb)
    print(f"table: {len(data) / 1e6:.1f} MB of Parquet; {args.rounds} interleaved rounds")
    times: dict[str, list[float]] = {}
    try:
        for round_ in range(args.rounds):
            for name, value in one_round(data, workdir, round_).items():
                times.setdefault(name, []).append(value)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    mb = len(data) / 1e6
    print(f"{'':40} {'median':>9} {'MB/s':>8} {'vs folder':>10}")
    for name, seconds in median.items():
        base = median["folder put" if "put" in name else "folder get"]
        print(f"{name:40} {seconds:8.3f}s {mb / seconds:8.0f} {seconds / base:9.2f}x")
    warm = median["object get (warm: this host's cache)"] / median["folder get"]
    verdict = "met" if warm <= WARM_GOAL else "MISSED"
    print(f"goal: warm object-store get ≤ {WARM_GOAL}x folder get: {warm:.2f}x ({verdict})")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
