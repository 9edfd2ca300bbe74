"""Scoped reads: what is open for a person, her family's bookings, seats left without N+1, 404s."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from events.models import ActivityStatus, CapacityUnit, EarlyWindowFor
from events.selectors import (
    activities_open_for,
    activity_get_for,
    course_seats_left,
    family_bookings,
    offer_get_for,
    pool_counts,
    registration_get_for,
    sessions_open_for,
    sessions_with_seats,
)
from events.services.booking import booking_create, registration_cancel

from .factories import ActivityFactory, SessionFactory, TargetGroupFactory, in_days


def test_open_for_respects_windows_and_early_groups(world):
    open_now = ActivityFactory(title="开放")
    SessionFactory(activity=open_now)
    later = ActivityFactory(title="未开放", booking_opens_at=in_days(2), booking_closes_at=in_days(4))
    SessionFactory(activity=later)
    draft = ActivityFactory(title="草稿", status=ActivityStatus.DRAFT)
    SessionFactory(activity=draft)
    group = TargetGroupFactory()
    group.members.add(world.kid)
    early = ActivityFactory(
        title="优先",
        early_opens_at=in_days(-1),
        booking_opens_at=in_days(1),
        booking_closes_at=in_days(3),
        early_for=EarlyWindowFor.GROUP,
        early_group=group,
    )
    SessionFactory(activity=early)
    no_sessions = ActivityFactory(title="无场次")
    assert set(activities_open_for(person=world.son).values_list("title", flat=True)) == {"开放"}
    assert set(activities_open_for(person=world.kid).values_list("title", flat=True)) == {"开放", "优先"}
    assert no_sessions not in activities_open_for(person=world.kid)
    assert sessions_open_for(person=world.kid).count() == 2


def test_seats_left_counted_in_one_query(world, fcfs):
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    marathon = ActivityFactory(capacity_unit=CapacityUnit.FAMILY)
    family_session = SessionFactory(activity=marathon, capacity=300)
    booking_create(
        actor=world.mum_user, activity=marathon, session=family_session, persons=[world.mum, world.son]
    )
    for _ in range(5):
        SessionFactory(activity=fcfs.activity)
    with CaptureQueriesContext(connection) as ctx:
        rows = {s.pk: s for s in sessions_with_seats()}
    assert len(ctx.captured_queries) == 1
    s = rows[fcfs.session.pk]
    assert (s.seats_taken, s.seats_left, s.waitlisted) == (3, 0, 1)
    f = rows[family_session.pk]
    assert (f.seats_taken, f.seats_left) == (1, 299)
    assert pool_counts(activity=fcfs.activity, session=fcfs.session)["waitlisted"] == 1


def test_course_seats_left(world):
    from events.models import RegistrationScope

    course = ActivityFactory(registration_scope=RegistrationScope.COURSE, capacity=4)
    SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.son, world.daughter])
    assert course_seats_left(activity=course) == 2


def test_family_bookings_cover_her_dependents_only(world, fcfs):
    booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son, world.granny]
    )
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    with CaptureQueriesContext(connection) as ctx:
        names = [
            r.person.name + r.activity.title + str(r.session) for r in family_bookings(user=world.mum_user)
        ]
    assert len(ctx.captured_queries) <= 3
    assert len(names) == 2
    assert {r.person for r in family_bookings(user=world.dad_user)} == {world.kid}


def test_lookups_by_id_are_scoped(world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    reg = booking.registrations.get()
    assert registration_get_for(user=world.mum_user, registration_id=reg.pk) == reg
    assert registration_get_for(user=world.staff, registration_id=reg.pk) == reg
    with pytest.raises(Http404):
        registration_get_for(user=world.dad_user, registration_id=reg.pk)
    with pytest.raises(Http404):
        registration_get_for(user=world.mum_user, registration_id="nonsense")
    draft = ActivityFactory(status=ActivityStatus.DRAFT)
    with pytest.raises(Http404):
        activity_get_for(user=world.mum_user, activity_id=draft.pk)
    assert activity_get_for(user=world.staff, activity_id=draft.pk) == draft


def test_offer_lookup_is_scoped(world, fcfs):
    fcfs.session.capacity = 1
    fcfs.session.save()
    first = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    registration_cancel(actor=world.mum_user, registration=first.registrations.get())
    offer = world.kid.registrations.get(status="offered").offer
    assert offer_get_for(user=world.dad_user, offer_id=offer.pk) == offer
    with pytest.raises(Http404):
        offer_get_for(user=world.mum_user, offer_id=offer.pk)


def test_staff_my_bookings_do_not_list_residents_booked_on_their_behalf(world, fcfs):
    from events.services.booking import booking_create_on_behalf

    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    assert not family_bookings(user=world.staff).exists()
    # her carer sees it among her family's bookings
    assert [r.person for r in family_bookings(user=world.mum_user)] == [world.granny]
