"""A thread that sends run notices, so that no run's path waits on the database or a mail server."""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Any

from django.conf import settings
from django.db import connections

from designer.notifications import notices

logger = logging.getLogger(__name__)
DISABLED = "django.core.mail.backends.dummy.EmailBackend"  # no EMAIL_HOST: no mail is sent
SWEEP_SECONDS = 300  # how often an idle sender looks for failures nobody was told of


class Sender:
    """One daemon thread per process taking finished runs' ids off a queue, one at a time; idle,
    it mails the failures a process that went away left untold (notices.missed_failures)."""

    def __init__(self) -> None:
        self.runs: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="run-notices", daemon=True)
        self.thread.start()

    def put(self, run_id: int) -> None:
        """Queue a finished run: returns at once."""
        self.runs.put(run_id)

    def _loop(self) -> None:
        self._sweep()
        while True:
            try:
                run_id = self.runs.get(timeout=SWEEP_SECONDS)
            except queue.Empty:
                self._sweep()
                continue
            self._notify(run_id)
            connections.close_all()

    def _sweep(self) -> None:
        """Notify the failures nobody was told of (nothing to do while no mail is sent)."""
        if not mail_on():
            return
        try:
            missed = notices.missed_failures()
        except Exception:
            logger.exception("Could not look for failed runs nobody was told of")
            missed = []
        for run_id in missed:
            self._notify(run_id)
        connections.close_all()

    @staticmethod
    def _notify(run_id: int) -> None:
        try:
            notices.notify(run_id)
        except Exception:  # a notice never stops the thread, nor reaches a run
            logger.exception("Could not send the notice of run %s", run_id)


_lock = threading.Lock()
_senders: dict[int, Sender] = {}  # by process id: a forked worker starts its own thread


def this_process() -> Sender:
    """This process's sender (started on first use)."""
    pid = os.getpid()
    with _lock:
        if pid not in _senders:
            _senders.clear()
            _senders[pid] = Sender()
        return _senders[pid]


def mail_on() -> bool:
    """Whether this server sends mail (EMAIL_HOST or another backend than the dummy one)."""
    return bool(settings.EMAIL_BACKEND != DISABLED)


def start(**_: Any) -> None:
    """Start this process's sender now when the server sends mail (a server or Celery worker
    starting: it mails the failures an earlier process left untold, then waits for runs)."""
    if mail_on():
        this_process()


def run_finished(sender: Any, run_id: int, status: str, **kwargs: Any) -> None:
    """Receiver of runs.signals.run_finished: queue a failed or succeeded run for its notice."""
    if mail_on() and status in ("failed", "succeeded"):
        this_process().put(run_id)
