"""Upload benchmark: the server's peak memory while it takes a 200 MB CSV as a dataset.

(a) Through a real Daphne (the harness of tests/integration/realtime, embedded defaults): the
    peak resident memory (VmHWM) of the server process, at rest after a small upload and after
    the 200 MB one. Goal: the 200 MB upload leaves the peak under 300 MB.
(b) The conversion alone, CSV → Parquet version with its summary, each way in a fresh process:
    the whole file at once (pandas, the way uploads were read before) against the chunked
    conversion the server uses now. Goal: the chunked peak well under the file's size.

`.venv/bin/python bench/uploads.py [--megabytes 200]`
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.realtime.harness import Database, Server  # noqa: E402

GOAL_SERVER_MB = 300
MB = 1024 * 1024

CONVERT = """
import sys, resource, tempfile
from pathlib import Path
import django
django.setup()
from django.core.files import File
from designer.runs import dataset_services as ds
source, way = Path(sys.argv[1]), sys.argv[2]
target = Path(tempfile.mkdtemp()) / "out.parquet"
if way == "whole":
    import pandas as pd, pyarrow as pa, pyarrow.parquet as pq
    from designer.engine.artifacts import summarize_frame
    frame = pd.read_csv(source)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target)
    summarize_frame(frame)
else:
    with open(source, "rb") as handle:
        stored, _ = ds.read_upload(File(handle, name=source.name), target.parent)
    ds.summarize_parquet(stored)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def write_csv(path: Path, megabytes: int) -> None:
    """A CSV of `megabytes` million bytes or a little less: an id, four floats and a category."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    rows, written = 20_000, 0
    with open(path, "w") as out:
        first = True
        while written < megabytes * 10**6 * 0.99:
            frame = pd.DataFrame(
                {
                    "id": np.arange(written, written + rows),
                    **{f"x{i}": rng.normal(size=rows) for i in range(4)},
                    "kind": rng.choice(["alpha", "beta", "gamma", "delta"], rows),
                }
            )
            frame.to_csv(out, header=first, index=False)
            first = False
            written = out.tell()


def peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def upload(server: Server, token: str, workspace: int, path: Path, name: str) -> int:
    """POST a file as a dataset, streamed from disk; returns the status."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    connection.putrequest("POST", f"/api/workspaces/{workspace}/datasets/")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Origin", server.origin)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with open(path, "rb") as source:
        while chunk := source.read(MB):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    if response.status != 201:
        print(f"  upload answered {response.status}: {body[:300]!r}")
    return response.status


def conversion_peak(path: Path, way: str, env: dict[str, str]) -> int:
    result = subprocess.run(
        [sys.executable, "-c", CONVERT, str(path), way],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="designer-bench-uploads-"))
    try:
        big, small = folder / "big.csv", folder / "small.csv"
        write_csv(big, args.megabytes)
        write_csv(small, 1)
        print(f"CSV: {big.stat().st_size / 10**6:.0f} MB; load: {os.getloadavg()[0]:.1f} (1 min)")

        database = Database()
        server = Server(database)
        try:
            team = server.control("team", members={"owner": "owner"})
            token, workspace = team["users"]["owner"]["token"], team["workspace"]
            assert upload(server, token, workspace, small, "small") == 201
            at_rest = peak_mb(server.process.pid)
            started = time.monotonic()
            status = upload(server, token, workspace, big, "big")
            seconds = time.monotonic() - started
            peak = peak_mb(server.process.pid)
        finally:
            server.stop()
            database.drop()
        ok_server = status == 201 and peak <= GOAL_SERVER_MB
        print(
            f"(a) server peak RSS: {at_rest:.0f} MB after a 1 MB upload (baseline), "
            f"{peak:.0f} MB after the {args.megabytes} MB upload ({peak / at_rest:.2f}x; "
            f"{seconds:.1f} s) — goal <= {GOAL_SERVER_MB} MB: {'met' if ok_server else 'MISSED'}"
        )

        env = database.process_env()
        whole = conversion_peak(big, "whole", env)
        chunked = conversion_peak(big, "chunked", env)
        print(
            f"(b) conversion peak RSS: whole file at once {whole} MB (baseline), chunked "
            f"{chunked} MB ({chunked / whole:.2f}x)"
        )
        print(json.dumps({"server_peak_mb": round(peak), "whole_mb": whole, "chunked_mb": chunked}))
        return 0 if ok_server else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
