"""A big download from the real server (Daphne): sent no faster than the client takes it, so a
client that stops reading holds the server to a window of the answer, not all of it."""

from __future__ import annotations

import http.client
import time

from tests.e2e.server import LiveServer
from tests.integration.endpoints.test_live_server import Session
from tests.integration.test_server_start import run_script, until
from tests.support.processes import memory_of

ROWS = 2_000_000  # x 4 random float64 columns: ~64 MB of Parquet that does not compress
BIG = (
    "import numpy as np\nimport pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    f"    rng = np.random.default_rng(1)\n    return pd.DataFrame(rng.random(({ROWS}, 4)))\n"
)
MB = 1 << 20


def test_a_download_the_client_stops_reading_does_not_pile_up_in_the_server(
    live_designer: LiveServer,
) -> None:
    alice = Session(live_designer)
    run = run_script(alice, live_designer, "big", BIG)
    done = until(
        lambda: (r := alice.call("GET", f"/api/runs/{run['id']}/"))["finished_at"] and r,
        180,
        "the run finished",
    )
    assert done["status"] == "succeeded", done
    size = next(s for s in done["steps"] if s["key"] == "py")["outputs"]["result1"]["size"]
    assert size > 60 * MB

    assert live_designer.process is not None
    connection = http.client.HTTPConnection("127.0.0.1", live_designer.port, timeout=60)
    cookies = "; ".join(f"{k}={v}" for k, v in alice.http.cookies.items())
    path = f"/api/runs/{run['id']}/steps/py/outputs/result1/download/?as=parquet"
    before = memory_of(live_designer.process.pid)
    connection.request("GET", path, headers={"Cookie": cookies})
    answer = connection.getresponse()  # the status and headers only: the body is not read yet
    assert answer.status == 200
    grown = 0
    for _ in range(20):  # 2 s: the server sends what the client's window lets it meanwhile
        time.sleep(0.1)
        grown = max(grown, memory_of(live_designer.process.pid) - before)
    data = answer.read()
    connection.close()
    assert len(data) == size and data[:4] == b"PAR1"
    assert grown < size / 4, f"the server grew {grown / MB:.0f} MB for a {size / MB:.0f} MB answer"
