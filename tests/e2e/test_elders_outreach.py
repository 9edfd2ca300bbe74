"""Browser journeys of the visit-and-call roster (关爱走访), in Chinese on real Chromium: a volunteer on a
phone logs a visit and raises a need; staff see the overdue list by grid, open a need and close it, and
change an elder's contact plan. Every page gets an axe scan (also in elder mode and in English)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from elders.models import ContactLog, Need, NeedStatus
from elders.services.outreach import contact_log_create
from tests.browser import E2E, axe_check, go
from tests.elders._f_outreach import DAY, community, elder_in, plan_for

pytestmark = E2E


@pytest.fixture
def elders_data(transactional_db):
    """The roster's message templates (and the rest of the area's data), after the flush of the last test."""
    from tests.elders.conftest import ensure_elders_data

    ensure_elders_data()


def test_a_volunteer_logs_a_visit_on_her_phone_and_raises_a_need(phone_page, sign_in, elders_data):
    c = community()
    elder = elder_in(c.one, name="王秀兰", phone="+8613700001234")
    plan_for(elder, assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=2))
    plan_for(elder_in(c.one, name="周桂英"), assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=5))
    page = phone_page
    sign_in(page, c.volunteer)

    go(page, reverse("elders:my_contacts"))
    cards = page.get_by_test_id("my-contacts").locator("li")
    assert cards.count() == 2
    assert "王秀兰" in cards.first.inner_text() and "逾期" in cards.first.inner_text()
    axe_check(page)

    with page.expect_navigation():
        cards.first.get_by_role("link", name="登记走访").click()
    axe_check(page)
    # saved without saying whether she was reached: the error is next to the field, nothing saved
    page.get_by_label("入户走访").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存记录").click()
    assert page.get_by_test_id("error-summary").is_visible()
    assert page.locator("[name=reached][aria-invalid=true]").count() >= 1
    assert not ContactLog.objects.exists()
    axe_check(page)

    page.get_by_label("联系上了").check()
    page.get_by_label("很好").check()
    page.fill("textarea[name=notes]", "精神不错，血压药快吃完了")
    page.select_option("select[name=needs-0-category]", "medical")
    page.fill("input[name=needs-0-description]", "需要帮忙去社区卫生服务中心配降压药")
    with page.expect_navigation():
        page.get_by_role("button", name="保存记录").click()
    assert page.url.endswith(reverse("elders:my_contacts"))
    assert "王秀兰" in page.locator(".alert-success").inner_text()

    log = ContactLog.objects.get()
    assert (log.method, log.reached, log.wellbeing, log.by) == ("visit", True, "good", c.volunteer)
    need = Need.objects.get()
    assert (need.category, need.owner, need.raised_in) == ("medical", c.one.leader, log)
    elder.contact_plan.refresh_from_db()
    assert elder.contact_plan.due_on > DAY


def test_staff_see_the_overdue_list_by_grid_and_close_a_need(page, sign_in, elders_data):
    c = community()
    for i in range(3):
        plan_for(
            elder_in(c.one, name=f"一网格老人{i}"),
            assigned_to=c.volunteer,
            due_on=DAY - datetime.timedelta(days=5 + i),
        )
    late = elder_in(c.two, name="二网格老人")
    plan = plan_for(late, assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=9))
    contact_log_create(
        actor=c.volunteer, elder=late, method="call", reached=False, needs=[("household", "门锁坏了")]
    )
    plan.refresh_from_db()
    sign_in(page, c.staff)

    go(page, reverse("elders:overdue"))
    table = page.get_by_test_id("overdue")
    assert table.locator("tbody tr").count() == 4
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id("overdue-counts").get_by_role("link", name="第二网格").click()
    rows = page.get_by_test_id("overdue").locator("tbody tr")
    assert rows.count() == 1 and "二网格老人" in rows.first.inner_text()
    assert rows.first.get_by_test_id("days-overdue").inner_text().strip() == "9"
    axe_check(page)

    go(page, reverse("elders:needs"))
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id("needs").get_by_role("link").first.click()
    axe_check(page)
    page.get_by_label("已办结").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert page.get_by_test_id("error-summary").is_visible()
    page.fill("textarea[name=resolution]", "已联系物业换锁")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert Need.objects.get().status == NeedStatus.CLOSED

    go(page, reverse("elders:contact_plan_edit", args=[late.pk]))
    axe_check(page)
    page.fill("input[name=every_days]", "3")
    page.get_by_label("电话问候").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存计划").click()
    plan.refresh_from_db()
    assert (plan.every_days, plan.method, plan.custom) == (3, "call", True)


def test_a_grid_worker_sees_only_her_grid_overdue(page, sign_in, elders_data):
    c = community()
    plan_for(
        elder_in(c.one, name="一网格老人"), assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=4)
    )
    plan_for(
        elder_in(c.two, name="二网格老人"), assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=4)
    )
    sign_in(page, c.two.worker)
    go(page, reverse("elders:overdue"))
    text = page.get_by_test_id("overdue").inner_text()
    assert "二网格老人" in text and "一网格老人" not in text
    axe_check(page)
