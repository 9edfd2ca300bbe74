"""Factories for the elders area. Dates are fixed (the suite's clock is frozen at 2026-11-18, see
tests/conftest.py), so an elder born in 1944 is 82 on every run."""

import datetime

import factory

from elders import models as m
from tests.accounts.factories import UserFactory  # noqa: F401  (re-exported for convenience)
from tests.community.factories import HouseholdFactory, OrganizationFactory, PersonFactory


class ElderFactory(PersonFactory):
    """An elder aged 82 (on the suite's day), living in a household of a building of a grid."""

    name = factory.Sequence(lambda n: f"老人{n:03d}")
    birth_date = datetime.date(1944, 3, 15)
    household = factory.SubFactory(HouseholdFactory)


class ElderProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ElderProfile
        django_get_or_create = ("person",)

    person = factory.SubFactory(ElderFactory)
    living_situation = m.LivingSituation.ALONE


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Service
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"服务{n}")


class ServicePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ServicePlan
        skip_postgeneration_save = True

    elder = factory.SubFactory(ElderFactory)
    service = factory.SubFactory(ServiceFactory)
    organization = factory.SubFactory(OrganizationFactory)
    times = 1
    period = m.PlanPeriod.DAY
    starts_on = datetime.date(2026, 10, 1)

    @factory.post_generation
    def served(obj, create, extracted, **kwargs):
        if create:
            obj.elder.served_by.add(obj.organization)


class ContactPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ContactPlan
        django_get_or_create = ("elder",)

    elder = factory.SubFactory(ElderFactory)
    every_days = 7
    starts_on = datetime.date(2026, 11, 1)
    due_on = datetime.date(2026, 11, 8)
