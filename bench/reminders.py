"""Reminders for 10,000 bookings: how long the scan takes, what it costs in queries, and that a second
scan sends nothing.

    python bench/reminders.py                              # scratch SQLite file in a temporary directory
    DATABASE_URL=postgres://... python bench/reminders.py  # scratch database test_<name> on that server
    BENCH_BOOKINGS=2000 python bench/reminders.py          # fewer bookings (default 10,000)

It builds BENCH_BOOKINGS residents, each with a confirmed booking (booked days ago) on one of ten
sessions starting within the hour of an activity reminding two hours before, so every reminder is due.
Then it runs the periodic scan (``events.services.reminders.reminders_scan``: create the missing rows in
bulk, claim due rows in batches, enqueue one outbox message per recipient, mark sent), and runs it again.
Sending the outbox rows is the notify worker's job, not the scan's: the send tasks are collected, not run.

The floor, measured in the same run: bulk-inserting as many bare outbox rows as the scan wrote (the
least any scan writing one row per message per channel could cost). ``ratio`` = scan seconds / floor.
The last line of output is one JSON object.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "10000"))
SESSIONS = 10

import _scratch  # noqa: E402  (Django on a scratch database)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402


def build(now: datetime.datetime):
    """BOOKINGS residents, each booked herself on one of SESSIONS sessions starting within the hour."""
    from events.models import Activity, Booking, Registration, ReminderRule, Session
    from portal.accounts.models import Role, User
    from portal.community.models import Person

    staff = User.objects.create_user(
        "+8613900000001", "bench-pass-1", name="社区工作人员", role=Role.COMMUNITY_STAFF
    )
    activity = Activity.objects.create(
        title="智能手机课", place="永兴社区活动室", status="published", organiser_user=staff
    )
    ReminderRule.objects.create(activity=activity, lead_minutes=120)
    sessions = Session.objects.bulk_create(
        [
            Session(
                activity=activity,
                starts_at=now + datetime.timedelta(minutes=30 + 2 * i),
                ends_at=now + datetime.timedelta(minutes=120 + 2 * i),
                capacity=BOOKINGS,
            )
            for i in range(SESSIONS)
        ]
    )
    if not sessions[0].pk:  # backends that do not return ids from a bulk insert
        sessions = list(Session.objects.filter(activity=activity).order_by("starts_at"))
    users = User.objects.bulk_create(
        [User(phone=f"+86137{i:08d}", name=f"居民{i}", password="!") for i in range(BOOKINGS)],
        batch_size=1000,
    )
    users = list(User.objects.filter(phone__startswith="+86137").order_by("pk"))
    Person.objects.bulk_create([Person(name=u.name, user=u) for u in users], batch_size=1000)
    people = {p.user_id: p for p in Person.objects.filter(user__in=users)}
    Booking.objects.bulk_create(
        [
            Booking(activity=activity, session=sessions[i % SESSIONS], booked_by=u)
            for i, u in enumerate(users)
        ],
        batch_size=1000,
    )
    bookings = list(Booking.objects.filter(activity=activity).order_by("pk"))
    Registration.objects.bulk_create(
        [
            Registration(
                booking=b,
                activity=activity,
                session_id=b.session_id,
                person=people[b.booked_by_id],
                status="confirmed",
            )
            for b in bookings
        ],
        batch_size=1000,
    )
    # booked three days ago, long before the reminder was due
    Registration.objects.filter(activity=activity).update(updated_at=now - datetime.timedelta(days=3))
    return activity


def floor_seconds(rows: int, user_id: int) -> float:
    """Bulk-insert ``rows`` bare outbox rows (then remove them): the floor for writing the messages."""
    from portal.notify.models import Message

    now = timezone.now()
    start = time.perf_counter()
    Message.objects.bulk_create(
        [
            Message(
                key=f"bench-floor:{i}",
                user_id=user_id,
                channel="inbox",
                subject="提醒",
                body="活动提醒",
                status="sent",
                sent_at=now,
            )
            for i in range(rows)
        ],
        batch_size=1000,
    )
    seconds = time.perf_counter() - start
    Message.objects.filter(key__startswith="bench-floor:").delete()
    return seconds


class QueryCounter:
    """Counts every query on the connection (no log, so no cap on the number)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def main() -> dict:
    import portal.notify.services as notify_services
    from events.models import Reminder
    from events.services.reminders import reminders_scan
    from portal.notify.models import Message

    settings.DEBUG = False
    queued: list[int] = []
    notify_services._queue_send = lambda ids: queued.extend(ids)  # the notify worker's job, not measured

    original = _scratch.scratch_database()
    try:
        now = timezone.now()
        build(now)

        with QueryCounter() as ctx:
            start = time.perf_counter()
            sent = reminders_scan()
            seconds = time.perf_counter() - start
        queries = ctx.count
        outbox_rows = Message.objects.filter(key__startswith="events.reminder:").count()
        messages = Message.objects.filter(key__startswith="events.reminder:", channel="inbox").count()

        with QueryCounter() as ctx2:
            start = time.perf_counter()
            sent_again = reminders_scan()
            seconds_again = time.perf_counter() - start
        outbox_again = Message.objects.filter(key__startswith="events.reminder:").count()
        duplicates = (outbox_again - outbox_rows) + sent_again

        from portal.accounts.models import User

        floor = floor_seconds(outbox_rows, User.objects.order_by("pk").values_list("pk", flat=True).first())
        return {
            "database": connection.vendor,
            "bookings": BOOKINGS,
            "seconds": round(seconds, 4),
            "reminders_sent": sent,
            "reminders_rows": Reminder.objects.count(),
            "messages": messages,
            "outbox_rows": outbox_rows,
            "sends_queued": len(queued),
            "queries": queries,
            "queries_per_1000_messages": round(queries * 1000 / messages, 1) if messages else None,
            "second_scan_seconds": round(seconds_again, 4),
            "second_scan_queries": ctx2.count,
            "duplicates_after_second_scan": duplicates,
            "floor_seconds": round(floor, 4),
            "ratio": round(seconds / floor, 2) if floor else None,
        }
    finally:
        _scratch.drop_scratch_database(original)


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
