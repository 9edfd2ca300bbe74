"""A broker outage never fails a request: the rows are committed, the page answers as usual, and the next
periodic scan queues the sends the broker did not take (``portal.tasks.publish``).

The outage is ``send_message.delay`` raising kombu's ``OperationalError`` (what Celery raises when Redis
refuses the connection). Transactional tests: the on-commit hook runs inside the request, as in production,
and the client answers 500 instead of raising, as gunicorn would.
"""

import kombu.exceptions
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Registration, StaffMessage
from events.services.booking import booking_create, booking_create_on_behalf
from portal import tasks as platform
from portal.notify import services
from portal.notify.models import Message, MessageStatus
from portal.notify.tasks import send_due_messages, send_message
from tests.accounts.factories import UserFactory
from tests.events import conftest as events_fixtures
from tests.notify.factories import MessageTemplateFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The engine's people and activity, in English with eager tasks (tests/events/conftest.py).
world = events_fixtures.world
fcfs = events_fixtures.fcfs
_english = events_fixtures._english
_eager_celery = events_fixtures._eager_celery


class BrokerDown:
    """Stands in for ``send_message.apply_async`` while Redis is unreachable; counts the attempts."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def broker_down(monkeypatch):
    down = BrokerDown()
    monkeypatch.setattr(send_message, "apply_async", down)
    return down


@pytest.fixture
def browser():
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _unsent():
    return Message.objects.exclude(channel="inbox").filter(status=MessageStatus.PENDING)


def _scan_now() -> int:
    """One periodic scan, run inline (its sends run inline too)."""
    result = send_due_messages.apply()
    assert result.successful(), result.traceback
    return result.result


def _broker_back_and_scan(monkeypatch) -> int:
    """The broker returns; the next periodic scan runs (eagerly, so its sends run too)."""
    monkeypatch.undo()
    return _scan_now()


def test_a_staff_message_while_the_broker_is_down_answers_and_is_sent_by_the_next_scan(
    world, fcfs, browser, broker_down, sms_outbox, monkeypatch
):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    # the booking confirmations are not under test
    Message.objects.update(status=MessageStatus.SENT, sent_at=timezone.now())
    browser.force_login(world.staff)
    url = reverse("events:session_message", args=[fcfs.session.pk])
    key = browser.get(url).context["form"].initial["request_key"]

    response = browser.post(url, {"text": "请带上水杯，九点在二楼集合。", "request_key": key})

    assert response.status_code == 302
    assert StaffMessage.objects.count() == 1
    unsent = list(_unsent().values_list("pk", flat=True))
    assert unsent, "the message rows are committed"
    assert broker_down.calls >= 1
    assert not _unsent().filter(queued_at__isnull=False).exists()  # left for the next scan
    assert sms_outbox == []

    assert _broker_back_and_scan(monkeypatch) == len(unsent)
    assert not _unsent().exists()
    assert Message.objects.filter(pk__in=unsent, status=MessageStatus.SENT).count() == len(unsent)
    assert "+8613700001111" in [sms["phone"] for sms in sms_outbox]


def test_a_cancellation_that_offers_the_seat_answers_while_the_broker_is_down(
    world, fcfs, browser, broker_down, sms_outbox, monkeypatch
):
    fcfs.session.capacity = 1
    fcfs.session.save()
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    Message.objects.update(status=MessageStatus.SENT)
    broker_down.calls = 0
    son = Registration.objects.get(person=world.son)
    browser.force_login(world.mum_user)

    response = browser.post(reverse("events:registration_cancel", args=[son.pk]))

    assert response.status_code == 302
    son.refresh_from_db()
    assert son.status == "cancelled"
    assert Registration.objects.get(person=world.kid).status == "offered"
    offers = _unsent().filter(user=world.dad_user, template__code="events.offer_made")
    phones = [row.address for row in offers if row.channel == "sms"]
    assert phones, "the offer's SMS is committed"
    assert broker_down.calls >= 1
    assert not offers.filter(queued_at__isnull=False).exists()

    assert _broker_back_and_scan(monkeypatch) >= len(phones)
    assert not _unsent().exists()
    assert [sms["phone"] for sms in sms_outbox] == phones


def test_a_scan_while_the_broker_is_down_leaves_the_rows_for_the_next_scan(
    broker_down, sms_outbox, monkeypatch
):
    template = MessageTemplateFactory(code="test.broker")
    for n in range(3):
        services.message_enqueue(
            key=f"broker:{n}", template=template.code, context={}, user=UserFactory(), channels=["sms"]
        )
    assert _unsent().count() == 3
    assert not _unsent().filter(queued_at__isnull=False).exists()

    assert _scan_now() == 3  # the scan runs, its publish fails: nothing raised
    assert not _unsent().filter(queued_at__isnull=False).exists()

    assert _broker_back_and_scan(monkeypatch) == 3
    assert len(sms_outbox) == 3
    assert not _unsent().exists()


def test_publish_returns_false_instead_of_raising_for_each_broker_error(monkeypatch):
    import redis.exceptions

    for error in (
        kombu.exceptions.OperationalError("refused"),
        redis.exceptions.ConnectionError("refused"),
        ConnectionRefusedError(111, "refused"),
    ):

        def apply_async(*args, _error=error, **kwargs):
            raise _error

        monkeypatch.setattr(send_message, "apply_async", apply_async)
        assert platform.publish(send_message, 1) is False
    assert platform.publish_many(send_message, [(1,), (2,), (3,)]) == [(1,), (2,), (3,)]


def test_enqueue_on_commit_publishes_after_commit_and_never_raises(broker_down):
    from django.db import transaction

    with transaction.atomic():
        platform.enqueue_on_commit(send_message, 1)
        assert broker_down.calls == 0  # nothing before the commit
    assert broker_down.calls == 1
