"""A failed step's error is bounded where the worker reports it (decision 0099).

The error (and a traceback) travels in the step's events to every member watching the run,
in the run's record and in every answer showing the step. Before, a script raising an exception
with a 500,000-character message made an error of 1,000,158 characters (the message, then the
traceback repeating it) and a run answer of 3 MB, each time anyone opened the run; its sandbox
may send frames of up to 16 MB. Now the error keeps its first and last MAX_ERROR_CHARS / 2
characters around a line saying how many were cut: the first line the editor points at the
user's code with, and the traceback's end.
"""

from __future__ import annotations

from designer.engine.worker import MAX_ERROR_CHARS
from tests.integration.api.conftest import Team
from tests.integration.api.test_runs import chain_document, run_new_graph, steps

LOUD = "def azureml_main(df1, df2=None):\n    raise ValueError('x' * 500_000)\n"


def test_a_script_raising_a_huge_message_shows_its_start_and_end(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    run = run_new_graph(editor, team_tx.workspace.pk, chain_document(1, LOUD))
    error = steps(run)["py"]["error"]
    assert error.startswith("code: line 2: ValueError: xxx")
    assert "characters cut …\n" in error and error.endswith("x")
    assert len(error) < MAX_ERROR_CHARS + 100
    answer = editor.get(f"/api/runs/{run['id']}/")
    assert len(answer.content) < 4 * MAX_ERROR_CHARS, len(answer.content)
