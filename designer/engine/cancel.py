"""The cancel token of a run: set from any thread, it wakes the executor at once."""

from __future__ import annotations

import contextlib
import os
import threading


class CancelToken:
    """Set from any thread to cancel a run; the executor wakes at once (it selects on a pipe)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._closed = False

    def cancel(self) -> None:
        """Ask the run to stop: running steps are killed, the rest is marked canceled."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            if not self._closed:
                with contextlib.suppress(OSError):
                    os.write(self._write, b"x")

    @property
    def canceled(self) -> bool:
        """Whether cancel() was called."""
        return self._event.is_set()

    def fileno(self) -> int:
        """A file descriptor that becomes readable on cancel."""
        return self._read

    def close(self) -> None:
        """Release the pipe, once: a second call must not close descriptors reused since."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self._read, self._write):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __del__(self) -> None:
        self.close()
