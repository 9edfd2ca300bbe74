"""Reads of volunteer profiles."""

from django.db.models import QuerySet

from portal.community.models import Person

from .models import VolunteerProfile


def volunteers_active(*, organization=None) -> QuerySet[VolunteerProfile]:
    qs = VolunteerProfile.objects.active().select_related(
        "person__household__building__estate", "organization"
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs


def person_is_volunteer(*, person: Person) -> bool:
    """A Person with an active VolunteerProfile is a volunteer."""
    return VolunteerProfile.objects.active().filter(person=person).exists()
