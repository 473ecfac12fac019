"""The command line: live status lines, a summary that explains every step, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.graphs import graph, node

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = "tests.support.registry:registry"


def cli(
    *args: str, cwd: Path = ROOT, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "designer.engine", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def write(tmp_path: Path, doc: dict) -> str:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(doc))
    return str(path)


DOC = graph(
    [
        node("a", "test.const@1", value=1),
        node("b", "test.add@1", amount="$amount"),
        node("c", "test.chatty@1"),
    ],
    [("a.out", "b.in")],
    parameters={"amount": {"type": "int", "default": 1}},
)


def test_run_explains_every_step(tmp_path: Path) -> None:
    path = write(tmp_path, DOC)
    store = str(tmp_path / "store")
    first = cli("run", path, "--registry", REGISTRY, "--store", store)
    assert first.returncode == 0, first.stderr
    assert "started     ran: no earlier result" in first.stdout
    assert "| hello from print" in first.stdout and "progress    3/3" in first.stdout
    assert "succeeded in" in first.stdout
    assert "3 ran, 0 reused, 0 failed" in first.stdout

    second = cli(
        "run",
        path,
        "--registry",
        REGISTRY,
        "--store",
        store,
        "--param",
        "amount=5",
        "--json",
        str(tmp_path / "r.json"),
    )
    assert second.returncode == 0, second.stderr
    assert "1 ran, 2 reused, 0 failed" in second.stdout
    assert "ran: param `amount` changed 1 → 5" in second.stdout
    assert "reused: key " in second.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["steps"]["b"]["status"] == "succeeded" and result["counts"]["reused"] == 2

    bypass = cli("run", path, "--registry", REGISTRY, "--store", store, "--no-cache", "--no-logs")
    assert "ran: cache bypassed" in bypass.stdout and "| hello" not in bypass.stdout

    only = cli("run", path, "--registry", REGISTRY, "--store", store, "--only", "b")
    assert only.returncode == 0, only.stdout
    assert "ran: requested (run only `b`)" in only.stdout

    frm = cli("run", path, "--registry", REGISTRY, "--store", store, "--from", "a")
    assert "ran: requested (run from `a`)" in frm.stdout and "2 ran" in frm.stdout


def test_invalid_graphs_and_params_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, graph([node("a", "test.add@1", amount=1000)]))
    out = cli("run", path, "--registry", REGISTRY, "--store", str(tmp_path / "s"))
    assert out.returncode == 2
    assert "[param_out_of_range]" in out.stdout and "[required_input_unconnected]" in out.stdout
    bad_param = cli("run", write(tmp_path, DOC), "--registry", REGISTRY, "--param", "amount=lots")
    assert bad_param.returncode == 2 and "expected an integer" in bad_param.stdout
    unknown = cli("validate", write(tmp_path, DOC), "--registry", REGISTRY, "--param", "nope=1")
    assert unknown.returncode == 2 and "[unknown_pipeline_parameter]" in unknown.stdout
    missing = cli("run", str(tmp_path / "absent.json"), "--registry", REGISTRY)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert "[invalid_json]" in cli("validate", str(garbage), "--registry", REGISTRY).stdout


def test_failures_exit_1_and_plan_prints_json(tmp_path: Path) -> None:
    path = write(
        tmp_path, graph([node("f", "test.fail@1"), node("n", "test.noop@1")], [("f.out", "n.in")])
    )
    out = cli("run", path, "--registry", REGISTRY, "--store", str(tmp_path / "s"))
    assert out.returncode == 1
    assert "RuntimeError: boom" in out.stdout and "upstream `f` failed" in out.stdout
    plan = cli("plan", write(tmp_path, DOC), "--registry", REGISTRY, "--from", "b")
    assert plan.returncode == 0
    assert json.loads(plan.stdout)["target"] == {"mode": "from", "node": "b"}
    assert (
        cli("validate", write(tmp_path, DOC), "--registry", REGISTRY).stdout
        == "the graph is valid\n"
    )


def test_invalid_custom_modules_exit_2_naming_every_problem(tmp_path: Path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    spec = folder / "bad.yaml"
    spec.write_text("name: Bad Name\nversion: 0\nentry_point: nope\n")
    path = write(tmp_path, graph([node("a", "data.enter_data@1")]))
    env = {"DESIGNER_MODULE_PATHS": str(folder)}
    for args in (("validate", path), ("plan", path), ("run", path, "--store", str(tmp_path / "s"))):
        out = cli(*args, extra_env=env)
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr
        assert out.stderr.startswith("error: invalid custom modules:\n")
        for field in ("name", "version", "entry_point"):
            assert f"  {spec}: {field}: " in out.stderr
