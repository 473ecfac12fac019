"""Mail sent from one background thread, in the order it was handed over, so that no request
waits on a mail server (or tells by its time whether a mail went)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)
_mailer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")


def send_later(send: Callable[..., Any], *args: Any) -> Future[None]:
    """Call `send(*args)` on the outbox thread; a failure is logged, never raised."""
    return _mailer.submit(_quietly, send, *args)


def _quietly(send: Callable[..., Any], *args: Any) -> None:
    try:
        send(*args)
    except Exception:
        logger.exception("Could not send a mail")
