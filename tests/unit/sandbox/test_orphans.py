"""A sandbox whose owner died is ended by the next process that starts one; a living owner's
sandbox is left alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from designer.sandbox import orphans

pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap is not installed")


def waiting_bwrap(owner: str) -> tuple[subprocess.Popen[bytes], int]:
    """A bwrap that waits on its block fd (as a sandbox does until it is let go), owned by
    `owner`; and the fd that would let it go."""
    block_r, block_w = os.pipe()
    proc = subprocess.Popen(
        ["bwrap", "--ro-bind", "/", "/", "--block-fd", str(block_r), "/bin/true"],
        pass_fds=(block_r,),
        env={"PATH": "/usr/bin:/bin", orphans.OWNER: owner},
    )
    os.close(block_r)
    return proc, block_w


def test_a_bwrap_whose_owner_is_gone_is_ended_and_a_living_owners_is_not() -> None:
    owner = subprocess.Popen(["sleep", "60"])
    dead_tag = f"{owner.pid}:{orphans.start_time(owner.pid)}"
    owner.kill()
    owner.wait()
    orphan, orphan_fd = waiting_bwrap(dead_tag)
    kept, kept_fd = waiting_bwrap(orphans.owner_tag())
    reused_pid = waiting_bwrap(f"{os.getpid()}:1")  # this pid, but another process's start
    try:
        time.sleep(0.2)  # both are waiting on their block fd
        assert orphans.end_orphans() >= 2
        assert orphan.wait(timeout=5) == -9 and reused_pid[0].wait(timeout=5) == -9
        assert kept.poll() is None
        os.write(kept_fd, b"1")  # let it go: it runs /bin/true and ends by itself
        assert kept.wait(timeout=10) == 0
    finally:
        for proc, fd in ((orphan, orphan_fd), (kept, kept_fd), reused_pid):
            proc.kill()
            proc.wait()
            os.close(fd)
