"""A table's column names are bounded where a table is stored (decision 0098).

Every summary of a table holds the names of its first 100 columns, and every page of it the
names of its columns: the summary travels in the run's record, its socket events and every
answer listing the step's outputs. Before, a script returning three rows of 100 columns, each
named with 10,000 characters, stored an 8 MB Parquet file whose summary was 1 MB (100,000
characters a name, as a custom module's Arrow output can carry: 80 MB and 10 MB; a megabyte a
name made Parquet files no reader could open, "Couldn't deserialize thrift"). Now such an output
fails its step naming the port and the bound, and such an upload is refused naming the file.
"""

from __future__ import annotations

import io

import pandas as pd
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.engine.artifacts import MAX_COLUMN_NAME_CHARS
from designer.workspaces.models import Workspace
from tests.integration.api.conftest import Team
from tests.integration.api.test_runs import chain_document, run_new_graph, steps

LONG = 10_000
LONG_NAMES = (
    "import pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    f"    return pd.DataFrame({{str(i) + 'x' * {LONG}: [1, 2, 3] for i in range(100)}})\n"
)


def test_a_script_returning_megabyte_column_names_fails_its_step_naming_the_bound(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    run = run_new_graph(editor, team_tx.workspace.pk, chain_document(1, LONG_NAMES))
    step = steps(run)["py"]
    assert step["status"] == "failed"
    assert step["error"].startswith("output `result1` has a column named '0xxxxxxxx")
    assert f"of {LONG + 1:,} characters; a column's name may be at most" in step["error"]
    assert f"{MAX_COLUMN_NAME_CHARS:,} characters" in step["error"]
    assert step["outputs"] == {}
    answer = editor.get(f"/api/runs/{run['id']}/")
    assert len(answer.content) < 100_000  # no name in it whole


def test_an_upload_naming_a_column_past_the_bound_is_refused_naming_the_file(
    team_tx: Team,
) -> None:
    team = team_tx
    buffer = io.BytesIO()
    pd.DataFrame({"ok": [1], "y" * (MAX_COLUMN_NAME_CHARS + 1): [2]}).to_parquet(buffer)
    file = SimpleUploadedFile("long.parquet", buffer.getvalue())
    answer = team.client("editor").post(
        f"/api/workspaces/{team.workspace.pk}/datasets/",
        {"name": "long", "file": file},
        format="multipart",
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        f"long.parquet has a column named {'y' * 40!r}… of "
        f"{MAX_COLUMN_NAME_CHARS + 1:,} characters; a column's name may be at most "
        f"{MAX_COLUMN_NAME_CHARS:,} characters."
    )
    assert not Workspace.objects.get(pk=team.workspace.pk).datasets.exists()
