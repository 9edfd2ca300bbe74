"""Browser journeys for the checkpoints and the venue check-in (Chromium, Chinese interface).

* A volunteer at the marathon's water station, on a phone, types a ticket code: the family is stamped;
  the same ticket a second time is refused next to the field.
* A mother opens the venue link (the QR code on the poster) on her phone and checks in her family.
* Staff open the checkpoints-and-finishers page and the poster. Every page passes an axe scan.
"""

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from events.models import CheckIn, Stamp
from events.services import venue_code_for
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go

from .test_checkpoints import along_the_route, marathon, started  # noqa: F401 - the fixture

pytestmark = E2E


def zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % params if params else text


def _hhmm(dt) -> str:
    return timezone.localtime(dt).strftime("%H:%M")


def test_volunteer_stamps_a_family_at_the_water_station_on_a_phone(phone_page, sign_in, marathon):  # noqa: F811
    page = phone_page
    started(marathon, marathon.mum)  # the route's order: the start line first
    sign_in(page, marathon.volunteer)
    go(page, reverse("events:station", args=[marathon.water.pk]))
    assert page.locator("h1").count() == 1
    assert_fits_width(page)
    axe_check(page)
    page.locator("[name=token]").fill(marathon.mum.token)
    with page.expect_navigation():
        page.locator("#stamp-form [type=submit]").click()
    stamped = Stamp.objects.filter(checkpoint=marathon.water).order_by("pk")
    assert stamped.count() == 2
    expected = zh(
        "Stamped at %(checkpoint)s: %(names)s (%(time)s).",
        checkpoint=marathon.water.name,
        names="朱晓燕、张小明",
        time=_hhmm(stamped[0].stamped_at),
    )
    assert expected in page.locator(".messages").inner_text()
    count = zh("Stamped here: %(n)s of %(total)s taking part").replace("%(n)s", "2").replace("%(total)s", "4")
    assert count in page.get_by_test_id("station-count").inner_text()
    assert_fits_width(page)
    axe_check(page)

    page.locator("[name=token]").fill(f"https://zhaoxi.example.cn/activities/ticket/{marathon.mum.token}/")
    with page.expect_navigation():
        page.locator("#stamp-form [type=submit]").click()
    refusal = zh(
        "%(names)s already stamped at this checkpoint at %(time)s.",
        names="朱晓燕、张小明",
        time=_hhmm(stamped[0].stamped_at),
    )
    assert refusal in error_for(page, "token")
    assert Stamp.objects.filter(checkpoint=marathon.water).count() == 2
    axe_check(page)


def test_a_mother_checks_in_her_family_with_the_venue_link(phone_page, sign_in, world, marathon):  # noqa: F811
    page = phone_page
    sign_in(page, world.mum_user)
    go(page, reverse("events:venue_checkin", args=[marathon.activity.pk, venue_code_for(marathon.activity)]))
    assert page.locator("h1").count() == 1
    people = page.get_by_test_id("venue-checkin-form").inner_text()
    assert "朱晓燕" in people and "张小明" in people
    boxes = page.locator("[data-testid=venue-checkin-form] input[type=checkbox]")
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    assert_fits_width(page)
    axe_check(page)
    with page.expect_navigation():
        page.locator("[data-testid=venue-checkin-form] [type=submit]").click()
    assert CheckIn.objects.filter(session=marathon.session).count() == 2
    names = "、".join(
        c.registration.person.name
        for c in CheckIn.objects.select_related("registration__person").order_by("pk")
    )
    assert zh("Checked in: %(names)s. Welcome!", names=names) in page.locator(".messages").inner_text()
    assert zh("Everyone is checked in. Enjoy the activity!") in page.content()
    assert page.get_by_test_id("venue-done").locator("li").count() == 2
    axe_check(page)


def test_a_forged_venue_code_is_explained(phone_page, sign_in, world, marathon):  # noqa: F811
    page = phone_page
    sign_in(page, world.mum_user)
    go(page, reverse("events:venue_checkin", args=[marathon.activity.pk, "1:forged"]), status=400)
    expected = zh("This venue code is not valid. Scan the QR code on the poster at the venue again.")
    assert expected in page.get_by_test_id("venue-error").inner_text()
    axe_check(page)
    assert not CheckIn.objects.exists()


def test_staff_see_finishers_and_the_poster(page, sign_in, world, marathon):  # noqa: F811
    from events.services import checkpoint_stamp

    along_the_route(
        world.staff, (marathon.start, marathon.water, marathon.finish), marathon.mum, marathon.session
    )
    checkpoint_stamp(
        actor=world.staff, checkpoint=marathon.start, session=marathon.session, token=marathon.dad.token
    )
    sign_in(page, world.staff)
    go(page, reverse("events:detail", args=[marathon.activity.pk]))
    with page.expect_navigation():
        page.get_by_test_id("checkpoints-link").click()
    assert page.locator("h1").count() == 1
    assert page.get_by_test_id("finishers").locator("li").count() == 2
    assert page.get_by_test_id("still-out").locator("li").count() == 2
    axe_check(page)
    go(page, reverse("events:venue_poster", args=[marathon.activity.pk]))
    assert page.locator("h1").count() == 1
    assert page.get_by_test_id("venue-qr").locator("svg").count() == 1
    assert venue_code_for(marathon.activity) in page.get_by_test_id("venue-poster").inner_text()
    axe_check(page)


def test_station_page_in_elder_mode_fits_a_phone(phone_page, sign_in, live_server, world, marathon, settings):  # noqa: F811
    page = phone_page
    sign_in(page, world.staff)
    page.context.add_cookies([{"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": live_server.url}])
    go(page, reverse("events:station", args=[marathon.finish.pk]))
    assert "elder-mode" in (page.locator("body").get_attribute("class") or "")
    assert_fits_width(page)
    axe_check(page)
