"""The parent's journey in Chromium (issue 3): a mother books her two children into a class in one go
and is waitlisted for a full one; a seat frees (another family cancels), the offer appears on "my
bookings" with a message, she accepts it and has the seat. axe on every step; the booking step also on
a phone in elder mode."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import Offer, Registration, RegistrationStatus
from events.services import booking_create, registration_cancel
from portal.notify.models import Message
from tests.browser import E2E, assert_fits_width, axe_check, go

from .factories import ActivityFactory, SessionFactory

pytestmark = E2E


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture
def classes(world):
    """A calligraphy class with room, and a coding class whose one seat the neighbour's child has."""
    calligraphy = ActivityFactory(title="少儿书法班", description="暑期每周一次。", min_age=6, max_age=12)
    calligraphy_day = SessionFactory(activity=calligraphy, capacity=5)
    coding = ActivityFactory(title="少儿编程班", min_age=6, max_age=12)
    coding_day = SessionFactory(activity=coding, capacity=1)
    neighbour = booking_create(actor=world.dad_user, activity=coding, session=coding_day, persons=[world.kid])
    return calligraphy, calligraphy_day, coding, coding_day, neighbour


def _one_h1_and_axe(page):
    assert page.locator("h1").count() == 1, page.url
    axe_check(page)


def _book(page, activity, persons):
    go(page, reverse("events:detail", args=[activity.pk]))
    _one_h1_and_axe(page)
    for person in persons:
        page.locator(f"input[name=persons][value='{person.pk}']").check()
    with page.expect_navigation():
        page.locator(".booking-form [type=submit]").click()
    _one_h1_and_axe(page)


def _statuses(activity, *persons):
    return [Registration.objects.get(activity=activity, person=p).status for p in persons]


def test_mother_books_two_children_is_waitlisted_then_accepts_a_freed_seat(page, sign_in, world, classes):
    calligraphy, _, coding, _, neighbour = classes
    sign_in(page, world.mum_user)

    # two children into the calligraphy class, in one go
    _book(page, calligraphy, [world.son, world.daughter])
    status = page.locator("[data-testid=family-status]")
    assert status.get_by_text(zh("Booked")).count() == 2
    assert _statuses(calligraphy, world.son, world.daughter) == ["confirmed", "confirmed"]

    # the coding class is full: her son goes on the waitlist, number 1
    _book(page, coding, [world.son])
    waiting = zh("On the waitlist: number %(position)s in line") % {"position": 1}
    assert waiting in page.locator("[data-testid=family-status]").inner_text()
    assert _statuses(coding, world.son) == ["waitlisted"]

    # the neighbour cancels: the seat is offered to her son, with a message
    registration_cancel(actor=world.dad_user, registration=neighbour.registrations.get())
    offer = Offer.objects.get(booking__booked_by=world.mum_user, status=Offer.Status.OPEN)
    assert Message.objects.filter(template__code="events.offer_made", user=world.mum_user).exists()

    go(page, reverse("events:my_bookings"))
    _one_h1_and_axe(page)
    row = page.locator(
        f"[data-testid=booking-{Registration.objects.get(activity=coding, person=world.son).pk}]"
    )
    assert zh("A place is offered") in row.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.get_by_role("button", name=zh("Accept the place")).click()
    _one_h1_and_axe(page)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert _statuses(coding, world.son) == [RegistrationStatus.CONFIRMED]
    assert (
        zh("Booked")
        in page.locator(
            f"[data-testid=booking-{Registration.objects.get(activity=coding, person=world.son).pk}]"
        ).inner_text()
    )


def test_booking_on_a_phone_in_elder_mode(phone_page, sign_in, world, classes):
    calligraphy, *_ = classes
    world.mum_user.elder_mode = True
    world.mum_user.save(update_fields=["elder_mode"])
    sign_in(phone_page, world.mum_user)
    go(phone_page, reverse("events:detail", args=[calligraphy.pk]))
    assert phone_page.locator("body.elder-mode").count() == 1
    assert_fits_width(phone_page)
    _book(phone_page, calligraphy, [world.son, world.daughter])
    assert_fits_width(phone_page)
    assert phone_page.locator("[data-testid=family-status]").get_by_text(zh("Booked")).count() == 2
    assert _statuses(calligraphy, world.son, world.daughter) == ["confirmed", "confirmed"]


def test_a_refused_booking_on_a_phone_in_elder_mode_says_why_and_keeps_her_choice(
    phone_page, sign_in, world, classes
):
    """The coding class is full and she ticks her son anyway (the page was open before it filled up, or
    another parent took the seat meanwhile): the small refusal page says so in the error summary, and its
    button takes her back to the form with her son still ticked."""
    _, _, coding, coding_day, _ = classes
    coding.waitlist_enabled = False
    coding.save()
    world.mum_user.elder_mode = True
    world.mum_user.save(update_fields=["elder_mode"])
    sign_in(phone_page, world.mum_user)
    go(phone_page, reverse("events:detail", args=[coding.pk]))
    phone_page.locator(f"input[name=persons][value='{world.son.pk}']").check()
    with phone_page.expect_navigation():
        phone_page.locator(".booking-form [type=submit]").click()
    assert phone_page.locator("h1").inner_text() == zh("Not booked")
    summary = phone_page.locator("[data-testid=error-summary]")
    assert zh("This is fully booked.") in summary.inner_text()
    assert_fits_width(phone_page)
    axe_check(phone_page)  # with the elder-mode check in place: 60x60 px targets at 390 px
    with phone_page.expect_navigation():
        phone_page.locator("[data-testid=back-to-form]").click()
    assert phone_page.locator(f"input[name=persons][value='{world.son.pk}']").is_checked()
    assert not Registration.objects.filter(activity=coding, person=world.son).exists()
