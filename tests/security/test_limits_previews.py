"""A table of long texts (a script's output: 30,000 rows of 10,000 characters, one row group)
cannot make the web server hold it to show one row of it or to send it as CSV.

A preview page and a CSV download were read a whole row group at a time (decision 0050): a row
group is 131,072 rows however wide they are, so a viewer asking for one row of this table had
the server decode its 300 MB (and each concurrent request as much again). Now rows are decoded
a batch at a time. Through a real server (Daphne, its own workers), measured as the growth of
the server's peak resident memory.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from designer.runs.preview import CELL_CHARS, MAX_COLUMNS, PAGE_CHARS
from tests.e2e.server import LiveServer
from tests.integration.api.conftest import Team
from tests.integration.api.test_runs import chain_document, run_new_graph, steps
from tests.integration.endpoints.test_live_server import Session
from tests.integration.test_server_start import run_script, until
from tests.support.processes import memory_of

ROWS, WIDTH = 30_000, 10_000  # 300 MB of text, one row group
WIDE = (
    "import pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    f"    return pd.DataFrame({{'n': range({ROWS}), 'text': [f'{{i:010d}}' * {WIDTH // 10}"
    f" for i in range({ROWS})]}})\n"
)
MB = 1 << 20


def test_a_page_or_a_csv_of_a_table_of_long_texts_holds_a_batch_of_it_not_the_table(
    live_designer: LiveServer,
) -> None:
    viewer = Session(live_designer, "carol")
    run = run_script(Session(live_designer), live_designer, "wide", WIDE)
    done = until(
        lambda: (r := viewer.call("GET", f"/api/runs/{run['id']}/"))["finished_at"] and r,
        180,
        "the run finished",
    )
    assert done["status"] == "succeeded", done
    assert live_designer.process is not None
    output = f"/api/runs/{run['id']}/steps/py/outputs/result1"
    sample = f"/api/runs/{run['id']}/steps/data/outputs/dataset/preview/?limit=1"
    viewer.call("GET", sample)  # a preview's imports, on a small table
    before = memory_of(live_designer.process.pid, "VmHWM")
    started = time.monotonic()
    page = viewer.call("GET", f"{output}/preview/?offset=20000&limit=2")
    assert page["table"]["total_rows"] == ROWS
    assert [row[0] for row in page["table"]["rows"]] == [20000, 20001]
    assert page["table"]["rows"][0][1] == ("0000020000" * (WIDTH // 10))[:CELL_CHARS]
    assert page["table"]["cut"] == [
        {"row": 0, "column": 1, "length": WIDTH},
        {"row": 1, "column": 1, "length": WIDTH},
    ]
    paged = memory_of(live_designer.process.pid, "VmHWM") - before
    csv = viewer.http.get(f"{live_designer.url}{output}/download/?as=csv", stream=True)
    assert csv.status_code == 200
    lines = sum(chunk.count(b"\n") for chunk in csv.iter_content(1 << 20))
    assert lines == ROWS + 1
    downloaded = memory_of(live_designer.process.pid, "VmHWM") - before
    assert paged < 150 * MB, f"the server grew {paged / MB:.0f} MB for a page of two rows"
    assert downloaded < 300 * MB, f"the server grew {downloaded / MB:.0f} MB for the CSV"
    assert time.monotonic() - started < 30


LONG = 100_000  # characters of each text: a page of 1,000 of them was 100 MB of JSON
LONG_TEXTS = (
    "import pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    f"    return pd.DataFrame({{'n': range(1000), 'text': [f'{{i:05d}}' * {LONG // 5}"
    " for i in range(1000)]})\n"
)
LONG_CATEGORIES = LONG_TEXTS.replace("]})", "]}).astype({'text': 'category'})")


def script_output(team: Team, code: str) -> str:
    """Run a graph of one Python script (`code`) as the editor; the path of its result table."""
    editor: APIClient = team.client("editor")
    run = run_new_graph(editor, team.workspace.pk, chain_document(1, code))
    assert steps(run)["py"]["status"] == "succeeded", steps(run)["py"]["error"]
    return f"/api/runs/{run['id']}/steps/py/outputs/result1"


def page_of_1000(team: Team, output: str) -> dict[str, Any]:
    """A viewer's page of the output's 1,000 rows: the answer is at most ~2 KB a row."""
    answer = team.client("viewer").get(f"{output}/preview/?limit=1000")
    assert len(answer.content) < 2 * CELL_CHARS * 1000, len(answer.content)
    table: dict[str, Any] = answer.json()["table"]
    assert [row[0] for row in table["rows"]] == list(range(1000))
    return table


@pytest.mark.parametrize("stored_as", ["texts", "categories"])
def test_a_page_of_long_texts_shows_each_cut_naming_its_length_and_the_csv_keeps_it_whole(
    team_tx: Team, stored_as: str
) -> None:
    """Also when the column is categorical (stored dictionary-encoded): its categories are cut."""
    output = script_output(team_tx, LONG_TEXTS if stored_as == "texts" else LONG_CATEGORIES)
    table = page_of_1000(team_tx, output)
    assert table["rows"][7][1] == ("00007" * (LONG // 5))[:CELL_CHARS]
    assert table["cut"] == [{"row": i, "column": 1, "length": LONG} for i in range(1000)]
    csv = team_tx.client("viewer").get(f"{output}/download/?as=csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[8] == '7,"' + "00007" * (LONG // 5) + '"'


NUMBERS = 10_000  # numbers in each list: a page of 1,000 of them was ~50 MB of JSON
LONG_LISTS = (
    "import numpy as np\nimport pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    "    return pd.DataFrame({'n': range(1000), 'numbers': [np.arange(i, i + "
    f"{NUMBERS}) for i in range(1000)]}})\n"
)


def test_a_page_of_long_lists_shows_the_start_of_each_named_cut_and_the_csv_keeps_them_whole(
    team_tx: Team,
) -> None:
    output = script_output(team_tx, LONG_LISTS)
    table = page_of_1000(team_tx, output)
    shown = table["rows"][7][1]
    assert 100 < len(shown) < NUMBERS and shown == list(range(7, 7 + len(shown)))
    assert table["cut"] == [{"row": i, "column": 1, "length": None} for i in range(1000)]
    csv = team_tx.client("viewer").get(f"{output}/download/?as=csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[8] == '7,"' + json.dumps(list(range(7, 7 + NUMBERS))) + '"'


WIDE_COLUMNS = 5_000  # a feature-hashed table of 12 bits is 4,096 columns a text column
WIDE_TABLE = (
    "import numpy as np\nimport pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    f"    frame = pd.DataFrame(np.ones((1000, {WIDE_COLUMNS})))\n"
    "    frame.columns = [f'f{i}' for i in range(frame.shape[1])]\n"
    "    return frame.assign(n=range(1000))[['n', *frame.columns]]\n"
)


def test_a_page_of_a_wide_table_shows_a_hundred_columns_at_a_time(team_tx: Team) -> None:
    """A page of 1,000 rows of 5,000 columns was ~20 MB of JSON (5 million cells) and grew
    with the columns: a page now holds at most MAX_COLUMNS of them, and says how many there
    are; a client asks for the others by `columns_offset`."""
    output = script_output(team_tx, WIDE_TABLE)
    table = page_of_1000(team_tx, output)
    assert len(table["columns"]) == MAX_COLUMNS and table["total_columns"] == WIDE_COLUMNS + 1
    assert table["columns"][:2] == ["n", "f0"] and table["rows"][5][1] == 1
    viewer = team_tx.client("viewer")
    last = viewer.get(f"{output}/preview/?columns_offset={WIDE_COLUMNS - 9}&limit=2").json()
    assert last["table"]["columns"] == [f"f{i}" for i in range(WIDE_COLUMNS - 10, WIDE_COLUMNS)]
    assert last["table"]["columns_offset"] == WIDE_COLUMNS - 9
    refused = viewer.get(f"{output}/preview/?columns_limit={MAX_COLUMNS + 1}")
    assert refused.status_code == 400
    assert f"Must be between 1 and {MAX_COLUMNS}" in json.dumps(refused.json())


TEXT_COLUMNS, TEXT_ROWS = 100, 200  # each text 1,001 characters: cut to 1,000
MANY_TEXTS = (
    "import pandas as pd\n\ndef azureml_main(df1, df2=None):\n"
    f"    texts = [f'{{i:05d}}' + 'x' * 996 for i in range({TEXT_ROWS})]\n"
    f"    return pd.DataFrame({{f'c{{j}}': texts for j in range({TEXT_COLUMNS})}})\n"
)


def test_a_page_of_many_long_texts_holds_its_budget_of_characters_and_says_where_it_ends(
    team_tx: Team,
) -> None:
    """A page of 1,000 rows of 100 columns of long texts was a 100 MB answer (20 MB for these
    200 rows): a page holds PAGE_CHARS of text as cut, 50 such rows, and its `limit` says so:
    the next page starts there."""
    output = script_output(team_tx, MANY_TEXTS)
    viewer = team_tx.client("viewer")
    answer = viewer.get(f"{output}/preview/?limit=1000")
    assert len(answer.content) < PAGE_CHARS + 1 * MB, len(answer.content)
    table = answer.json()["table"]
    held = PAGE_CHARS // (TEXT_COLUMNS * CELL_CHARS)
    assert (len(table["rows"]), table["limit"], table["total_rows"]) == (held, held, TEXT_ROWS)
    assert {note["row"] for note in table["cut"]} == set(range(held))
    following = viewer.get(f"{output}/preview/?offset={held}&limit=1000").json()["table"]
    assert [row[0][:5] for row in following["rows"]] == [f"{i:05d}" for i in range(held, 2 * held)]
