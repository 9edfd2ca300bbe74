"""Factories of the day-care piece: a programme made through the real service."""

import datetime

from django.utils import timezone

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from youth.services.daycare import daycare_programme_create

#: Monday 7 December 2026 to Friday 18 December: two weeks, ten days, after the suite's day.
DEC_7 = datetime.date(2026, 12, 7)


def make_programme(*, actor=None, **kw):
    """A day-care programme through ``daycare_programme_create`` (booking open now, first come), two
    weeks from Monday 2026-12-07 unless told otherwise."""
    now = timezone.now()
    values = {
        "title": "永兴社区2026寒托班",
        "description": "作业辅导、国学诵读、手工",
        "place": "永兴社区党群服务中心二楼",
        "starts_on": DEC_7,
        "ends_on": DEC_7 + datetime.timedelta(days=11),
        "day_starts": datetime.time(8, 0),
        "day_ends": datetime.time(17, 30),
        "min_age": 6,
        "max_age": 12,
        "capacity": 20,
        "allocation": "fcfs",
        "booking_opens_at": now - datetime.timedelta(days=1),
        "booking_closes_at": now + datetime.timedelta(days=14),
    }
    values.update(kw)
    return daycare_programme_create(actor=actor or UserFactory(role=Role.COMMUNITY_STAFF), **values)
