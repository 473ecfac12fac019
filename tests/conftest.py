"""Shared test settings: a test secret, and data under a per-session temporary directory."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("DESIGNER_DATA_DIR", tempfile.mkdtemp(prefix="designer-test-data-"))
