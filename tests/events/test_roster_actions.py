"""Roster actions of the staff who manage an activity: cancel one person's place for a resident who phoned
(on her behalf, she is told, the seat goes to the waitlist), offer a seat to a named person on the
waitlist out of turn with a reason, reveal a participant's full phone number (each reveal logged).

Only staff who manage the activity get in (a resident or another organisation's partner staff: 404);
every refusal says why and changes nothing."""

import datetime
import importlib

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from events.models import AllocationMode, Offer, RegistrationStatus
from events.services import booking_create, booking_create_on_behalf
from events.services.booking import registration_cancel, registration_cancel_on_behalf
from events.services.waitlist import waitlist_offer_to
from portal.accounts.models import Role
from portal.community.models import AccessLog, Person
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory

from .factories import ActivityFactory, SessionFactory


@pytest.fixture(autouse=True)
def _roster_templates(db):
    """The roster's message template comes from a data migration; a flushed database has lost it."""
    from portal.notify.models import MessageTemplate

    module = importlib.import_module("events.migrations.0013_loose_ends")
    for data in module.ROSTER_TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def staff_client(en, world):
    en.force_login(world.staff)
    return en


@pytest.fixture
def booked(world, fcfs):
    """Three seats: mum's two children, granny booked by staff on her behalf; the neighbour's boy waits
    (no. 1), then the stranger (no. 2)."""
    fcfs.mums = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    fcfs.grannys = booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    fcfs.dads = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    fcfs.strangers = booking_create(
        actor=world.stranger_user, activity=fcfs.activity, session=fcfs.session, persons=[world.stranger]
    )
    fcfs.son = fcfs.mums.registrations.get(person=world.son)
    fcfs.granny = fcfs.grannys.registrations.get()
    fcfs.kid = fcfs.dads.registrations.get()
    fcfs.stranger = fcfs.strangers.registrations.get()
    assert [fcfs.kid.status, fcfs.stranger.status] == [RegistrationStatus.WAITLISTED] * 2
    return fcfs


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _other_partner():
    return UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory(name="别的机构"))


def _free_a_seat(session):
    """A seat free with people waiting (capacity raised without passing it on): the case for an offer out
    of turn."""
    type(session).objects.filter(pk=session.pk).update(capacity=session.capacity + 1)
    session.refresh_from_db()


# --- 1. cancel one place for a resident who phoned --------------------------------------------------------


def test_staff_cancel_for_a_caller_is_recorded_on_her_behalf_and_the_seat_is_offered(world, booked):
    reg = registration_cancel_on_behalf(staff=world.staff, registration=booked.son, reason="居民来电取消")

    assert reg.status == RegistrationStatus.CANCELLED
    assert reg.cancelled_by == world.staff
    assert reg.cancel_reason == "居民来电取消"
    # the freed seat went to the first on the waitlist, through the usual offer
    booked.kid.refresh_from_db()
    booked.stranger.refresh_from_db()
    assert booked.kid.status == RegistrationStatus.OFFERED
    assert booked.stranger.status == RegistrationStatus.WAITLISTED
    assert Message.objects.filter(
        key__startswith=f"events.offer:{booked.kid.offer_id}:user:{world.dad_user.pk}"
    )
    # the booker (mum) is told, naming the activity, that the committee cancelled it at her request
    told = Message.objects.filter(key__startswith=f"events.cancelled_on_behalf:{reg.pk}:")
    assert told.exists() and {m.user_id for m in told} == {world.mum_user.pk}
    body = told.first().body
    assert "亲子烘焙" in body and "张小明" in body and "居民来电取消" in body
    assert ("代您取消" in body) or ("on your behalf" in body)


def test_a_booking_made_on_her_behalf_tells_the_person_herself(world, booked):
    registration_cancel_on_behalf(staff=world.staff, registration=booked.granny, reason="居民来电取消")
    told = Message.objects.filter(key__startswith=f"events.cancelled_on_behalf:{booked.granny.pk}:")
    # to her (and, she having no account, to those who act for her), never to the staff who booked
    assert told.exists()
    assert told.filter(person=world.granny).exists()
    assert world.staff.pk not in {m.user_id for m in told}


