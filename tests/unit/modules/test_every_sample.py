"""Every one-table module on every sample dataset, with its defaults: it succeeds or names the
problem (a StepError); it never fails with another error."""

from __future__ import annotations

import pytest

from designer.engine.context import StepError
from designer.modules.data import load_sample
from designer.modules.specs.data import SAMPLE_DATASETS

LABELS = {
    "loan_applications": "approved",
    "restaurant_ratings": "rating",
}  # the others' label is `target`
MODULES = {  # module -> the params it needs beside its defaults
    "transform.clean_missing@1": {},
    "transform.normalize@1": {},
    "transform.pca@1": {},
    "transform.group_into_bins@1": {},
    "transform.clip@1": {},
    "transform.math@1": {"operation": "log1p"},
    "transform.text_features@1": {},
    "transform.lda@1": {"column": "loan_purpose"},  # elsewhere: refused by name
    "transform.one_hot@1": {},
    "transform.smote@1": {"label": "$label"},
    "ml.select_features@1": {"label": "$label"},
    "stats.summarize@1": {},
    "stats.correlation@1": {},
}


@pytest.mark.parametrize("name", SAMPLE_DATASETS)
@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_succeeds_or_names_the_problem(run, module, name) -> None:
    label = LABELS.get(name, "target")
    params = {k: label if v == "$label" else v for k, v in MODULES[module].items()}
    try:
        outputs = run(module, params, dataset=load_sample(name))
    except StepError as error:  # naming the param or port at fault, first in its message
        assert error.param or error.port, error
        assert str(error).startswith(f"{error.param or error.port}:"), error
    else:
        assert outputs
