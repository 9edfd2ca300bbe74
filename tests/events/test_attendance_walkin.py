"""``attendance_record``: staff record that a person is at a session (a clinic day), booked or not.

A confirmed registration is checked in; a walk-in gets a registration made on her behalf by staff, confirmed
even at a started session with no capacity, and checked in; a waitlisted one is confirmed; a second call
returns the same CheckIn; residents, other organisations' staff and cancelled sessions are refused, nothing
written; a person outside the staff member's scope cannot be walked in.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import Booking, CheckIn, CheckInMethod, Registration, RegistrationStatus
from events.services.booking import booking_create_on_behalf
from events.services.checkin import attendance_record
from portal.accounts.models import Role
from portal.community.models import OrganizationKind
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory, PersonFactory
from tests.events.factories import ActivityFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    centre = OrganizationFactory(name="中兴街道社区卫生服务中心", kind=OrganizationKind.HEALTH_CENTRE)
    nurse = UserFactory(role=Role.PARTNER_STAFF, organization=centre, name="护士")
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="陈善惠")
    activity = ActivityFactory(
        title="便民服务驿站义诊", area="elders", organiser_user=None, organiser_org=centre, min_age=60
    )
    now = timezone.now()
    # The clinic is on now: started an hour ago, no capacity set (0).
    session = SessionFactory(
        activity=activity,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=2),
        capacity=0,
    )
    elder = PersonFactory(name="王秀英", birth_date=datetime.date(1944, 3, 15))
    elder.served_by.add(centre)
    return nurse, staff, session, elder, centre


def test_a_walk_in_gets_a_registration_on_her_behalf_and_one_check_in(clinic):
    nurse, _staff, session, elder, _centre = clinic
    checkin = attendance_record(actor=nurse, session=session, person=elder)
    reg = checkin.registration
    assert reg.person == elder and reg.session == session and reg.status == RegistrationStatus.CONFIRMED
    assert reg.booking.on_behalf is True and reg.booking.booked_by == nurse
    assert checkin.method == CheckInMethod.STAFF_SEARCH and checkin.checked_in_by == nurse
    again = attendance_record(actor=nurse, session=session, person=elder)
    assert again.pk == checkin.pk
    assert CheckIn.objects.count() == 1 and Registration.objects.count() == 1 and Booking.objects.count() == 1


def test_a_booked_elder_is_checked_in_on_her_own_registration(clinic):
    nurse, staff, session, elder, _centre = clinic
    session.starts_at = timezone.now() + datetime.timedelta(days=1)
    session.ends_at = session.starts_at + datetime.timedelta(hours=2)
    session.capacity = 10
    session.save()
    booking = booking_create_on_behalf(
        staff=staff, activity=session.activity, session=session, persons=[elder]
    )
    reg = booking.registrations.get()
    checkin = attendance_record(actor=nurse, session=session, person=elder)
    assert checkin.registration_id == reg.pk
    assert Registration.objects.count() == 1


def test_a_waitlisted_elder_who_came_is_confirmed_and_checked_in(clinic):
    nurse, staff, session, elder, _centre = clinic
    session.starts_at = timezone.now() + datetime.timedelta(days=1)
    session.ends_at = session.starts_at + datetime.timedelta(hours=2)
    session.save()  # capacity 0: the booking goes to the waitlist
    booking = booking_create_on_behalf(
        staff=staff, activity=session.activity, session=session, persons=[elder]
    )
    reg = booking.registrations.get()
    assert reg.status == RegistrationStatus.WAITLISTED
    checkin = attendance_record(actor=nurse, session=session, person=elder)
    reg.refresh_from_db()
    assert (
        checkin.registration_id == reg.pk
        and reg.status == RegistrationStatus.CONFIRMED
        and reg.queue_no is None
    )
    assert Registration.objects.count() == 1


def test_a_resident_or_another_organisations_staff_cannot_record_attendance(clinic):
    _nurse, _staff, session, elder, _centre = clinic
    other = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory(name="别的机构"))
    resident = UserFactory()
    for actor in (other, resident):
        with pytest.raises(PermissionDenied):
            attendance_record(actor=actor, session=session, person=elder)
    with pytest.raises(ValidationError):
        attendance_record(actor=resident, session=session, person=elder, method=CheckInMethod.SELF)
    assert not CheckIn.objects.exists() and not Registration.objects.exists()


def test_a_walk_in_outside_the_staff_scope_is_refused(clinic):
    nurse, _staff, session, _elder, _centre = clinic
    stranger = PersonFactory(
        name="李桂兰", birth_date=datetime.date(1940, 1, 1)
    )  # not a client of the centre
    with pytest.raises(PermissionDenied):
        attendance_record(actor=nurse, session=session, person=stranger)
    assert not Registration.objects.exists() and not Booking.objects.exists()


def test_community_staff_may_walk_in_anyone_and_a_cancelled_session_is_refused(clinic):
    _nurse, staff, session, _elder, _centre = clinic
    stranger = PersonFactory(name="李桂兰", birth_date=datetime.date(1940, 1, 1))
    assert attendance_record(actor=staff, session=session, person=stranger).registration.person == stranger
    session.cancelled = True
    session.save()
    with pytest.raises(ValidationError) as exc:
        attendance_record(actor=staff, session=session, person=PersonFactory())
    assert exc.value.code == "session_cancelled"
    assert CheckIn.objects.count() == 1
