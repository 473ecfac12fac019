"""The sandbox for user code: every script, SQL query and custom module runs in bubblewrap.

`run(...)` (runner.py) starts one harness (harness/) in a fresh sandbox: its own network, PID,
IPC and UTS namespaces, a read-only view of only the interpreter, its packages and the harness,
private size-capped tmpfs for /tmp, /var/tmp, /dev/shm and $HOME, a uid of its own
(slots.py), no capabilities, no_new_privs, and limits (limits.py). Data goes in on the
harness's stdin and comes back on fd 3 as frames (harness/protocol.py); stdout and stderr are
relayed line by line. Framework-free: no Django, no engine internals.
"""

from designer.sandbox.limits import Limits
from designer.sandbox.runner import Outcome, SandboxUnavailable, run

__all__ = ["Limits", "Outcome", "SandboxUnavailable", "run"]
