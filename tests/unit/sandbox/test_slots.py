"""The uid allocator: flock'd slots shared by every process of the host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from designer.sandbox import slots

HOLDER = """
import sys, time
from pathlib import Path
from designer.sandbox import slots
slots.ROOT_DIR, slots.SLOTS, slots.UID_BASE = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
slot = slots.acquire(use_cgroups=False)
print(slot.index, slot.uid, flush=True)
time.sleep(120)
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "slots"
    monkeypatch.setattr(slots, "ROOT_DIR", target)
    monkeypatch.setattr(slots, "UID_BASE", 2_100_000_000)  # not the uids of real sandboxes
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return slots.slot_dir()


def holder(folder: Path) -> tuple[subprocess.Popen[str], int]:
    """Another process holding a slot: (the process, its slot index)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder), str(slots.SLOTS), str(slots.UID_BASE)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.stdout is not None
    index, uid = map(int, proc.stdout.readline().split())
    assert uid == slots.UID_BASE + index
    return proc, index


def test_concurrent_holders_in_other_processes_get_other_uids(folder: Path) -> None:
    proc, theirs = holder(folder)
    try:
        with slots.held(use_cgroups=False) as mine, slots.held(use_cgroups=False) as third:
            assert len({theirs, mine.index, third.index}) == 3
            assert len({mine.uid, third.uid}) == 2 and slots.UID_BASE + theirs not in {
                mine.uid,
                third.uid,
            }
    finally:
        proc.kill()
        proc.wait()


def test_slots_rotate_and_a_killed_holders_slot_is_free_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slots, "SLOTS", 3)
    with slots.held(use_cgroups=False) as first:
        index = first.index
    with slots.held(use_cgroups=False) as second:
        assert second.index != index  # a uid is not handed out again at once
    proc, theirs = holder(folder)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    taken = [slots.acquire(use_cgroups=False) for _ in range(3)]  # every slot, theirs too
    assert sorted(slot.index for slot in taken) == [0, 1, 2] and theirs in {0, 1, 2}
    for slot in taken:
        slot.release()


def test_the_slot_folder_must_be_private(folder: Path) -> None:
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    with pytest.raises(slots.SlotError, match="must be private"):
        slots.acquire(use_cgroups=False)
    folder.chmod(0o700)
    slots.acquire(use_cgroups=False).release()
    assert (folder.stat().st_mode & 0o777) == 0o700


@pytest.mark.skipif(not slots.Cgroups.available(), reason="needs writable v1 memory/pids cgroups")
def test_a_slots_cgroups_take_limits_and_are_emptied() -> None:
    with slots.held() as slot:
        assert slot.cgroups is not None
        slot.cgroups.limit(300 * 1024 * 1024, 32)
        assert (slot.cgroups.memory / "memory.limit_in_bytes").read_text().strip() == str(
            300 * 1024 * 1024
        )
        assert (slot.cgroups.pids / "pids.max").read_text().strip() == "32"
        sleeper = subprocess.Popen(["sleep", "60"])
        slot.cgroups.add(sleeper.pid)
        assert slot.cgroups.processes() == {sleeper.pid}
        assert slot.cgroups.empty()
        assert sleeper.wait() == -signal.SIGKILL
