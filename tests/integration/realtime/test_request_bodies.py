"""Request bodies Daphne spools to disk reach Django whole (they are handed over as file maps)."""

from __future__ import annotations

import http.client
import json
import uuid
from pathlib import Path

from tests.integration.realtime.harness import Server

ROWS = 500_000  # ~9 MB of CSV: several maps, and a size that is no multiple of a page


def write_csv(path: Path) -> None:
    with open(path, "w") as out:
        out.write("id,value,kind\n")
        for i in range(ROWS):
            out.write(f"{i},{i * 0.5},{'abc'[i % 3]}\n")


def post_file(
    server: Server, token: str, path: str, file: Path, name: str = "big"
) -> tuple[int, bytes]:
    """A multipart POST of `file` as the `file` field (and `name`), streamed from disk."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file.name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.putrequest("POST", path)
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + file.stat().st_size + len(tail)))
    connection.endheaders()
    connection.send(head + file.read_bytes() + tail)
    response = connection.getresponse()
    return response.status, response.read()


def test_a_large_upload_arrives_whole(server: Server, tmp_path: Path) -> None:
    team = server.control("team", members={"owner": "owner"})
    token, workspace = team["users"]["owner"]["token"], team["workspace"]
    csv = tmp_path / "big.csv"
    write_csv(csv)
    assert csv.stat().st_size % 4096 and csv.stat().st_size > 8 * 1024 * 1024

    status, body = post_file(server, token, f"/api/workspaces/{workspace}/datasets/", csv)

    assert status == 201, body[:500]
    status, datasets = server.http("GET", f"/api/workspaces/{workspace}/datasets/", token=token)
    assert status == 200
    (dataset,) = datasets["results"]
    latest = dataset["latest"]
    assert latest["rows"] == ROWS
    assert latest["columns"] == ["id", "value", "kind"]
    summary = {column["name"]: column for column in latest["summary"]["columns"]}
    assert summary["id"]["max"] == ROWS - 1


def test_a_large_json_body_arrives_whole(server: Server) -> None:
    team = server.control("team", members={"owner": "owner"})
    token, workspace = team["users"]["owner"]["token"], team["workspace"]
    description = "\n".join(f"line {i}" for i in range(60_000))  # ~600 KB
    status, graph = server.http(
        "POST",
        f"/api/workspaces/{workspace}/graphs/",
        {"name": "long", "description": description},
        token=token,
    )
    assert status == 201, graph
    status, again = server.http("GET", f"/api/graphs/{graph['id']}/", token=token)
    assert (status, again["description"]) == (200, description)


def test_a_multipart_body_without_its_boundary_gets_the_json_error(server: Server) -> None:
    team = server.control("team", members={"owner": "owner"})
    token, workspace = team["users"]["owner"]["token"], team["workspace"]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n--x--\r\n'
    connection.request(
        "POST",
        f"/api/workspaces/{workspace}/datasets/",
        body,
        {"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data"},
    )
    response = connection.getresponse()
    assert response.status == 400
    assert response.getheader("Content-Type") == "application/json"
    error = json.loads(response.read())
    assert error["code"] == "parse_error" and "boundary" in error["detail"].lower()
