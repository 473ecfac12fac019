"""A script sees none of the server's secrets: not its environment, not its open files.

The server and its workers hold SECRET_KEY, database and bucket credentials in their
environment, and open database files, sockets and artifact files. A script lists its own
environment, reads /proc/self/environ and /proc/1/environ (the sandbox's first process) and
follows every descriptor it holds: it finds only the variables the sandbox sets, and pipes.
"""

from __future__ import annotations

import pytest

from tests.support.sandbox import DF, facts, script
from tests.unit.modules.harness import ModuleRunner

CANARIES = {
    "SECRET_KEY": "canary-secret-key",
    "DATABASE_URL": "postgres://designer:canary-db-password@db/designer",
    "AWS_SECRET_ACCESS_KEY": "canary-bucket-secret",
    "REDIS_URL": "redis://:canary-redis-password@redis:6379/0",
}
PROBE = """
facts['env'] = sorted(os.environ)
facts['values'] = '|'.join(os.environ.values())
for pid in ('self', '1'):
    try:
        facts['environ-' + pid] = open(f'/proc/{pid}/environ', 'rb').read().decode()
    except OSError as exc:
        facts['environ-' + pid] = type(exc).__name__
held = {}
for fd in os.listdir('/proc/self/fd'):
    try:
        held[fd] = os.readlink(f'/proc/self/fd/{fd}')
    except OSError:
        held[fd] = 'gone'  # the listing's own descriptor, closed by now
facts['held'] = sorted(held.values())
"""


def test_a_script_sees_no_server_secret_and_holds_only_pipes(
    run: ModuleRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DESIGNER_SANDBOX_STANDBY", "0")  # a sandbox started now, with them set
    seen = facts(run("script.python@1", {"code": script(PROBE)}, dataset1=DF))
    everything = " ".join(seen.values())
    assert not [c for c in CANARIES.values() if c in everything], seen
    assert not {"SECRET_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} & set(eval(seen["env"]))
    assert seen["environ-1"] == "'PermissionError'"  # bwrap's own, as another user
    held = eval(seen["held"])
    assert all(target.startswith("pipe:") or target == "gone" for target in held), held
