"""Staff book on a resident's behalf: find her (name, pinyin, phone tail) within the staff member's
scope, tick her family, book (recorded as on behalf, ticket printable); refusals next to the fields,
nothing saved; a double tap books once."""

import pytest
from django.conf import settings
from django.urls import reverse

from events.models import Booking, Registration
from events.services import booking_create
from portal.accounts.models import Role
from tests.community.factories import GridFactory, UserFactory

from .factories import ActivityFactory, SessionFactory


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def staff(en, world):
    en.force_login(world.staff)
    return en


def url(activity, **query):
    base = reverse("events:onbehalf", args=[activity.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def all_errors(response) -> list[str]:
    form = response.context["form"]
    return [m for errors in form.errors.values() for m in errors]


def test_residents_and_visitors_may_not_use_it(en, world, fcfs):
    assert en.get(url(fcfs.activity)).status_code == 302
    en.force_login(world.mum_user)
    assert en.get(url(fcfs.activity)).status_code == 404
    assert (
        en.post(url(fcfs.activity, person=world.granny.pk), {"persons": [world.granny.pk]}).status_code == 404
    )
    assert not Booking.objects.exists()


def test_search_by_name_pinyin_and_phone_tail(staff, world, fcfs):
    for q in ("李秀英", "lixiuying", "1111"):
        response = staff.get(url(fcfs.activity, q=q))
        assert response.status_code == 200
        assert [p.pk for p in response.context["results"]] == [world.granny.pk], q
    body = staff.get(url(fcfs.activity, q="1111")).content.decode()
    assert "1111" in body and "13700001111" not in body  # the tail only
    assert staff.get(url(fcfs.activity, q="nobody-here")).context["results"] == []


def test_her_family_is_offered(staff, world, fcfs):
    response = staff.get(url(fcfs.activity, person=world.mum.pk))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["persons"].queryset.values_list("pk", flat=True))
    assert offered == {world.mum.pk, world.son.pk, world.daughter.pk, world.granny.pk}
    granny = staff.get(url(fcfs.activity, person=world.granny.pk))
    assert set(granny.context["form"].fields["persons"].queryset.values_list("pk", flat=True)) == {
        world.granny.pk
    }


def test_staff_books_for_granny_recorded_on_behalf_with_a_printable_ticket(staff, world, fcfs):
    page = staff.get(url(fcfs.activity, person=world.granny.pk))
    key = page.context["form"].initial["request_key"]
    data = {"persons": [world.granny.pk], "session": fcfs.session.pk, "request_key": key}
    response = staff.post(url(fcfs.activity, person=world.granny.pk), data)
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "events:ticket", args=[booking.token]
    )
    assert booking.on_behalf and booking.booked_by == world.staff
    assert [r.status for r in booking.registrations.all()] == ["confirmed"]
    ticket = staff.get(response["Location"])
    assert ticket.status_code == 200
    body = ticket.content.decode()
    assert "李秀英" in body and "Booked by staff on your behalf." in body
    # a double tap (the same form sent again) books nothing more and shows the same ticket
    again = staff.post(url(fcfs.activity, person=world.granny.pk), data)
    assert again["Location"] == response["Location"]
    assert Booking.objects.count() == 1 and Registration.objects.count() == 1


def test_refusals_are_shown_and_nothing_is_saved(staff, world):
    class_ = ActivityFactory(organiser_user=world.staff, min_age=6, max_age=12, waitlist_enabled=False)
    session = SessionFactory(activity=class_, capacity=1)
    # ineligible: the grandmother is too old for a children's class
    response = staff.post(
        url(class_, person=world.mum.pk), {"persons": [world.son.pk, world.granny.pk], "session": session.pk}
    )
    assert response.status_code == 400
    assert any("李秀英" in m for m in all_errors(response))
    assert not Booking.objects.exists()
    # full, without a waitlist
    booking_create(actor=world.dad_user, activity=class_, session=session, persons=[world.kid])
    response = staff.post(
        url(class_, person=world.mum.pk), {"persons": [world.son.pk], "session": session.pk}
    )
    assert response.status_code == 400 and all_errors(response)
    assert Booking.objects.count() == 1
    # already booked
    session.capacity = 3
    session.save()
    booking_create(actor=world.mum_user, activity=class_, session=session, persons=[world.son])
    response = staff.post(
        url(class_, person=world.mum.pk), {"persons": [world.son.pk], "session": session.pk}
    )
    assert response.status_code == 400 and any("already" in m for m in all_errors(response))
    assert Booking.objects.count() == 2
    # someone outside her family cannot be ticked
    response = staff.post(
        url(class_, person=world.mum.pk), {"persons": [world.kid.pk], "session": session.pk}
    )
    assert response.status_code == 400 and "persons" in response.context["form"].errors
    assert Booking.objects.count() == 2


