"""Settlers racing for one unknown row on real PostgreSQL (the scan and the settle task asking the provider
at the same moment): the conditional UPDATE on status and hand-over time lets exactly one of them resend.

Every settler is held at the provider query until all have asked (a barrier), so all of them see "no
record"; the control swaps the release for a plain UPDATE by id and shows the same race resends twice.
"""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from portal.accounts.sms import LocmemSMSBackend
from portal.notify import services
from portal.notify.models import Message, MessageStatus
from portal.notify.services import SettleResult, message_enqueue, message_settle
from tests.accounts.factories import UserFactory
from tests.notify.factories import MessageTemplateFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SETTLERS = 6


@pytest.fixture
def unknown_row(monkeypatch):
    """An SMS handed to the provider a while ago with no answer on record; the provider has no record."""
    template = MessageTemplateFactory(code="test.settle")
    monkeypatch.setattr(services, "_queue_send", lambda ids, **lane: None)
    [row] = message_enqueue(
        key="settle:1",
        template=template.code,
        context={"title": "T", "text": "X"},
        user=UserFactory(),
        channels=["sms"],
    )
    handed = timezone.now() - services.SETTLE_AFTER * 2
    Message.objects.filter(pk=row.pk).update(
        status=MessageStatus.UNKNOWN, handed_at=handed, claimed_at=handed, attempts=1
    )
    resends: list[list[int]] = []
    lock = threading.Lock()

    def queue_rows(ids):
        with lock:
            resends.append(list(ids))

    monkeypatch.setattr(services, "_queue_rows", queue_rows)
    return row, resends


@pytest.fixture
def everyone_asks_first(monkeypatch):
    barrier = threading.Barrier(SETTLERS, timeout=20)

    def query_sent(self, **kwargs):
        barrier.wait()
        return None  # no record: every settler wants to resend

    monkeypatch.setattr(LocmemSMSBackend, "query_sent", query_sent)


def _race(message_id):
    results: list[str] = []
    lock = threading.Lock()

    def settle():
        try:
            result = message_settle(message_id=message_id)
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=settle) for _ in range(SETTLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_racing_settlers_resend_once(unknown_row, everyone_asks_first):
    row, resends = unknown_row
    results = _race(row.pk)
    assert sorted(results) == [SettleResult.RESEND] + [SettleResult.SKIPPED] * (SETTLERS - 1)
    assert resends == [[row.pk]]
    row.refresh_from_db()
    assert row.status == MessageStatus.PENDING and row.handed_at is None


def test_control_an_unconditional_release_resends_for_every_settler(
    unknown_row, everyone_asks_first, monkeypatch
):
    row, resends = unknown_row

    def naive_release(message, *, now, note, blind=False):
        return Message.objects.filter(pk=message.pk).update(status=MessageStatus.PENDING, handed_at=None) == 1

    monkeypatch.setattr(services, "_release_for_resend", naive_release)
    _race(row.pk)
    assert len(resends) > 1
