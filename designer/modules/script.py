"""Execute Python script: user code on up to two tables, run in a sandboxed child process."""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, optional_frame
from designer.modules.sandbox import run_sandboxed
from designer.modules.sandbox_harness import ENTRY_POINTS, USER_FILE

HARNESS = Path(__file__).resolve().parent / "sandbox_harness.py"


def check_code(code: str) -> None:
    """Reject code that does not parse or defines no entry point, before starting a process."""
    if not code.strip():
        raise StepError("code: the script is empty", param="code")
    try:
        tree = ast.parse(code, USER_FILE)
    except SyntaxError as exc:
        raise StepError(
            f'code: SyntaxError: {exc.msg}\n  File "{USER_FILE}", line {exc.lineno}\n'
            f"    {(exc.text or '').strip()}",
            param="code",
        ) from exc
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if not defined & set(ENTRY_POINTS):
        raise StepError(
            "code: define a function azureml_main(dataframe1, dataframe2=None)", param="code"
        )


def _failure(directory: Path, result_code: int, memory_mb: int) -> StepError:
    error_file = directory / "error.json"
    if error_file.exists():
        error = json.loads(error_file.read_text())
        if error["kind"] == "sandbox":
            return StepError(f"the script sandbox could not start: {error['message']}")
        if error["kind"] == "memory":
            return StepError(
                f"memory_mb: the script ran out of memory (limit {memory_mb} MB)\n"
                f"{error['traceback']}".rstrip(),
                param="memory_mb",
            )
        return StepError(f"code: {error['message']}\n{error['traceback']}".rstrip(), param="code")
    if result_code < 0:
        return StepError(
            f"memory_mb: the script was killed by signal {-result_code} "
            f"(most often for exceeding the {memory_mb} MB memory limit)",
            param="memory_mb",
        )
    return StepError(f"code: the script process exited with status {result_code}", param="code")


def python_script(ctx: StepContext) -> Mapping[str, Any]:
    """Run the user's azureml_main in a sandboxed interpreter and return its DataFrames."""
    code = str(ctx.params.get("code") or "")
    check_code(code)
    timeout = int(ctx.params.get("timeout", 120))
    memory_mb = int(ctx.params.get("memory_mb", 2048))
    inputs = [frame(ctx, "dataset1", allow_empty=True), optional_frame(ctx, "dataset2")]
    directory = Path(tempfile.mkdtemp(prefix="designer-script-"))
    try:
        (directory / "script.py").write_text(code)
        shutil.copyfile(HARNESS, directory / "harness.py")
        for i, df in enumerate(inputs, start=1):
            if df is not None:
                df.to_parquet(directory / f"input{i}.parquet", index=False)

        def on_line(stream: str, line: str) -> None:
            ctx.log(line if stream == "stdout" else f"[stderr] {line}")

        result = run_sandboxed(
            ["harness.py", "enter", str(memory_mb * 1024 * 1024)],
            directory,
            timeout=timeout,
            on_line=on_line,
        )
        if result.timed_out:
            raise StepError(
                f"timeout: the script did not finish within {timeout} s and was stopped",
                param="timeout",
            )
        if result.returncode != 0:
            raise _failure(directory, result.returncode, memory_mb)
        outputs = [directory / f"output{i}.parquet" for i in (1, 2)]
        result1 = pd.read_parquet(outputs[0])
        result2 = pd.read_parquet(outputs[1]) if outputs[1].exists() else pd.DataFrame()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    ctx.log(f"script finished in {result.duration:.1f} s")
    return {"result1": result1, "result2": result2}
