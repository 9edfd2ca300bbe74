"""axe scan of the resident pages of the registration engine in Chromium, signed in as a resident: the
activity list, the activity page (also with a refused booking's errors shown), my bookings (with a seat,
a waitlist place and an open offer), a confirmation page and the ticket; on a desktop, on a phone and in
elder mode. No serious or critical violation, no Content Security Policy refusal, one h1."""

import pytest
from django.urls import reverse

from events.models import Offer
from events.services import booking_create, registration_cancel
from tests.browser import E2E, assert_fits_width, axe_check, go

from .factories import ActivityFactory, SessionFactory

pytestmark = E2E


@pytest.fixture
def bookings(world):
    """Her son has a seat, her daughter waits, and a seat is offered to her mother."""
    class_ = ActivityFactory(title="亲子烘焙", description="和孩子一起做月饼。", min_age=6, max_age=12)
    session = SessionFactory(activity=class_, capacity=2)
    booking_create(actor=world.dad_user, activity=class_, session=session, persons=[world.kid])
    seat = booking_create(
        actor=world.mum_user, activity=class_, session=session, persons=[world.son, world.daughter]
    )
    clinic = ActivityFactory(title="健康驿站义诊")
    day = SessionFactory(activity=clinic, capacity=1)
    dads = booking_create(actor=world.dad_user, activity=clinic, session=day, persons=[world.dad])
    booking_create(actor=world.mum_user, activity=clinic, session=day, persons=[world.granny])
    registration_cancel(actor=world.dad_user, registration=dads.registrations.get())
    assert Offer.objects.filter(status=Offer.Status.OPEN).exists()
    return seat


def _check(page, path):
    go(page, path)
    assert page.locator("h1").count() == 1, path
    axe_check(page)


def test_resident_pages(page, sign_in, world, bookings):
    sign_in(page, world.mum_user)
    _check(page, reverse("events:list"))
    _check(
        page,
        reverse("events:list") + "?audience=children&open_now=on&date_from=2030-01-02&date_to=2030-01-01",
    )
    assert page.locator(".invalid-feedback").count() >= 1
    _check(page, reverse("events:detail", args=[bookings.activity_id]))
    _check(page, reverse("events:my_bookings"))
    _check(page, reverse("events:ticket", args=[bookings.token]))
    reg = bookings.registrations.filter(status="confirmed").first()
    _check(page, reverse("events:registration_cancel", args=[reg.pk]))


def test_refused_booking_shows_errors_accessibly(page, sign_in, world, bookings):
    sign_in(page, world.mum_user)
    _check(page, reverse("events:detail", args=[bookings.activity_id]))
    page.locator(f"input[name=persons][value='{world.mum.pk}']").check()  # too old for a children's class
    with page.expect_navigation():
        page.locator(".booking-form [type=submit]").click()
    # the small refusal page: the reason in the error summary, focus moved to it (static/js/portal.js)
    summary = page.locator("[data-testid=error-summary]")
    assert "朱晓燕" in summary.inner_text()
    assert summary.evaluate("el => el === document.activeElement")
    assert page.locator("h1").count() == 1
    axe_check(page)


def test_phone_and_elder_mode(phone_page, sign_in, world, bookings):
    world.mum_user.elder_mode = True
    world.mum_user.save(update_fields=["elder_mode"])
    sign_in(phone_page, world.mum_user)
    for path in (
        reverse("events:list"),
        reverse("events:detail", args=[bookings.activity_id]),
        reverse("events:my_bookings"),
        reverse("events:ticket", args=[bookings.token]),
    ):
        _check(phone_page, path)
        assert phone_page.locator("body.elder-mode").count() == 1
        assert_fits_width(phone_page)
