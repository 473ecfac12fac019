"""Execute Python script: results, logs, user-facing errors and the sandbox's limits."""

from __future__ import annotations

import base64
import os
import re
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from designer.engine.context import StepError

DF = pd.DataFrame({"a": [1, 2, 3]})
MARKER = "4242.5"  # a sleep duration no other process uses: identifies processes the script started


def script(body: str) -> str:
    return (
        "import os\nimport pandas as pd\n\n\ndef azureml_main(dataframe1, dataframe2=None):\n"
        + body
    )


def processes(*needles: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(n in cmdline for n in needles):
            found.append(int(pid))
    return found


def test_returns_two_tables_and_streams_prints(run) -> None:
    code = script(
        "    print('first line')\n"
        "    print('second line')\n"
        "    return dataframe1.assign(b=dataframe1.a * 2), dataframe2.head(1)\n"
    )
    out = run("script.python@1", {"code": code}, dataset1=DF, dataset2=DF)
    assert out["result1"]["b"].tolist() == [2, 4, 6]
    assert out["result2"]["a"].tolist() == [1]
    assert run.logs[:2] == ["first line", "second line"]


def test_main_is_accepted_and_second_result_is_empty_by_default(run) -> None:
    out = run(
        "script.python@1",
        {"code": "def main(df, other=None):\n    return df[df.a > 1]\n"},
        dataset1=DF,
    )
    assert out["result1"]["a"].tolist() == [2, 3] and out["result2"].empty


def test_traceback_points_at_user_lines(run) -> None:
    code = (
        "def helper(df):\n    return df['missing']\n\n\n"
        "def azureml_main(df1, df2=None):\n    return helper(df1)\n"
    )
    with pytest.raises(StepError) as err:
        run("script.python@1", {"code": code}, dataset1=DF)
    message = str(err.value)
    assert message.startswith("code: line 2: KeyError: 'missing'")  # the user's line first
    assert 'File "<user script>", line 6, in azureml_main' in message
    assert 'File "<user script>", line 2, in helper' in message
    assert re.search(r"\n  … \d+ library frames?\n", message)  # pandas' own frames, folded
    assert "pandas/" not in message
    assert "harness" not in message and err.value.param == "code"


def test_syntax_error_and_missing_entry_point(run) -> None:
    with pytest.raises(
        StepError, match=r'^code: line 2: SyntaxError: .*\n  File "<user script>", line 2'
    ):
        run("script.python@1", {"code": "def azureml_main(df):\n    return df +\n"}, dataset1=DF)
    with pytest.raises(StepError, match="define a function azureml_main"):
        run("script.python@1", {"code": "x = 1\n"}, dataset1=DF)
    with pytest.raises(
        StepError,
        match="must return a pandas DataFrame or a tuple of one or two DataFrames, got int",
    ):
        run("script.python@1", {"code": "def main(df, other=None):\n    return 3\n"}, dataset1=DF)


@pytest.mark.alone
def test_killed_at_timeout_with_everything_it_started(run) -> None:
    before = processes(MARKER, "harness.py")
    code = script(
        "    import subprocess, time\n"
        f"    subprocess.Popen(['sleep', '{MARKER}'])\n"
        "    time.sleep(60)\n"
        "    return dataframe1\n"
    )
    with pytest.raises(
        StepError, match="timeout: the script did not finish within 3 s and was stopped"
    ) as err:
        run("script.python@1", {"code": code, "timeout": 3}, dataset1=DF)
    assert err.value.param == "timeout"
    assert gone((MARKER, "harness.py"), before)


def gone(needles: tuple[str, ...], before: list[int]) -> bool:
    """Wait up to 5 s (killed processes may take a moment to exit on a busy machine)."""
    deadline = time.monotonic() + 5
    while processes(*needles) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes(*needles) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="PID namespaces need the worker to run as root")
def test_processes_that_leave_the_group_end_with_the_script(run) -> None:
    marker = "4343.5"
    before = processes(marker)
    code = script(
        "    import subprocess\n"
        f"    subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "    return dataframe1\n"
    )
    run("script.python@1", {"code": code}, dataset1=DF)
    assert gone((marker,), before)


def test_stopped_at_memory_limit(run) -> None:
    code = script("    blob = bytearray(3 * 1024 ** 3)\n    return dataframe1\n")
    with pytest.raises(
        StepError, match="memory_mb: the script ran out of memory \\(limit 512 MB\\)"
    ) as err:
        run("script.python@1", {"code": code, "memory_mb": 512}, dataset1=DF)
    assert "line 6, in azureml_main" in str(err.value)


