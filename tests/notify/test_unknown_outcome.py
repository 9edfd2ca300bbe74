"""Exactly once when a send's outcome is unknown (issue 8).

The row records the hand-over before the provider is called. No answer (a read timeout, a worker killed
mid-send) makes the outcome "unknown": it is settled by asking the provider (``query_sent``, Aliyun's
QuerySendDetails by phone, date and the row's id as OutId) and resent only when the provider has no record;
a provider that cannot be asked gets at most one resend, and the row says so.

The SMS backend is the test one (``LocmemSMSBackend``), which records ``out_id`` and answers the query from
its outbox; the frozen clock is moved with ``_later``.
"""

import datetime

import pytest
from django.db import OperationalError
from django.utils import timezone

from portal.accounts.sms import LocmemSMSBackend, SMSError
from portal.notify import services
from portal.notify.models import Message, MessageStatus
from portal.notify.services import (
    DeliveryResult,
    SettleResult,
    message_claim,
    message_deliver,
    message_enqueue,
    message_send_code,
    message_settle,
)
from portal.notify.tasks import send_due_messages, send_message
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_row():
    """A pending SMS whose send task was lost (the on-commit callback never ran)."""
    [row] = message_enqueue(
        key="u:1", template="account.welcome", context={}, user=UserFactory(), channels=["sms"]
    )
    return row


class Provider:
    """The test backend with faults: ``arrive_then_fail`` records the message (it reached the provider)
    and then raises as a read timeout does; ``fail_before`` raises without recording."""

    def __init__(self, monkeypatch):
        self.plan: list[str] = []
        self.handed_seen: list[bool] = []
        real_send = LocmemSMSBackend.send
        provider = self

        def send(backend, **kwargs):
            row = Message.objects.get(pk=int(kwargs["out_id"]))
            provider.handed_seen.append(row.handed_at is not None and row.status == MessageStatus.SENDING)
            step = provider.plan.pop(0) if provider.plan else "ok"
            if step == "fail_before":
                raise SMSError("Network error: connection refused", retryable=True, code="NetworkError")
            result = real_send(backend, **kwargs)
            if step == "arrive_then_fail":
                raise SMSError(
                    "Read timed out. (read timeout=10)", retryable=True, code="ReadTimeout", unknown=True
                )
            return result

        monkeypatch.setattr(LocmemSMSBackend, "send", send)


@pytest.fixture
def provider(monkeypatch):
    return Provider(monkeypatch)


@pytest.fixture
def no_query(monkeypatch):
    monkeypatch.setattr(LocmemSMSBackend, "supports_query", False)


def _later(monkeypatch, **delta):
    moment = timezone.now() + datetime.timedelta(**delta)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def _receipts(row):
    return [out_id for out_id in LocmemSMSBackend.out_ids() if out_id == str(row.pk)]


def test_the_hand_over_is_on_record_before_the_provider_is_called(sms_row, provider):
    assert message_deliver(message_id=sms_row.pk).result == DeliveryResult.SENT
    assert provider.handed_seen == [True]
    sms_row.refresh_from_db()
    assert sms_row.handed_at is not None and sms_row.status == MessageStatus.SENT
    assert _receipts(sms_row) == [str(sms_row.pk)]


def test_a_read_timeout_is_unknown_not_retried_and_settled_as_sent_by_the_query(
    sms_row, provider, monkeypatch
):
    provider.plan = ["arrive_then_fail"]
    outcome = message_deliver(message_id=sms_row.pk)
    assert outcome.result == DeliveryResult.UNKNOWN
    assert outcome.countdown == services.SETTLE_AFTER.total_seconds()
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.UNKNOWN and "Read timed out" in sms_row.last_error
    # Not "pending": no retry, no scan sends it again while it is being checked.
    _later(monkeypatch, minutes=10)
    assert message_claim(message_id=sms_row.pk) is False
    send_due_messages()  # the scan settles it: the provider has it
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert sms_row.provider_id.startswith("locmem-")
    assert len(_receipts(sms_row)) == 1


def test_settling_waits_until_the_provider_has_had_time(sms_row, provider, monkeypatch):
    provider.plan = ["arrive_then_fail"]
    message_deliver(message_id=sms_row.pk)
    assert message_settle(message_id=sms_row.pk) == SettleResult.LATER
    _later(monkeypatch, seconds=services.SETTLE_AFTER.total_seconds() + 1)
    assert message_settle(message_id=sms_row.pk) == SettleResult.SENT
    assert message_settle(message_id=sms_row.pk) == SettleResult.SKIPPED


