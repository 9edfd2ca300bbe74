"""Check-out (events.services.checkout_record): a person signed in at a session is signed out once, to
someone, by the activity's staff; a sign-out without the session's check-in, a second sign-out, a cancelled
session, another session's or an unconfirmed registration are refused with a reason and change nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.models import CheckIn, CheckInMethod, CheckOut, RegistrationStatus
from events.services import booking_create, checkin_record, checkout_record
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(world, fcfs):
    """Mum booked her son; he is checked in at the session."""
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    reg = booking.registrations.get()
    checkin_record(
        actor=world.staff, session=fcfs.session, registration=reg, method=CheckInMethod.STAFF_SEARCH
    )
    fcfs.reg = reg
    return fcfs


def _refusal(exc) -> str:
    return " ".join(exc.value.messages)


def test_signs_out_once_to_the_person_who_collected(world, day):
    out = checkout_record(
        actor=world.staff, session=day.session, registration=day.reg, released_to="  朱晓燕（妈妈） "
    )
    assert out.released_to == "朱晓燕（妈妈）"
    assert out.checked_out_by == world.staff
    assert CheckOut.objects.filter(session=day.session).count() == 1


def test_a_second_sign_out_is_refused_with_time_and_person(world, day):
    first = checkout_record(
        actor=world.staff, session=day.session, registration=day.reg, released_to="朱晓燕"
    )
    with pytest.raises(ValidationError) as exc:
        checkout_record(actor=world.staff, session=day.session, registration=day.reg, released_to="王强")
    assert exc.value.code == "already_signed_out"
    hhmm = first.checked_out_at.astimezone().strftime("%H:%M")
    assert _refusal(exc) == f"张小明 was already signed out at {hhmm} to 朱晓燕."
    assert list(CheckOut.objects.values_list("released_to", flat=True)) == ["朱晓燕"]


def test_sign_out_without_sign_in_is_refused(world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    reg = booking.registrations.get()
    with pytest.raises(ValidationError) as exc:
        checkout_record(actor=world.staff, session=fcfs.session, registration=reg, released_to="朱晓燕")
    assert exc.value.code == "not_signed_in"
    assert _refusal(exc) == "张小明 was not signed in today."
    assert not CheckOut.objects.exists()


def test_cancelled_session_is_refused(world, day):
    day.session.cancelled = True
    day.session.save(update_fields=["cancelled"])
    with pytest.raises(ValidationError) as exc:
        checkout_record(actor=world.staff, session=day.session, registration=day.reg, released_to="朱晓燕")
    assert exc.value.code == "session_cancelled"
    assert "cancelled" in _refusal(exc)
    assert not CheckOut.objects.exists()


def test_another_sessions_registration_is_refused(world, day):
    other = SessionFactory(activity=day.activity)
    with pytest.raises(ValidationError) as exc:
        checkout_record(actor=world.staff, session=other, registration=day.reg, released_to="朱晓燕")
    assert exc.value.code == "wrong_session"
    assert _refusal(exc) == "张小明 is not booked for this session."
    assert not CheckOut.objects.exists()


def test_a_registration_no_longer_confirmed_is_refused(world, day):
    type(day.reg).objects.filter(pk=day.reg.pk).update(status=RegistrationStatus.CANCELLED)
    with pytest.raises(ValidationError) as exc:
        checkout_record(actor=world.staff, session=day.session, registration=day.reg, released_to="朱晓燕")
    assert exc.value.code == "not_confirmed"
    assert "张小明 has no confirmed place" in _refusal(exc)
    assert not CheckOut.objects.exists()


def test_nobody_named_is_refused(world, day):
    with pytest.raises(ValidationError) as exc:
        checkout_record(actor=world.staff, session=day.session, registration=day.reg, released_to="   ")
    assert exc.value.code == "released_to_missing"
    assert not CheckOut.objects.exists()


@pytest.mark.parametrize("who", ["resident", "partner", "other_staff_org"])
def test_only_the_activitys_staff_may_sign_out(world, day, who):
    user = {
        "resident": lambda: world.mum_user,
        "partner": lambda: UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory()),
        "other_staff_org": lambda: UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory()),
    }[who]()
    with pytest.raises(PermissionDenied):
        checkout_record(actor=user, session=day.session, registration=day.reg, released_to="朱晓燕")
    assert not CheckOut.objects.exists()
    assert CheckIn.objects.count() == 1


def test_partner_staff_of_the_organiser_may_sign_out(world):
    org = OrganizationFactory()
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    activity = ActivityFactory(organiser_org=org)
    session = SessionFactory(activity=activity)
    reg = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son]
    ).registrations.get()
    checkin_record(actor=partner, session=session, registration=reg, method=CheckInMethod.STAFF_SEARCH)
    out = checkout_record(actor=partner, session=session, registration=reg, released_to="朱晓燕")
    assert out.checked_out_by == partner
