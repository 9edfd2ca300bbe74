"""The inbox costs the same number of queries with a few messages and with many (issue 13), and the
navigation badge counts the unread messages once per request."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.notify.models import Channel, Message, MessageStatus
from tests.accounts.factories import UserFactory


def add_messages(user, start: int, stop: int) -> None:
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                key=f"test.pages:{i}:inbox",
                user=user,
                channel=Channel.INBOX,
                subject=f"通知 {i}",
                body="社区活动通知",
                status=MessageStatus.SENT,
                sent_at=now - datetime.timedelta(minutes=i),
                read_at=None if i % 2 else now,
            )
            for i in range(start, stop)
        ],
        batch_size=500,
    )


def count_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx.captured_queries, response


def test_inbox_queries_do_not_grow(db, client):
    user = UserFactory()
    client.force_login(user)
    add_messages(user, 0, 10)
    few, _, _ = count_queries(client, reverse("notify:inbox"))
    add_messages(user, 10, 600)
    many, queries, response = count_queries(client, reverse("notify:inbox"))
    assert few == many
    unread_counts = [q for q in queries if "COUNT" in q["sql"] and '"read_at" IS NULL' in q["sql"]]
    assert len(unread_counts) == 1  # the badge, once
    assert response.context["unread_count"] == 300
    subjects = [m.subject for m in response.context["page"].object_list]
    assert subjects[0] == "通知 0"  # the newest first


def test_unread_count_is_computed_once_per_request(db, rf):
    from portal.notify.context_processors import inbox

    user = UserFactory()
    add_messages(user, 0, 3)
    request = rf.get("/")
    request.user = user
    with CaptureQueriesContext(connection) as ctx:
        assert inbox(request) == {"unread_count": 1}
        assert inbox(request) == {"unread_count": 1}
    assert len(ctx.captured_queries) == 1
