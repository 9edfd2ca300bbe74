import datetime

import factory

from portal.community import models as m
from tests.accounts.factories import UserFactory  # noqa: F401  (re-exported for convenience)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"合作单位{n}")
    kind = m.OrganizationKind.NURSING_HOME


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Grid
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"第{n + 1}网格")


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Estate
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"小区{n}")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Building

    estate = factory.SubFactory(EstateFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    grid = factory.SubFactory(GridFactory)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Household

    building = factory.SubFactory(BuildingFactory)
    unit = "1"
    room = factory.Sequence(lambda n: f"{101 + n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Person

    name = factory.Faker("name", locale="zh_CN")
    gender = m.Gender.FEMALE
    birth_date = datetime.date(1980, 5, 1)
    household = factory.SubFactory(HouseholdFactory)


class RelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Relation

    subject = factory.SubFactory(PersonFactory)
    relative = factory.SubFactory(PersonFactory)
    kind = m.RelationKind.GUARDIAN


class SensitiveProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SensitiveProfile

    person = factory.SubFactory(PersonFactory)
    health_conditions = "高血压"


class EmergencyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EmergencyContact

    person = factory.SubFactory(PersonFactory)
    name = "王芳"
    phone = "+8613800001111"
    relationship = "女儿"