def test_past_the_deadline_staff_may_still_cancel_but_the_resident_may_not(world, fcfs):
    fcfs.activity.cancel_hours_before = 24
    fcfs.activity.save(update_fields=["cancel_hours_before"])
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    reg = booking.registrations.get()
    late = fcfs.session.starts_at - datetime.timedelta(hours=2)
    with pytest.raises(ValidationError) as exc:
        registration_cancel(actor=world.mum_user, registration=reg, now=late)
    assert "Cancellation closed" in exc.value.messages[0]
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CONFIRMED

    registration_cancel_on_behalf(staff=world.staff, registration=reg, reason="居民来电取消", now=late)
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CANCELLED and reg.cancelled_by == world.staff


def test_cancel_for_a_caller_needs_a_reason_and_changes_nothing_without(world, booked):
    with pytest.raises(ValidationError) as exc:
        registration_cancel_on_behalf(staff=world.staff, registration=booked.son, reason="  ")
    assert exc.value.message_dict["reason"] == ["Give the reason, e.g. “the resident phoned to cancel”."]
    booked.son.refresh_from_db()
    assert booked.son.status == RegistrationStatus.CONFIRMED
    assert not Message.objects.filter(key__startswith="events.cancelled_on_behalf:").exists()


def test_only_staff_managing_the_activity_may_cancel_for_a_caller(world, booked):
    for outsider in (_other_partner(), world.dad_user, world.mum_user):
        with pytest.raises(PermissionDenied):
            registration_cancel_on_behalf(staff=outsider, registration=booked.son, reason="居民来电取消")
    booked.son.refresh_from_db()
    assert booked.son.status == RegistrationStatus.CONFIRMED


def test_a_place_already_cancelled_is_refused(world, booked):
    registration_cancel_on_behalf(staff=world.staff, registration=booked.son, reason="居民来电取消")
    with pytest.raises(ValidationError) as exc:
        registration_cancel_on_behalf(staff=world.staff, registration=booked.son, reason="再次取消")
    assert exc.value.messages == ["This registration is already Cancelled."]
    booked.son.refresh_from_db()
    assert booked.son.cancel_reason == "居民来电取消"
    assert Message.objects.filter(key__startswith="events.cancelled_on_behalf:").values("key").count() >= 1


# --- 2. offer a seat to a named person on the waitlist ------------------------------------------------------


def test_staff_offer_a_free_seat_out_of_turn_with_the_reason(world, booked):
    _free_a_seat(booked.session)
    now = timezone.now()
    offer = waitlist_offer_to(
        actor=world.staff, registration=booked.stranger, reason="行动不便，优先安排", now=now
    )

    assert offer.reason == "行动不便，优先安排" and offer.offered_by == world.staff
    assert offer.booking == booked.strangers and offer.status == Offer.Status.OPEN
    assert offer.expires_at == now + datetime.timedelta(hours=booked.activity.offer_hold_hours)
    booked.stranger.refresh_from_db()
    booked.kid.refresh_from_db()
    assert booked.stranger.status == RegistrationStatus.OFFERED and booked.stranger.offer == offer
    assert booked.kid.status == RegistrationStatus.WAITLISTED  # no. 1 still waits
    # the family is told the usual way: the same message as an offer in turn
    told = Message.objects.filter(key__startswith=f"events.offer:{offer.pk}:user:{world.stranger_user.pk}")
    assert told.exists() and told.first().template.code == "events.offer_made"
    assert "亲子烘焙" in told.first().body


def test_no_free_seat_refuses_the_offer_and_changes_nothing(world, booked):
    offers = Offer.objects.count()
    with pytest.raises(ValidationError) as exc:
        waitlist_offer_to(actor=world.staff, registration=booked.stranger, reason="行动不便，优先安排")
    assert exc.value.messages == ["No place is free: a seat can be offered once one is given back."]
    booked.stranger.refresh_from_db()
    assert booked.stranger.status == RegistrationStatus.WAITLISTED
    assert Offer.objects.count() == offers


def test_only_a_person_waiting_can_be_offered_a_seat(world, booked):
    _free_a_seat(booked.session)
    with pytest.raises(ValidationError) as exc:
        waitlist_offer_to(actor=world.staff, registration=booked.son, reason="行动不便，优先安排")
    assert exc.value.messages == ["This person is not on the waitlist."]
    booked.son.refresh_from_db()
    assert booked.son.status == RegistrationStatus.CONFIRMED and booked.son.offer is None


def test_no_offer_out_of_turn_before_a_lottery_is_drawn(world):
    activity = ActivityFactory(organiser_user=world.staff, allocation=AllocationMode.LOTTERY, title="阅读班")
    session = SessionFactory(activity=activity, capacity=2)
    reg = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    reg = reg.registrations.get()
    assert reg.status == RegistrationStatus.APPLIED
    with pytest.raises(ValidationError) as exc:
        waitlist_offer_to(actor=world.staff, registration=reg, reason="行动不便，优先安排")
    assert exc.value.messages == [
        "The lottery has not been drawn yet: the draw gives the places, not the staff."
    ]
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.APPLIED and not Offer.objects.exists()


