"""The S3-compatible server `make test` starts (moto's, TEST_S3_ENDPOINT): a new prefix a use."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

BUCKET = "designer-test"  # scripts/services.sh creates it


def object_store_env(endpoint: str, cache: Path) -> dict[str, str]:
    """The environment a process needs to use the test server (and a cache folder of its own)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "DESIGNER_STORE_CACHE": str(cache),
    }


def object_store_url(monkeypatch: pytest.MonkeyPatch, cache: Path) -> str:
    """Point this process (and its children) at the test server; a new empty store's URL."""
    endpoint = os.environ.get("TEST_S3_ENDPOINT", "")
    if not endpoint:
        pytest.skip(
            "TEST_S3_ENDPOINT is not set: the object store tests need the server make test starts"
        )
    for name, value in object_store_env(endpoint, cache).items():
        monkeypatch.setenv(name, value)
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"
