"""The menu's unread badge (``unread_count_for``, SQL written once) counts what ``inbox().unread()`` of
her messages holds: in-site, sent, not read, hers; and PostgreSQL answers it from the partial index of
unread inbox messages."""

import pytest
from django.db import connection
from django.utils import timezone

from portal.accounts.models import User
from portal.notify.models import Channel, Message, MessageStatus
from portal.notify.selectors import unread_count_for

pytestmark = pytest.mark.django_db


def _message(user, n, **fields):
    values = {"channel": Channel.INBOX, "status": MessageStatus.SENT, "sent_at": timezone.now(), **fields}
    return Message.objects.create(
        key=f"test.unread:{user.pk}:{n}", user=user, subject="通知", body="内容", **values
    )


def test_it_counts_only_her_unread_sent_inbox_messages():
    her = User.objects.create_user("+8613900001001", "pw-unread-1", name="朱晓燕")
    other = User.objects.create_user("+8613900001002", "pw-unread-2", name="王强")
    for n in range(3):
        _message(her, n)
    _message(her, 3, read_at=timezone.now())
    _message(her, 4, channel=Channel.SMS, address="+8613900001001")
    _message(her, 5, status=MessageStatus.PENDING)
    _message(other, 6)
    assert unread_count_for(user=her) == 3
    assert unread_count_for(user=her) == Message.objects.inbox().unread().filter(user=her).count()
    assert unread_count_for(user=other) == 1
    assert unread_count_for(user=User.objects.create_user("+8613900001003", "pw-unread-3")) == 0


@pytest.mark.postgres
def test_postgresql_reads_the_partial_index():
    """The count's text implies the partial index's condition, so PostgreSQL can answer from it. Which
    index the planner picks among usable ones depends on the table's statistics (in a random order, after
    other tests, it took the status index), so the other plain indexes are dropped inside the test's
    transaction (rolled back with it): with sequential scans off, the partial index is the plan only if
    its condition matches."""
    from portal.notify.selectors import _unread_count_sql

    table = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND i.relname <> 'message_inbox_unread' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [table],
        )
        others = [row[0] for row in cursor.fetchall()]
        assert "message_due" in others
        for name in others:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + _unread_count_sql(connection.vendor), [1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_inbox_unread" in plan, plan