def test_an_offer_out_of_turn_needs_a_reason_and_a_manager(world, booked):
    _free_a_seat(booked.session)
    with pytest.raises(ValidationError) as exc:
        waitlist_offer_to(actor=world.staff, registration=booked.stranger, reason="")
    assert "reason" in exc.value.message_dict
    for outsider in (_other_partner(), world.stranger_user):
        with pytest.raises(PermissionDenied):
            waitlist_offer_to(actor=outsider, registration=booked.stranger, reason="行动不便，优先安排")
    booked.stranger.refresh_from_db()
    assert booked.stranger.status == RegistrationStatus.WAITLISTED and not Offer.objects.exists()


# --- the pages: roster actions and the reveal -------------------------------------------------------------


def test_the_roster_offers_each_row_its_actions(staff_client, booked):
    response = staff_client.get(reverse("events:roster", args=[booked.session.pk]))
    assert response.status_code == 200
    text = response.text
    assert reverse("events:roster_cancel", args=[booked.session.pk, booked.son.pk]) in text
    assert reverse("events:roster_offer", args=[booked.session.pk, booked.kid.pk]) in text
    assert reverse("events:roster_offer", args=[booked.session.pk, booked.son.pk]) not in text
    assert "Show full number" in text
    assert "13700001111" not in text and "1111" in text  # masked until revealed


def test_revealing_a_number_shows_it_as_a_tel_link_and_logs_each_reveal(staff_client, world, booked):
    url = reverse("events:roster", args=[booked.session.pk])
    response = staff_client.post(url, {"reveal": booked.granny.pk})
    assert response.status_code == 200
    assert 'href="tel:+8613700001111"' in response.text and "137 0000 1111" in response.text
    log = AccessLog.objects.get()
    assert (log.user, log.person, log.fields) == (world.staff, world.granny, "phone")
    assert str(booked.session.pk) in log.reason
    staff_client.post(url, {"reveal": booked.granny.pk})
    assert AccessLog.objects.filter(user=world.staff, person=world.granny).count() == 2
    # the next plain view is masked again
    assert "137 0000 1111" not in staff_client.get(url).text


def test_a_child_without_a_phone_reveals_the_booking_parents_number(staff_client, world, booked):
    world.mum_user.phone = "+8613912345678"
    world.mum_user.save(update_fields=["phone"])
    response = staff_client.post(
        reverse("events:roster", args=[booked.session.pk]), {"reveal": booked.son.pk}
    )
    assert 'href="tel:+8613912345678"' in response.text
    log = AccessLog.objects.get()
    assert log.person == Person.objects.get(user=world.mum_user) and log.user == world.staff


@pytest.mark.parametrize("value", ["", "abc", "99999999", "1\x00"])
def test_a_bad_or_foreign_reveal_is_a_404_and_logs_nothing(staff_client, world, booked, value):
    response = staff_client.post(reverse("events:roster", args=[booked.session.pk]), {"reveal": value})
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_a_registration_of_another_session_cannot_be_revealed_through_this_roster(
    staff_client, world, booked
):
    other = SessionFactory(activity=booked.activity)
    theirs = booking_create(
        actor=world.dad_user, activity=booked.activity, session=other, persons=[world.dad]
    )
    reg = theirs.registrations.get()
    response = staff_client.post(reverse("events:roster", args=[booked.session.pk]), {"reveal": reg.pk})
    assert response.status_code == 404
    assert (
        staff_client.get(reverse("events:roster_cancel", args=[booked.session.pk, reg.pk])).status_code == 404
    )
    assert not AccessLog.objects.exists()


def test_residents_and_other_organisations_are_kept_out_of_the_roster_actions(en, world, booked):
    s = booked.session.pk
    for outsider in (world.mum_user, _other_partner()):
        en.force_login(outsider)
        assert en.post(reverse("events:roster", args=[s]), {"reveal": booked.granny.pk}).status_code == 404
        cancel = reverse("events:roster_cancel", args=[s, booked.son.pk])
        assert en.get(cancel).status_code == 404
        assert en.post(cancel, {"reason": "居民来电取消"}).status_code == 404
        offer = reverse("events:roster_offer", args=[s, booked.kid.pk])
        assert en.post(offer, {"reason": "行动不便"}).status_code == 404
    booked.son.refresh_from_db()
    booked.kid.refresh_from_db()
    assert booked.son.status == RegistrationStatus.CONFIRMED
    assert booked.kid.status == RegistrationStatus.WAITLISTED
    assert not AccessLog.objects.exists()


