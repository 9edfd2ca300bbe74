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
    starts_at = factory.Sequence(lambda n: in_days(7, hour=9) + datetime.timedelta(days=n))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    capacity = 10
