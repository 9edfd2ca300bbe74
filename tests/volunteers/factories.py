import factory

from portal.volunteers.models import VolunteerProfile
from tests.community.factories import PersonFactory


class VolunteerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerProfile

    person = factory.SubFactory(PersonFactory)
    team = "红马甲"
    skills = "急救, 摄影"
