"""The booking form on the activity page shows family members who already hold a place as booked (in
words, with a link to My bookings), not as boxes to tick, and refuses them if they are posted anyway."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from events.models import Booking, RegistrationScope, RegistrationStatus
from events.services import booking_create

from .factories import ActivityFactory, SessionFactory, in_days


@pytest.fixture
def mum(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.mum_user)
    return client


def checkbox_values(page: str) -> set[str]:
    return set(re.findall(r'name="persons" value="(\d+)"', page))


def held_block(page: str) -> str:
    return page.split('data-testid="held-persons"')[1].split("</div>")[0]


def test_booked_and_waitlisted_members_are_shown_as_such_not_as_boxes(mum, world):
    activity = ActivityFactory(title="剪纸课")
    session = SessionFactory(activity=activity, capacity=1)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.daughter])
    page = mum.get(reverse("events:detail", args=[activity.pk])).content.decode()
    boxes = checkbox_values(page)
    assert str(world.son.pk) not in boxes and str(world.daughter.pk) not in boxes
    assert {str(world.mum.pk), str(world.granny.pk)} <= boxes
    block = held_block(page)
    assert "张小明" in block and "Booked" in block
    assert "张小红" in block and "On the waitlist" in block
    assert reverse("events:my_bookings") in block


def test_a_posted_booked_member_is_refused_and_nothing_saved(mum, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=5)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    response = mum.post(
        reverse("events:detail", args=[activity.pk]),
        {"persons": [world.son.pk, world.daughter.pk], "session": session.pk},
    )
    assert response.status_code == 400
    assert response.context["reasons"] == ["张小明 is already booked for this."]
    assert Booking.objects.count() == 1  # nothing else saved, the daughter neither


def test_booked_in_one_session_of_two_may_still_book_the_other(mum, world):
    activity = ActivityFactory()
    first = SessionFactory(activity=activity, starts_at=in_days(3))
    second = SessionFactory(activity=activity, starts_at=in_days(4))
    booking_create(actor=world.mum_user, activity=activity, session=first, persons=[world.son])
    response = mum.get(reverse("events:detail", args=[activity.pk]))
    assert response.context["form"].held == []
    assert str(world.son.pk) in checkbox_values(response.content.decode())
    booking_create(actor=world.mum_user, activity=activity, session=second, persons=[world.son])
    response = mum.get(reverse("events:detail", args=[activity.pk]))
    assert response.context["form"].held == [(world.son, RegistrationStatus.CONFIRMED)]


def test_a_course_booking_counts_for_the_whole_course(mum, world):
    course = ActivityFactory(registration_scope=RegistrationScope.COURSE, capacity=5)
    SessionFactory(activity=course)
    SessionFactory(activity=course, starts_at=in_days(9))
    booking_create(actor=world.mum_user, activity=course, session=None, persons=[world.granny])
    form = mum.get(reverse("events:detail", args=[course.pk])).context["form"]
    assert form.held == [(world.granny, "confirmed")]
    assert world.granny not in form.fields["persons"].queryset


def test_when_everyone_is_booked_no_form_is_left_only_the_words(mum, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=10)
    booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.mum, world.son, world.daughter, world.granny],
    )
    page = mum.get(reverse("events:detail", args=[activity.pk])).content.decode()
    assert 'data-testid="booking-form"' not in page
    assert checkbox_values(page) == set()
    assert held_block(page).count('data-testid="held-person"') == 4


def test_on_a_phone_the_form_comes_before_the_familys_bookings(mum, world):
    """The booking form is first in the markup (a phone shows the markup's order); from 768 px the
    family's bookings are put first again by CSS (order-md-first)."""
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=10)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    page = mum.get(reverse("events:detail", args=[activity.pk])).content.decode()
    assert page.index('data-testid="book-section"') < page.index('id="my-status"')
    assert re.search(r'class="[^"]*order-md-first[^"]*" id="my-status"', page)
