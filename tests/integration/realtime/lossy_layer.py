"""A Redis channel layer that loses every co-editing update it is asked to publish.

Selected with DESIGNER_CHANNEL_BACKEND (layer_override.py) for one of two servers: the other
server's rooms then get its edits only by merging the stored state back (rooms.SYNC_SECONDS).
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer


class LossyRedisChannelLayer(RedisChannelLayer):
    """Drops co-editing changes (Yjs updates) on the layer; everything else goes through."""

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if message.get("type") == "collab.changes" and message.get("update"):
            return
        await super().group_send(group, message)
