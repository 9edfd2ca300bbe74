"""Celery entry points for notify. They take primary keys and call services; running one twice is safe."""

from django.conf import settings

from portal.tasks import DB_MAX_RETRIES, _close_db_connections, db_retry_countdown, platform_task

from . import services

#: A send holds its row for at most this long (the provider's own timeout is far shorter); the stuck-row
#: recovery (NOTIFY_STUCK_SECONDS) waits longer than this, so it never takes a live send for a dead one.
SEND_TIME_LIMIT = getattr(settings, "NOTIFY_SEND_TIME_LIMIT", 60)


@platform_task(bind=True, max_retries=None, acks_late=True, time_limit=SEND_TIME_LIMIT)
def send_message(self, message_id: int, provider_id: str | None = None) -> str:
    """Send one outbox row. A retryable failure comes back with exponential backoff (60 s, 120 s, ...); an
    unknown outcome is settled with the provider ``SETTLE_AFTER`` later (``settle_message``).

    The number of attempts is counted on the row, not by Celery, so a duplicated task, a retry and the
    periodic scan share one budget (``NOTIFY_MAX_ATTEMPTS``) and never send the same row twice. When the
    provider took the message but the database was away, the task comes back with ``provider_id`` and only
    marks the row sent.
    """
    if provider_id is not None:
        return (
            services.DeliveryResult.SENT
            if services.message_mark_sent(message_id=message_id, provider_id=provider_id)
            else services.DeliveryResult.SKIPPED
        )
    try:
        outcome = services.message_deliver(message_id=message_id)
    except services.SentButUnrecorded as exc:
        if self.request.called_directly:
            raise
        _close_db_connections()
        raise self.retry(
            args=[message_id],
            kwargs={"provider_id": exc.provider_id},
            countdown=db_retry_countdown(self.request.retries),
            max_retries=DB_MAX_RETRIES,
        ) from exc
    if self.request.called_directly:
        return outcome.result
    if outcome.result == services.DeliveryResult.RETRY:
        raise self.retry(countdown=outcome.countdown)
    if outcome.result == services.DeliveryResult.UNKNOWN:
        services.queue_settle([message_id], countdown=outcome.countdown)
    return outcome.result


@platform_task
def settle_message(message_id: int) -> str:
    """Settle a send whose outcome is unknown: ask the provider, then mark it sent or send it again."""
    return services.message_settle(message_id=message_id)


@platform_task
def send_due_messages() -> int:
    """Every NOTIFY_SCAN_SECONDS (CELERY_BEAT_SCHEDULE): recover stuck rows, settle unknown outcomes and
    queue pending rows that are due."""
    return services.messages_queue_due()
