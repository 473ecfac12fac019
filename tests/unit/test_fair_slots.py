"""The server's run slots: a workspace that queues many runs holds back no other workspace."""

from __future__ import annotations

import threading
import time

from designer.runs.fair_slots import FairSlots


def _started_order(slots: FairSlots, queue: list[int], running: list[int]) -> list[int]:
    """Hold every slot for the `running` workspaces, queue one run per item of `queue` (in that
    order), then free the slots one at a time: the workspaces in the order their runs started."""
    started: list[int] = []
    release = [threading.Event() for _ in running]
    holders = []
    for workspace, done in zip(running, release, strict=True):
        ready = threading.Event()

        def hold(workspace: int = workspace, done: threading.Event = done, ready=ready) -> None:
            with slots.slot(workspace):
                ready.set()
                done.wait()

        holders.append(threading.Thread(target=hold))
        holders[-1].start()
        ready.wait()

    lock = threading.Lock()

    def run(workspace: int) -> None:
        with slots.slot(workspace), lock:
            started.append(workspace)

    waiters = []
    for workspace in queue:
        waiters.append(threading.Thread(target=run, args=(workspace,)))
        waiters[-1].start()
        while len(slots.waiting) < len(waiters):  # queued in this order
            time.sleep(0.001)
    for done in release:  # one slot at a time, each given to a waiter before the next is freed
        before = len(started)
        done.set()
        while len(started) == before < len(queue):
            time.sleep(0.001)
    for thread in holders + waiters:
        thread.join(timeout=10)
    return started


def test_a_freed_slot_goes_to_the_workspace_running_fewest_then_to_the_longest_waiting() -> None:
    # workspace 1 runs two and queued three more before workspace 2 queued one
    assert _started_order(FairSlots(2), [1, 1, 1, 2], running=[1, 1])[0] == 2
    # workspaces running alike: the order they queued in
    assert _started_order(FairSlots(1), [3, 1, 2], running=[9]) == [3, 1, 2]


def test_no_more_runs_hold_a_slot_than_there_are_slots() -> None:
    slots, most, now = FairSlots(2), [0], [0]
    lock = threading.Lock()

    def run(workspace: int) -> None:
        with slots.slot(workspace):
            with lock:
                now[0] += 1
                most[0] = max(most[0], now[0])
            time.sleep(0.01)
            with lock:
                now[0] -= 1

    threads = [threading.Thread(target=run, args=(i % 3,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most[0] == 2 and slots.running.total() == 0 and not slots.waiting
