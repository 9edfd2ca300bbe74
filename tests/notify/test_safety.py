"""Safety messages (message_enqueue(..., safety=True), e.g. a child's pickup refused at the door): past the
quiet hours, on every channel asked for that has an address whatever the preference turned off, at once on
the urgent queue. The same message without ``safety`` waits and skips the disabled channel (the control)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portal.notify.models import Channel, ContactPreference, MessageStatus
from portal.notify.services import message_enqueue
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.notify.factories import MessageTemplateFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
CODE = "test.safety"


@pytest.fixture(autouse=True)
def _template():
    """A template of its own (the migrations' rows are gone after a transactional test's flush)."""
    MessageTemplateFactory(code=CODE)


@pytest.fixture
def published(monkeypatch):
    """What was published, with its options (queue), instead of running it."""
    from portal import tasks as platform

    seen: list[tuple] = []

    def publish_with(task, *, args=(), kwargs=None, **options):
        seen.append((task.name, tuple(args), options))
        return True

    monkeypatch.setattr(platform, "publish_with", publish_with)
    return seen


@pytest.fixture
def night_elder(monkeypatch):
    """A grandmother of 70 (default quiet hours 21:00-08:00) who turned SMS off; the clock at 22:30."""
    user = UserFactory(email="nai@example.cn")
    PersonFactory(user=user, birth_date=datetime.date(1956, 3, 1))
    ContactPreference.objects.create(user=user, sms_enabled=False, email_enabled=False)
    night = datetime.datetime(2026, 11, 18, 22, 30, tzinfo=SH)
    monkeypatch.setattr(timezone, "now", lambda: night)
    return user


def _send(user, *, safety, key):
    return message_enqueue(
        key=key, template=CODE, context={}, user=user, channels=["sms", "inbox"], safety=safety
    )


def test_safety_goes_past_quiet_hours_and_a_disabled_sms_on_the_urgent_queue(
    night_elder, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = _send(night_elder, safety=True, key="safety:1")
    by_channel = {r.channel: r for r in rows}
    assert set(by_channel) == {Channel.SMS, Channel.INBOX}
    sms = by_channel[Channel.SMS]
    assert sms.not_before is None and sms.queued_at is not None and sms.status == MessageStatus.PENDING
    assert by_channel[Channel.INBOX].status == MessageStatus.SENT
    assert published == [("portal.notify.tasks.send_message", (sms.pk,), {"queue": "urgent"})]


def test_control_without_safety_the_sms_is_left_out_and_nothing_urgent(
    night_elder, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = _send(night_elder, safety=False, key="safety:2")
    assert [r.channel for r in rows] == [Channel.INBOX]
    assert published == []


def test_control_without_safety_an_enabled_sms_waits_for_the_morning(monkeypatch, published):
    user = UserFactory()
    PersonFactory(user=user, birth_date=datetime.date(1956, 3, 1))
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2026, 11, 18, 22, 30, tzinfo=SH))
    [sms] = message_enqueue(key="safety:3", template=CODE, context={}, user=user, channels=["sms"])
    assert sms.not_before == datetime.datetime(2026, 11, 19, 8, 0, tzinfo=SH)
    [safe] = message_enqueue(
        key="safety:4", template=CODE, context={}, user=user, channels=["sms"], safety=True
    )
    assert safe.not_before is None


def test_safety_still_needs_an_address_and_keeps_its_key(night_elder):
    night_elder.email = ""
    night_elder.save()
    rows = message_enqueue(
        key="safety:5",
        template=CODE,
        context={},
        user=night_elder,
        channels=["email"],
        safety=True,
    )
    assert rows == []
    first = _send(night_elder, safety=True, key="safety:6")
    again = _send(night_elder, safety=True, key="safety:6")
    assert sorted(r.pk for r in first) == sorted(r.pk for r in again)
