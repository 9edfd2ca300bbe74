"""Factories of the 'demo' piece's tests: an elder class or clinic held and to come, with bookings and
check-ins written as the engine writes them (confirmed registrations, one check-in per person and session)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from events.models import (
    Area,
    Booking,
    CheckIn,
    CheckInMethod,
    Registration,
    RegistrationScope,
    RegistrationStatus,
)
from tests.elders.factories import ElderFactory, UserFactory
from tests.events.factories import ActivityFactory, SessionFactory


def elder_class(
    *, title="智能手机课堂", course=False, organiser_org=None, area=Area.ELDERS, min_age=60, **extra
):
    fields = {"title": title, "area": area, "min_age": min_age, **extra}
    if organiser_org is not None:
        fields.update(organiser_org=organiser_org, organiser_user=None)
    if course:
        fields.update(registration_scope=RegistrationScope.COURSE, capacity=extra.get("capacity", 20))
    return ActivityFactory(**fields)


def held_session(activity, *, days_ago: int, booked: int, came: int, staff=None):
    """A session held ``days_ago`` days ago with ``booked`` confirmed places (of the session, or of the course
    for a course, made once) and ``came`` of them checked in."""
    start = timezone.now() - datetime.timedelta(days=days_ago, hours=1)
    session = SessionFactory(activity=activity, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    if activity.is_course:
        regs = list(Registration.objects.filter(activity=activity, session__isnull=True))
        for _ in range(booked - len(regs)):
            regs.append(_book(activity, None))
    else:
        regs = [_book(activity, session) for _ in range(booked)]
    CheckIn.objects.bulk_create(
        [
            CheckIn(registration=r, session=session, checked_in_by=staff, method=CheckInMethod.STAFF_SEARCH)
            for r in regs[:came]
        ]
    )
    return session


def _book(activity, session):
    person = ElderFactory()
    booking = Booking.objects.create(
        activity=activity, session=session, booked_by=UserFactory(), on_behalf=True
    )
    return Registration.objects.create(
        booking=booking,
        activity=activity,
        session=session,
        person=person,
        status=RegistrationStatus.CONFIRMED,
    )
