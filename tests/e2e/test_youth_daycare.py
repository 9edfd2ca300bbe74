"""The holiday day-care in the browser, in Chinese: a guardian on her phone books her two children into
the whole programme in one go and sees the weeks confirmed and the full week waitlisted; staff create a
programme on a tablet-sized page, refused at the field first. axe on every page (elder mode and English
through axe_check)."""

import datetime

import pytest
from django.urls import reverse

from events.models import Registration
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go
from tests.youth._f_daycare import DEC_7, make_programme
from tests.youth.conftest import ensure_youth_data
from tests.youth.factories import ChildFactory, GuardianFactory, book
from youth.models import DaycareProgramme

pytestmark = E2E


@pytest.fixture(autouse=True)
def _data(transactional_db):
    ensure_youth_data()  # the browser tests' database was flushed: the migrations' rows come back


def test_a_guardian_books_both_children_into_the_whole_programme(phone_page, sign_in):
    page = phone_page
    mother = GuardianFactory(name="朱晓燕")
    first = ChildFactory(name="朱小雨", guardian=mother)
    second = ChildFactory(name="朱小雪", guardian=mother, birth_date=datetime.date(2016, 4, 2))
    programme = make_programme(title="永兴社区寒托班", ends_on=DEC_7 + datetime.timedelta(days=18))
    week3 = programme.weeks.select_related("activity").get(number=3)
    week3.activity.capacity = 1
    week3.activity.save(update_fields=["capacity"])
    book(ChildFactory(name="王小明"), week3)

    sign_in(page, mother.user)
    go(page, reverse("youth:daycare_list"))
    assert "永兴社区寒托班" in page.get_by_test_id("programmes").inner_text()
    assert page.get_by_test_id("programme-state").inner_text() == "可预约"
    axe_check(page)

    page.get_by_role("link", name="永兴社区寒托班").click()
    page.wait_for_url(f"**{reverse('youth:daycare', args=[programme.pk])}")
    axe_check(page)
    page.get_by_label("整期（全部周次）").check()
    page.get_by_label("朱小雨").check()
    page.get_by_label("朱小雪").check()
    with page.expect_navigation():
        page.get_by_role("button", name="预约托班").click()
    alerts = page.locator(".messages").inner_text()
    assert "第1周（12-07至12-11）：预约成功：朱小雪、朱小雨" in alerts.replace(": ", "：")
    assert "候补" in alerts
    assert "朱小雨" in page.get_by_test_id("mine-3").inner_text()
    assert "候补" in page.get_by_test_id("mine-3").inner_text()
    assert page.get_by_test_id("mine-1").inner_text().count("已预约") == 2
    axe_check(page)
    assert Registration.objects.filter(person__in=[first, second], status="confirmed").count() == 4
    assert Registration.objects.filter(person__in=[first, second], status="waitlisted").count() == 2

    go(page, reverse("youth:my_daycare"))
    cards = page.get_by_test_id("daycare-weeks").inner_text()
    assert cards.count("朱小雨 · ") == 3 and "朱小雨 · 第3周（12-21至12-25）" in cards and "候补中" in cards
    axe_check(page)


def test_staff_create_a_programme_refused_at_the_field_first(page, sign_in):
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="陈善惠")
    sign_in(page, staff)
    page.set_viewport_size({"width": 1024, "height": 1366})  # a tablet
    go(page, reverse("youth:daycare_list"))
    axe_check(page)
    page.get_by_test_id("daycare-new").click()
    page.wait_for_url(f"**{reverse('youth:daycare_new')}")
    axe_check(page)
    page.fill("[name=title]", "永兴社区2026寒托班")
    page.fill("[name=place]", "永兴社区党群服务中心二楼")
    page.fill("[name=starts_on]", "2026-12-07")
    page.fill("[name=ends_on]", "2026-12-01")
    page.fill("[name=day_starts]", "08:00")
    page.fill("[name=day_ends]", "17:30")
    page.fill("[name=min_age]", "6")
    page.fill("[name=max_age]", "12")
    page.fill("[name=capacity]", "30")
    page.fill("[name=booking_opens_at]", "2026-11-18T12:00")
    page.fill("[name=booking_closes_at]", "2026-12-04T18:00")
    with page.expect_navigation():
        page.get_by_role("button", name="创建托班").click()
    assert "结班日期不能早于开班日期" in error_for(page, "ends_on")
    assert page.get_by_test_id("error-summary").is_visible()
    assert page.input_value("[name=title]") == "永兴社区2026寒托班"  # nothing typed is lost
    axe_check(page)
    assert not DaycareProgramme.objects.exists()
    page.fill("[name=ends_on]", "2026-12-18")
    with page.expect_navigation():
        page.get_by_role("button", name="创建托班").click()
    programme = DaycareProgramme.objects.get()
    assert page.url.endswith(reverse("youth:daycare", args=[programme.pk]))
    assert "共2周" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("week-2").is_visible()
    axe_check(page)