def test_grid_worker_works_within_her_grid(en, world, fcfs):
    worker = UserFactory(role=Role.GRID_WORKER, grid=GridFactory())
    en.force_login(worker)
    assert en.get(url(fcfs.activity, q="李秀英")).context["results"] == []
    assert en.get(url(fcfs.activity, person=world.granny.pk)).status_code == 404
    worker.grid = world.mum.household.building.grid
    worker.save()
    response = en.get(url(fcfs.activity, person=world.mum.pk))
    offered = set(response.context["form"].fields["persons"].queryset.values_list("pk", flat=True))
    assert offered == {world.mum.pk, world.son.pk, world.daughter.pk}  # her mother lives in another grid
    response = en.post(
        url(fcfs.activity, person=world.mum.pk), {"persons": [world.son.pk], "session": fcfs.session.pk}
    )
    assert response.status_code == 302
    assert Booking.objects.get().booked_by == worker


def test_activity_page_links_it_for_staff_only(en, world, fcfs):
    link = reverse("events:onbehalf", args=[fcfs.activity.pk])
    en.force_login(world.mum_user)
    assert link not in en.get(reverse("events:detail", args=[fcfs.activity.pk])).content.decode()
    en.force_login(world.staff)
    assert link in en.get(reverse("events:detail", args=[fcfs.activity.pk])).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_journey_on_a_phone(phone_page, sign_in, world, fcfs):
    """Chromium, on the staff member's phone: from the activity page, find granny by her phone tail,
    forget to tick her (an error), tick her, book, and land on her printable ticket; axe on each step."""
    from django.utils import translation
    from django.utils.translation import gettext

    from tests.browser import assert_fits_width, axe_check, go

    def check():
        assert phone_page.locator("h1").count() == 1, phone_page.url
        axe_check(phone_page)
        assert_fits_width(phone_page)

    sign_in(phone_page, world.staff)
    go(phone_page, reverse("events:detail", args=[fcfs.activity.pk]))
    with phone_page.expect_navigation():
        phone_page.locator("[data-testid=onbehalf-link]").click()
    check()
    phone_page.locator("input[name=q]").fill("1111")
    with phone_page.expect_navigation():
        phone_page.locator("#resident-search [type=submit]").click()
    check()
    results = phone_page.locator("[data-testid=onbehalf-results] li")
    assert results.count() == 1 and "李秀英" in results.inner_text()
    with phone_page.expect_navigation():
        results.get_by_role("link").click()
    check()
    with phone_page.expect_navigation():
        phone_page.locator("[data-testid=onbehalf-form] [type=submit]").click()
    with translation.override("zh-hans"):
        required = gettext("Tick at least one person.")
    assert required in phone_page.locator("[data-testid=onbehalf-form] .invalid-feedback").first.inner_text()
    check()
    assert not Booking.objects.exists()
    phone_page.locator(f"input[name=persons][value='{world.granny.pk}']").check()
    with phone_page.expect_navigation():
        phone_page.locator("[data-testid=onbehalf-form] [type=submit]").click()
    booking = Booking.objects.get()
    assert booking.on_behalf and phone_page.url.endswith(reverse("events:ticket", args=[booking.token]))
    assert "李秀英" in phone_page.locator("[data-testid=ticket-persons]").inner_text()
    check()
