"""Partner services in the browser, in Chinese: community staff add a meal plan for an elder from her page
and keep the catalogue; 顾春梅 of the nursing home logs a delivery round on her phone (390x844), ticking
three elders at once, then one delivery with a note, and a double submit logs nothing twice; staff see the
flagged plans and the monthly ledger. axe (and the elder-mode check, both languages) on every page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from elders.models import Delivery, PlanPeriod, Service, ServicePlan
from elders.services.partners import plans_check_missed
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go, submit
from tests.elders._f_partners import (
    DeliveryFactory,
    ElderFactory,
    at,
    community_staff,
    nursing_home,
    partner_staff,
    plans_for,
)

pytestmark = E2E


@pytest.fixture
def elders_data(transactional_db):
    """The catalogue and the message templates the migrations ship (a browser test starts flushed)."""
    from tests.elders.conftest import ensure_elders_data

    ensure_elders_data()


def test_staff_add_a_meal_plan_from_the_elder_page(page, sign_in, elders_data):
    staff = community_staff(phone="+8613800000001")
    home = nursing_home()
    elder = ElderFactory(name="张桂英")
    sign_in(page, staff)

    go(page, reverse("elders:elder", args=[elder.pk]))
    section = page.get_by_test_id("partners-section")
    assert "暂无服务计划" in section.inner_text()
    with page.expect_navigation():
        page.get_by_test_id("plan-add").click()
    assert page.url.endswith(reverse("elders:plan_add", args=[elder.pk]))
    axe_check(page)

    # Until before from: the error is at the field and in the summary; nothing saved.
    page.select_option("select[name=service]", label="助餐送餐")
    page.select_option("select[name=organization]", label=home.name)
    page.fill("input[name=times]", "1")
    page.select_option("select[name=period]", PlanPeriod.DAY)
    page.fill("input[name=starts_on]", "2026-11-18")
    page.fill("input[name=ends_on]", "2026-11-01")
    submit(page, "times")
    assert "结束" in error_for(page, "ends_on")
    assert page.get_by_test_id("error-summary").is_visible()
    assert not ServicePlan.objects.exists()
    axe_check(page)

    page.fill("input[name=ends_on]", "")
    page.fill("textarea[name=notes]", "软食，少盐")
    submit(page, "times")
    assert page.url.endswith(reverse("elders:elder", args=[elder.pk])), page.url
    plan = ServicePlan.objects.get()
    assert (plan.elder, plan.organization, plan.period) == (elder, home, PlanPeriod.DAY)
    assert list(elder.served_by.all()) == [home]
    section = page.get_by_test_id("partners-section")
    assert "助餐送餐" in section.inner_text() and home.name in section.inner_text()
    axe_check(page)  # the elder page with the section filled in

    # Change it, then end it, from the section.
    with page.expect_navigation():
        section.get_by_role("link", name="修改").first.click()
    axe_check(page)
    page.fill("input[name=times]", "2")
    submit(page, "times")
    plan.refresh_from_db()
    assert plan.times == 2
    with page.expect_navigation():
        page.get_by_test_id("partners-section").get_by_role("link", name="结束").first.click()
    axe_check(page)
    page.fill("input[name=ends_on]", "2026-12-31")
    submit(page, "ends_on")
    plan.refresh_from_db()
    assert plan.ends_on == datetime.date(2026, 12, 31)

    # The plans list, filtered by organisation.
    go(page, reverse("elders:plans"))
    page.select_option("select[name=organization]", label=home.name)
    submit(page, "service")
    assert "张桂英" in page.get_by_test_id("plans").inner_text()
    axe_check(page)


def test_staff_keep_the_catalogue(page, sign_in, elders_data):
    sign_in(page, community_staff(phone="+8613800000001"))
    go(page, reverse("elders:services"))
    assert "助餐送餐" in page.get_by_test_id("services").inner_text()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id("service-add").click()
    submit(page, "name")
    assert error_for(page, "name")
    axe_check(page)
    page.fill("input[name=name]", "上门理发")
    page.fill("textarea[name=description]", "每月一次，志愿者上门为老人理发。")
    submit(page, "name")
    assert page.url.endswith(reverse("elders:services"))
    assert Service.objects.filter(name="上门理发", is_active=True).exists()
    with page.expect_navigation():
        page.get_by_role("button", name="停止提供上门理发").click()
    assert not Service.objects.get(name="上门理发").is_active


def test_partner_staff_log_a_delivery_round_on_a_phone(phone_page, sign_in, elders_data):
    page = phone_page
    home, other = nursing_home(), nursing_home("另一家护理站")
    worker = partner_staff(home, phone="+8613800000003")
    plans = plans_for(home, 4)
    (theirs,) = plans_for(other, 1)
    names = [p.elder.name for p in plans]
    sign_in(page, worker)

    go(page, reverse("elders:delivery_round"))
    assert_fits_width(page)
    listed = page.get_by_test_id("round-plans").inner_text()
    assert all(n in listed for n in names) and theirs.elder.name not in listed
    axe_check(page)

    # Nothing ticked: the error is at the list, nothing is logged.
    with page.expect_navigation():
        page.get_by_test_id("log-round").click()
    assert "请勾选" in error_for(page, "plans")
    assert not Delivery.objects.exists()
    axe_check(page)

    for plan in plans[:3]:
        page.locator(f"#plan-{plan.pk}").check()
    page.fill("input[name=what]", "午餐：两荤一素一汤")
    with page.expect_navigation():
        page.get_by_test_id("log-round").click()
    assert "已记录 3 次" in page.locator(".alert-success, [role=status]").first.inner_text()
    rows = Delivery.objects.all()
    assert rows.count() == 3 and len({d.round_key for d in rows}) == 1
    assert {d.elder_id for d in rows} == {p.elder_id for p in plans[:3]}
    # The three are done for today; the fourth is still due, and first.
    assert page.locator(".round-item .round-name").first.inner_text() == names[3]

    # One delivery for the fourth, with a note.
    go(page, reverse("elders:delivery_add", args=[plans[3].pk]))
    assert_fits_width(page)
    axe_check(page)
    page.fill("input[name=time]", "23:59")  # later today: refused at the field
    submit(page, "notes")
    assert "不能晚于现在" in error_for(page, "time")
    assert Delivery.objects.count() == 3
    axe_check(page)
    page.fill("input[name=time]", "")
    page.fill("textarea[name=notes]", "老人不在家，饭菜交给邻居")
    submit(page, "notes")
    assert Delivery.objects.filter(elder=plans[3].elder).get().notes == "老人不在家，饭菜交给邻居"

    # Another organisation's client, by an edited URL: a 404, nothing logged.
    go(page, reverse("elders:delivery_add", args=[theirs.pk]), status=404)
    assert Delivery.objects.count() == 4

    # Her plans (read only), her flagged plans, her ledger.
    go(page, reverse("elders:plans"))
    assert theirs.elder.name not in page.get_by_test_id("plans").inner_text()
    axe_check(page)


def test_staff_see_flagged_plans_and_the_monthly_ledger(page, sign_in, elders_data):
    staff = community_staff(phone="+8613800000001")
    home = nursing_home()
    worker = partner_staff(home)
    fed, missed = plans_for(home, 2)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    DeliveryFactory(plan=fed, delivered_at=at(yesterday), delivered_by=worker)
    plans_check_missed(today=timezone.localdate())
    sign_in(page, staff)

    go(page, reverse("elders:plans_flagged"))
    flagged = page.get_by_test_id("flagged-plans").inner_text()
    assert missed.elder.name in flagged and fed.elder.name not in flagged
    axe_check(page)

    go(page, reverse("elders:ledger"))
    assert "助餐送餐" in page.get_by_test_id("ledger").inner_text()
    axe_check(page)
    page.fill("input[name=month]", "2026-13")
    submit(page, "month")
    assert error_for(page, "month")
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_test_id("ledger-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
