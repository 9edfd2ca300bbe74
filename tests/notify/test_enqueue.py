import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from portal.notify import services
from portal.notify.models import Channel, Message, MessageStatus, MessageTemplate
from portal.notify.services import message_enqueue, quiet_hours_end
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.notify.factories import ContactPreferenceFactory, MessageTemplateFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _sh(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture
def freeze(monkeypatch):
    """Set the clock seen by the services (timezone.now) to a given moment."""

    def _freeze(moment: datetime.datetime):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return _freeze


def test_enqueue_creates_one_row_per_channel_with_channel_suffixed_keys(sms_outbox):
    user = UserFactory(email="li@example.cn", name="李梅")
    rows = message_enqueue(
        key=f"account.welcome:user:{user.pk}", template="account.welcome", context={}, user=user
    )
    assert sorted(r.key for r in rows) == sorted(
        f"account.welcome:user:{user.pk}:{c}" for c in ("sms", "email", "inbox")
    )
    by_channel = {r.channel: r for r in rows}
    assert by_channel["sms"].address == str(user.phone.as_e164)
    assert by_channel["email"].address == "li@example.cn"
    assert by_channel["sms"].status == MessageStatus.PENDING
    # The inbox row is the delivery: visible at once.
    assert by_channel["inbox"].status == MessageStatus.SENT
    assert "李梅" in by_channel["sms"].body and "欢迎" in by_channel["sms"].body


def test_rendered_in_the_recipients_language():
    zh = UserFactory(language="")
    en = UserFactory(language="en")
    [zh_row] = message_enqueue(
        key="w:zh", template="account.welcome", context={}, user=zh, channels=["inbox"]
    )
    [en_row] = message_enqueue(
        key="w:en", template="account.welcome", context={}, user=en, channels=["inbox"]
    )
    assert zh_row.language == "zh-hans" and "欢迎" in zh_row.subject
    assert en_row.language == "en" and en_row.subject.startswith("Welcome")


def test_context_is_rendered_without_html_escaping():
    user = UserFactory()
    tmpl = MessageTemplateFactory()
    [row] = message_enqueue(
        key="notice:1",
        template=tmpl.code,
        context={"title": "A & B", "text": "<停水>"},
        user=user,
        channels=["inbox"],
    )
    assert row.subject == "通知：A & B"
    assert row.body.endswith("<停水>")


def test_enqueuing_the_same_key_twice_gives_the_same_rows_and_sends_once(
    sms_outbox, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = message_enqueue(
            key="k:1", template="account.welcome", context={}, user=user, channels=["sms"]
        )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = message_enqueue(
            key="k:1", template="account.welcome", context={}, user=user, channels=["sms"]
        )
    assert [r.pk for r in first] == [r.pk for r in second]
    assert Message.objects.filter(key__startswith="k:1").count() == 1
    assert callbacks == []  # nothing new to send
    assert len(sms_outbox) == 1


def test_send_is_queued_only_after_commit(sms_outbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [row] = message_enqueue(
            key="k:2", template="account.welcome", context={}, user=user, channels=["sms"]
        )
        assert sms_outbox == []
    assert sms_outbox == []  # not committed yet: nothing sent
    assert len(callbacks) == 1
    callbacks[0]()
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT
    assert row.provider_id.startswith("locmem-")
    assert sms_outbox[0]["phone"] == row.address
    assert sms_outbox[0]["template_code"] == ""  # the welcome template has no provider template by default


def test_sms_carries_the_provider_template_and_parameters(sms_outbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    tmpl = MessageTemplateFactory(sms_template_code="SMS_123")
    with django_capture_on_commit_callbacks(execute=True):
        message_enqueue(
            key="k:3",
            template=tmpl.code,
            context={"title": "停水", "text": "明天", "n": 3},
            user=user,
            channels=["sms"],
        )
    [sent] = sms_outbox
    assert sent["template_code"] == "SMS_123"
    assert sent["params"]["title"] == "停水" and sent["params"]["n"] == "3"


def test_rolled_back_enqueue_sends_nothing(sms_outbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    user = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        message_enqueue(key="k:4", template="account.welcome", context={}, user=user, channels=["sms"])
        raise RuntimeError("the caller failed")
    assert callbacks == []
    assert not Message.objects.filter(key="k:4:sms").exists()
    assert sms_outbox == []


def test_email_goes_through_django_mail(django_capture_on_commit_callbacks):
    user = UserFactory(email="wang@example.cn", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        [row] = message_enqueue(
            key="k:5", template="account.welcome", context={}, user=user, channels=["email"]
        )
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT
    [email] = mail.outbox
    assert email.to == ["wang@example.cn"]
    assert email.subject.startswith("Welcome")
    assert email.extra_headers["Message-ID"] == row.provider_id


def test_unknown_or_inactive_template_sends_nothing():
    user = UserFactory()
    assert message_enqueue(key="k:6", template="no.such.template", context={}, user=user) == []
    MessageTemplate.objects.filter(code="account.welcome").update(active=False)
    assert message_enqueue(key="k:7", template="account.welcome", context={}, user=user) == []
    assert not Message.objects.exists()


def test_unknown_channel_or_no_recipient_is_a_programming_error():
    with pytest.raises(ValueError):
        message_enqueue(key="k:8", template="account.welcome", context={})
    with pytest.raises(ValueError):
        message_enqueue(
            key="k:9", template="account.welcome", context={}, user=UserFactory(), channels=["fax"]
        )


def test_channels_without_an_address_or_turned_off_are_left_out():
    user = UserFactory(email="")
    ContactPreferenceFactory(user=user, sms_enabled=False)
    rows = message_enqueue(key="k:10", template="account.welcome", context={}, user=user)
    assert [r.channel for r in rows] == [Channel.INBOX]


def test_a_resident_without_an_account_gets_sms_only():
    person = PersonFactory(phone="+8613812345678", user=None)
    rows = message_enqueue(
        key="k:11", template="staff.notice", context={"title": "T", "text": "X"}, person=person
    )
    assert [(r.channel, r.address) for r in rows] == [(Channel.SMS, "+8613812345678")]
    assert rows[0].person == person and rows[0].user is None


def test_a_person_with_an_account_reaches_the_account():
    user = UserFactory()
    person = PersonFactory(user=user)
    rows = message_enqueue(
        key="k:12", template="account.welcome", context={}, person=person, channels=["inbox"]
    )
    assert rows[0].user == user and rows[0].person == person


# --- quiet hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "start", "end", "expected"),
    [
        (_sh(2026, 11, 29, 22, 30), datetime.time(21), datetime.time(8), _sh(2026, 11, 30, 8, 0)),
        (_sh(2026, 11, 29, 6, 0), datetime.time(21), datetime.time(8), _sh(2026, 11, 29, 8, 0)),
        (_sh(2026, 11, 29, 21, 0), datetime.time(21), datetime.time(8), _sh(2026, 11, 30, 8, 0)),
        (_sh(2026, 11, 29, 8, 0), datetime.time(21), datetime.time(8), None),
        (_sh(2026, 11, 29, 15, 0), datetime.time(21), datetime.time(8), None),
        (_sh(2026, 11, 29, 12, 30), datetime.time(12), datetime.time(14), _sh(2026, 11, 29, 14, 0)),
        (_sh(2026, 11, 29, 14, 30), datetime.time(12), datetime.time(14), None),
        (_sh(2026, 11, 29, 23, 0), None, None, None),
    ],
)
def test_quiet_hours_end(due, start, end, expected):
    assert quiet_hours_end(due=due, start=start, end=end) == expected


def test_quiet_hours_are_computed_in_shanghai_time_whatever_the_input_zone():
    due_utc = datetime.datetime(2026, 11, 29, 14, 30, tzinfo=datetime.UTC)  # 22:30 in Shanghai
    assert quiet_hours_end(due=due_utc, start=datetime.time(21), end=datetime.time(8)) == _sh(
        2026, 11, 30, 8, 0
    )


def test_an_elders_sms_at_night_waits_for_the_morning_and_the_scan_sends_it(
    sms_outbox, freeze, django_capture_on_commit_callbacks
):
    user = UserFactory(email="elder@example.cn")
    PersonFactory(user=user, birth_date=datetime.date(1950, 3, 1))
    freeze(_sh(2026, 11, 29, 22, 30))
    with django_capture_on_commit_callbacks(execute=True):
        rows = message_enqueue(key="k:13", template="account.welcome", context={}, user=user)
    by_channel = {r.channel: r for r in rows}
    assert by_channel["sms"].not_before == _sh(2026, 11, 30, 8, 0)
    assert by_channel["email"].not_before is None  # only SMS waits
    assert sms_outbox == []
    assert len(mail.outbox) == 1

    freeze(_sh(2026, 11, 30, 7, 59))
    services.messages_queue_due()
    assert sms_outbox == []

    freeze(_sh(2026, 11, 30, 8, 1))
    assert services.messages_queue_due() == 1
    assert len(sms_outbox) == 1
    by_channel["sms"].refresh_from_db()
    assert by_channel["sms"].status == MessageStatus.SENT


def test_younger_residents_have_no_quiet_hours_unless_they_set_them(freeze):
    young = UserFactory()
    PersonFactory(user=young, birth_date=datetime.date(1990, 1, 1))
    freeze(_sh(2026, 11, 29, 23, 0))
    [row] = message_enqueue(key="k:14", template="account.welcome", context={}, user=young, channels=["sms"])
    assert row.not_before is None

    ContactPreferenceFactory(user=young, quiet_start=datetime.time(22), quiet_end=datetime.time(7))
    [row] = message_enqueue(key="k:15", template="account.welcome", context={}, user=young, channels=["sms"])
    assert row.not_before == _sh(2026, 11, 30, 7, 0)


def test_an_elder_who_cleared_her_quiet_hours_gets_sms_at_night(freeze):
    user = UserFactory()
    PersonFactory(user=user, birth_date=datetime.date(1940, 1, 1))
    ContactPreferenceFactory(user=user, quiet_start=None, quiet_end=None)
    freeze(_sh(2026, 11, 29, 23, 0))
    [row] = message_enqueue(key="k:16", template="account.welcome", context={}, user=user, channels=["sms"])
    assert row.not_before is None


def test_a_scheduled_message_waits_in_the_database_for_the_scan(
    sms_outbox, freeze, django_capture_on_commit_callbacks
):
    user = UserFactory()
    freeze(_sh(2026, 11, 29, 10, 0))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = message_enqueue(
            key="k:17",
            template="account.welcome",
            context={},
            user=user,
            channels=["sms", "inbox"],
            not_before=_sh(2026, 12, 1, 9, 0),
        )
    assert callbacks == []
    assert {r.status for r in rows} == {MessageStatus.PENDING}
    freeze(_sh(2026, 12, 1, 9, 0))
    services.messages_queue_due()
    assert len(sms_outbox) == 1
    assert Message.objects.inbox().filter(user=user).count() == 1


def test_cancel_stops_pending_rows():
    user = UserFactory()
    message_enqueue(
        key="k:18",
        template="account.welcome",
        context={},
        user=user,
        channels=["sms"],
        not_before=timezone.now() + datetime.timedelta(days=1),
    )
    assert services.message_cancel(key="k:18") == 1
    assert Message.objects.get(key="k:18:sms").status == MessageStatus.CANCELLED
