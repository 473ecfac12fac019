"""The server the contract tests fuzz: Daphne with the real app, a seeded workspace, a token.

`python -m tests.integration.contract.server` starts one and prints the environment that
`schemathesis.toml` reads, to run Schemathesis by hand:

    schemathesis --config-file tests/integration/contract/schemathesis.toml \
        run "$CONTRACT_URL/api/schema/" --checks all
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from tests.integration.realtime.harness import PYTHON, ROOT, Database, Server
from tests.support.processes import free_port
from tests.unit.serving.harness import training_document

FINAL = {"succeeded", "failed", "canceled"}
# runs in the server's own workers; the fuzzer sends bad tokens on purpose, so the sign-in
# lockout (tested in tests/security) must not lock its address out mid-run; the server's own
# scoring process (one worker) serves the seeded real-time endpoint
SERVER_ENV = {
    "DESIGNER_RUNNER": "local",
    "DESIGNER_LOGIN_FAILURE_LIMIT": "1000000",
    # it sends thousands of writes as one user in minutes: past the write rate (decision 0089)
    # every route would answer 429 and the run would test nothing else
    "DESIGNER_API_WRITE_RATE": "",
    "DESIGNER_SCORING_PROCESS": "embedded",
    "DESIGNER_SCORING_WORKERS": "1",
}

_USERS = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from designer.workspaces.services import create_token
User = get_user_model()
owner = User.objects.create_user("fuzzer", "fuzzer@example.com", "contract-pw-1")
User.objects.create_user("teammate", "teammate@example.com", "contract-pw-1")
spare = create_token(owner, "spare")[0]
print(json.dumps({"token": create_token(owner, "contract")[1], "spare_token": spare.pk}))
"""


def scoring_document() -> dict[str, Any]:
    """Sample rows → Web service input → keep the rows matching `$where` → Web service output."""
    nodes = [
        ("sample", "data.enter_data@1", {"csv": "a,b\n1,x\n-2,y\n3,z\n"}),
        ("input", "output.web_service_input@1", {}),
        ("filter", "transform.filter_rows@1", {"expression": "$where"}),
        ("output", "output.web_service_output@1", {}),
    ]
    wires = [("sample", "input"), ("input", "filter"), ("filter", "output")]
    return {
        "schema_version": 1,
        "parameters": {"where": {"type": "string", "default": "a > 0", "description": ""}},
        "nodes": [
            {"id": i, "module": m, "params": p, "position": {"x": 0, "y": 100 * n}}
            for n, (i, m, p) in enumerate(nodes)
        ],
        "edges": [
            {
                "id": f"e{n}",
                "source": {"node": s, "port": "dataset"},
                "target": {"node": t, "port": "dataset"},
            }
            for n, (s, t) in enumerate(wires)
        ],
        "comments": [],
    }


@dataclass
class Seeded:
    """What the seed made: ids the fuzzer's operations start from, and the token."""

    url: str
    token: str
    ids: dict[str, str]

    def env(self) -> dict[str, str]:
        """The variables schemathesis.toml reads."""
        return {
            "CONTRACT_URL": self.url,
            "CONTRACT_TOKEN": self.token,
            **{f"CONTRACT_{k.upper()}": v for k, v in self.ids.items()},
        }


