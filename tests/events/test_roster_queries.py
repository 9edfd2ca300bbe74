"""Activity list and roster pages cost the same number of queries at 10 and at 10,000 bookings (issue 3).

The rows are bulk-created (a booking, a registration and now and then a check-in each), so the test is
quick; the pages are then fetched with ``CaptureQueriesContext`` at 10 bookings and again after 9,990
more: the public activity list, "activities I manage", the manage page, the roster (a page of it, and
filtered) and the Excel export (streamed from one query)."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from events.models import Booking, CheckIn, CheckInMethod, Registration, RegistrationScope, RegistrationStatus
from portal.community.models import Person

from .factories import ActivityFactory, SessionFactory


def add_bookings(*, activity, session, booker, start: int, stop: int, staff) -> None:
    """Bookings ``start``..``stop``-1 of one person each: every tenth waits, every third confirmed one is
    checked in at ``session``, every seventh was booked by staff on the person's behalf. In a course the
    bookings and registrations are for the whole course (no session)."""
    pool = None if activity.is_course else session
    persons = Person.objects.bulk_create(
        [Person(name=f"居民{i}", phone=f"+86139{i:08d}") for i in range(start, stop)], batch_size=2000
    )
    bookings = Booking.objects.bulk_create(
        [
            Booking(
                activity=activity,
                session=pool,
                booked_by=staff if i % 7 == 0 else booker,
                on_behalf=i % 7 == 0,
            )
            for i in range(start, stop)
        ],
        batch_size=2000,
    )
    regs = []
    for i, person, booking in zip(range(start, stop), persons, bookings, strict=True):
        waiting = i % 10 == 9
        regs.append(
            Registration(
                booking=booking,
                activity=activity,
                session=pool,
                person=person,
                status=RegistrationStatus.WAITLISTED if waiting else RegistrationStatus.CONFIRMED,
                queue_no=i if waiting else None,
            )
        )
    regs = Registration.objects.bulk_create(regs, batch_size=2000)
    CheckIn.objects.bulk_create(
        [
            CheckIn(registration=r, session=session, method=CheckInMethod.STAFF_SCAN, checked_in_by=staff)
            for n, r in enumerate(regs)
            if r.status == RegistrationStatus.CONFIRMED and n % 3 == 0
        ],
        batch_size=2000,
    )


def _queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
        if hasattr(response, "streaming_content"):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), body


@pytest.mark.parametrize("scope", [RegistrationScope.SESSION, RegistrationScope.COURSE])
def test_the_same_query_count_at_10_and_10000_bookings(client, world, scope):
    activity = ActivityFactory(
        organiser_user=world.staff,
        title="社区迷你马拉松",
        registration_scope=scope,
        capacity=20000 if scope == RegistrationScope.COURSE else None,
    )
    session = SessionFactory(activity=activity, capacity=20000)
    SessionFactory(activity=activity, capacity=50)
    for n in range(3):  # other activities on the list and on "activities I manage"
        SessionFactory(activity=ActivityFactory(organiser_user=world.staff, title=f"活动{n}"))
    add_bookings(
        activity=activity, session=session, booker=world.mum_user, start=0, stop=10, staff=world.staff
    )
    client.force_login(world.staff)
    pages = [
        (reverse("events:list"), None),
        (reverse("events:staff_activities"), None),
        (reverse("events:manage", args=[activity.pk]), None),
        (reverse("events:roster", args=[session.pk]), None),
        (reverse("events:roster", args=[session.pk]), {"show": "waitlisted"}),
        (reverse("events:roster", args=[session.pk]), {"show": "checked_in", "page": "2"}),
        (reverse("events:roster_export", args=[session.pk]), None),
    ]
    _queries(client, *pages[0])  # warm caches (content types, site, sessions) before counting
    small = [_queries(client, url, data)[0] for url, data in pages]

    add_bookings(
        activity=activity, session=session, booker=world.mum_user, start=10, stop=10_000, staff=world.staff
    )
    assert Registration.objects.filter(activity=activity).count() == 10_000
    large, bodies = [], []
    for url, data in pages:
        n, body = _queries(client, url, data)
        large.append(n)
        bodies.append(body)
    assert large == small, list(zip([p[0] for p in pages], small, large, strict=True))

    # and the big export really holds every row, streamed from one query
    ws = load_workbook(io.BytesIO(bodies[-1]), read_only=True).active
    assert sum(1 for _row in ws.iter_rows(values_only=True)) == 10_001
    # the roster page shows one page of rows, with the totals at the top
    roster = bodies[3].decode()
    assert "居民0" in roster and roster.count("data-registration=") == 100
