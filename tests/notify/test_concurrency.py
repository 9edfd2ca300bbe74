"""Many workers racing for one row on real PostgreSQL: the conditional UPDATE lets exactly one send it.

The control test swaps the claim for a naive read-then-write and shows the same race sends the SMS more
than once, so the first test would catch a claim that did not lock.
"""

import threading

import pytest
from django.db import connection

from portal.notify import services
from portal.notify.models import Message, MessageStatus
from portal.notify.services import DeliveryResult, message_deliver, message_enqueue
from tests.accounts.factories import UserFactory
from tests.notify.factories import MessageTemplateFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def _race(message_id: int) -> list[str]:
    barrier = threading.Barrier(WORKERS)
    results: list[str] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            outcome = message_deliver(message_id=message_id)
            with lock:
                results.append(outcome.result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.fixture
def sms_row(monkeypatch):
    """A pending SMS nobody has sent yet (the task queued on commit is held back)."""
    # A transactional test starts from a flushed database, without the default templates.
    template = MessageTemplateFactory(code="test.race")
    monkeypatch.setattr(services, "_queue_send", lambda ids, **lane: None)
    [row] = message_enqueue(
        key="race:1",
        template=template.code,
        context={"title": "T", "text": "X"},
        user=UserFactory(),
        channels=["sms"],
    )
    return row


def test_racing_workers_send_the_message_exactly_once(sms_row, sms_outbox):
    results = _race(sms_row.pk)
    assert sorted(results) == [DeliveryResult.SENT] + [DeliveryResult.SKIPPED] * (WORKERS - 1)
    assert len(sms_outbox) == 1
    assert Message.objects.get(pk=sms_row.pk).status == MessageStatus.SENT


def _wait_for_two():
    """A point two workers must both reach before either goes on (10 s at most)."""
    state = {"n": 0}
    both = threading.Event()
    lock = threading.Lock()

    def arrive():
        with lock:
            state["n"] += 1
            if state["n"] >= 2:
                both.set()
        both.wait(timeout=10)

    return arrive


def test_control_a_naive_read_then_write_claim_sends_twice(sms_row, sms_outbox, monkeypatch):
    read_both, handing_both = _wait_for_two(), _wait_for_two()

    def naive_claim(*, message_id, now=None):
        row = Message.objects.get(pk=message_id)
        if row.status != MessageStatus.PENDING:
            return False
        # The window every real race has, held open until a second worker has read the row too (a sleep
        # lost the race on a loaded machine: the first worker had sent before the second read).
        read_both()
        Message.objects.filter(pk=message_id).update(status=MessageStatus.SENDING, attempts=row.attempts + 1)
        return True

    transport = services._transport

    def transport_when_both_hand_over(message):
        handing_both()  # both claimed it: neither has marked it sent yet
        return transport(message)

    monkeypatch.setattr(services, "message_claim", naive_claim)
    monkeypatch.setattr(services, "_transport", transport_when_both_hand_over)
    _race(sms_row.pk)
    assert len(sms_outbox) > 1