class Seeder:
    """Makes the objects through the API, as a user would."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.trust_env = False

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.session.request(method, self.url + path, timeout=60, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def wait_run(self, run: int) -> dict[str, Any]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = self.call("GET", f"/api/runs/{run}/")
            if body["status"] in FINAL:
                return body
            time.sleep(0.2)
        raise RuntimeError(f"run {run} did not finish")

    def realtime(self, ws: int) -> dict[str, int | str]:
        """A trained model's inference graph published as a real-time endpoint, a key for it
        (no rate limit to speak of), and the scoring process ready to serve them."""
        document = training_document("ml.logistic_regression", {}, "breast_cancer")
        graph = self.call(
            "POST",
            f"/api/workspaces/{ws}/graphs/",
            201,
            json={"name": "Trained", "document": document},
        )["id"]
        run = self.call("POST", f"/api/graphs/{graph}/runs/", 201, json={})["id"]
        if self.wait_run(run)["status"] != "succeeded":
            raise RuntimeError(f"training run {run} failed")
        inference = self.call("POST", f"/api/runs/{run}/inference-graph/", 201, json={})["id"]
        endpoint = self.call(
            "POST",
            f"/api/workspaces/{ws}/endpoints/",
            201,
            json={
                "name": "realtime",
                "graph": inference,
                "kind": "realtime",
                "extra_columns": "refuse",
            },
        )
        key = self.call(
            "POST",
            f"/api/workspaces/{ws}/endpoint-keys/",
            201,
            json={"name": "scoring", "endpoint": endpoint["id"], "rate_per_minute": 100_000},
        )["key"]
        scoring = endpoint["invoke_url"].split("/score/")[0]
        deadline = time.monotonic() + 120
        while self.call("GET", "/healthz")["scoring"] != "ready":
            if time.monotonic() > deadline:
                raise RuntimeError("the scoring process did not start")
            time.sleep(0.2)
        return {"realtime_endpoint": endpoint["id"], "scoring_url": scoring, "scoring_key": key}

    def seed(self) -> dict[str, int | str]:
        ids: dict[str, int | str] = {}
        ws = self.call("POST", "/api/workspaces/", 201, json={"name": "Contract"})["id"]
        spare = self.call("POST", "/api/workspaces/", 201, json={"name": "Spare"})["id"]
        self.call(
            "POST",
            f"/api/workspaces/{ws}/members/",
            201,
            json={"user": "teammate@example.com", "role": "editor"},
        )
        teammate = self.call("GET", f"/api/workspaces/{ws}/members/")["results"][1]["user"]["id"]
        graph = self.call(
            "POST",
            f"/api/workspaces/{ws}/graphs/",
            201,
            json={"name": "Scoring", "document": scoring_document()},
        )["id"]
        spare_graph = self.call(
            "POST",
            f"/api/workspaces/{ws}/graphs/",
            201,
            json={"name": "Spare", "document": scoring_document()},
        )["id"]
        self.call("POST", f"/api/graphs/{graph}/versions/", 201, json={"message": "first"})
        run = self.call("POST", f"/api/graphs/{graph}/runs/", 201, json={})["id"]
        self.wait_run(run)
        spare_run = self.call(
            "POST", f"/api/graphs/{graph}/runs/", 201, json={"bypass_cache": True}
        )["id"]
        self.wait_run(spare_run)
        upload = self.call(
            "POST",
            f"/api/workspaces/{ws}/datasets/",
            201,
            data={"name": "rows"},
            files={"file": ("rows.csv", b"a,b\n1,x\n2,y\n")},
        )
        spare_dataset = self.call(
            "POST",
            f"/api/workspaces/{ws}/datasets/",
            201,
            data={"name": "spare"},
            files={"file": ("spare.csv", b"a\n1\n")},
        )["dataset"]["id"]
        endpoint = self.call(
            "POST",
            f"/api/workspaces/{ws}/endpoints/",
            201,
            json={"name": "scoring", "graph": graph},
        )["id"]
        spare_endpoint = self.call(
            "POST",
            f"/api/workspaces/{ws}/endpoints/",
            201,
            json={"name": "spare", "graph": spare_graph},
        )["id"]
        key = self.call(
            "POST", f"/api/workspaces/{ws}/endpoint-keys/", 201, json={"name": "contract"}
        )["id"]
        spare_key = self.call(
            "POST", f"/api/workspaces/{ws}/endpoint-keys/", 201, json={"name": "spare"}
        )["id"]
        schedule = self.call(
            "POST",
            f"/api/endpoints/{endpoint}/schedules/",
            201,
            json={"cron": "@daily", "enabled": False},
        )["id"]
        spare_schedule = self.call(
            "POST",
            f"/api/endpoints/{endpoint}/schedules/",
            201,
            json={"cron": "@daily", "enabled": False},
        )["id"]
        call = self.call("POST", f"/api/endpoints/{endpoint}/invoke/", 202, json={})
        self.wait_run(call["run"])
        ids.update(self.realtime(ws))
        ids.update(
            workspace=ws,
            spare_workspace=spare,
            teammate=teammate,
            graph=graph,
            spare_graph=spare_graph,
            run=run,
            spare_run=spare_run,
            dataset=upload["dataset"]["id"],
            spare_dataset=spare_dataset,
            digest=upload["digest"],
            endpoint=endpoint,
            spare_endpoint=spare_endpoint,
            key=key,
            spare_key=spare_key,
            schedule=schedule,
            spare_schedule=spare_schedule,
            invocation=call["id"],
        )
        return ids


@contextlib.contextmanager
def contract_server() -> Iterator[Seeded]:
    """Daphne serving designer.asgi on a free loopback port, with the seed in its database."""
    database = Database()
    server = None
    try:
        # the fuzzer sends bad tokens on purpose: the sign-in lockout must not end the run
        env = database.process_env(**SERVER_ENV)
        made = subprocess.run(
            [PYTHON, "-c", _USERS], cwd=ROOT, env=env, check=True, capture_output=True
        )
        made_ids = json.loads(made.stdout.decode().strip().splitlines()[-1])
        token = made_ids.pop("token")
        scoring = {"DESIGNER_SCORING_PORT": str(free_port())}
        server = Server(database, app="designer.asgi:application", **SERVER_ENV, **scoring)
        url = f"http://127.0.0.1:{server.port}"
        ids = {**made_ids, **Seeder(url, token).seed()}
        yield Seeded(url, token, {k: str(v) for k, v in ids.items()})
    finally:
        if server is not None:
            server.stop()
        database.drop()


def main() -> None:
    """Serve until interrupted, printing the environment for a Schemathesis run by hand."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on `kill` too
    with contract_server() as seeded:
        for name, value in seeded.env().items():
            print(f"export {name}={value}")
        print("# serving; Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
