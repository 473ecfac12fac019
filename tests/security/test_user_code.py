"""Every user-code attack of issue 10, against the real sandbox (scripts, SQL, custom modules).

Each one succeeded before the sandbox (the worker ran SQL and custom modules in its own
process, and scripts as a shared `nobody` with the host's network, /tmp and /dev/shm).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from designer.engine.cache import NullCache
from designer.engine.cancel import CancelToken
from designer.engine.compile import compile_document
from designer.engine.context import StepError
from designer.engine.events import Event
from designer.engine.execute import execute
from designer.engine.runners.local import LocalRunner
from designer.engine.store import ArtifactStore
from designer.modules import builtin_registry, load_registry
from designer.sandbox import bwrap
from tests.support.graphs import graph, node
from tests.support.sandbox import (
    DF,
    REPOSITORY,
    assert_denied,
    facts,
    reader,
    sandbox_files,
    sandbox_processes,
    script,
)
from tests.unit.modules.harness import ModuleRunner


@pytest.fixture
def server_db(tmp_path: Path) -> Path:
    """A world-readable SQLite file with a secret, as db.sqlite3 was (0644)."""
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE auth_user (username, password)")
        db.execute("INSERT INTO auth_user VALUES ('admin', 'pbkdf2-secret-hash')")
    path.chmod(0o644)
    tmp_path.chmod(0o755)
    return path


def test_sql_cannot_attach_the_server_database(run: ModuleRunner, server_db: Path) -> None:
    query = f"ATTACH DATABASE '{server_db}' AS d;\nSELECT * FROM d.auth_user;"
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query}, t1=DF)
    assert str(err.value).startswith("query: line 1: not authorized") and "ATTACH" in str(err.value)
    assert "pbkdf2-secret-hash" not in str(err.value)


def test_sql_cannot_vacuum_into_a_host_path(run: ModuleRunner, tmp_path: Path) -> None:
    target = tmp_path / "written-by-sql.db"
    with pytest.raises(StepError, match="VACUUM INTO"):
        run("transform.sql@1", {"query": f"VACUUM INTO '{target}'; SELECT 1"}, t1=DF)
    assert not target.exists()


@pytest.mark.alone
def test_a_never_ending_query_times_out_and_leaves_nothing(run: ModuleRunner) -> None:
    query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    with pytest.raises(StepError, match="timeout: the query did not finish within 2 s") as err:
        run("transform.sql@1", {"query": query, "timeout": 2}, t1=DF)
    assert err.value.param == "timeout"
    assert sandbox_processes() == []


def test_a_script_cannot_read_the_server_files(
    run: ModuleRunner, server_db: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "artifacts").mkdir(parents=True)
    data_dir.chmod(0o755)
    paths = [str(server_db), str(REPOSITORY / "designer" / "settings.py"), str(data_dir)]
    seen = facts(run("script.python@1", {"code": script(reader(paths))}, dataset1=DF))
    for path in paths:
        assert_denied(seen[path])
    listing = facts(
        run("script.python@1", {"code": script(reader([str(REPOSITORY)]))}, dataset1=DF)
    )
    # absent (a checkout under /tmp: the sandbox's /tmp is its own), empty, or unreadable
    assert listing[str(REPOSITORY)] in {
        "[]",
        "['.venv']",
        "'PermissionError'",
        "'FileNotFoundError'",
    }


def test_custom_module_code_cannot_read_a_server_file(server_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "snoop.yaml").write_text(
        "name: custom.snoop\nentry_point: snoop.py:run\noutputs:\n  - {name: seen, type: Metrics}\n"
    )
    (folder / "snoop.py").write_text(
        "def run(ctx):\n"
        "    seen = {}\n"
        f"    for path in [{str(server_db)!r}, {str(REPOSITORY / 'designer' / 'settings.py')!r}]:\n"
        "        try:\n"
        "            seen[path] = open(path, 'rb').read(64).decode('latin-1')\n"
        "        except OSError as exc:\n"
        "            seen[path] = type(exc).__name__\n"
        "    return {'seen': seen}\n"
    )
    seen = ModuleRunner(tmp_path, load_registry([folder]))("custom.snoop@1")["seen"]
    assert set(seen.values()) <= {"FileNotFoundError", "PermissionError"}, seen


def test_concurrent_scripts_see_neither_each_others_files_nor_processes(tmp_path: Path) -> None:
    first = ModuleRunner(tmp_path / "a")
    body_a = """
with open('/tmp/secret-of-a', 'w') as f:
    f.write('a')