def test_partner_staff_of_the_organiser_may_use_the_roster_actions(en, world):
    org = OrganizationFactory(name="南通申丞小海护理院")
    activity = ActivityFactory(organiser_user=None, organiser_org=org, title="重阳登高")
    session = SessionFactory(activity=activity, capacity=1)
    reg = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.granny])
    reg = reg.registrations.get()
    en.force_login(UserFactory(role=Role.PARTNER_STAFF, organization=org))
    response = en.post(reverse("events:roster_cancel", args=[session.pk, reg.pk]), {"reason": "居民来电取消"})
    assert response.status_code == 302
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CANCELLED


def test_the_cancel_page_confirms_with_a_reason_and_goes_back_to_the_roster(staff_client, world, booked):
    url = reverse("events:roster_cancel", args=[booked.session.pk, booked.son.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["reason"].value() == "The resident phoned to cancel"
    assert "张小明" in page.text and "staff may cancel at any time" in page.text
    response = staff_client.post(url, {"reason": "居民来电取消"})
    assert response.status_code == 302
    assert response["Location"] == reverse("events:roster", args=[booked.session.pk])
    assert any("张小明" in m for m in _messages(response))
    booked.son.refresh_from_db()
    assert booked.son.status == RegistrationStatus.CANCELLED and booked.son.cancelled_by == world.staff


def test_the_cancel_page_says_when_the_residents_deadline_has_passed(staff_client, world, fcfs):
    session = SessionFactory(
        activity=fcfs.activity, starts_at=timezone.now() + datetime.timedelta(hours=3), capacity=3
    )
    fcfs.activity.cancel_hours_before = 24
    fcfs.activity.save(update_fields=["cancel_hours_before"])
    reg = booking_create(actor=world.mum_user, activity=fcfs.activity, session=session, persons=[world.son])
    reg = reg.registrations.get()
    page = staff_client.get(reverse("events:roster_cancel", args=[session.pk, reg.pk]))
    assert "that time has passed, but staff may still cancel" in page.text
    response = staff_client.post(
        reverse("events:roster_cancel", args=[session.pk, reg.pk]), {"reason": "来电"}
    )
    assert response.status_code == 302
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CANCELLED


@pytest.mark.parametrize("typed", ["", "   ", "长" * 201])
def test_the_cancel_page_refuses_a_bad_reason_at_the_field(staff_client, booked, typed):
    url = reverse("events:roster_cancel", args=[booked.session.pk, booked.son.pk])
    response = staff_client.post(url, {"reason": typed})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    booked.son.refresh_from_db()
    assert booked.son.status == RegistrationStatus.CONFIRMED


def test_cancelling_an_already_cancelled_place_says_so(staff_client, world, booked):
    registration_cancel_on_behalf(staff=world.staff, registration=booked.son, reason="居民来电取消")
    url = reverse("events:roster_cancel", args=[booked.session.pk, booked.son.pk])
    response = staff_client.post(url, {"reason": "再来一次"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["This registration is already Cancelled."]
    booked.son.refresh_from_db()
    assert booked.son.cancel_reason == "居民来电取消"


def test_the_offer_page_offers_a_free_seat_and_refuses_when_none_is(staff_client, world, booked):
    url = reverse("events:roster_offer", args=[booked.session.pk, booked.stranger.pk])
    assert staff_client.get(url).status_code == 200
    full = staff_client.post(url, {"reason": "行动不便，优先安排"})
    assert full.status_code == 400
    assert full.context["form"].non_field_errors() == [
        "No place is free: a seat can be offered once one is given back."
    ]
    booked.stranger.refresh_from_db()
    assert booked.stranger.status == RegistrationStatus.WAITLISTED

    _free_a_seat(booked.session)
    empty = staff_client.post(url, {"reason": ""})
    assert empty.status_code == 400 and empty.context["form"].errors["reason"]
    done = staff_client.post(url, {"reason": "行动不便，优先安排"})
    assert done.status_code == 302
    booked.stranger.refresh_from_db()
    assert booked.stranger.status == RegistrationStatus.OFFERED
    assert Offer.objects.get(pk=booked.stranger.offer_id).reason == "行动不便，优先安排"
