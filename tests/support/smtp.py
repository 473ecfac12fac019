"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is handed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


@dataclass
class Inbox:
    """What the server received: (recipients, message) in arrival order."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int, timeout: float = 30.0) -> list[tuple[list[str], EmailMessage]]:
        """Every message once at least `count` arrived (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.received)} of {count} mails arrived: {self.received}"
                self.arrived.wait(left)
            return list(self.received)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to `address`."""
        return [message for rcpt, message in self.received if address in rcpt]


@contextmanager
def smtp_server(kind: type[Inbox] = Inbox) -> Iterator[Inbox]:
    """An SMTP server on a free loopback port for the duration of the block (`kind`: an Inbox
    that handles mail its own way)."""
    inbox = kind(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