def test_an_unknown_outcome_the_provider_has_no_record_of_is_sent_again_once(sms_row, provider, monkeypatch):
    provider.plan = ["arrive_then_fail"]
    message_deliver(message_id=sms_row.pk)
    LocmemSMSBackend.outbox.clear()  # the provider lost it after all: no record
    _later(monkeypatch, minutes=1)
    assert message_settle(message_id=sms_row.pk) == SettleResult.RESEND  # queued eagerly, sent
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert sms_row.blind_resends == 0
    assert len(_receipts(sms_row)) == 1


def test_a_provider_that_cannot_be_asked_gets_one_resend_and_the_row_says_so(
    sms_row, provider, no_query, monkeypatch
):
    provider.plan = ["arrive_then_fail", "arrive_then_fail"]
    message_deliver(message_id=sms_row.pk)
    _later(monkeypatch, minutes=1)
    assert message_settle(message_id=sms_row.pk) == SettleResult.RESEND
    sms_row.refresh_from_db()
    # the resend met the same silence: unknown again, and this time it stays unsent
    assert (sms_row.status, sms_row.blind_resends) == (MessageStatus.UNKNOWN, 1)
    _later(monkeypatch, minutes=2)
    assert message_settle(message_id=sms_row.pk) == SettleResult.FAILED
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.FAILED
    assert "resent once already" in sms_row.last_error
    assert len(_receipts(sms_row)) == 2  # at most one resend: two sends in all, never more
    _later(monkeypatch, hours=5)
    send_due_messages()
    assert len(_receipts(sms_row)) == 2


def test_a_provider_that_cannot_be_asked_and_then_answers_keeps_the_note(
    sms_row, provider, no_query, monkeypatch
):
    provider.plan = ["arrive_then_fail"]
    message_deliver(message_id=sms_row.pk)
    _later(monkeypatch, minutes=1)
    message_settle(message_id=sms_row.pk)
    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.blind_resends) == (MessageStatus.SENT, 1)


def test_a_query_that_fails_leaves_the_row_unknown_for_later(sms_row, provider, monkeypatch):
    provider.plan = ["arrive_then_fail"]
    message_deliver(message_id=sms_row.pk)

    def down(self, **kwargs):
        raise SMSError("Network error talking to Aliyun SMS", retryable=True, code="NetworkError")

    monkeypatch.setattr(LocmemSMSBackend, "query_sent", down)
    _later(monkeypatch, minutes=1)
    assert message_settle(message_id=sms_row.pk) == SettleResult.LATER
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.UNKNOWN
    assert "Could not ask the provider" in sms_row.last_error
    assert len(_receipts(sms_row)) == 1


def test_a_provider_that_refuses_to_be_asked_is_treated_as_one_that_cannot_be(sms_row, provider, monkeypatch):
    provider.plan = ["arrive_then_fail"]
    message_deliver(message_id=sms_row.pk)

    def refused(self, **kwargs):
        raise SMSError("Aliyun SMS query refused: isv.NotSupported", retryable=False, code="isv.NotSupported")

    monkeypatch.setattr(LocmemSMSBackend, "query_sent", refused)
    _later(monkeypatch, minutes=1)
    assert message_settle(message_id=sms_row.pk) == SettleResult.RESEND
    sms_row.refresh_from_db()
    assert (sms_row.status, sms_row.blind_resends) == (MessageStatus.SENT, 1)
    assert len(_receipts(sms_row)) == 2


def test_a_refused_connection_is_not_unknown_and_is_retried(sms_row, provider):
    provider.plan = ["fail_before"]
    assert message_deliver(message_id=sms_row.pk).result == DeliveryResult.RETRY
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.PENDING and sms_row.handed_at is None


def test_a_worker_killed_after_the_hand_over_is_settled_by_the_query_not_resent(
    sms_row, sms_outbox, monkeypatch
):
    # The worker claimed the row, recorded the hand-over, the provider took it, and the worker died
    # before it could mark the row: what `kill -9` during a send leaves.
    assert message_claim(message_id=sms_row.pk)
    Message.objects.filter(pk=sms_row.pk).update(handed_at=timezone.now())
    LocmemSMSBackend().send(phone=sms_row.address, text=sms_row.body, out_id=str(sms_row.pk))
    _later(monkeypatch, seconds=services.STUCK_AFTER.total_seconds() + 1)
    send_due_messages()  # stuck → unknown → settled
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert len(_receipts(sms_row)) == 1


def test_a_worker_killed_after_the_hand_over_before_the_request_left_is_sent_once(
    sms_row, sms_outbox, monkeypatch
):
    assert message_claim(message_id=sms_row.pk)
    Message.objects.filter(pk=sms_row.pk).update(handed_at=timezone.now())  # ... and died there
    _later(monkeypatch, seconds=services.STUCK_AFTER.total_seconds() + 1)
    send_due_messages()
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert len(_receipts(sms_row)) == 1


