import datetime

import factory
from django.utils import timezone

from events import models as m
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory, PersonFactory  # noqa: F401


def in_days(days: float, hour: int | None = None) -> datetime.datetime:
    t = timezone.now() + datetime.timedelta(days=days)
    if hour is not None:
        t = timezone.localtime(t).replace(hour=hour, minute=0, second=0, microsecond=0)
    return t


def soon_today(minutes: float = 1) -> datetime.datetime:
    """``minutes`` from now, but no later than the last second of today (local time): a session that has
    not started yet and still starts today, even when the test clock reads 23:59:30."""
    now = timezone.now()
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    midnight = datetime.datetime.combine(tomorrow, datetime.time.min, tzinfo=timezone.get_current_timezone())
    return min(now + datetime.timedelta(minutes=minutes), midnight - datetime.timedelta(seconds=1))


class TargetGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TargetGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"重点人群{n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Activity

    title = factory.Sequence(lambda n: f"社区活动{n}")
    place = "永兴社区活动室"
    status = m.ActivityStatus.PUBLISHED
    organiser_user = factory.SubFactory(UserFactory, role="community_staff")
    booking_opens_at = factory.LazyFunction(lambda: in_days(-1))
    booking_closes_at = factory.LazyFunction(lambda: in_days(5))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Session

    activity = factory.SubFactory(ActivityFactory)
    # A week or more from now at 09:00, one day later for each session made in the test (tests/conftest.py
    # resets the sequence before every test, so a test sees the same dates in any order), and never more
    # than five weeks ahead: a date growing with a process-wide sequence pushed a child past an age limit
    # once enough sessions had been made in one process. The seconds keep one activity's starts apart.
    starts_at = factory.Sequence(lambda n: in_days(7 + n % 28, hour=9) + datetime.timedelta(seconds=n % 3600))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    capacity = 10
