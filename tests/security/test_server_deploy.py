"""A production configuration, set only through the environment, passes `check --deploy`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "designer.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://designer.example.org",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **base,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DESIGNER_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_in_a_production_configuration(tmp_path: Path) -> None:
    result = check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_plain_http_leaves_out(tmp_path: Path) -> None:
    result = check_deploy(tmp_path, DEBUG="0", SECURE_COOKIES="0")
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012"):
        assert code in result.stdout + result.stderr
