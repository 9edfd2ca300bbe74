"""Staff create activities in the browser, in Chinese: community staff create the Tuesday opera class and
land on its manage page; a partner organisation's staff create the 重阳节 event (date from the lunar
calendar) with its first session, organised by her organisation. axe on the create and edit pages."""

from __future__ import annotations

from django.urls import reverse
from lunar_python import Lunar

from events.models import Activity
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go, submit
from tests.community.factories import OrganizationFactory

pytestmark = E2E


def test_community_staff_create_the_tuesday_opera_class(page, sign_in):
    staff = UserFactory(phone="+8613912340061", name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True)
    sign_in(page, staff)
    go(page, reverse("events:staff_activities"))
    with page.expect_navigation():
        page.get_by_test_id("new-activity").click()
    assert page.url.endswith(reverse("events:activity_create"))
    axe_check(page)

    # Sent without a title: the error is next to the field and in the summary, and the page still passes axe.
    page.fill("input[name=place]", "永兴社区活动室")
    submit(page, "title")
    assert "标题" in error_for(page, "title")
    assert page.get_by_test_id("error-summary").is_visible()
    axe_check(page)

    page.fill("input[name=title]", "周二越剧班")
    page.fill("textarea[name=description]", "每周二上午，越剧爱好者一起学唱经典选段。")
    page.select_option("select[name=area]", "elders")
    page.fill("input[name=min_age]", "50")
    page.check("input[name=allocation][value=fcfs]")
    page.check("input[name=status][value=published]")
    page.fill("input[name=booking_opens_at]", "2026-11-20T09:00")
    page.fill("input[name=booking_closes_at]", "2026-12-31T18:00")
    page.locator("[name=lead_minutes][value='120']").uncheck()
    page.locator("[name=lead_minutes][value='60']").check()
    submit(page, "title")

    activity = Activity.objects.get(title="周二越剧班")
    assert page.url.endswith(reverse("events:manage", args=[activity.pk])), page.url
    assert "周二越剧班" in page.locator("h1").inner_text()
    assert "场次" in page.locator(".alert-success, [role=status], .messages").first.inner_text()
    assert activity.organiser_user == staff and activity.min_age == 50
    assert sorted(activity.reminder_rules.values_list("lead_minutes", flat=True)) == [60, 1440]

    with page.expect_navigation():
        page.get_by_test_id("edit-activity-link").click()
    assert page.locator("input[name=title]").input_value() == "周二越剧班"
    axe_check(page)
    page.fill("input[name=place]", "永兴社区二楼活动室")
    submit(page, "title")
    activity.refresh_from_db()
    assert activity.place == "永兴社区二楼活动室"


def test_partner_staff_create_the_double_ninth_event_for_her_organisation(page, sign_in):
    org = OrganizationFactory(name="南通申丞小海护理院")
    OrganizationFactory(name="永兴卫生服务站")
    partner = UserFactory(phone="+8613912340062", name="顾春梅", role=Role.PARTNER_STAFF, organization=org)
    double_ninth = Lunar.fromYmd(2027, 9, 9).getSolar()  # 重阳节 2027: the 9th of the 9th lunar month
    day = f"{double_ninth.getYear():04d}-{double_ninth.getMonth():02d}-{double_ninth.getDay():02d}"

    sign_in(page, partner)
    go(page, reverse("events:staff_activities"))
    with page.expect_navigation():
        page.get_by_test_id("new-activity").click()
    organiser = page.locator("select[name=organiser]")
    assert organiser.is_disabled() and "南通申丞小海护理院" in organiser.inner_text()
    assert "永兴卫生服务站" not in organiser.inner_text()

    page.fill("input[name=title]", "重阳节敬老茶话会")
    page.fill("input[name=place]", "南通申丞小海护理院多功能厅")
    page.select_option("select[name=area]", "elders")
    page.fill("input[name=min_age]", "60")
    page.check("input[name=status][value=published]")
    page.fill("input[name=booking_opens_at]", "2027-09-20T09:00")
    page.fill("input[name=booking_closes_at]", f"{day}T08:00")
    page.fill("input[name=first_date]", day)
    page.fill("input[name=first_start]", "09:30")
    page.fill("input[name=first_end]", "11:30")
    page.fill("input[name=first_capacity]", "40")
    submit(page, "title")

    activity = Activity.objects.get(title="重阳节敬老茶话会")
    assert page.url.endswith(reverse("events:manage", args=[activity.pk])), page.url
    assert activity.organiser_org == org and activity.organiser_user is None
    (session,) = activity.sessions.all()
    assert session.capacity == 40 and session.local_date.isoformat() == day == "2027-10-08"
    assert page.get_by_test_id("manage-sessions").locator("li").count() == 1

    go(page, reverse("events:detail", args=[activity.pk]))
    assert "南通申丞小海护理院" in page.locator("main").inner_text()
