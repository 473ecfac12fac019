"""The runner's socket channel: posted messages go with the next send or flush, in order."""

from __future__ import annotations

import socket
import threading

from designer.engine.runners.channel import Channel


def test_posted_messages_wait_for_a_flush_and_arrive_in_order_with_the_next_send() -> None:
    a, b = socket.socketpair()
    runner, worker = Channel(a), Channel(b)
    try:
        runner.post(("t1", {"n": 1}))
        runner.post(("t2", {"n": 2}))
        assert runner.posted
        assert worker.drain() == ([], True)  # nothing on the wire before a flush or send
        runner.send(("t3", {"n": 3}))
        assert not runner.posted
        assert [worker.recv() for _ in range(3)] == [("t1", {"n": 1}), ("t2", {"n": 2}),
                                                     ("t3", {"n": 3})]  # fmt: skip
        runner.post(("t4", "x" * 100_000))  # larger than one send's copy limit
        runner.flush()
        assert worker.recv() == ("t4", "x" * 100_000)
        runner.post(("t5", 5))
        runner.send(("t6", "y" * 100_000))  # a large send goes after what was posted
        assert [worker.recv() for _ in range(2)] == [("t5", 5), ("t6", "y" * 100_000)]
    finally:
        runner.close()
        worker.close()


def test_messages_larger_than_one_read_and_many_in_one_read_arrive_whole() -> None:
    a, b = socket.socketpair()
    runner, worker = Channel(a), Channel(b)
    big = bytes(range(256)) * 9000  # ~2.3 MB: several reads of READ_SIZE on either end
    try:
        sender = threading.Thread(target=lambda: [worker.send(("done", i, big)) for i in range(3)])
        sender.start()
        got: list[object] = []
        while len(got) < 3:
            messages, open_ = runner.drain()
            assert open_
            got += messages
        sender.join()
        assert got == [("done", i, big) for i in range(3)]
        for i in range(50):  # small ones sent together are drained together, in order
            worker.post(("log", i))
        worker.flush()
        drained: list[object] = []
        while len(drained) < 50:
            drained += runner.drain()[0]
        assert drained == [("log", i) for i in range(50)]
        sender = threading.Thread(target=runner.send, args=(("task", big),))
        sender.start()
        assert worker.recv() == ("task", big)
        sender.join()
        worker.close()
        assert runner.drain() == ([], False)
    finally:
        runner.close()
        worker.close()
