"""Celery entry points for notify. They take primary keys and call services; running one twice is safe."""

from portal.tasks import platform_task

from . import services


@platform_task(bind=True, max_retries=None, acks_late=True)
def send_message(self, message_id: int) -> str:
    """Send one outbox row. A retryable failure comes back with exponential backoff (60 s, 120 s, ...).

    The number of attempts is counted on the row, not by Celery, so a duplicated task, a retry and the
    periodic scan share one budget (``NOTIFY_MAX_ATTEMPTS``) and never send the same row twice.
    """
    outcome = services.message_deliver(message_id=message_id)
    if outcome.result == services.DeliveryResult.RETRY and not self.request.called_directly:
        raise self.retry(countdown=outcome.countdown)
    return outcome.result


@platform_task
def send_due_messages() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): recover stuck rows and queue pending rows that are due."""
    return services.messages_queue_due()