open('/dev/shm/secret-of-a', 'w').write('a')
print('a is ready', flush=True)
time.sleep(6)
facts['uid'] = os.getuid()
"""
    body_b = """
facts['uid'] = os.getuid()
facts['tmp'] = sorted(os.listdir('/tmp'))
facts['shm'] = sorted(os.listdir('/dev/shm'))
facts['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
"""
    finished: list[str] = []
    results: dict[str, dict[str, str]] = {}

    def run_a() -> None:
        results["a"] = facts(first("script.python@1", {"code": script(body_a)}, dataset1=DF))
        finished.append("a")

    thread = threading.Thread(target=run_a)
    thread.start()
    while "a is ready" not in first.logs and thread.is_alive():
        threading.Event().wait(0.05)
    results["b"] = facts(
        ModuleRunner(tmp_path / "b")("script.python@1", {"code": script(body_b)}, dataset1=DF)
    )
    finished.append("b")
    thread.join()
    assert finished == ["b", "a"]  # b ran while a was running
    a, b = results["a"], results["b"]
    assert a["uid"] != b["uid"]
    assert b["tmp"] == "['matplotlib']"  # the harness's own (its font list): nothing of a
    assert b["shm"] == "[]"
    assert eval(b["pids"]) == [1, 2]  # bwrap's init and the script: nothing of a


@pytest.mark.alone
def test_files_planted_in_tmp_are_gone_for_the_next_step(run: ModuleRunner) -> None:
    planted = "open('/tmp/planted', 'w').write('x')\nopen('/var/tmp/planted', 'w').write('x')\n"
    before = sandbox_files()
    run("script.python@1", {"code": script(planted)}, dataset1=DF)
    seen = facts(
        run("script.python@1", {"code": script(reader(["/tmp", "/var/tmp"]))}, dataset1=DF)
    )
    only_the_font_list = "['matplotlib']"  # the harness's own config folder (decision 0054)
    assert seen == {"/tmp": only_the_font_list, "/var/tmp": only_the_font_list}
    assert sandbox_files() - before == set()  # nothing new on the host


@pytest.mark.alone
def test_dev_shm_counts_against_the_memory_limit(run: ModuleRunner) -> None:
    park = "chunk = b'x' * (1 << 20)\nwith open('/dev/shm/parked', 'wb') as f:\n"
    park += "    for _ in range(1024):\n        f.write(chunk)\n"  # 1 GB
    before = sandbox_files()
    with pytest.raises(StepError, match=r"memory|No space left"):
        run("script.python@1", {"code": script(park), "memory_mb": 512}, dataset1=DF)
    assert sandbox_files() - before == set()
    seen = facts(run("script.python@1", {"code": script(reader(["/dev/shm"]))}, dataset1=DF))
    assert seen == {"/dev/shm": "[]"}


def test_sockets_reach_nothing_on_the_host_nor_outside(run: ModuleRunner) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[object] = []
    server.settimeout(0.5)
    body = f"""
facts['interfaces'] = [name for _, name in socket.if_nameindex()]
facts['routes'] = open('/proc/net/route').read().splitlines()[1:]
targets = [('127.0.0.1', {port})]
if not facts['routes']:  # only then: no packet can leave this network namespace
    targets.append(('192.0.2.1', 80))
for host, port in targets:
    try:
        socket.create_connection((host, port), timeout=2).close()
        facts[host] = 'connected'
    except OSError as exc:
        facts[host] = type(exc).__name__
"""
    try:
        seen = facts(run("script.python@1", {"code": script(body)}, dataset1=DF))
        with contextlib.suppress(TimeoutError):
            accepted.append(server.accept())
    finally:
        server.close()
    assert seen["interfaces"] == "['lo']" and seen["routes"] == "[]"
    assert seen["127.0.0.1"] == "'ConnectionRefusedError'"  # its own loopback: nobody there
    assert seen["192.0.2.1"] == "'OSError'"  # network unreachable
    assert accepted == []


def test_a_listening_script_is_not_reachable_from_the_host(tmp_path: Path) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    runner = ModuleRunner(tmp_path)
    body = f"""
server = socket.create_server(('0.0.0.0', {port}))
print('listening', flush=True)
server.settimeout(4)
try:
    server.accept()
    facts['accepted'] = True
except TimeoutError:
    facts['accepted'] = False
"""
    outcome: dict[str, dict[str, str]] = {}
    thread = threading.Thread(
        target=lambda: outcome.update(
            seen=facts(runner("script.python@1", {"code": script(body)}, dataset1=DF))
        )
    )
    thread.start()
    while "listening" not in runner.logs and thread.is_alive():
        threading.Event().wait(0.05)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    thread.join()
    assert outcome["seen"] == {"accepted": "False"}


@pytest.mark.alone
def test_a_fork_bomb_is_contained_and_does_not_stop_another_step(tmp_path: Path) -> None:
    bomb = "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    failed: list[BaseException] = []

    def explode() -> None:
        try:
            ModuleRunner(tmp_path / "bomb")(
                "script.python@1", {"code": script(bomb), "timeout": 6}, dataset1=DF
            )
        except StepError as exc:
            failed.append(exc)

    thread = threading.Thread(target=explode)
    thread.start()
    threading.Event().wait(2)  # let it fill its process limit
    body = "facts['child'] = subprocess.run(['echo', 'still here'], capture_output=True).stdout\n"
    seen = facts(
        ModuleRunner(tmp_path / "b")("script.python@1", {"code": script(body)}, dataset1=DF)
    )
    thread.join()
    assert seen == {"child": "b'still here\\n'"}
    assert len(failed) == 1 and "timeout" in str(failed[0])
    assert sandbox_processes() == []


@pytest.mark.alone
def test_output_is_capped(run: ModuleRunner) -> None:
    chatty = "line = 'x' * 1000\nfor _ in range(20_000):\n    print(line)\n"
    with pytest.raises(StepError, match="the script was stopped: it printed more than 16 MB"):
        run("script.python@1", {"code": script(chatty)}, dataset1=DF)
    assert sandbox_processes() == []


def test_output_streams_line_by_line_and_is_kept_on_timeout(run: ModuleRunner) -> None:
    body = "print('before the hang', flush=False)\ntime.sleep(30)\n"
    with pytest.raises(StepError, match="timeout"):
        run("script.python@1", {"code": script(body), "timeout": 8}, dataset1=DF)
    assert run.logs == ["before the hang"]


@pytest.mark.alone
def test_a_killed_worker_takes_its_sandbox_with_it(tmp_path: Path) -> None:
    """SIGKILL of the worker process: the sandbox dies with it and leaves no file behind."""
    body = "open('/tmp/scratch', 'w').write('x')\nprint('working', flush=True)\ntime.sleep(300)\n"
    document = graph(
        [node("iris", "data.sample_dataset@1", name="iris"), node("py", "script.python@1")],
        [("iris.dataset", "py.dataset1")],
    )
    document["nodes"][1]["params"] = {"code": script(body)}
    plan = compile_document(document, builtin_registry())
    started = threading.Event()
    token = CancelToken()

    def emit(event: Event) -> None:
        if event.type.value == "step.log" and "working" in event.data["lines"]:
            started.set()

    before = sandbox_files()
    with LocalRunner(1) as runner:
        thread = threading.Thread(
            target=execute,
            args=(plan,),
            kwargs={
                "runner": runner,
                "cache": NullCache(),
                "store": ArtifactStore(tmp_path / "store"),
                "emit": emit,
                "cancel": token,
            },
        )
        thread.start()
        assert started.wait(120), "the script never started"
        assert sandbox_processes() != []
        os.kill(runner.pids()[0], signal.SIGKILL)
        for _ in range(100):  # the kernel kills the sandbox's PID namespace (--die-with-parent)
            if not sandbox_processes():
                break
            threading.Event().wait(0.1)
        token.cancel()
        thread.join()
    assert sandbox_processes() == [] and sandbox_files() - before == set()


def test_where_the_sandbox_cannot_start_user_code_does_not_run(
    run: ModuleRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwrap, "BWRAP", "bwrap-not-installed")
    monkeypatch.setenv("DESIGNER_SANDBOX_STANDBY", "0")  # no sandbox started while it was there
    with pytest.raises(StepError, match="the sandbox could not start, so the script did not run"):
        run("script.python@1", {"code": script("facts['ran'] = True\n")}, dataset1=DF)
    with pytest.raises(StepError, match="the sandbox could not start, so the query did not run"):
        run("transform.sql@1", {"query": "SELECT 1"}, t1=DF)


def test_no_privileges_and_a_minimal_view(run: ModuleRunner) -> None:
    body = """
status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines())
for key in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'):
    facts[key] = status[key].strip()
