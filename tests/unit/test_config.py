"""Deployment settings read from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from designer.config import database_from_url, env_bool, env_list


def test_postgres_url_becomes_a_django_database() -> None:
    db = database_from_url("postgres://ann:s%40cret@db.example:5433/designer")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "ann",
        "s@cret",
        "db.example",
        "5433",
        "designer",
    )


def test_unknown_database_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        database_from_url("mysql://x@y/z")


def test_env_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "Yes")
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_bool("FLAG") is True
    assert env_bool("MISSING_FLAG", default=False) is False
    assert env_list("HOSTS") == ["a.example", "b.example"]


def django_setup(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter (no SECRET_KEY unless given)."""
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "designer.settings",
            "DESIGNER_DATA_DIR": str(data_dir),
            **env,
        },
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("debug", ["0", "1"])
def test_server_refuses_to_start_without_a_secret(tmp_path: Path, debug: str) -> None:
    result = django_setup(tmp_path, DEBUG=debug)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_per_install_secret_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("a-per-install-secret\n")
    assert django_setup(tmp_path).stdout.strip() == "ok"


def test_sqlite_url_keeps_the_concurrency_options() -> None:
    db = database_from_url("sqlite:////srv/designer/db.sqlite3")
    assert db["NAME"] == "/srv/designer/db.sqlite3"
    assert db["OPTIONS"] == {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
