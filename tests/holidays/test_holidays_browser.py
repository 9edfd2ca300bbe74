"""Staff enter 2027's holidays from the State Council notice (元旦 and 春节) in Chinese, see them on the
year page, and a mistake is shown next to its field; then correct one holiday on its page. axe on the
list, the add page, the year page and the holiday page."""

from __future__ import annotations

import datetime

from django.urls import reverse

from portal.accounts.models import Role
from portal.holidays.models import CalendarDay, CalendarYear, DayKind, Festival
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go, open_staff_menu, submit

pytestmark = E2E
D = datetime.date


def test_staff_enter_the_2027_arrangement(page, sign_in, official_calendar):
    CalendarYear.objects.filter(year=2027).delete()
    staff = UserFactory(phone="+8613912340071", name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True)
    sign_in(page, staff)

    # From the staff menu to the list of years: 2027 is not entered yet.
    go(page, reverse("home"))
    open_staff_menu(page)
    with page.expect_navigation():
        page.get_by_test_id("nav-holidays").click()
    assert page.locator("h1").inner_text() == "节假日安排"
    row = page.locator("tr[data-year='2027']")
    assert "尚未录入" in row.inner_text()
    axe_check(page)

    with page.expect_navigation():
        row.get_by_role("link", name="录入2027年").click()
    assert page.locator("input[name=year]").input_value() == "2027"
    page.fill("input[name=notice]", "国务院办公厅关于2027年部分节假日安排的通知")
    # 一、元旦：1月1日至3日放假，共3天。
    page.fill("input[name='new_years_day-first']", "2027-01-01")
    page.fill("input[name='new_years_day-last']", "2027-01-03")
    # 二、春节：2月5日至12日放假调休，共8天。1月31日（周日）、2月20日（周六）上班。 First a typo: 2月22日 is a Monday.
    page.fill("input[name='spring_festival-first']", "2027-02-05")
    page.fill("input[name='spring_festival-last']", "2027-02-12")
    page.fill("input[name='spring_festival-workdays']", "1月31日（周日）、2月22日")
    submit(page, "notice")
    assert "不是周六或周日" in error_for(page, "spring_festival-workdays")
    assert page.get_by_test_id("error-summary").first.is_visible()
    assert not CalendarYear.objects.filter(year=2027).exists()
    axe_check(page)

    page.fill("input[name='spring_festival-workdays']", "1月31日（周日）、2月20日（周六）")
    submit(page, "notice")
    assert page.url.endswith(reverse("holidays:year", args=[2027])), page.url
    assert "2027年节假日安排" in page.locator("h1").inner_text()
    holidays = page.get_by_test_id("holidays")
    assert "元旦" in holidays.inner_text() and "春节" in holidays.inner_text()
    spring = holidays.locator("[data-festival=spring_festival]")
    assert "共8天" in spring.inner_text() and "2027年2月20日" in spring.inner_text()
    axe_check(page)

    cy = CalendarYear.objects.get(year=2027)
    assert cy.updated_by == staff
    assert cy.days.filter(kind=DayKind.HOLIDAY).count() == 11
    assert set(cy.days.filter(kind=DayKind.WORKDAY).values_list("date", flat=True)) == {
        D(2027, 1, 31),
        D(2027, 2, 20),
    }
    assert CalendarDay.objects.get(date=D(2027, 2, 9)).festival == Festival.SPRING

    # 元旦 corrected to a single day off, on its own page.
    with page.expect_navigation():
        holidays.locator("[data-festival=new_years_day]").get_by_role("link", name="修改").click()
    assert page.locator("input[name=first]").input_value() == "2027-01-01"
    axe_check(page)
    page.fill("input[name=last]", "")
    submit(page, "first")
    assert (
        "2027年1月1日"
        in page.get_by_test_id("holidays").locator("[data-festival=new_years_day]").inner_text()
    )
    assert list(cy.days.filter(festival=Festival.NEW_YEAR).values_list("date", flat=True)) == [D(2027, 1, 1)]

    # The list now shows 2027 as held.
    go(page, reverse("holidays:years"))
    assert "尚未录入" not in page.locator("tr[data-year='2027']").inner_text()