facts['groups'] = os.getgroups()
facts['root'] = sorted(os.listdir('/'))
facts['writable'] = [p for p in ('/', '/usr', '/proc/sys', sys.prefix) if os.access(p, os.W_OK)]
"""
    seen = facts(run("script.python@1", {"code": script(body)}, dataset1=DF))
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert seen[key] == "'0000000000000000'", key
    assert seen["NoNewPrivs"] == "'1'" and seen["groups"] == "[]"
    root = eval(seen["root"])
    assert {"usr", "proc", "dev", "tmp", "var"} <= set(root)
    assert not {"etc", "home", "srv", "opt", "mnt"} & set(root)
    assert seen["writable"] == "[]"


def test_a_custom_module_logs_and_reports_progress_as_it_goes(tmp_path: Path) -> None:
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "chatty.yaml").write_text(
        "name: custom.chatty\nentry_point: chatty.py:run\n"
        "inputs:\n  - {name: dataset, type: DataFrame}\n"
        "outputs:\n  - {name: dataset, type: DataFrame}\n"
    )
    (folder / "chatty.py").write_text(
        "def run(ctx):\n"
        "    print('printed')\n"
        "    ctx.log('logged')\n"
        "    for i in range(1, 4):\n"
        "        ctx.progress(i, 3)\n"
        "    return {'dataset': ctx.input('dataset').assign(b=1)}\n"
    )
    runner = ModuleRunner(tmp_path, load_registry([folder]))
    out = runner("custom.chatty@1", dataset=DF)
    assert out["dataset"]["b"].tolist() == [1, 1, 1]
    assert sorted(runner.logs) == ["logged", "printed"]  # two pipes: no order between them
    assert runner.context.progress_values == [(1, 3), (2, 3), (3, 3)]


PNG_HEAD = 'b"\\x89PNG\\r\\n\\x1a\\n" + bytes(4) + b"IHDR"'
FORGED_FIGURE = """import json, os, struct, sys


