"""Waitlist offers: a freed seat goes to the next person, who accepts in time or lets it pass on."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import CapacityUnit, Offer, Registration
from events.selectors import waitlist_position
from events.services.booking import booking_create, registration_cancel
from events.services.waitlist import (
    offer_accept,
    offer_decline,
    offers_expire_due,
    waitlist_leave,
    waitlist_promote_next,
)
from events.tasks import expire_offers
from portal.notify.models import Message

from .factories import ActivityFactory, SessionFactory


@pytest.fixture
def full(world, fcfs):
    """3 seats taken (mum's two children, dad); dad's son, then mum, wait."""
    fcfs.activity.offer_hold_hours = 24
    fcfs.activity.save()
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum])
    return fcfs


def reg(person):
    return Registration.objects.get(person=person, status__in=["confirmed", "waitlisted", "offered"])


def test_a_freed_seat_is_offered_to_the_next_with_a_message(world, full):
    registration_cancel(actor=world.mum_user, registration=reg(world.son))
    kid = reg(world.kid)
    assert kid.status == "offered"
    offer = kid.offer
    assert offer.status == "open"
    assert abs((offer.expires_at - timezone.now()) - datetime.timedelta(hours=24)) < datetime.timedelta(
        minutes=1
    )
    msg = Message.objects.get(key=f"events.offer:{offer.pk}:user:{world.dad_user.pk}:inbox")
    assert "王小宝" in msg.body
    assert reg(world.mum).status == "waitlisted"
    assert waitlist_position(registration=reg(world.mum)) == 1


def test_accept_confirms_and_a_second_accept_is_refused(world, full):
    registration_cancel(actor=world.mum_user, registration=reg(world.son))
    offer = reg(world.kid).offer
    with pytest.raises(PermissionDenied):
        offer_accept(actor=world.mum_user, offer=offer)
    offer_accept(actor=world.dad_user, offer=offer)
    assert reg(world.kid).status == "confirmed"
    with pytest.raises(ValidationError, match="already been answered"):
        offer_accept(actor=world.dad_user, offer=offer)


def test_expired_offer_passes_on_to_the_next(world, full):
    registration_cancel(actor=world.mum_user, registration=reg(world.son))
    offer = reg(world.kid).offer
    later = offer.expires_at + datetime.timedelta(minutes=1)
    with pytest.raises(ValidationError, match="expired"):
        offer_accept(actor=world.dad_user, offer=offer, now=later)
    assert reg(world.kid).status == "offered"  # refusing changed nothing
    assert offers_expire_due(now=later) == 1
    assert offers_expire_due(now=later) == 0  # running the scan twice does nothing more
    assert Registration.objects.get(person=world.kid).status == "expired"
    mum = reg(world.mum)
    assert mum.status == "offered" and mum.offer.status == "open"
    assert Message.objects.filter(template__code="events.offer_expired", user=world.dad_user).exists()
    assert Message.objects.filter(template__code="events.offer_made", user=world.mum_user).exists()


def test_the_periodic_task_expires_due_offers(world, full):
    registration_cancel(actor=world.mum_user, registration=reg(world.son))
    Offer.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert expire_offers.delay().get() == 1
    assert reg(world.mum).status == "offered"


def test_decline_passes_on(world, full):
    registration_cancel(actor=world.mum_user, registration=reg(world.son))
    offer_decline(actor=world.dad_user, offer=reg(world.kid).offer)
    assert Registration.objects.get(person=world.kid).status == "declined"
    assert reg(world.mum).status == "offered"
    with pytest.raises(ValidationError):
        offer_decline(actor=world.dad_user, offer=Offer.objects.get(status="declined"))


def test_leave_the_waitlist(world, full):
    waitlist_leave(actor=world.dad_user, registration=reg(world.kid))
    assert waitlist_position(registration=reg(world.mum)) == 1
    with pytest.raises(ValidationError, match="not on the waitlist"):
        waitlist_leave(actor=world.dad_user, registration=Registration.objects.get(person=world.kid))
    with pytest.raises(PermissionDenied):
        waitlist_leave(actor=world.dad_user, registration=reg(world.mum))


def test_cancelling_an_offered_seat_passes_it_on(world, full):
    registration_cancel(actor=world.mum_user, registration=reg(world.son))
    registration_cancel(actor=world.dad_user, registration=reg(world.kid))
    assert Offer.objects.get(status="declined")
    assert reg(world.mum).status == "offered"


def test_raising_capacity_then_promoting_offers_every_free_seat(world, full):
    full.session.capacity = 5
    full.session.save()
    offers = waitlist_promote_next(activity=full.activity, session=full.session)
    assert len(offers) == 2
    assert reg(world.kid).status == "offered" and reg(world.mum).status == "offered"
    assert waitlist_promote_next(activity=full.activity, session=full.session) == []


def test_offer_never_outlives_the_session_start(world, full):
    soon = full.session.starts_at - datetime.timedelta(hours=3)
    full.activity.cancel_hours_before = 0
    full.activity.save()
    registration_cancel(actor=world.mum_user, registration=reg(world.son), now=soon)
    assert reg(world.kid).offer.expires_at == full.session.starts_at


def test_family_waits_and_is_offered_as_one_unit(world):
    marathon = ActivityFactory(capacity_unit=CapacityUnit.FAMILY)
    session = SessionFactory(activity=marathon, capacity=1)
    first = booking_create(
        actor=world.mum_user, activity=marathon, session=session, persons=[world.mum, world.son]
    )
    booking_create(actor=world.dad_user, activity=marathon, session=session, persons=[world.dad, world.kid])
    # one member leaving does not free the family's place
    registration_cancel(actor=world.mum_user, registration=first.registrations.get(person=world.son))
    assert not Offer.objects.exists()
    registration_cancel(actor=world.mum_user, registration=first.registrations.get(person=world.mum))
    offer = Offer.objects.get()
    assert set(offer.registrations.values_list("person__name", flat=True)) == {"王强", "王小宝"}
    offer_accept(actor=world.dad_user, offer=offer)
    assert set(Registration.objects.filter(booking=offer.booking).values_list("status", flat=True)) == {
        "confirmed"
    }


def test_the_promote_task_fills_free_seats(world, full):
    from events.tasks import promote_waitlist

    full.session.capacity = 4
    full.session.save()
    assert promote_waitlist.delay(full.activity.pk, full.session.pk).get() == 1
    assert promote_waitlist.delay(full.activity.pk, 999999).get() == 0
    assert reg(world.kid).status == "offered"
