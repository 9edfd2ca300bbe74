"""Factories and helpers of the partners tests (service plans, deliveries, the people who log them)."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from elders import models as m
from portal.accounts.models import Role
from portal.community.models import OrganizationKind
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from tests.elders.factories import ElderFactory, ServicePlanFactory


def nursing_home(name: str = "南通申丞小海护理院"):
    return OrganizationFactory(name=name, kind=OrganizationKind.NURSING_HOME)


def community_staff(**kwargs):
    kwargs.setdefault("name", "陈善惠")
    return UserFactory(role=Role.COMMUNITY_STAFF, **kwargs)


def partner_staff(org, **kwargs):
    kwargs.setdefault("name", "顾春梅")
    return UserFactory(role=Role.PARTNER_STAFF, organization=org, **kwargs)


def grid_worker(grid, **kwargs):
    kwargs.setdefault("name", "周敏")
    return UserFactory(role=Role.GRID_WORKER, grid=grid, **kwargs)


def at(day: datetime.date, hour: int = 11, minute: int = 30) -> datetime.datetime:
    """An aware local instant on ``day``."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A delivery written directly (for history in the past); the round page writes them through the
    service."""

    class Meta:
        model = m.Delivery

    plan = factory.SubFactory(ServicePlanFactory)
    elder = factory.LazyAttribute(lambda o: o.plan.elder)
    service = factory.LazyAttribute(lambda o: o.plan.service)
    organization = factory.LazyAttribute(lambda o: o.plan.organization)
    delivered_at = factory.LazyFunction(timezone.now)
    delivered_by = factory.LazyAttribute(lambda o: partner_staff(o.plan.organization, name="送餐员"))
    what = "午餐"


def plans_for(org, n: int, *, service=None, period=m.PlanPeriod.DAY, times=1, household=None):
    """``n`` plans of ``org`` for ``n`` new elders (82 years old), daily by default."""
    service = service or m.Service.objects.get(code="meal-delivery")
    out = []
    for _i in range(n):
        elder = ElderFactory(household=household) if household is not None else ElderFactory()
        out.append(
            ServicePlanFactory(elder=elder, organization=org, service=service, period=period, times=times)
        )
    return out


__all__ = [
    "DeliveryFactory",
    "ElderFactory",
    "ServicePlanFactory",
    "at",
    "community_staff",
    "grid_worker",
    "nursing_home",
    "partner_staff",
    "plans_for",
]
