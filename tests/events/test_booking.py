"""Booking for herself and her dependents, one registration per person, FCFS order, families, staff on
behalf, cancellation until the deadline, staff cancelling a session."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from events.models import Booking, CapacityUnit, Registration, RegistrationScope, RegistrationStatus
from events.selectors import waitlist_position
from events.services.booking import booking_create, booking_create_on_behalf, registration_cancel
from events.services.sessions import session_cancel
from portal.notify.models import Message

from .factories import ActivityFactory, SessionFactory, in_days


def statuses(booking):
    return [r.status for r in booking.registrations.order_by("id")]


def test_mother_books_two_children_in_one_go(world, fcfs):
    booking = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    assert statuses(booking) == ["confirmed", "confirmed"]
    assert booking.booked_by == world.mum_user and not booking.on_behalf
    assert len(booking.token) >= 22  # >= 128 bits, URL-safe


def test_she_may_not_book_someone_she_does_not_act_for(world, fcfs):
    with pytest.raises(PermissionDenied):
        booking_create(
            actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
        )
    assert not Booking.objects.exists()


def test_one_registration_per_person_per_session(world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    with pytest.raises(ValidationError) as exc:
        booking_create(
            actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
        )
    assert "already booked" in exc.value.messages[0]
    # and the database itself refuses a second active row
    first = Registration.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            booking=first.booking,
            activity=fcfs.activity,
            session=fcfs.session,
            person=world.son,
            status=RegistrationStatus.CONFIRMED,
        )


def test_rebooking_after_cancelling_is_allowed(world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    registration_cancel(actor=world.mum_user, registration=booking.registrations.get())
    again = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    assert statuses(again) == ["confirmed"]


def test_fcfs_fills_seats_then_waitlists_in_arrival_order(world, fcfs):
    first = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    second = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    third = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum]
    )
    assert statuses(first) == ["confirmed", "confirmed"]
    assert statuses(second) == ["confirmed", "waitlisted"]
    assert statuses(third) == ["waitlisted"]
    kid = Registration.objects.get(person=world.kid)
    mum = Registration.objects.get(person=world.mum)
    assert waitlist_position(registration=kid) == 1
    assert waitlist_position(registration=mum) == 2


def test_full_without_waitlist_is_refused_whole(world, fcfs):
    fcfs.activity.waitlist_enabled = False
    fcfs.activity.save()
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    with pytest.raises(ValidationError) as exc:
        booking_create(
            actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
        )
    assert "Only 1 place is left, for 2 people." in exc.value.messages
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    with pytest.raises(ValidationError, match="fully booked"):
        booking_create(
            actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad]
        )
    assert Registration.objects.count() == 3


def test_family_unit_counts_a_booking_once(world):
    marathon = ActivityFactory(title="迷你马拉松", capacity_unit=CapacityUnit.FAMILY)
    session = SessionFactory(activity=marathon, capacity=1)
    first = booking_create(
        actor=world.mum_user,
        activity=marathon,
        session=session,
        persons=[world.mum, world.son, world.daughter],
    )
    assert statuses(first) == ["confirmed"] * 3
    second = booking_create(
        actor=world.dad_user, activity=marathon, session=session, persons=[world.dad, world.kid]
    )
    assert statuses(second) == ["waitlisted", "waitlisted"]
    assert len({r.queue_no for r in second.registrations.all()}) == 1
    assert waitlist_position(registration=second.registrations.first()) == 1


def test_course_registration_covers_every_session(world):
    course = ActivityFactory(title="暑托班", registration_scope=RegistrationScope.COURSE, capacity=1)
    SessionFactory(activity=course)
    SessionFactory(activity=course)
    booking = booking_create(actor=world.mum_user, activity=course, persons=[world.son])
    reg = booking.registrations.get()
    assert reg.session is None and reg.status == "confirmed"
    other = booking_create(actor=world.dad_user, activity=course, persons=[world.kid])
    assert statuses(other) == ["waitlisted"]
    with pytest.raises(ValidationError):
        booking_create(actor=world.mum_user, activity=course, persons=[world.son])


def test_session_scope_needs_a_session(world, fcfs):
    with pytest.raises(ValidationError, match="Choose a session"):
        booking_create(actor=world.mum_user, activity=fcfs.activity, persons=[world.son])


def test_staff_book_on_behalf_and_it_is_recorded(world, fcfs):
    booking = booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    assert booking.on_behalf and booking.booked_by == world.staff
    assert statuses(booking) == ["confirmed"]
    with pytest.raises(PermissionDenied):
        booking_create_on_behalf(
            staff=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
        )


def test_grid_worker_books_only_within_her_grid(world, fcfs):
    from portal.accounts.models import Role
    from tests.community.factories import GridFactory, UserFactory

    worker = UserFactory(role=Role.GRID_WORKER, grid=GridFactory())
    with pytest.raises(PermissionDenied):
        booking_create_on_behalf(
            staff=worker, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
        )
    worker.grid = world.granny.household.building.grid
    worker.save()
    booking_create_on_behalf(
        staff=worker, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )


def test_cancellation_until_the_deadline(world, fcfs):
    fcfs.activity.cancel_hours_before = 24
    fcfs.activity.save()
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    reg = booking.registrations.get()
    too_late = fcfs.session.starts_at - datetime.timedelta(hours=23)
    with pytest.raises(ValidationError, match="Cancellation closed"):
        registration_cancel(actor=world.mum_user, registration=reg, now=too_late)
    reg.refresh_from_db()
    assert reg.status == "confirmed"
    in_time = fcfs.session.starts_at - datetime.timedelta(hours=25)
    registration_cancel(actor=world.mum_user, registration=reg, now=in_time)
    reg.refresh_from_db()
    assert reg.status == "cancelled" and reg.cancelled_by == world.mum_user
    with pytest.raises(ValidationError, match="already"):
        registration_cancel(actor=world.mum_user, registration=reg)


def test_a_stranger_may_not_cancel(world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    with pytest.raises(PermissionDenied):
        registration_cancel(actor=world.dad_user, registration=booking.registrations.get())


def test_staff_cancel_a_session_and_everyone_is_told(world, fcfs):
    b1 = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    with pytest.raises(PermissionDenied):
        session_cancel(actor=world.mum_user, session=fcfs.session)
    n = session_cancel(actor=world.staff, session=fcfs.session, reason="台风")
    assert n == 5
    assert not Registration.objects.exclude(status="cancelled").exists()
    fcfs.session.refresh_from_db()
    assert fcfs.session.cancelled
    keys = set(
        Message.objects.filter(template__code="events.session_cancelled").values_list("key", flat=True)
    )
    assert (
        f"events.session_cancelled:{fcfs.session.pk}:booking:{b1.pk}:user:{world.mum_user.pk}:inbox" in keys
    )
    # granny was booked by staff: she is told on her own phone
    assert Message.objects.filter(
        person=world.granny, channel="sms", template__code="events.session_cancelled"
    ).exists()
    assert (
        "台风"
        in Message.objects.filter(user=world.mum_user, template__code="events.session_cancelled").first().body
    )
    with pytest.raises(ValidationError, match="already cancelled"):
        session_cancel(actor=world.staff, session=fcfs.session)
    with pytest.raises(ValidationError, match="cancelled"):
        booking_create(
            actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum]
        )


def test_booking_in_the_past_session_refused(world):
    activity = ActivityFactory(booking_closes_at=in_days(30))
    past = SessionFactory(activity=activity, starts_at=in_days(-1))
    with pytest.raises(ValidationError, match="already started"):
        booking_create(actor=world.mum_user, activity=activity, session=past, persons=[world.son])


def test_cancelling_one_meeting_of_a_course_keeps_the_registrations_and_tells_everyone(world):
    course = ActivityFactory(
        title="周二戏曲班",
        registration_scope=RegistrationScope.COURSE,
        capacity=10,
        organiser_user=world.staff,
    )
    first = SessionFactory(activity=course)
    SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.mum])
    assert session_cancel(actor=world.staff, session=first, reason="场地维修") == 0
    assert Registration.objects.get(person=world.mum).status == "confirmed"
    msg = Message.objects.get(user=world.mum_user, channel="inbox", template__code="events.session_cancelled")
    assert "场地维修" in msg.body
