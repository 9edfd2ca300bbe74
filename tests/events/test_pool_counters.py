"""The pool's counters (seats taken, waitlisted, the last waitlist number) stay equal to what the
registrations say after every write of the engine, and nothing else writes them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from events.models import (
    AllocationMode,
    CapacityUnit,
    Offer,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
)
from events.services import (
    booking_create,
    lottery_draw,
    pool_counters_drift,
    pools_recount,
    registration_cancel,
    session_cancel,
)
from events.services._pool import Pool, pool_counts
from events.services.checkin import attendance_record
from events.services.waitlist import offer_accept, offer_decline, offer_expire, waitlist_leave

from .factories import ActivityFactory, SessionFactory, in_days

pytestmark = pytest.mark.django_db


def counters(row):
    row.refresh_from_db()
    return (row.pool_seats_taken, row.pool_waitlisted, row.pool_last_queue_no)


def no_drift():
    assert pool_counters_drift() == []


def test_booking_moves_the_counters_and_a_cancel_recounts_them(world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=2)
    booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.dad, world.kid])
    assert counters(session) == (2, 2, 2)
    no_drift()
    [son] = Registration.objects.filter(person=world.son)
    registration_cancel(actor=world.mum_user, registration=son)
    # the seat went to the head of the line as an offer: still seated, one fewer waiting
    assert counters(session) == (2, 1, 2)
    no_drift()
    offer = Offer.objects.get()
    offer_decline(actor=world.dad_user, offer=offer)
    assert counters(session) == (2, 0, 2)  # declined: the seat passed to the next (王小宝)
    no_drift()
    offer_accept(actor=world.dad_user, offer=Offer.objects.get(status=Offer.Status.OPEN))
    assert counters(session) == (2, 0, 2)
    no_drift()


def test_waitlist_numbers_are_never_given_twice(world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=1)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.granny])
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    kid = Registration.objects.get(person=world.kid)
    assert kid.queue_no == 1
    waitlist_leave(actor=world.dad_user, registration=kid)
    assert counters(session) == (1, 0, 1)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    assert Registration.objects.get(person=world.son).queue_no == 2
    no_drift()


def test_offer_expiry_and_walk_in_and_session_cancel_keep_them_true(world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=1)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.granny])
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    registration_cancel(actor=world.mum_user, registration=Registration.objects.get(person=world.granny))
    offer = Offer.objects.get()
    offer_expire(offer=offer, now=offer.expires_at + datetime.timedelta(minutes=1))
    no_drift()
    # a walk-in on the waitlist is seated by the nurse who records her
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    attendance_record(actor=world.staff, session=session, person=world.son, now=session.starts_at)
    no_drift()
    session_cancel(actor=world.staff, session=session, reason="场地维修")
    assert counters(session)[:2] == (0, 0)
    no_drift()


def test_a_lottery_draw_and_a_family_pool_keep_them_true(world):
    lottery = ActivityFactory(allocation=AllocationMode.LOTTERY, booking_closes_at=in_days(1))
    session = SessionFactory(activity=lottery, capacity=1)
    booking_create(actor=world.mum_user, activity=lottery, session=session, persons=[world.son])
    booking_create(actor=world.dad_user, activity=lottery, session=session, persons=[world.kid])
    assert counters(session) == (0, 0, 0)
    lottery_draw(actor=world.staff, activity=lottery, session=session, now=in_days(2))
    assert counters(session)[:2] == (1, 1)
    no_drift()

    families = ActivityFactory(capacity_unit=CapacityUnit.FAMILY)
    fsession = SessionFactory(activity=families, capacity=1)
    booking_create(actor=world.mum_user, activity=families, session=fsession, persons=[world.son, world.mum])
    booking_create(actor=world.dad_user, activity=families, session=fsession, persons=[world.dad, world.kid])
    assert counters(fsession) == (1, 2, 1)  # one family seated; the other waits as one unit, number 1
    no_drift()


def test_a_course_keeps_its_counters_on_the_activity(world):
    course = ActivityFactory(registration_scope=RegistrationScope.COURSE, capacity=1)
    SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.son, world.daughter])
    assert counters(course) == (1, 1, 1)
    no_drift()


def test_saving_a_stale_session_does_not_write_its_counters_back(world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=3)
    stale = Session.objects.get(pk=session.pk)  # a staff form opened before the booking
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    stale.capacity = 5
    stale.save()
    assert counters(session) == (1, 0, 0)
    assert session.capacity == 5


def test_the_drift_check_sees_a_bulk_write_and_the_recount_mends_it(world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=3)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    Registration.objects.filter(session=session).update(status=RegistrationStatus.CANCELLED)
    [drift] = pool_counters_drift()
    assert drift["stored"]["pool_seats_taken"] == 1 and drift["counted"]["pool_seats_taken"] == 0
    assert pools_recount() >= 1
    no_drift()
    assert pool_counts(Pool(activity=activity, session=session))["pool_seats_taken"] == 0


def test_a_booking_refused_when_full_moves_nothing(world):
    activity = ActivityFactory(waitlist_enabled=False)
    session = SessionFactory(activity=activity, capacity=1)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    with pytest.raises(ValidationError) as exc:
        booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    assert exc.value.code == "full"
    assert counters(session) == (1, 0, 0)  # (and it took no lock: see test_booking_post)
