"""The elders area's front door in the browser, in Chinese: staff open the elder list, filter it, open an
elder and set her risk level by hand with a reason (refused without one, at the field); the profile, desk
consent and care pages; a daughter's page for the mother she acts for. Every page passes axe, also in
elder mode and in English (tests/browser.py axe_check)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from elders.models import ElderProfile, LivingSituation, RiskLevel
from elders.services.risk import elder_risk_refresh
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go
from tests.community.factories import BuildingFactory, GridFactory, HouseholdFactory
from tests.elders._f_core import ElderFactory, ElderProfileFactory, daughter_for, with_sensitive
from tests.elders.conftest import ensure_elders_data

pytestmark = E2E


@pytest.fixture(autouse=True)
def _elders_data(transactional_db):
    ensure_elders_data()  # the browser tests' database was flushed: the migrations' rows come back


def _elder(grid, **kwargs):
    return ElderFactory(household=HouseholdFactory(building=BuildingFactory(grid=grid)), **kwargs)


def test_staff_filter_the_list_open_an_elder_and_override_her_risk(page, sign_in):
    staff = UserFactory(phone="+8613912340101", name="陈善惠", role=Role.COMMUNITY_STAFF)
    grid = GridFactory(name="第一网格")
    _elder(grid, name="钱秀珍", birth_date=datetime.date(1934, 5, 1))
    alone = _elder(grid, name="吴玉珍", lives_alone=True)
    young = _elder(grid, name="冯丽华", birth_date=datetime.date(1961, 2, 1))
    ElderProfileFactory(person=young, living_situation=LivingSituation.FAMILY)
    with_sensitive(alone, staff=staff, adl_level="moderate", receives_dibao=True)
    elder_risk_refresh()

    sign_in(page, staff)
    go(page, reverse("elders:index"))
    assert page.get_by_role("heading", level=1).inner_text() == "长者关爱"
    rows = page.get_by_test_id("elder-rows")
    assert "失能（中度）" in rows.locator("tr", has_text="吴玉珍").inner_text()
    axe_check(page)

    # Filter: the 60+ band (60 to 69) finds 冯丽华 alone.
    page.get_by_label("年龄段").select_option("60")
    with page.expect_navigation():
        page.get_by_test_id("filter").click()
    names = page.get_by_test_id("elder-row").all_inner_texts()
    assert len(names) == 1 and "冯丽华" in names[0] and "65" in names[0]
    axe_check(page)

    with page.expect_navigation():
        page.get_by_role("link", name="冯丽华").click()
    assert page.get_by_role("heading", level=1).inner_text() == "冯丽华"
    assert page.get_by_test_id("risk-level").inner_text().strip() == "低"
    axe_check(page)

    with page.expect_navigation():
        page.get_by_test_id("override-risk").click()
    axe_check(page)
    page.get_by_label("工作人员设定的风险等级").select_option(RiskLevel.HIGH)
    with page.expect_navigation():
        page.get_by_role("button", name="保存风险等级").click()
    assert "请填写人工设定风险等级的原因" in error_for(page, "reason")
    assert ElderProfile.objects.get(person=young).risk_override == ""
    page.get_by_label("原因").fill("老伴住院，独自在家")
    with page.expect_navigation():
        page.get_by_role("button", name="保存风险等级").click()
    assert page.url.endswith(reverse("elders:elder", args=[young.pk]))
    assert re.search(r"高\s*（人工设定）", page.get_by_test_id("risk-level").inner_text())
    assert "老伴住院，独自在家" in page.get_by_test_id("risk-override").inner_text()
    assert "陈善惠" in page.get_by_test_id("risk-override").inner_text()
    profile = ElderProfile.objects.get(person=young)
    assert profile.effective_risk == RiskLevel.HIGH and profile.risk_override_by == staff


def test_the_profile_desk_consent_and_care_pages(page, sign_in):
    staff = UserFactory(phone="+8613912340111", name="陈善惠", role=Role.COMMUNITY_STAFF)
    elder = ElderFactory(name="周桂兰", lives_alone=True)
    helper = UserFactory(phone="+8613800000004", name="李欣怡", role=Role.VOLUNTEER)
    sign_in(page, staff)

    go(page, reverse("elders:profile_edit", args=[elder.pk]))
    axe_check(page)
    page.get_by_label("结对帮扶人手机号").fill("13800000004")
    needs = page.get_by_label("需求")
    needs.evaluate("el => el.removeAttribute('maxlength')")  # as a script or an old browser would send it
    needs.fill("长" * 10_000)
    with page.expect_navigation():
        page.get_by_role("button", name="保存档案").click()
    assert "1000" in error_for(page, "needs")
    assert not ElderProfile.objects.filter(person=elder, helper=helper).exists()
    page.get_by_label("需求").fill("每周三送药上门")
    with page.expect_navigation():
        page.get_by_role("button", name="保存档案").click()
    assert "李欣怡" in page.get_by_test_id("helper").inner_text()
    assert "代为登记" in page.get_by_test_id("entered-by").inner_text()

    with page.expect_navigation():
        page.get_by_test_id("desk-consent").click()
    axe_check(page)
    page.get_by_label(re.compile("签字的纸质同意书")).check()
    with page.expect_navigation():
        page.get_by_test_id("record").click()
    assert "已同意" in page.get_by_test_id("health-consent").inner_text()

    with page.expect_navigation():
        page.get_by_test_id("care-edit").click()
    axe_check(page)


def test_a_daughter_sees_the_mother_she_acts_for(page, sign_in):
    mother = ElderFactory(name="朱桂兰")
    user, _daughter = daughter_for(mother, phone="+8613800000005")
    sign_in(page, user)
    go(page, reverse("elders:index"))
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="朱桂兰").click()
    assert "代她接收通知" in page.get_by_test_id("family").inner_text()
    axe_check(page)
