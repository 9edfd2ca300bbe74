"""message_enqueue_many: the same rows as message_enqueue, item by item, at a constant number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.notify.models import Channel, Message, MessageStatus, MessageTemplate
from portal.notify.services import NotifyBatchError, message_enqueue, message_enqueue_many
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.notify.factories import ContactPreferenceFactory, MessageTemplateFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

#: What a row says, leaving out what differs between two runs (ids, clocks).
FIELDS = (
    "channel",
    "address",
    "language",
    "subject",
    "body",
    "sms_template_code",
    "params",
    "status",
    "not_before",
    "user_id",
    "person_id",
    "template_id",
)


def _snapshot(prefix: str) -> dict[str, tuple]:
    rows = Message.objects.filter(key__startswith=prefix)
    return {
        m.key.removeprefix(prefix): tuple(getattr(m, f) for f in FIELDS)
        + (m.queued_at is not None, m.sent_at is not None)
        for m in rows
    }


@pytest.fixture
def frozen(monkeypatch):
    """Daytime in Shanghai, so that the rows of both paths share their times."""
    moment = datetime.datetime(2026, 11, 30, 13, 0, tzinfo=SH)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def recipients(db):
    """Recipients of every kind: plain user, English user without e-mail, SMS off, own quiet hours, an
    elder with an account (default quiet hours), a resident without an account, a person with an account."""
    tmpl = MessageTemplateFactory(code="test.notice", sms_template_code="SMS_9")
    plain = UserFactory(email="a@example.cn")
    english = UserFactory(email="", language="en")
    no_sms = UserFactory(email="c@example.cn")
    ContactPreferenceFactory(user=no_sms, sms_enabled=False)
    quiet = UserFactory()
    ContactPreferenceFactory(user=quiet, quiet_start=datetime.time(12), quiet_end=datetime.time(14))
    elder_user = UserFactory()
    PersonFactory(user=elder_user, birth_date=datetime.date(1950, 5, 1))
    resident = PersonFactory(user=None, phone="+8613812340000", birth_date=datetime.date(1990, 1, 1))
    with_account = PersonFactory(user=UserFactory())
    targets = [
        {"user": plain},
        {"user": english},
        {"user": no_sms},
        {"user": quiet},
        {"user": elder_user},
        {"person": resident},
        {"person": with_account},
    ]
    return tmpl, targets


def _items(prefix, tmpl, targets, **extra):
    return [
        {
            "key": f"{prefix}{i}",
            "template": tmpl.code,
            "context": {"title": "停水通知", "text": f"第{i}栋明天停水", "n": i},
            **target,
            **extra,
        }
        for i, target in enumerate(targets)
    ]


def test_the_bulk_path_writes_exactly_the_rows_of_the_single_path(recipients, frozen):
    tmpl, targets = recipients
    for item in _items("one:", tmpl, targets):
        message_enqueue(**item)
    message_enqueue_many(items=_items("many:", tmpl, targets))
    single, bulk = _snapshot("one:"), _snapshot("many:")
    assert single and single == bulk
    # and the cases are there: quiet hours held the SMS, the English user got English, SMS off is off
    assert bulk["3:sms"][FIELDS.index("not_before")] == frozen.replace(hour=14)
    assert bulk["1:inbox"][FIELDS.index("language")] == "en"
    assert "2:sms" not in bulk and "5:inbox" not in bulk and "5:sms" in bulk


def test_a_due_time_in_the_night_holds_an_elders_sms_in_both_paths(recipients, frozen):
    tmpl, targets = recipients
    night = frozen.replace(hour=22)
    for item in _items("one:", tmpl, targets, not_before=night):
        message_enqueue(**item)
    message_enqueue_many(items=_items("many:", tmpl, targets, not_before=night))
    bulk = _snapshot("many:")
    assert _snapshot("one:") == bulk
    assert bulk["4:sms"][FIELDS.index("not_before")] == (frozen + datetime.timedelta(days=1)).replace(hour=8)


def test_the_number_of_queries_does_not_grow_with_the_batch(recipients, frozen):
    tmpl, targets = recipients

    def queries(n: int, prefix: str) -> int:
        """Queries other than the INSERTs (which SQLite splits by its limit on parameters)."""
        many = [dict(t) for _round in range(n) for t in targets]
        with CaptureQueriesContext(connection) as ctx:
            message_enqueue_many(items=_items(prefix, tmpl, many))
        return sum(1 for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("INSERT"))

    assert queries(1, "a:") == queries(20, "b:") <= 8


def test_enqueuing_again_adds_nothing_and_queues_nothing(
    recipients, frozen, django_capture_on_commit_callbacks
):
    tmpl, targets = recipients
    with django_capture_on_commit_callbacks(execute=False) as first:
        rows = message_enqueue_many(items=_items("k:", tmpl, targets))
    assert len(first) == 1  # one callback queues every new row that is due, after commit
    count = Message.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as second:
        again = message_enqueue_many(items=_items("k:", tmpl, targets))
    assert second == [] and Message.objects.count() == count
    assert [[m.pk for m in r] for r in rows] == [[m.pk for m in r] for r in again]
    # a key enqueued through the single path is not written again by the bulk path, nor the other way
    assert message_enqueue(**_items("k:", tmpl, targets)[0]) and Message.objects.count() == count


def test_sends_go_out_after_commit_and_inbox_rows_are_delivered(
    recipients, frozen, sms_outbox, django_capture_on_commit_callbacks
):
    tmpl, targets = recipients
    with django_capture_on_commit_callbacks(execute=True):
        message_enqueue_many(items=_items("k:", tmpl, targets[:1], channels=["sms", "inbox"]))
    assert Message.objects.get(key="k:0:inbox").status == MessageStatus.SENT
    assert Message.objects.get(key="k:0:sms").status == MessageStatus.SENT
    [sent] = sms_outbox
    assert sent["template_code"] == "SMS_9" and sent["params"]["n"] == "0"


def test_an_item_that_cannot_be_rendered_writes_nothing_and_is_named(recipients, frozen):
    tmpl, targets = recipients
    broken = MessageTemplateFactory(code="test.broken")
    MessageTemplate.objects.filter(pk=broken.pk).update(body_zh="{% if %}", body_en="{% if %}")
    items = _items("k:", tmpl, targets[:3])
    items[1]["template"] = "test.broken"
    items[2]["channels"] = ["fax"]
    with pytest.raises(NotifyBatchError) as caught:
        message_enqueue_many(items=items)
    assert set(caught.value.failures) == {1, 2}
    assert isinstance(caught.value.failures[2], ValueError)
    assert not Message.objects.exists()
    # the caller drops them and tries again
    assert [len(r) for r in message_enqueue_many(items=[items[0]])] == [3]


def test_inactive_or_unknown_templates_send_nothing(recipients, frozen):
    tmpl, targets = recipients
    items = _items("k:", tmpl, targets[:2])
    items[0]["template"] = "no.such.template"
    MessageTemplate.objects.filter(pk=tmpl.pk).update(active=False)
    assert message_enqueue_many(items=items) == [[], []]
    assert message_enqueue_many(items=[]) == []
    assert not Message.objects.exists()


def test_each_item_gets_its_own_rows_in_channel_order(recipients, frozen):
    tmpl, targets = recipients
    rows = message_enqueue_many(items=_items("k:", tmpl, targets))
    assert [[m.channel for m in r] for r in rows][:2] == [
        [Channel.SMS, Channel.EMAIL, Channel.INBOX],
        [Channel.SMS, Channel.INBOX],
    ]
    assert all(m.key.startswith(f"k:{i}:") for i, r in enumerate(rows) for m in r)


def test_a_key_given_twice_in_one_batch_is_written_once(
    recipients, frozen, django_capture_on_commit_callbacks
):
    tmpl, targets = recipients
    items = _items("k:", tmpl, targets[:1]) * 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first, second = message_enqueue_many(items=items)
    assert [m.pk for m in first] == [m.pk for m in second]
    assert Message.objects.filter(key__startswith="k:0:").count() == 3
    assert len(callbacks) == 1


def test_rows_already_there_are_returned_as_stored(recipients, frozen):
    tmpl, targets = recipients
    [before] = message_enqueue_many(items=_items("k:", tmpl, targets[:1]))
    items = _items("k:", tmpl, targets[:1])
    items[0]["context"] = {"title": "另一条", "text": "改过的内容"}
    [after] = message_enqueue_many(items=items)
    assert [(m.pk, m.body) for m in after] == [(m.pk, m.body) for m in before]
    assert all("改过的内容" not in m.body for m in Message.objects.all())


# --- racing batches on PostgreSQL --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_batches_with_the_same_keys_write_each_row_once_and_send_each_sms_once(
    sms_outbox, monkeypatch
):
    """Eight transactions enqueue overlapping batches at the same moment: ON CONFLICT DO NOTHING keeps
    one row per key, and the sends queued (some twice, by a batch that lost the race) go out once."""
    import threading

    from django.db import connection as conn

    from portal.notify import services

    tmpl = MessageTemplateFactory(code="test.race-many")
    users = [UserFactory() for _i in range(19)]  # batch i takes users i..i+11: each shared by several
    queued: list[int] = []
    guard = threading.Lock()

    def collect(ids, **lane):
        with guard:
            queued.extend(ids)

    monkeypatch.setattr(services, "_queue_send", collect)
    barrier = threading.Barrier(8)
    errors: list[str] = []

    def worker(offset: int):
        try:
            mine = users[offset : offset + 12]
            items = [
                {"key": f"race:{u.pk}", "template": tmpl.code, "context": {}, "user": u, "channels": ["sms"]}
                for u in mine
            ]
            barrier.wait()
            message_enqueue_many(items=items)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert Message.objects.filter(key__startswith="race:").count() == 19
    assert set(queued) == set(Message.objects.filter(key__startswith="race:").values_list("pk", flat=True))
    for pk in queued + queued:  # a send queued twice (or run twice) is claimed once
        services.message_deliver(message_id=pk)
    assert len(sms_outbox) == 19 and len({m["phone"] for m in sms_outbox}) == 19
