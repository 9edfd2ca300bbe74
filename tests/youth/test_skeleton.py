"""The shared skeleton of the youth area: factories make what they say."""

import datetime

import pytest
from django.utils import timezone

from portal.community.selectors import has_consent
from youth.selectors.access import child_consent_ok, children_of, guardians_of

from .factories import ChildFactory, DaycareProgrammeFactory, PickupPersonFactory, book, today_session

pytestmark = pytest.mark.django_db


def test_child_factory_makes_a_child_with_guardian_and_consent():
    child = ChildFactory()
    guardian = child.guardian_for_tests
    assert child.age == 8
    assert list(children_of(guardian.user)) == [child]
    assert guardians_of(child) == [guardian]
    assert has_consent(person=child, purpose="minor") and child_consent_ok(child)
    assert not child_consent_ok(ChildFactory(consent=False))


def test_siblings_share_guardian_and_household():
    first = ChildFactory()
    second = ChildFactory(guardian=first.guardian_for_tests)
    assert second.household_id == first.household_id
    assert set(children_of(first.guardian_for_tests.user)) == {first, second}


def test_programme_has_weeks_of_daily_sessions_and_today_is_a_day(youth_data):
    programme = DaycareProgrammeFactory(weeks=2)
    weeks = list(programme.weeks.all())
    assert [w.number for w in weeks] == [1, 2]
    assert weeks[0].activity.sessions.count() == 5
    session = today_session(programme)
    assert timezone.localtime(session.starts_at).time() == datetime.time(8, 0)
    child = ChildFactory()
    booking = book(child, weeks[0])
    assert booking.registrations.get().status == "confirmed"
    assert PickupPersonFactory(child=child).child == child


def test_programme_factory_takes_its_options(youth_data):
    from tests.accounts.factories import UserFactory

    staff = UserFactory(role="community_staff")
    programme = DaycareProgrammeFactory(weeks=3, capacity=4, organiser=staff, allocation="lottery")
    weeks = list(programme.weeks.select_related("activity"))
    assert len(weeks) == 3
    assert {(w.activity.capacity, w.activity.organiser_user_id, w.activity.allocation) for w in weeks} == {
        (4, staff.pk, "lottery")
    }
