"""kombu's Redis transport, with a worker that keeps taking work after an ack Redis never got."""

from __future__ import annotations

from kombu.transport import redis, virtual


class QoS(redis.QoS):
    """Acknowledgements that free their prefetch slot even when Redis cannot be reached.

    kombu forgets a delivered message only once Redis confirmed its ack. An ack lost to a
    network partition (the socket timed out) left the message counted against the prefetch
    limit for good, and a worker with prefetch 1 never asked for work again (the partition
    fault, decision 0028). Now the slot is freed and the error still raised (Celery logs it);
    the message stays in Redis's unacked set and comes back after the visibility timeout,
    which is harmless: a redelivered step or advance changes nothing (runs/distributed.py).
    """

    def ack(self, delivery_tag: str) -> None:
        try:
            super().ack(delivery_tag)
        except self.channel.connection_errors:
            virtual.QoS.ack(self, delivery_tag)
            raise


class Channel(redis.Channel):
    """A Redis channel with the QoS above."""

    QoS = QoS


class Transport(redis.Transport):
    """The Redis transport with the channel above (`redis://` and `rediss://` URLs)."""

    Channel = Channel
