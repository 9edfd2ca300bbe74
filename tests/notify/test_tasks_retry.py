"""Notify's tasks ride out the database: an OperationalError is retried with a growing backoff and a bound,
on a fresh connection, and the send happens on the later try (``portal.tasks.platform_task``).

The tasks run eagerly with ``task.apply``; Celery's ``task_retry`` signal reports each retry and its
countdown. Transactional tests: the task's connection is outside any atomic block, as in a worker.
"""

import pytest
from django.db import InterfaceError, OperationalError, connection

from portal import tasks as platform
from portal.notify import services
from portal.notify.models import Message, MessageStatus
from portal.notify.services import message_enqueue
from portal.notify.tasks import send_due_messages, send_message
from tests.accounts.factories import UserFactory
from tests.notify.factories import MessageTemplateFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sms_row(monkeypatch):
    """A pending SMS; the send queued on commit is held back so that the test runs it."""
    template = MessageTemplateFactory(code="test.dbretry")
    monkeypatch.setattr(services, "_queue_send", lambda ids, **lane: None)
    [row] = message_enqueue(
        key="dbretry:1",
        template=template.code,
        context={"title": "T", "text": "X"},
        user=UserFactory(),
        channels=["sms"],
    )
    monkeypatch.undo()
    return row


def _flaky(monkeypatch, module, name, *, failures: int | None, error=OperationalError):
    """Make ``module.name`` raise ``error`` ``failures`` times (None: always), then do its real work.

    Returns, per call, whether the database connection was closed when the call began."""
    real = getattr(module, name)
    calls: list[bool] = []

    def flaky(*args, **kwargs):
        calls.append(connection.connection is None)
        if failures is None or len(calls) <= failures:
            raise error("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def test_send_message_retries_a_database_error_on_a_fresh_connection_and_sends(
    sms_row, sms_outbox, retry_countdowns, monkeypatch
):
    calls = _flaky(monkeypatch, services, "message_deliver", failures=1)

    result = send_message.apply(args=[sms_row.pk])

    assert result.successful(), result.traceback
    assert result.result == services.DeliveryResult.SENT
    assert len(retry_countdowns) == 1
    assert 1 <= retry_countdowns[0] <= 2
    assert calls == [False, True]  # the retry began on a closed connection, i.e. it reconnected
    assert len(sms_outbox) == 1
    assert Message.objects.get(pk=sms_row.pk).status == MessageStatus.SENT


def test_a_database_that_stays_down_is_retried_with_growing_countdowns_up_to_the_bound(
    sms_row, sms_outbox, retry_countdowns, monkeypatch
):
    monkeypatch.setattr(platform, "DB_MAX_RETRIES", 5)
    calls = _flaky(monkeypatch, services, "message_deliver", failures=None)

    result = send_message.apply(args=[sms_row.pk])

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == 6  # the first try and five retries, then it stops
    assert len(retry_countdowns) == 5
    assert retry_countdowns == sorted(retry_countdowns)
    assert retry_countdowns[-1] >= 4 * retry_countdowns[0]
    for n, countdown in enumerate(retry_countdowns):
        ceiling = min(platform.DB_BACKOFF_BASE_SECONDS * 2**n, platform.DB_BACKOFF_MAX_SECONDS)
        assert ceiling / 2 <= countdown <= ceiling
    # The row is untouched, still pending for the periodic scan.
    assert sms_outbox == []
    assert Message.objects.get(pk=sms_row.pk).status == MessageStatus.PENDING


def test_the_backoff_is_jittered_and_capped(monkeypatch):
    monkeypatch.setattr(platform, "DB_BACKOFF_MAX_SECONDS", 60)
    draws = {platform.db_retry_countdown(3) for _ in range(50)}
    assert len(draws) > 1
    assert all(8 <= d <= 16 for d in draws)
    assert all(30 <= platform.db_retry_countdown(20) <= 60 for _ in range(20))


def test_send_message_keeps_its_own_backoff_for_a_provider_failure(sms_row, sms_outbox, monkeypatch):
    from portal.accounts.sms import LocmemSMSBackend, SMSError

    real_send = LocmemSMSBackend.send
    attempts: list[int] = []

    def send(self, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise SMSError("throttled", retryable=True)
        return real_send(self, **kwargs)

    monkeypatch.setattr(LocmemSMSBackend, "send", send)
    asked: list[dict] = []
    real_retry = send_message.retry

    def retry(*args, **kwargs):
        asked.append(kwargs)
        return real_retry(*args, **kwargs)

    monkeypatch.setattr(send_message, "retry", retry)

    send_message.apply(args=[sms_row.pk])

    assert asked == [{"countdown": services.backoff_seconds(1)}]  # the row's 60 s, not the database's
    row = Message.objects.get(pk=sms_row.pk)
    assert row.status == MessageStatus.PENDING
    assert row.attempts == 1


def test_the_scan_retries_an_interface_error_and_queues_the_due_rows(sms_row, retry_countdowns, monkeypatch):
    Message.objects.filter(pk=sms_row.pk).update(queued_at=None)
    queued: list[list[int]] = []
    monkeypatch.setattr(services, "_queue_send", lambda ids, **lane: queued.append(list(ids)))
    _flaky(monkeypatch, services, "messages_queue_due", failures=1, error=InterfaceError)

    result = send_due_messages.apply()

    assert result.successful(), result.traceback
    assert result.result == 1
    assert len(retry_countdowns) == 1
    assert queued == [[sms_row.pk]]
