"""Every log line of a real step arrives: live, after a reconnect, and after a reload (the API)."""

from __future__ import annotations

from typing import Any

from tests.integration.realtime.harness import Server, open_socket, receive

LINES = 60
SCRIPT = (
    "import time\n"
    "def azureml_main(df1, df2=None):\n"
    f"    for i in range({LINES}):\n"
    "        print(f'line {i}', flush=True)\n"
    "        time.sleep(0.01)\n"
    "    return df1\n"
)
EXPECTED = [f"line {i}" for i in range(LINES)]


def document() -> dict[str, Any]:
    nodes = [
        {"id": "s1", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
        {"id": "py", "module": "script.python@1", "params": {"code": SCRIPT}},
    ]
    wire = {
        "id": "e1",
        "source": {"node": "s1", "port": "dataset"},
        "target": {"node": "py", "port": "dataset1"},
    }
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": [wire], "comments": []}


class Placed:
    """Log lines of one step placed by (attempt, offset): a line told twice lands once."""

    def __init__(self) -> None:
        self.lines: dict[tuple[int, int], str] = {}

    def add(self, attempt: int, offset: int, lines: list[str]) -> None:
        for i, line in enumerate(lines):
            self.lines[(attempt, offset + i)] = line

    def printed(self) -> list[str]:
        return [line for _, line in sorted(self.lines.items()) if line.startswith("line ")]


def fetch(
    server: Server, user: dict[str, Any], run: int, attempt: int, offset: int, limit: int
) -> list[str]:
    """A page of an attempt's log through the API, as the page does after a reload."""
    if not limit:
        return []
    status, page = server.http(
        "GET",
        f"/api/runs/{run}/steps/py/log/?attempt={attempt}&offset={offset}&limit={limit}",
        token=user["token"],
    )
    assert status == 200, page
    return [line["text"] for line in page["lines"]]


def take(placed: Placed, message: dict[str, Any]) -> None:
    data = message["data"]
    if message["type"] == "step.log" and data["step"] == "py":
        placed.add(data["attempt"], data["offset"], data["lines"])


async def test_every_line_arrives_live_after_a_reconnect_and_after_a_reload(
    server: Server,
) -> None:
    team = server.control("team", members={"editor": "editor"})
    editor = team["users"]["editor"]
    status, graph = server.http(
        "POST",
        f"/api/workspaces/{team['workspace']}/graphs/",
        {"name": "chatty", "document": document()},
        token=editor["token"],
    )
    assert status == 201, graph
    status, run = server.http(
        "POST", f"/api/graphs/{graph['id']}/runs/", {"bypass_cache": True}, token=editor["token"]
    )
    assert status == 201, run
    live = Placed()
    async with await open_socket(server, f"/ws/runs/{run['id']}/", editor) as socket:
        snapshot = await receive(socket)
        seq = snapshot["seq"]
        for step in snapshot["data"]["steps"]:  # lines told before the socket opened: as a page
            for attempt in step["history"] if step["key"] == "py" else []:
                lines = fetch(server, editor, run["id"], attempt["attempt"], 0, attempt["lines"])
                live.add(attempt["attempt"], 0, lines)
        while len(live.printed()) < LINES // 3:  # drop the socket part-way through the step
            message = await receive(socket, timeout=60)
            take(live, message)
            seq = message["seq"]
    async with await open_socket(
        server, f"/ws/runs/{run['id']}/", editor, resume_from=seq
    ) as socket:
        while (message := await receive(socket, timeout=60))["type"] != "run.finished":
            take(live, message)
    assert live.printed() == EXPECTED

    # a reload: the snapshot says how many lines each attempt has, the API pages through them
    async with await open_socket(server, f"/ws/runs/{run['id']}/", editor) as socket:
        snapshot = await receive(socket)
    py = next(s for s in snapshot["data"]["steps"] if s["key"] == "py")
    assert [(a["attempt"], a["status"]) for a in py["history"]] == [(1, "succeeded")]
    total = py["history"][0]["lines"]
    reloaded = Placed()
    offset = 0
    while offset < total:
        page = fetch(server, editor, run["id"], 1, offset, 25)
        assert page
        reloaded.add(1, offset, page)
        offset += len(page)
    assert reloaded.printed() == EXPECTED
    assert reloaded.lines == live.lines  # the same lines at the same numbers
