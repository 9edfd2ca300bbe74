import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Role
from portal.volunteers import selectors, services
from portal.volunteers.models import VolunteerProfile
from tests.community.factories import OrganizationFactory, PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.COMMUNITY_STAFF)


def test_active_profile_makes_a_volunteer(db):
    profile = VolunteerProfileFactory()
    assert selectors.person_is_volunteer(person=profile.person)
    assert profile.skill_list == ["急救", "摄影"]
    profile.is_active = False
    profile.save()
    assert not selectors.person_is_volunteer(person=profile.person)
    assert not selectors.person_is_volunteer(person=PersonFactory())


def test_a_person_who_moved_away_is_not_an_active_volunteer(db):
    profile = VolunteerProfileFactory()
    profile.person.is_active = False
    profile.person.save()
    assert not selectors.volunteers_active().exists()


def test_enrol_and_deactivate(staff):
    person, org = PersonFactory(), OrganizationFactory()
    profile = services.volunteer_enrol(
        actor=staff, person=person, organization=org, team="巡逻队", skills="巡逻"
    )
    assert list(selectors.volunteers_active(organization=org)) == [profile]
    assert LogEntry.objects.get_for_object(profile).filter(actor=staff).exists()
    again = services.volunteer_enrol(actor=staff, person=person, team="宣传队")
    assert again.pk == profile.pk and again.team == "宣传队"
    services.volunteer_deactivate(actor=staff, profile=profile)
    assert not selectors.person_is_volunteer(person=person)
    services.volunteer_enrol(actor=staff, person=person)
    assert VolunteerProfile.objects.count() == 1 and selectors.person_is_volunteer(person=person)


def test_only_staff_enrol(db):
    with pytest.raises(PermissionDenied):
        services.volunteer_enrol(actor=UserFactory(), person=PersonFactory())


def test_start_date_in_the_future_refused(staff):
    with pytest.raises(ValidationError) as exc:
        services.volunteer_enrol(
            actor=staff, person=PersonFactory(), since=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert "since" in exc.value.error_dict
    assert not VolunteerProfile.objects.exists()


def test_admin_pages(admin_client, db):
    VolunteerProfileFactory()
    assert (
        admin_client.get(reverse("admin:volunteers_volunteerprofile_changelist"), {"q": "红马甲"}).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:volunteers_volunteerprofile_add")).status_code == 200
