"""The platform's cache backend: Redis first, the database while Redis is unreachable.

Sign-in, sign-up and everything else that counts in the cache (allauth's rate limits, their locks) must
keep working when Redis goes down, and the limits must still hold. ``FailoverCache`` sends every call to
Django's ``RedisCache``; when Redis raises a connection error or a timeout, the call is answered by
Django's ``DatabaseCache`` instead (the table ``portal_cache_fallback``, created by ``migrate``). Counters
made during an outage live in that shared table, so a limit holds across processes and machines, not
per process.

A small circuit breaker keeps a dead Redis cheap: after a failure the backend skips Redis for
``RETRY_AFTER`` seconds, then lets one call probe it again; a dead Redis costs one short socket timeout
every few seconds instead of one per call. The breaker is shared by every thread of a process. Each switch
is logged as a warning.

What an outage costs: counters start again from the database's (empty) copy when Redis goes away and from
Redis's own copy when it comes back, so a limit may let through at most one extra window's worth of tries
around each switch; nothing is ever answered with a 500 and no limit is switched off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: The database cache table behind the fallback; portal/migrations/0001_cache_fallback_table.py creates it.
FALLBACK_TABLE = "portal_cache_fallback"

#: What "Redis is unreachable" looks like from redis-py: refused, reset or timed-out connections (and a
#: server still loading its data, ``BusyLoadingError``, a ``ConnectionError`` too). Anything else (a bad
#: value, a full memory) is a real error and is raised as before.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class CircuitBreaker:
    """Closed while the primary works; open for ``retry_after`` seconds after it failed, then one caller
    at a time is let through to probe it. ``clock`` is injectable for tests (``time.monotonic``)."""

    def __init__(self, *, name: str, retry_after: float, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.retry_after = retry_after
        self.clock = clock
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0

    @property
    def is_open(self) -> bool:
        """True while the primary is believed down (the fallback answers)."""
        return self._open

    def allow(self) -> bool:
        """May this call try the primary? Always while closed; once open, only the first caller after
        ``retry_after`` (the probe), and the next probe is due ``retry_after`` later even if this one hangs."""
        if not self._open:
            return True
        with self._lock:
            now = self.clock()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_after
            return True

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = self.clock() + self.retry_after
            if self._open:
                return
            self._open = True
        logger.warning(
            "cache: %s is unreachable (%s: %s); using the database cache, next try in %.1f s",
            self.name,
            type(exc).__name__,
            exc,
            self.retry_after,
        )

    def succeeded(self) -> None:
        if not self._open:
            return
        with self._lock:
            if not self._open:
                return
            self._open = False
        logger.warning("cache: %s is reachable again; back from the database cache", self.name)


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def _redacted(url: str) -> str:
    """The Redis URL without its password, for the log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc}"))


def breaker_for(location: str, *, retry_after: float) -> CircuitBreaker:
    """One breaker per Redis location and process: Django makes one cache object per thread."""
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = CircuitBreaker(
                name=f"Redis {_redacted(location)}", retry_after=retry_after
            )
        return breaker


class FailoverCache(BaseCache):
    """``CACHES`` backend: ``LOCATION`` is the Redis URL. ``OPTIONS``: ``RETRY_AFTER`` (seconds the breaker
    stays open, default 5), ``FALLBACK_TABLE`` (default ``portal_cache_fallback``), ``FALLBACK_MAX_ENTRIES``
    (default 100 000: the database cache culls a third of its rows when full, and culled counters would be
    forgotten limits); every other option goes to ``RedisCache`` (``socket_connect_timeout`` and
    ``socket_timeout`` default to 0.5 s). ``KEY_PREFIX``, ``VERSION``, ``TIMEOUT`` and ``KEY_FUNCTION``
    apply to both caches, so a key means the same on either side."""

    def __init__(self, location, params):
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("RETRY_AFTER", 5))
        table = options.pop("FALLBACK_TABLE", FALLBACK_TABLE)
        max_entries = int(options.pop("FALLBACK_MAX_ENTRIES", 100_000))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        shared = {
            k: v for k, v in params.items() if k in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
        }
        self.primary = RedisCache(location, {**shared, "OPTIONS": options})
        self.fallback = DatabaseCache(table, {**shared, "OPTIONS": {"MAX_ENTRIES": max_entries}})
        self.breaker = breaker_for(location, retry_after=retry_after)

    @property
    def on_fallback(self) -> bool:
        """True while the database answers because Redis was unreachable at the last try."""
        return self.breaker.is_open

    def _call(self, method: str, *args, **kwargs):
        if self.breaker.allow():
            try:
                result = getattr(self.primary, method)(*args, **kwargs)
            except UNREACHABLE as exc:
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()
                return result
        return getattr(self.fallback, method)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        """Clears the cache that answers now (the database table only while Redis is down: a test clearing
        the cache between tests must not need the database)."""
        return self._call("clear")

    def close(self, **kwargs):
        self.primary.close(**kwargs)
        self.fallback.close(**kwargs)
