"""Claim, send, retry and recovery: a duplicated, retried or crashed task never sends a message twice."""

import datetime

import pytest
from django.utils import timezone

from portal.accounts.sms import LocmemSMSBackend, SMSError
from portal.notify import services
from portal.notify.models import Message, MessageStatus
from portal.notify.services import DeliveryResult, message_claim, message_deliver, message_enqueue
from portal.notify.tasks import send_due_messages, send_message
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_row():
    """A pending SMS whose send task was lost (the on-commit callback never ran)."""
    [row] = message_enqueue(
        key="d:1", template="account.welcome", context={}, user=UserFactory(), channels=["sms"]
    )
    return row


@pytest.fixture
def failing_sms(monkeypatch):
    """Make the SMS backend raise; returns the list of errors still to raise (then it succeeds)."""
    errors: list[SMSError] = []
    real_send = LocmemSMSBackend.send

    def send(self, **kwargs):
        if errors:
            raise errors.pop(0)
        return real_send(self, **kwargs)

    monkeypatch.setattr(LocmemSMSBackend, "send", send)
    return errors


def _later(monkeypatch, **delta):
    moment = timezone.now() + datetime.timedelta(**delta)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_running_the_task_twice_sends_once(sms_row, sms_outbox):
    assert send_message(sms_row.pk) == DeliveryResult.SENT
    assert send_message(sms_row.pk) == DeliveryResult.SKIPPED
    assert len(sms_outbox) == 1
    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.attempts) == (MessageStatus.SENT, 1)
    assert sms_row.sent_at is not None


def test_only_one_claim_wins(sms_row):
    assert message_claim(message_id=sms_row.pk) is True
    assert message_claim(message_id=sms_row.pk) is False
    assert message_deliver(message_id=sms_row.pk).result == DeliveryResult.SKIPPED


def test_a_retryable_failure_releases_the_claim_with_exponential_backoff(
    sms_row, sms_outbox, failing_sms, monkeypatch
):
    failing_sms.extend([SMSError("throttled", retryable=True), SMSError("throttled", retryable=True)])
    before = timezone.now()
    outcome = message_deliver(message_id=sms_row.pk)
    assert (outcome.result, outcome.countdown) == (DeliveryResult.RETRY, 60)
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.PENDING
    assert sms_row.attempts == 1
    assert "throttled" in sms_row.last_error
    assert sms_row.not_before >= before + datetime.timedelta(seconds=60)

    # Not due yet: a duplicate task or the scan does nothing.
    assert message_deliver(message_id=sms_row.pk).result == DeliveryResult.SKIPPED

    _later(monkeypatch, seconds=61)
    outcome = message_deliver(message_id=sms_row.pk)
    assert (outcome.result, outcome.countdown) == (DeliveryResult.RETRY, 120)

    _later(monkeypatch, seconds=61 + 121)
    assert message_deliver(message_id=sms_row.pk).result == DeliveryResult.SENT
    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.attempts, sms_row.last_error) == (MessageStatus.SENT, 3, "")
    assert len(sms_outbox) == 1


def test_the_task_asks_celery_to_retry_with_the_backoff(sms_row, failing_sms, monkeypatch):
    from celery.exceptions import Retry

    asked = []

    def retry(*args, **kwargs):
        asked.append(kwargs)
        return Retry("retry", when=kwargs.get("countdown"))

    monkeypatch.setattr(send_message, "retry", retry)
    failing_sms.append(SMSError("network", retryable=True))
    result = send_message.apply(args=[sms_row.pk])
    assert result.state == "RETRY"
    assert asked == [{"countdown": 60}]
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.PENDING


def test_gives_up_after_the_maximum_number_of_attempts(sms_row, sms_outbox, failing_sms, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTEMPTS", 3)
    failing_sms.extend([SMSError("busy", retryable=True)] * 3)
    results = []
    for hours in range(3):
        _later(monkeypatch, hours=hours + 1)
        results.append(message_deliver(message_id=sms_row.pk).result)
    assert results == [DeliveryResult.RETRY, DeliveryResult.RETRY, DeliveryResult.FAILED]
    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.attempts) == (MessageStatus.FAILED, 3)
    assert sms_outbox == []


def test_a_permanent_failure_fails_at_once(sms_row, failing_sms):
    failing_sms.append(SMSError("invalid phone number", retryable=False))
    assert message_deliver(message_id=sms_row.pk).result == DeliveryResult.FAILED
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.FAILED
    assert "invalid phone number" in sms_row.last_error


def test_the_scan_queues_rows_whose_task_was_lost(sms_row, sms_outbox, monkeypatch):
    # Just enqueued: the scan leaves it to the task queued on commit for a few minutes.
    assert send_due_messages() == 0
    _later(monkeypatch, minutes=6)
    assert send_due_messages() == 1
    assert len(sms_outbox) == 1
    assert send_due_messages() == 0


def test_a_worker_crash_after_the_claim_is_recovered_and_sent_once(sms_row, sms_outbox, monkeypatch):
    assert message_claim(message_id=sms_row.pk)  # ... and the worker dies before sending
    assert send_due_messages() == 0  # not stuck long enough yet
    _later(monkeypatch, minutes=11)
    assert send_due_messages() == 1
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert sms_row.attempts == 2
    assert len(sms_outbox) == 1


def test_a_stuck_row_with_a_provider_id_was_sent_and_is_not_sent_again(sms_row, sms_outbox, monkeypatch):
    assert message_claim(message_id=sms_row.pk)
    # The provider accepted it (its id is recorded) but the worker died before marking it sent.
    Message.objects.filter(pk=sms_row.pk).update(provider_id="aliyun-biz-1")
    _later(monkeypatch, minutes=11)
    send_due_messages()
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert sms_row.sent_at is not None
    assert sms_outbox == []


def test_a_crashed_row_out_of_attempts_fails(sms_row, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTEMPTS", 1)
    assert message_claim(message_id=sms_row.pk)
    _later(monkeypatch, minutes=11)
    send_due_messages()
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.FAILED


def test_retrying_failed_messages_queues_them_again(
    sms_row, sms_outbox, failing_sms, django_capture_on_commit_callbacks
):
    failing_sms.append(SMSError("bad template", retryable=False))
    message_deliver(message_id=sms_row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_retry(message_ids=[sms_row.pk]) == 1
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert len(sms_outbox) == 1
    # Sent rows are not retried.
    assert services.messages_retry(message_ids=[sms_row.pk]) == 0


def test_a_cancelled_row_is_never_sent(sms_row, sms_outbox):
    services.message_cancel(key="d:1")
    assert send_message(sms_row.pk) == DeliveryResult.SKIPPED
    assert sms_outbox == []


def test_a_missing_row_is_skipped():
    assert send_message(987654) == DeliveryResult.SKIPPED


def test_backoff_is_capped():
    assert [services.backoff_seconds(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert services.backoff_seconds(30) == services.BACKOFF_MAX_SECONDS
