"""Pickup-piece helpers: a day-care running today with a child booked for this week, her grandmother
authorised for today only, the organiser as staff."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from events.models import CheckInMethod
from events.services import checkin_record
from portal.accounts.models import Role
from portal.community.models import SensitiveProfile
from tests.accounts.factories import UserFactory

from .factories import (
    ChildFactory,
    DaycareProgrammeFactory,
    GuardianFactory,
    PickupPersonFactory,
    book,
    today_session,
)


def daycare_day(*, children: int = 1, organiser=None, allergies: str = "花生") -> SimpleNamespace:
    """A programme of 2 weeks (today is in week 1), ``children`` children of one guardian 朱晓燕 booked for
    week 1, the first with ``allergies``; grandma 王秀英 authorised for today only for the first child;
    ``staff`` (community staff) runs it."""
    staff = organiser or UserFactory(role=Role.COMMUNITY_STAFF, name="陈善惠")
    programme = DaycareProgrammeFactory(organiser=staff, title="永兴暑托班")
    week = programme.weeks.select_related("activity").get(number=1)
    mum = GuardianFactory(name="朱晓燕")
    kids = [
        ChildFactory(guardian=mum, name=name)
        for name in ["张小明", "张小红", *[f"孩子{i}" for i in range(children - 2)]][:children]
    ]
    book(kids, week, by=mum.user)
    if allergies:
        SensitiveProfile.objects.create(person=kids[0], allergies=allergies)
    grandma = PickupPersonFactory(
        child=kids[0], name="王秀英", only_on=timezone.localdate(), added_by=mum.user
    )
    return SimpleNamespace(
        staff=staff,
        programme=programme,
        week=week,
        session=today_session(programme),
        mum=mum,
        child=kids[0],
        kids=kids,
        grandma=grandma,
    )


def sign_in(d, child=None):
    from youth.services.pickup import child_sign_in

    return child_sign_in(staff=d.staff, session=d.session, child=child or d.child)


def checked_in_raw(d, child):
    """The engine's check-in without the youth service (setup, not what is tested)."""
    from youth.services.pickup import registration_for

    return checkin_record(
        actor=d.staff,
        session=d.session,
        registration=registration_for(session=d.session, child=child),
        method=CheckInMethod.STAFF_SEARCH,
    )


def yesterday(day: datetime.date | None = None) -> datetime.date:
    return (day or timezone.localdate()) - datetime.timedelta(days=1)
