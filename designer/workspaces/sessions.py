"""Sign-in sessions: Django's database sessions, whose end closes the sockets they signed in.

Whenever a session is deleted (a sign-out, its key cycled at a sign-in or a password change in
that browser, a session Django found no longer valid) the sockets it signed in are told
(`broadcast.end_session`), on every server; those servers also forget what they remembered
about it (decision 0038). A password change or a deactivated account tells the user's sockets
the same (`signals.py`), since their other sessions are not deleted, only no longer valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asgiref.sync import sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

from designer.realtime.broadcast import end_session


@dataclass(frozen=True)
class SessionSignIn:
    """Who a stored session says is signed in, with what, until when (read without the user)."""

    user_id: int
    backend: str
    auth_hash: str
    expires: datetime


class SessionStore(DatabaseSessionStore):
    """Django's database session store; deleting a session closes its sockets."""

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        if key:
            end_session(key)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)

    def sign_in(self) -> SessionSignIn | None:
        """The stored, unexpired session's sign-in (None: no such session, or signed out)."""
        stored = self._get_session_from_db()
        if stored is None:
            return None
        data = self.decode(stored.session_data)
        try:
            user_id = get_user_model()._meta.pk.to_python(data[SESSION_KEY])
            backend = data[BACKEND_SESSION_KEY]
        except (KeyError, ValidationError):
            return None
        return SessionSignIn(user_id, backend, data.get(HASH_SESSION_KEY) or "", stored.expire_date)


def sign_out_elsewhere(user_id: int, current_key: str | None) -> int:
    """Delete every unexpired session of the user but `current_key` (their sockets close as at
    a sign-out); how many there were. Sessions are not indexed by user: each unexpired one is
    decoded once (a rare action, a few microseconds a session)."""
    store = SessionStore()
    ended = 0
    sessions = Session.objects.filter(expire_date__gt=timezone.now()).exclude(
        session_key=current_key or ""
    )
    for key, data in sessions.values_list("session_key", "session_data").iterator():
        if str(store.decode(data).get(SESSION_KEY)) == str(user_id):
            SessionStore(key).delete()
            ended += 1
    return ended
