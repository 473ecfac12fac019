"""A script cannot make the worker outside its sandbox decode more than the script's memory.

The script's tables come back to the worker as Parquet bytes on its results stream, which the
script can write to itself: a dictionary-encoded column of a few hundred bytes that decodes to
2 GB — in the worker, where no sandbox limit applies (and a bigger one takes the host's memory).
Now the worker counts a table before decoding it and refuses one past the step's memory limit.
"""

from __future__ import annotations

import io
import resource

import pandas as pd
import pytest

from designer.engine.context import StepError
from tests.support.sandbox import DF
from tests.unit.modules.harness import ModuleRunner

FORGED_TABLE = """import io, json, os, struct, sys
import pyarrow as pa
import pyarrow.parquet as pq


def azureml_main(dataframe1, dataframe2=None):
    indices = pa.array([0] * 20_000, type=pa.int32())
    column = pa.DictionaryArray.from_arrays(indices, pa.array(["x" * 100_000]))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": column}), buffer, compression="zstd", store_schema=False)
    out = os.fdopen(int(sys.argv[1]), "wb", closefd=False)  # the harness's results stream
    frames = (({"type": "output", "index": 1}, buffer.getvalue()), ({"type": "done"}, b""))
    for header, body in frames:
        text = json.dumps({**header, "size": len(body)}).encode()
        out.write(struct.pack(">I", len(text)) + text + body)
    out.flush()
    os._exit(0)
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_scripts_table_is_refused_before_it_decodes_past_the_memory_limit(
    run: ModuleRunner,
) -> None:
    before = peak_mb()
    with pytest.raises(StepError) as refused:
        run("script.python@1", {"code": FORGED_TABLE, "memory_mb": 512}, dataset1=DF)
    assert refused.value.param == "memory_mb"
    assert "decodes to more than" in str(refused.value) and "512 MB" in str(refused.value)
    assert peak_mb() - before < 500, "the worker decoded the script's table"


def test_a_scripts_ordinary_tables_come_back_as_they_were(run: ModuleRunner) -> None:
    code = (
        "import pandas as pd\n\n\ndef azureml_main(df1, df2=None):\n"
        "    return df1.assign(t=['a', None, 'a'], b=[b'x', b'', None]), df1\n"
    )
    out = run("script.python@1", {"code": code}, dataset1=DF)
    sent = DF.assign(t=["a", None, "a"], b=[b"x", b"", None])
    buffer = io.BytesIO()
    sent.to_parquet(buffer, index=False)  # as the harness sends it, read as pandas reads it
    pd.testing.assert_frame_equal(out["result1"], pd.read_parquet(buffer))
    pd.testing.assert_frame_equal(out["result2"], DF)
