"""The runner's end of a worker's socket: sends and drains messages in few system calls.

Wire format: multiprocessing.connection.Connection's (a 4-byte big-endian signed length, or
-1 and an 8-byte length past 2 GiB, then the pickle).
`drain()` reads whatever the socket holds without waiting (one ``recv_into`` per READ_SIZE bytes,
none to find it empty after a short read) and returns every complete message in it: the
runner's loop no longer pays two reads and a ``select`` per message (decision 0037). The worker
receives its tasks with `recv()`, one read per task that arrives whole. The runner `post`s the
tasks it sends ahead to a busy worker and `flush`es them before it waits: one ``sendall`` for
the tasks of a loop turn. Every read lands in one buffer made with the channel: a fresh
READ_SIZE ``recv`` buffer per read had cost an mmap, an mremap and a munmap per message on
both ends (~30 µs of a no-op step's CPU on each side).
"""

from __future__ import annotations

import pickle
import socket
import struct
from collections import deque
from typing import Any

READ_SIZE = 1 << 20
_SHORT = struct.Struct("!i")
_LONG = struct.Struct("!Q")


def _framed(message: Any) -> tuple[bytes, bytes]:
    """A message's length header and its pickle."""
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    size = len(data)
    header = _SHORT.pack(size) if size <= 0x7FFFFFFF else _SHORT.pack(-1) + _LONG.pack(size)
    return header, data


class Channel:
    """A connected stream socket carrying pickled messages, read without blocking."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = bytearray()
        self._chunk = memoryview(bytearray(READ_SIZE))  # every read lands here: no buffer per read
        self._ready: deque[Any] = deque()  # complete messages `recv` read ahead
        self._outbox = bytearray()  # messages `post`ed and not sent yet

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Any) -> None:
        """Send one message, after any posted ones (blocks while the socket's buffer is full)."""
        header, data = _framed(message)
        if len(data) > 16384:  # no copy of a large message to prepend its header
            self.flush()
            self.sock.sendall(header)
            self.sock.sendall(data)
        elif self._outbox:
            self._outbox += header
            self._outbox += data
            self.flush()
        else:
            self.sock.sendall(header + data)

    def post(self, message: Any) -> None:
        """Keep a message to send with the next `send` or `flush`: one system call (and one
        wake-up of the peer) for several messages."""
        header, data = _framed(message)
        self._outbox += header
        self._outbox += data

    @property
    def posted(self) -> bool:
        """Whether messages wait to be sent."""
        return bool(self._outbox)

    def flush(self) -> None:
        """Send the posted messages (blocks while the socket's buffer is full)."""
        if self._outbox:
            outbox, self._outbox = self._outbox, bytearray()
            self.sock.sendall(outbox)

    def recv(self) -> Any:
        """The next message, waiting for it (EOFError once the peer has closed): one read for
        a message that arrives whole, where Connection.recv makes two (the worker's end)."""
        while not self._ready:
            size = self.sock.recv_into(self._chunk)
            if not size:
                raise EOFError
            self._buffer += self._chunk[:size]
            self._ready.extend(self._messages())
        return self._ready.popleft()

    def drain(self) -> tuple[list[Any], bool]:
        """The complete messages the socket holds now, and False once the peer has closed it
        (messages sent before it closed are returned first)."""
        open_ = True
        while True:
            try:
                size = self.sock.recv_into(self._chunk, 0, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                open_ = False
                break
            if not size:
                open_ = False
                break
            self._buffer += self._chunk[:size]
            if size < READ_SIZE:
                break
        return self._messages(), open_

    def _messages(self) -> list[Any]:
        buffer, messages, start = self._buffer, [], 0
        with memoryview(buffer) as view:
            while len(buffer) - start >= _SHORT.size:
                (size,) = _SHORT.unpack_from(buffer, start)
                head = _SHORT.size
                if size == -1:
                    if len(buffer) - start < _SHORT.size + _LONG.size:
                        break
                    (size,) = _LONG.unpack_from(buffer, start + head)
                    head += _LONG.size
                end = start + head + size
                if end > len(buffer):
                    break
                messages.append(pickle.loads(view[start + head : end]))
                start = end
        del buffer[:start]
        return messages

    def close(self) -> None:
        self.sock.close()
