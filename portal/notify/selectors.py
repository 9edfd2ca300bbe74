"""Reads for the notify views and tasks, scoped to the acting user."""

import functools
from datetime import datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import (
    ELDER_QUIET_AGE,
    ELDER_QUIET_END,
    ELDER_QUIET_START,
    Channel,
    ContactPreference,
    Message,
    MessageStatus,
)

MAX_BIGINT = 2**63 - 1


def inbox_for(*, user) -> QuerySet[Message]:
    """The user's in-site messages, newest first."""
    return Message.objects.inbox().filter(user=user).order_by("-sent_at", "-id")


def inbox_message_for(*, user, message_id: int) -> Message:
    """One of the user's own in-site messages; 404 for anybody else's (and for ids no row can have)."""
    if not 0 < message_id <= MAX_BIGINT:
        raise Http404
    return get_object_or_404(inbox_for(user=user), pk=message_id)


def unread_count_for(*, user) -> int:
    """One COUNT query on the inbox index: ``inbox().unread()`` of her messages, in SQL written once,
    because every signed-in page runs it for the menu's badge and building it through the ORM cost
    several times what running it does (issue 13; tests/notify/test_unread_count.py holds the two
    equal)."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(connection.vendor), [user.pk])
        return cursor.fetchone()[0]


@functools.lru_cache(maxsize=4)
def _unread_count_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    meta = Message._meta
    column = {name: qn(meta.get_field(name).column) for name in ("user", "channel", "status", "read_at")}
    # The channel and status are the code's own constants, written into the text so that a prepared
    # statement's plan still matches the partial index of unread inbox messages (message_inbox_unread);
    # the user is a parameter. Nothing a user sends goes into the text.
    inbox, sent = str(Channel.INBOX), str(MessageStatus.SENT)
    assert inbox.isidentifier() and sent.isidentifier()  # noqa: S101
    return (
        f"SELECT COUNT(*) FROM {qn(meta.db_table)} WHERE {column['user']} = %s "  # noqa: S608
        f"AND {column['channel']} = '{inbox}' AND {column['status']} = '{sent}' AND {column['read_at']} IS NULL"
    )


def _person_of(user):
    if user is None:
        return None
    try:
        return user.person
    except ObjectDoesNotExist:  # no resident record
        return None


def contact_preference_for(*, user=None, person=None) -> ContactPreference:
    """The recipient's preference row, or an unsaved one with the defaults (60+: quiet 21:00–08:00).

    A user's own row wins over the row kept for her resident record.
    """
    if user is None and person is None:
        raise ValueError("contact_preference_for needs a user or a person")
    if person is None:
        person = _person_of(user)
    elif user is None and person.user_id:
        user = person.user
    filters = Q()
    if user is not None:
        filters |= Q(user=user)
    if person is not None:
        filters |= Q(person=person)
    rows = sorted(ContactPreference.objects.filter(filters), key=lambda p: p.user_id is None)
    if rows:
        return rows[0]
    pref = ContactPreference(user=user, person=None if user is not None else person)
    age = person.age if person is not None else None
    if age is not None and age >= ELDER_QUIET_AGE:
        pref.quiet_start, pref.quiet_end = ELDER_QUIET_START, ELDER_QUIET_END
    return pref


def messages_due(*, now: datetime, requeue_after: timedelta, limit: int = 500) -> list[int]:
    """Ids of pending messages that are due and not queued recently (for the periodic scan)."""
    return list(
        Message.objects.filter(status=MessageStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - requeue_after))
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )


def messages_to_settle(*, now: datetime, settle_after: timedelta, limit: int = 500) -> list[int]:
    """Ids of sends whose outcome is unknown and that are old enough to ask the provider about."""
    return list(
        Message.objects.filter(status=MessageStatus.UNKNOWN)
        .filter(Q(handed_at__isnull=True) | Q(handed_at__lte=now - settle_after))
        .order_by("handed_at", "id")
        .values_list("id", flat=True)[:limit]
    )
