"""The Celery application: broker from settings (Redis, or kombu's filesystem transport by default).

With Redis the broker transport is :class:`RedisTransport` (``CELERY_BROKER_TRANSPORT``): kombu's own, except
that a channel whose connection has been closed says so with a connection error.
"""

import os

import redis.exceptions
from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, which refuses to reconnect through a closed connection.

    When the broker goes away the worker's consumer closes the lost connection (``collect()`` then
    ``close()``), which clears the transport's ``client`` before the channel itself is closed if the first
    attempt failed on the dead socket. Closing the channel then gives back the messages it delivered and
    nobody acknowledged yet (a task running with ``acks_late``), and an acknowledgement of such a task
    arrives later still: both ask for a new Redis pool, and kombu built it from ``connection.client`` —
    ``AttributeError: 'NoneType' object has no attribute 'hostname'``. Celery counts that as an
    unrecoverable error, not a connection loss, and the worker stopped consuming for good (kombu #582, #970
    report the same trace). Raised as a Redis connection error instead, it is what Celery and kombu already
    handle: the close is given up quietly, the late acknowledgement is logged ("Couldn't ack"), and the
    consumer reconnects. The messages concerned stay in Redis's unacked index and come back after the
    visibility timeout; every task of the portal may run twice (the outbox claims its rows).
    """

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis.exceptions.ConnectionError(
                "the broker connection of this channel is closed (a new connection takes over)"
            )
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport with :class:`RedisChannel`."""

    Channel = RedisChannel


app = Celery("zhaoxi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
