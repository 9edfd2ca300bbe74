"""The platform's task mechanisms: every Celery task is declared with ``platform_task``, and every task a
request queues is published with ``publish`` (``enqueue_on_commit`` queues it after commit).

- ``platform_task`` rides out the database: a task that meets ``OperationalError`` / ``InterfaceError``
  (PostgreSQL restarting) closes its connections and comes back with an exponential backoff with jitter
  (about 2 s, 4 s, 8 s, ... capped), at most ``PLATFORM_TASK_DB_MAX_RETRIES`` times, instead of being
  acknowledged and dropped. A task's own retries (``send_message``'s for a provider failure) are untouched.
- ``publish`` never raises a broker error into its caller: with Redis down it logs a warning and returns
  False. The work is a database row, so the periodic scan finds it once the broker is back.
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Callable, Iterable

import kombu.exceptions
import redis.exceptions
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction

logger = logging.getLogger(__name__)

#: Errors of a database that is down or restarting: the task is retried.
DATABASE_ERRORS = (OperationalError, InterfaceError)
#: Errors of a broker that cannot be reached: the publish is skipped (the row stays queued).
BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)

DB_MAX_RETRIES = getattr(settings, "PLATFORM_TASK_DB_MAX_RETRIES", 8)
DB_BACKOFF_BASE_SECONDS = getattr(settings, "PLATFORM_TASK_DB_BACKOFF_BASE_SECONDS", 2)
DB_BACKOFF_MAX_SECONDS = getattr(settings, "PLATFORM_TASK_DB_BACKOFF_MAX_SECONDS", 300)


def db_retry_countdown(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: exponential with "equal jitter".

    The ceiling doubles with every retry (2, 4, 8, ... up to DB_BACKOFF_MAX_SECONDS) and the countdown is
    drawn from its upper half, so workers that failed together do not all come back at the same instant
    and each countdown is at least as long as the one before.
    """
    ceiling = min(DB_BACKOFF_BASE_SECONDS * 2 ** max(retries, 0), DB_BACKOFF_MAX_SECONDS)
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not security)


def _close_db_connections() -> None:
    """Drop the broken connections so that the next try opens fresh ones.

    A connection inside an atomic block is left alone (that only happens when a test runs a task inline
    in its own transaction; a worker runs each task outside any transaction).
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


def platform_task(*dargs, **options):
    """``shared_task`` that retries on database errors. Use it for every task, with shared_task's options.

    ``@platform_task`` or ``@platform_task(bind=True, acks_late=True, ...)``. The retry on a database
    error is bounded by DB_MAX_RETRIES whatever the task's own ``max_retries`` (``send_message`` keeps
    ``max_retries=None`` for its provider retries, whose budget lives on the outbox row).
    """
    if dargs and callable(dargs[0]) and len(dargs) == 1 and not options:
        return platform_task()(dargs[0])

    bind = options.pop("bind", False)

    def decorate(fn: Callable):
        def run(self, *args, **kwargs):
            try:
                return fn(self, *args, **kwargs) if bind else fn(*args, **kwargs)
            except DATABASE_ERRORS as exc:
                if self.request.called_directly:
                    raise
                _close_db_connections()
                countdown = db_retry_countdown(self.request.retries)
                logger.warning(
                    "Task %s met a database error (retry %s of %s in %.1fs): %s",
                    self.name,
                    self.request.retries + 1,
                    DB_MAX_RETRIES,
                    countdown,
                    exc,
                )
                raise self.retry(exc=exc, countdown=countdown, max_retries=DB_MAX_RETRIES) from exc

        # The task keeps the function's name, module, docs and argument check.
        signature = inspect.signature(fn)
        if not bind:
            self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
            signature = signature.replace(parameters=[self_param, *signature.parameters.values()])
        run.__signature__ = signature
        for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
            setattr(run, attr, getattr(fn, attr))
        return shared_task(*dargs, bind=True, **options)(run)

    return decorate


# --- Publishing from a request -------------------------------------------------------------------


def publish(task, *args, **kwargs) -> bool:
    """``task.delay(*args, **kwargs)``; False (logged) instead of an error when the broker is unreachable."""
    return publish_with(task, args=args, kwargs=kwargs)


def publish_with(task, *, args: tuple = (), kwargs: dict | None = None, **options) -> bool:
    """``task.apply_async(args, kwargs, **options)`` (a queue, a countdown) that never raises a broker error:
    False (logged) when the broker is unreachable."""
    try:
        task.apply_async(args=args, kwargs=kwargs or {}, **options)
    except BROKER_ERRORS as exc:
        logger.warning("Broker unreachable: %s%r not published (%s)", task.name, tuple(args), exc)
        return False
    return True


def publish_many(task, calls: Iterable[tuple], **options) -> list[tuple]:
    """Publish ``task`` once per argument tuple (with ``apply_async``'s ``options``, e.g. a queue); returns
    the tuples that were not published.

    After the first broker error the rest are not tried (each would wait for the broker in turn).
    """
    calls = list(calls)
    for i, args in enumerate(calls):
        if not publish_with(task, args=args, **options):
            return calls[i:]
    return []


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue ``task`` once the transaction commits, never failing the request if the broker is down."""
    transaction.on_commit(lambda: publish(task, *args, **kwargs))
