"""A ticket that can no longer be used (the activity is over, or the booking cancelled) does not tell
people to show the code: it says so, and the QR code is not shown."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from events.models import Registration
from events.services import booking_create, registration_cancel

from .factories import ActivityFactory, SessionFactory


@pytest.fixture
def mum(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.mum_user)
    return client


def ticket_page(mum, booking) -> str:
    response = mum.get(reverse("events:ticket", args=[booking.token]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_valid_ticket_shows_the_code(mum, world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    page = ticket_page(mum, booking)
    assert "Show this code at the entrance" in page and 'data-testid="ticket-qr"' in page
    assert 'data-testid="ticket-void"' not in page


def test_a_cancelled_booking_says_cancelled_and_hides_the_code(mum, world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    registration_cancel(actor=world.mum_user, registration=booking.registrations.get())
    page = ticket_page(mum, booking)
    assert "Show this code" not in page and 'data-testid="ticket-qr"' not in page and "<svg" not in page
    assert "Cancelled" in page.split('data-testid="ticket-void"')[1].split("</h2>")[0]


def test_a_ticket_of_an_activity_that_has_ended_says_so(mum, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity)
    booking = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    # the session took place yesterday
    start = timezone.now() - datetime.timedelta(days=1)
    type(session).objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + datetime.timedelta(hours=2)
    )
    page = ticket_page(mum, booking)
    assert "This activity has ended" in page
    assert "Show this code" not in page and 'data-testid="ticket-qr"' not in page
    assert Registration.objects.get().status == "confirmed"  # nothing changed but the words