def test_environment_has_no_secrets(run, monkeypatch) -> None:
    secrets = {
        "SECRET_KEY": "django-secret-value",
        "DATABASE_URL": "postgres://u:dbpass@h/db",
        "REDIS_URL": "redis://h:6379/0",
        "GITHUB_TOKEN": "ghp_token_value",
        "SMTP_PASSWORD": "mail-password",
        "AWS_ACCESS_KEY_ID": "AKIAKEYVALUE",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    code = script(
        "    return pd.DataFrame({'name': list(os.environ), 'value': list(os.environ.values())})\n"
    )
    env = run("script.python@1", {"code": code}, dataset1=DF)["result1"]
    assert not set(secrets) & set(env["name"])
    assert not set(secrets.values()) & set(env["value"])
    assert env.set_index("name")["value"]["HOME"] == "/tmp"  # the sandbox's private tmpfs


def test_cannot_write_outside_its_directory(run) -> None:
    protected = Path(tempfile.mkdtemp(prefix="designer-protected-"))
    protected.chmod(0o755)
    repo = Path(__file__).resolve().parents[3]
    code = script(
        "    results = {}\n"
        f"    targets = [{str(protected / 'x.txt')!r}, {str(repo / 'pwned.txt')!r}, 'own.txt']\n"
        "    for target in targets:\n"
        "        try:\n"
        "            with open(target, 'w') as f:\n"
        "                f.write('x')\n"
        "            results[target] = 'written'\n"
        "        except OSError as e:\n"
        "            results[target] = type(e).__name__\n"
        "    return pd.DataFrame({'target': list(results), 'result': list(results.values())})\n"
    )
    try:
        out = run("script.python@1", {"code": code}, dataset1=DF)["result1"].set_index("target")[
            "result"
        ]
        assert out["own.txt"] == "written"
        for host_path in (protected / "x.txt", repo / "pwned.txt"):  # absent or read-only there
            assert out[str(host_path)] in {"FileNotFoundError", "PermissionError"}
        assert not (protected / "x.txt").exists() and not (repo / "pwned.txt").exists()
    finally:
        protected.rmdir()


PLOTTING = (
    "import matplotlib.pyplot as plt\n\n\ndef azureml_main(dataframe1, dataframe2=None):\n"
    "    plt.plot(dataframe1.a, dataframe1.a ** 2)\n"
    "    plt.title('squares')\n"
    "    plt.show()\n"
    "    figure, axes = plt.subplots(figsize=(3, 2), dpi=50)\n"
    "    axes.bar(['x', 'y'], [1, 2])\n"
    "    return dataframe1\n"
)


def test_figures_left_open_are_the_figures_output_as_png(run) -> None:
    out = run("script.python@1", {"code": PLOTTING}, dataset1=DF)
    figures = out["figures"]["figures"]
    assert [(f["title"], f["width"], f["height"]) for f in figures] == [
        ("squares", 640, 480),
        ("Figure 2", 150, 100),
    ]
    image = base64.b64decode(figures[0]["png"])
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(image[16:20], "big") == 640  # the PNG's own width (IHDR)
    assert not any("non-interactive" in line for line in run.logs)  # plt.show() is quiet
    assert out["result1"].equals(DF)


def test_a_plotting_step_starts_from_the_font_list_built_at_setup(run) -> None:
    code = script(
        "    import logging\n"
        "    logging.basicConfig(level=logging.DEBUG, format='%(name)s: %(message)s')\n"
        "    import matplotlib.pyplot as plt\n"
        "    plt.title('fonts')\n"
        "    return dataframe1\n"
    )
    out = run("script.python@1", {"code": code}, dataset1=DF)
    assert [f["title"] for f in out["figures"]["figures"]] == ["fonts"]
    loaded = [line for line in run.logs if "Using fontManager instance from" in line]
    assert loaded and "/tmp/matplotlib/fontlist-v" in loaded[0], run.logs[:20]
    assert not any("generated new fontManager" in line for line in run.logs)


def test_a_script_that_draws_nothing_has_no_figures(run) -> None:
    out = run("script.python@1", {"code": script("    return dataframe1\n")}, dataset1=DF)
    assert out["figures"] == {"figures": []}


def test_too_many_too_large_or_too_heavy_figures_are_refused_by_name(run) -> None:
    many = script(
        "    import matplotlib.pyplot as plt\n"
        "    for _ in range(21):\n"
        "        plt.figure()\n"
        "    return dataframe1\n"
    )
    with pytest.raises(StepError, match="left 21 figures open; at most 20"):
        run("script.python@1", {"code": many}, dataset1=DF)
    huge = script(
        "    import matplotlib.pyplot as plt\n"
        "    plt.figure(figsize=(100, 10), dpi=100)\n"
        "    return dataframe1\n"
    )
    with pytest.raises(StepError, match="figure 1 is 10000 by 1000 pixels; at most 4000"):
        run("script.python@1", {"code": huge}, dataset1=DF)
    noise = script(
        "    import matplotlib.pyplot as plt\n"
        "    import numpy as np\n"
        "    for seed in range(3):  # noise: ~8 MB of PNG each\n"
        "        plt.figure(figsize=(16, 16), dpi=100)\n"
        "        shape = (1600, 1600, 3)\n"
        "        plt.figimage(np.random.default_rng(seed).integers(0, 255, shape, np.uint8))\n"
        "    return dataframe1\n"
    )
    too_heavy = r"the figures take 2[2-6] MB of PNG up to figure 3; at most 20 MB together"
    with pytest.raises(StepError, match=too_heavy):
        run("script.python@1", {"code": noise}, dataset1=DF)


def test_a_dict_returned_last_is_the_metrics_output(run) -> None:
    alone = run("script.python@1", {"code": script("    return {'rmse': 1.25}\n")}, dataset1=DF)
    assert alone["metrics"] == {"rmse": 1.25} and alone["result1"].empty
    one = script("    return dataframe1, {'auc': 0.93, 'rows': len(dataframe1)}\n")
    out = run("script.python@1", {"code": one}, dataset1=DF)
    assert out["metrics"] == {"auc": 0.93, "rows": 3} and out["result1"].equals(DF)
    two = script("    return dataframe1, dataframe1.head(1), {'n': 2}\n")
    out = run("script.python@1", {"code": two}, dataset1=DF)
    assert out["metrics"] == {"n": 2} and len(out["result2"]) == 1
    numpy = script(
        "    import numpy as np\n"
        "    return dataframe1, {'mean': np.float32(0.5), 'count': np.int64(3),\n"
        "                        'fitted': np.bool_(True), 'exact': False, 'auc': None}\n"
    )
    out = run("script.python@1", {"code": numpy}, dataset1=DF)
    assert out["metrics"] == {"mean": 0.5, "count": 3, "fitted": 1, "exact": 0, "auc": None}


def test_a_script_that_returns_no_metrics_has_an_empty_metrics_output(run) -> None:
    out = run("script.python@1", {"code": script("    return dataframe1\n")}, dataset1=DF)
    assert out["metrics"] == {}


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("dataframe1, {'a': 1}, {'b': 2}", r"returned 2 dicts \(elements 2, 3 of its tuple\)"),
        ("{'a': 1}, dataframe1", "a dict as element 1 of 2; a dict of metrics must be the last"),
        ("dataframe1, dataframe1, dataframe1, {}", r"got DataFrame, DataFrame, DataFrame \(a dict"),
        ("'text'", "or a tuple of one or two DataFrames.*got str"),
        ("dataframe1, {'auc': float('nan')}", "metric 'auc' is nan; a metric must be finite"),
        ("dataframe1, {'r': np.inf}", "metric 'r' is inf; a metric must be finite"),
        ("dataframe1, {'label': 'good'}", "metric 'label' is a str; a metric is an int"),
        ("dataframe1, {'per_class': [1, 2]}", "metric 'per_class' is a list"),
        ("dataframe1, {'': 1}", "metric '': a metric's name must be a non-empty string"),
        ("dataframe1, {3: 1}", "metric 3: a metric's name must be a non-empty string"),
        ("dataframe1, {'x' * 101: 1}", "its name has 101 characters; at most 100"),
        ("dataframe1, {f'm{i}': i for i in range(101)}", "returned 101 metrics; at most 100"),
    ],
)
def test_metrics_that_break_a_rule_are_refused_by_name(run, returned: str, message: str) -> None:
    code = script(f"    import numpy as np\n    return {returned}\n")
    with pytest.raises(StepError, match=message):
        run("script.python@1", {"code": code}, dataset1=DF)


def test_the_most_metrics_with_the_longest_names_are_kept(run) -> None:
    # 100 names of 100 characters outside ASCII: 40 KB as UTF-8, within what the worker reads
    code = script("    return {f'{i:03}' + '\U0001f600' * 97: i / 3 for i in range(100)}\n")
    out = run("script.python@1", {"code": code}, dataset1=DF)
    assert len(out["metrics"]) == 100 and out["metrics"]["042" + "\U0001f600" * 97] == 14.0
