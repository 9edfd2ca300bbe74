"""The youth area's whole journey in the browser, in Chinese (issue 12's "done when"), end to end on pages
only: a guardian on her phone adds two children with her consent, authorises grandma to collect the elder
one today, and books both into the day-care in one go; a staff member on a tablet signs the child in, signs
her out to grandma, and is refused for an unlisted person; the guardian's inbox shows the refusal. Every page
passes axe, also in elder mode and in English (axe_check)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from events.models import CheckIn, CheckOut, Registration
from portal.accounts.models import Role
from portal.community.models import Consent, Person
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go
from tests.youth.conftest import ensure_youth_data
from tests.youth.factories import DaycareProgrammeFactory, GuardianFactory, today_session
from youth.models import PickupAttempt, PickupOutcome

pytestmark = E2E

TABLET = {"width": 1024, "height": 768}


@pytest.fixture(autouse=True)
def _youth_data(transactional_db):
    ensure_youth_data()  # the browser tests' database was flushed: the migrations' rows come back


def _submit(page):
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()


def _add_child(page, *, name, year, month, day):
    go(page, reverse("youth:child_add"))
    page.locator("[name=name]").fill(name)
    page.locator("[name=birth_date_year]").fill(str(year))
    page.locator("[name=birth_date_month]").fill(str(month))
    page.locator("[name=birth_date_day]").fill(str(day))
    page.locator("[name=minor_consent]").check()
    axe_check(page)
    _submit(page)
    return Person.objects.get(name=name)


def test_guardian_adds_books_and_authorises_staff_release_and_refuse_the_guardian_is_told(
    phone_page, page, sign_in
):
    teacher = UserFactory(role=Role.COMMUNITY_STAFF, name="陆晓雯")
    programme = DaycareProgrammeFactory(title="永兴社区冬季托管班", weeks=1, organiser=teacher)
    mum = GuardianFactory(name="朱晓燕")

    # The guardian, on her phone.
    sign_in(phone_page, mum.user)
    go(phone_page, reverse("home"))
    with phone_page.expect_navigation():
        phone_page.locator(f"a[href='{reverse('youth:index')}']").first.click()
    axe_check(phone_page)
    rain = _add_child(phone_page, name="朱小雨", year=2018, month=6, day=1)
    river = _add_child(phone_page, name="朱小川", year=2020, month=3, day=8)
    assert (
        Consent.objects.filter(person__in=[rain, river], purpose="minor", given_as_guardian=True).count() == 2
    )

    go(phone_page, reverse("youth:pickup_add", args=[rain.pk]))
    phone_page.locator("[name=name]").fill("王秀英")
    phone_page.locator("[name=relation]").select_option("grandmother_m")
    phone_page.locator("[name=phone]").fill("13711112222")
    phone_page.locator("input[name=validity][value=today]").check()
    _submit(phone_page)
    assert "仅限今天" in phone_page.get_by_test_id("pickups").inner_text()

    go(phone_page, reverse("youth:daycare", args=[programme.pk]))
    phone_page.get_by_label("整期（全部周次）").check()
    phone_page.get_by_label("朱小雨").check()
    phone_page.get_by_label("朱小川").check()
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="预约托班").click()
    assert "预约成功" in phone_page.locator(".messages").inner_text()
    axe_check(phone_page)
    booking = Registration.objects.filter(person__in=[rain, river], status="confirmed")
    assert booking.count() == 2 and len({r.booking_id for r in booking}) == 1  # one booking, both children

    # The teacher, on the tablet at the door.
    page.set_viewport_size(TABLET)
    sign_in(page, teacher)
    session = today_session(programme)
    go(page, reverse("youth:roster_session", args=[session.pk]))
    roster = page.get_by_test_id("roster")
    with page.expect_navigation():
        roster.locator(f"tr[data-child='{rain.pk}']").get_by_role("button", name="签到").click()
    assert "朱小雨已于" in page.locator(".messages").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("roster").locator(f"tr[data-child='{river.pk}']").get_by_role(
            "button", name="签到"
        ).click()

    # A stranger for 朱小川: refused in red, recorded, nothing signed out.
    go(page, reverse("youth:sign_out", args=[session.pk, river.pk]))
    page.get_by_test_id("collectors").locator("label", has_text="其他人").click()
    page.get_by_label("来接人的姓名").fill("李四")
    page.get_by_label("自称与孩子的关系").fill("舅舅")
    with page.expect_navigation():
        page.get_by_role("button", name="签退", exact=True).click()
    assert "不在朱小川的授权接送人名单上" in page.get_by_test_id("refusal").inner_text()
    axe_check(page)
    assert not CheckOut.objects.filter(registration__person=river).exists()
    assert PickupAttempt.objects.get(child=river).outcome == PickupOutcome.REFUSED

    # Grandma collects 朱小雨.
    go(page, reverse("youth:sign_out", args=[session.pk, rain.pk]))
    page.get_by_test_id("collectors").locator("label", has_text="王秀英").click()
    with page.expect_navigation():
        page.get_by_role("button", name="签退", exact=True).click()
    assert "王秀英" in page.locator(".messages").inner_text()
    assert CheckIn.objects.filter(registration__person=rain, session=session).count() == 1
    assert CheckOut.objects.get(registration__person=rain, session=session).released_to.startswith("王秀英")

    # The guardian's inbox has the refusal at once.
    go(phone_page, reverse("notify:inbox"))
    assert "有人尝试接走朱小川，未获授权" in phone_page.locator("main").inner_text()
    go(phone_page, reverse("youth:child_days", args=[rain.pk]))
    assert "王秀英" in phone_page.get_by_test_id("child-days").inner_text()
