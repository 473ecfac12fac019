"""The example pipelines shipped in examples/*.json: a gallery to start pipelines from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

# What a pipeline started from each shipped example is called (slug: the file's stem): the kind
# of task first, then what it is about, as the gallery lists them.
NAMES = {
    "anomalous_tumours": "Anomaly detection: malignant tumours",
    "binary_breast_cancer": "Binary classification: breast cancer",
    "clustering_iris": "Clustering: iris flowers",
    "imbalanced_loans": "Imbalanced classes: loan approval",
    "multiclass_wine": "Multiclass classification: wine cultivars",
    "regression_diabetes": "Regression: diabetes progression",
    "restaurant_recommendations": "Recommendation: restaurant ratings",
    "sql_python_loans": "SQL and Python: loan approval",
}


@dataclass(frozen=True)
class Example:
    """One shipped example: its slug (the file's stem), name, what it shows and its document."""

    slug: str
    name: str
    description: str
    document: dict[str, Any]

    @property
    def steps(self) -> int:
        """How many modules it places on the canvas."""
        return len(self.document["nodes"])


def read_example(path: Path) -> Example:
    """An example pipeline file (its first comment says what it shows)."""
    document = json.loads(path.read_text())
    comments = document.get("comments") or [{}]
    return Example(
        slug=path.stem,
        name=NAMES[path.stem],
        description=str(comments[0].get("text", "")),  # each example opens with a comment on it
        document=document,
    )


@cache
def examples() -> dict[str, Example]:
    """Slug -> example, in name order (read once per process)."""
    folder = Path(settings.BASE_DIR) / "examples"
    shipped = sorted((read_example(path) for path in folder.glob("*.json")), key=lambda e: e.name)
    return {example.slug: example for example in shipped}