def test_the_stuck_rows_are_recovered_within_minutes_not_ten(sms_row, sms_outbox, monkeypatch):
    assert message_claim(message_id=sms_row.pk)
    _later(monkeypatch, seconds=services.STUCK_AFTER.total_seconds() + 1)
    send_due_messages()
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert datetime.timedelta(minutes=2) >= services.STUCK_AFTER


def test_the_provider_took_it_but_the_database_went_away_the_task_only_marks_it(
    sms_row, sms_outbox, monkeypatch
):
    real = services.message_mark_sent
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "message_mark_sent", flaky)
    result = send_message.apply(args=[sms_row.pk])
    assert result.successful(), result.traceback
    sms_row.refresh_from_db()
    assert sms_row.status == MessageStatus.SENT
    assert len(sms_outbox) == 1
    assert calls[1]["provider_id"] == calls[0]["provider_id"] == "locmem-1"


def test_the_scan_queues_a_lost_send_within_a_minute(sms_row, sms_outbox, monkeypatch):
    assert send_due_messages() == 0  # just queued: its task is on its way
    _later(monkeypatch, seconds=services.REQUEUE_AFTER.total_seconds() + 1)
    assert datetime.timedelta(minutes=1) >= services.REQUEUE_AFTER
    assert send_due_messages() == 1
    assert len(sms_outbox) == 1


# --- codes on the fast lane -------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    """What was published, with its options (queue, countdown), instead of running it."""
    from portal import tasks as platform

    seen: list[tuple] = []

    def publish_with(task, *, args=(), kwargs=None, **options):
        seen.append((task.name, tuple(args), options))
        return True

    monkeypatch.setattr(platform, "publish_with", publish_with)
    return seen


def test_a_code_goes_at_once_on_its_own_queue_whatever_the_quiet_hours_and_preferences(
    published, django_capture_on_commit_callbacks
):
    from portal.notify.models import ContactPreference

    user = UserFactory()
    ContactPreference.objects.create(
        user=user, sms_enabled=False, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(23, 59)
    )
    with django_capture_on_commit_callbacks(execute=True):
        row = message_send_code(
            key="account.code:abc",
            user=user,
            phone="13812348000",
            text="验证码 123456",
            params={"code": "123456"},
            valid_for=datetime.timedelta(minutes=15),
        )
    assert (row.urgent, row.status, row.not_before, row.address) == (
        True,
        MessageStatus.PENDING,
        None,
        "+8613812348000",
    )
    assert published == [("portal.notify.tasks.send_message", (row.pk,), {"queue": "urgent"})]
    assert send_message(row.pk) == DeliveryResult.SENT
    assert LocmemSMSBackend.outbox[0]["params"] == {"code": "123456"}


def test_a_code_is_never_sent_late(monkeypatch, django_capture_on_commit_callbacks, published):
    row = message_send_code(
        key="account.code:late",
        user=UserFactory(),
        phone="13812348000",
        text="x",
        valid_for=datetime.timedelta(minutes=5),
    )
    _later(monkeypatch, minutes=6)
    assert send_message(row.pk) == DeliveryResult.EXPIRED
    row.refresh_from_db()
    assert row.status == MessageStatus.CANCELLED
    assert LocmemSMSBackend.outbox == []


def test_the_scan_cancels_expired_codes_and_requeues_codes_on_their_lane(monkeypatch, published):
    user = UserFactory()
    fresh = message_send_code(
        key="account.code:1", user=user, phone="13812348000", text="x", valid_for=datetime.timedelta(hours=1)
    )
    stale = message_send_code(
        key="account.code:2",
        user=user,
        phone="13812348000",
        text="y",
        valid_for=datetime.timedelta(seconds=30),
    )
    published.clear()
    _later(monkeypatch, minutes=2)
    assert send_due_messages() == 1
    assert published == [("portal.notify.tasks.send_message", (fresh.pk,), {"queue": "urgent"})]
    stale.refresh_from_db()
    assert stale.status == MessageStatus.CANCELLED


def test_the_admin_does_not_show_a_code(admin_client):
    row = message_send_code(
        key="account.code:admin",
        user=UserFactory(),
        phone="13812348000",
        text="验证码 987654",
        params={"code": "987654"},
        valid_for=datetime.timedelta(minutes=5),
    )
    page = admin_client.get(f"/admin/notify/message/{row.pk}/change/")
    assert page.status_code == 200
    assert b"987654" not in page.content
