"""WebSocket authentication: a session cookie, or an API token in the query string."""

from channels.auth import AuthMiddlewareStack

TokenOrSessionAuthMiddlewareStack = AuthMiddlewareStack
