"""Run a graph end to end with a typed Python client generated from the API's OpenAPI schema.

    openapi-python-client generate --path docs/openapi.yaml --meta none \\
        --output-path designer_client
    DESIGNER_URL=http://127.0.0.1:8000 DESIGNER_TOKEN=dsn_... python docs/examples/python_client.py

It makes a workspace and a two-node graph (a small table → keep the rows where a > 0), runs it,
waits for the run and prints the kept rows. tests/integration/contract runs it in CI.
"""

from __future__ import annotations

import os
import time
from typing import TypeVar

from designer_client import AuthenticatedClient
from designer_client.api.graphs import graphs_runs_create, graphs_validate_create
from designer_client.api.runs import runs_retrieve, runs_steps_outputs_preview_retrieve
from designer_client.api.workspaces import workspaces_create, workspaces_graphs_create
from designer_client.models import (
    Error,
    GraphCreateRequest,
    GraphDocumentInput,
    StartRunRequest,
    StatusEnum,
    WorkspaceWriteRequest,
)

T = TypeVar("T")
DOCUMENT = {
    "schema_version": 1,
    "nodes": [
        {"id": "rows", "module": "data.enter_data@1", "params": {"csv": "a,b\n1,x\n-2,y\n3,z\n"}},
        {"id": "keep", "module": "transform.filter_rows@1", "params": {"expression": "a > 0"}},
    ],
    "edges": [
        {
            "id": "e1",
            "source": {"node": "rows", "port": "dataset"},
            "target": {"node": "keep", "port": "dataset"},
        }
    ],
}
FINISHED = {StatusEnum.SUCCEEDED, StatusEnum.FAILED, StatusEnum.CANCELED}


def ok(answer: T | Error | None) -> T:
    """The answer, or an exception with the server's error (detail and every issue)."""
    if answer is None or isinstance(answer, Error):
        raise RuntimeError(answer.to_dict() if answer else "no answer")
    return answer


def main() -> None:
    client = AuthenticatedClient(
        base_url=os.environ["DESIGNER_URL"], token=os.environ["DESIGNER_TOKEN"]
    )
    with client:
        workspace = ok(
            workspaces_create.sync(client=client, body=WorkspaceWriteRequest("Client demo"))
        )
        document = GraphDocumentInput.from_dict(DOCUMENT)
        graph = ok(
            workspaces_graphs_create.sync(
                workspace.id,
                client=client,
                body=GraphCreateRequest("Keep positives", document=document),
            )
        )
        verdict = ok(graphs_validate_create.sync(graph.id, client=client, body=document))
        assert verdict.valid, verdict.issues
        run = ok(graphs_runs_create.sync(graph.id, client=client, body=StartRunRequest()))
        while run.status not in FINISHED:
            time.sleep(0.2)
            run = ok(runs_retrieve.sync(run.id, client=client))
        assert run.status == StatusEnum.SUCCEEDED, run.error
        preview = ok(
            runs_steps_outputs_preview_retrieve.sync(run.id, "keep", "dataset", client=client)
        )
        print(f"run {run.id} {run.status.value}: kept rows {preview.table.rows}")


if __name__ == "__main__":
    main()
