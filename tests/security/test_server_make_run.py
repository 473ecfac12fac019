"""What `make run` serves, attacked as a stranger and used as the README says.

`scripts/run.sh` itself runs here (on a free port, its data in a temporary folder): DEBUG is
off, so no debug page shows URL patterns, tracebacks or settings — the API answers in its JSON
error shape, pages in plain HTML, a bad Host header gets a bare 400 — while the demo user still
signs in over plain http and runs a pipeline; and everything the server wrote, its per-install
secret included, is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import http.client
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory

from designer.api_errors import server_error
from tests.support.live import Browser, make_run

LEAKS = ("URLconf", "Traceback", "urlpatterns", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "admin/")
PIPELINE = {
    "schema_version": 1,
    "parameters": {},
    "nodes": [
        {"id": "iris", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
        {
            "id": "keep",
            "module": "transform.select_columns@1",
            "params": {"pattern": "^none$", "mode": "exclude"},
        },
        {  # user code, in the sandbox, reading what the owner-only server wrote for it
            "id": "py",
            "module": "script.python@1",
            "params": {"code": "def azureml_main(df1, df2=None):\n    return df1.head(3)\n"},
        },
    ],
    "edges": [
        {
            "id": "e1",
            "source": {"node": "iris", "port": "dataset"},
            "target": {"node": "keep", "port": "dataset"},
        },
        {
            "id": "e2",
            "source": {"node": "keep", "port": "dataset"},
            "target": {"node": "py", "port": "dataset1"},
        },
    ],
    "comments": [],
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("make-run") / "var"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture(scope="module")
def site(data_dir: Path) -> Iterator[Browser]:
    with make_run(data_dir) as browser:
        yield browser


def raw_request(site: Browser, path: str, host: str | None = None) -> tuple[int, str, str]:
    """(status, content type, body) of one GET with any Host header."""
    port = int(site.base.rpartition(":")[2])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    return response.status, response.getheader("Content-Type") or "", body


def assert_no_leak(body: str) -> None:
    assert not [leak for leak in LEAKS if leak in body], body[:500]


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/graphs/x/", "/api/"])
def test_unknown_api_urls_get_the_json_error(site: Browser, path: str) -> None:
    status, kind, body = raw_request(site, path)
    assert (status, kind) == (404, "application/json")
    assert '"code": "not_found"' in body
    assert_no_leak(body)


def test_unknown_pages_get_a_plain_page(site: Browser) -> None:
    status, kind, body = raw_request(site, "/no/such/page")
    assert status == 404 and kind.startswith("text/html")
    assert "Page not found" in body
    assert_no_leak(body)


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1:1@evil", "x" * 300])
def test_a_bad_host_header_gets_a_bare_400(site: Browser, host: str) -> None:
    for path in ("/", "/api/me/", "/accounts/login/", "/no/such/page"):
        status, _, body = raw_request(site, path, host=host)
        assert status == 400
        assert_no_leak(body)
        assert len(body) < 300, body


@pytest.mark.parametrize("path", ["/api/graphs/1/", "/graphs/1/"])
def test_a_server_error_shows_no_details(path: str) -> None:
    response = server_error(RequestFactory().get(path))
    assert response.status_code == 500
    assert_no_leak(response.content.decode())


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with text fields and one file, and its content type."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def used(site: Browser) -> dict[str, Any]:
    """The README's flow: sign in as demo over plain http, run a pipeline, upload a dataset."""
    assert site.sign_in("demo", "demo-designer") == 200
    status, me = site.json("GET", "/api/me/")
    assert status == 200 and me["username"] == "demo"
    demo = next(m["workspace"]["id"] for m in me["memberships"])
    status, graph = site.json(
        "POST", f"/api/workspaces/{demo}/graphs/", {"name": "hardening", "document": PIPELINE}
    )
    assert status == 201, graph
    status, run = site.json("POST", f"/api/graphs/{graph['id']}/runs/", {})
    assert status == 201, run
    deadline = time.monotonic() + 120
    while run["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
        run = site.json("GET", f"/api/runs/{run['id']}/")[1]
    body, kind = multipart({"name": "prices"}, "prices.csv", b"x,y\n1,2\n3,4\n")
    uploaded = site.send("POST", f"/api/workspaces/{demo}/datasets/", body, {"Content-Type": kind})
    return {"run": run, "upload": uploaded[0]}


def test_the_demo_user_signs_in_and_runs_a_pipeline_over_plain_http(used: dict) -> None:
    assert used["run"]["status"] == "succeeded", used["run"]["steps"]
    assert used["upload"] == 201


def test_everything_the_server_wrote_is_owner_only(data_dir: Path, used: dict) -> None:
    assert (data_dir / "secret_key").stat().st_size > 40
    assert (data_dir / "db.sqlite3").exists()
    assert any(p.is_file() for p in (data_dir / "artifacts" / "objects").glob("*/*"))
    assert any((data_dir / "artifacts" / "records" / "datasets").rglob("*.json"))
    shared = []
    for path in [data_dir, *data_dir.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):  # e.g. SQLite's -shm, gone meanwhile
            mode = stat.S_IMODE(path.lstat().st_mode)
            if not path.is_symlink() and mode & 0o077:
                shared.append(f"{oct(mode)} {path}")
    assert not shared, "\n".join(shared)