def azureml_main(dataframe1, dataframe2=None):
    out = os.fdopen(int(sys.argv[1]), "wb", closefd=False)  # the harness's results stream
    for body in PAYLOADS:
        header = json.dumps({"type": "output", "figure": 1, "title": "x", "size": len(body)})
        out.write(struct.pack(">I", len(header)) + header.encode() + body)
    out.flush()
    return dataframe1
"""


@pytest.mark.parametrize(
    "payloads",
    [
        '[b"<svg onload=alert(1)>"]',  # markup sent as a figure
        f"[{PNG_HEAD} + struct.pack('>II', 10**6, 1)]",  # wider than any figure may be
        f"[{PNG_HEAD} + struct.pack('>II', 1, 1)] * 21",  # more than the harness sends
    ],
)
def test_figure_frames_a_script_forges_are_refused(run: ModuleRunner, payloads: str) -> None:
    code = FORGED_FIGURE.replace("PAYLOADS", payloads)
    with pytest.raises(StepError, match="the script's sandbox sent"):
        run("script.python@1", {"code": code}, dataset1=DF)


FORGED_METRICS = """import json, os, struct, sys


def azureml_main(dataframe1, dataframe2=None):
    out = os.fdopen(int(sys.argv[1]), "wb", closefd=False)  # the harness's results stream
    for body in PAYLOADS:
        header = json.dumps({"type": "output", "metrics": True, "size": len(body)})
        out.write(struct.pack(">I", len(header)) + header.encode() + body)
    out.flush()
    return dataframe1
"""


@pytest.mark.parametrize(
    ("payloads", "refusal"),
    [
        ("[b'{\"auc\": NaN}']", "a metric is NaN"),
        ("[b'{\"auc\": -Infinity}']", "a metric is -Infinity"),
        ("[b'{\"auc\": 1e999}']", "metric 'auc' is inf"),
        ("[json.dumps({'x' * 5000: 1}).encode()]", "its name has 5000 characters; at most 100"),
        ("[json.dumps({f'm{i}': i for i in range(10_000)}).encode()]", "bytes of metrics"),
        ("[json.dumps({f'm{i}': i for i in range(101)}).encode()]", "101 metrics; at most 100"),
        ('[b\'{"auc": {"nested": [1, {"a": 2}]}}\']', "metric 'auc' is a dict"),
        ("[b'[' * 50_000]", "not valid"),  # nested past the parser's depth
        ('[b\'{"auc": "0.93"}\']', "metric 'auc' is a str"),
        ("[b'[0.93]']", "must be a dict of {name: number}, got list"),
        ("[b'{\"auc\": 0.5}'] * 2", "2 frames of metrics; at most one"),
    ],
)
def test_metrics_frames_a_script_forges_are_refused(
    run: ModuleRunner, payloads: str, refusal: str
) -> None:
    code = FORGED_METRICS.replace("PAYLOADS", payloads)
    with pytest.raises(StepError, match=f"the script's sandbox sent .*{re.escape(refusal)}"):
        run("script.python@1", {"code": code}, dataset1=DF)
