"""Safe pickup in the browser, in Chinese, on a tablet (1024x768) for staff and a phone for the guardian:
staff sign a child in, sign her out to grandma (authorised for today only), are refused for an unlisted
person on the sibling's sign-out (red alert, typed name kept), and the guardian's inbox shows the refusal at
once; her day page shows the day. Every page passes axe, also in elder mode and in English."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import E2E, axe_check, go
from tests.youth._f_pickup import daycare_day

pytestmark = E2E

TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def d(transactional_db):
    from tests.youth.conftest import ensure_youth_data

    ensure_youth_data()  # the browser tests' database was flushed: the migrations' rows come back
    return daycare_day(children=2)


def test_staff_sign_in_sign_out_to_grandma_and_refuse_a_stranger_the_guardian_is_told(
    page, phone_page, sign_in, d
):
    page.set_viewport_size(TABLET)
    sign_in(page, d.staff)

    go(page, reverse("youth:roster"))
    assert page.get_by_role("heading", level=1).inner_text() == "托管班签到名单"
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id("roster-sessions").get_by_role("link").first.click()
    roster = page.get_by_test_id("roster")
    row = roster.locator(f"tr[data-child='{d.child.pk}']")
    assert "花生" in row.inner_text()  # her allergy on the day roster
    axe_check(page)

    # Sign-in at drop-off, both children.
    for child in d.kids:
        with page.expect_navigation():
            roster.locator(f"tr[data-child='{child.pk}']").get_by_role("button", name="签到").click()
        assert f"{child.name}已于" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("signed-in").count() == 2

    # Sign-out of 张小明 to grandma, shown as a tile with "today only".
    with page.expect_navigation():
        roster.locator(f"tr[data-child='{d.child.pk}']").get_by_role("link", name="签退").click()
    assert page.get_by_role("heading", level=1).inner_text() == "签退：张小明"
    tiles = page.get_by_test_id("collectors")
    assert "王秀英" in tiles.inner_text() and "仅限今天" in tiles.inner_text()
    axe_check(page)
    tiles.locator("label", has_text="王秀英").click()
    with page.expect_navigation():
        page.get_by_role("button", name="签退", exact=True).click()
    assert (
        "张小明已于" in page.locator(".messages").inner_text()
        and "王秀英" in page.locator(".messages").inner_text()
    )
    gone = page.get_by_test_id("roster").locator(f"tr[data-child='{d.child.pk}']")
    assert "王秀英" in gone.inner_text()

    # An unlisted person comes for 张小红: refused in red, the typed name kept, nothing signed out.
    sister = d.kids[1]
    with page.expect_navigation():
        page.get_by_test_id("roster").locator(f"tr[data-child='{sister.pk}']").get_by_role(
            "link", name="签退"
        ).click()
    page.get_by_test_id("collectors").locator("label", has_text="其他人").click()
    page.get_by_label("来接人的姓名").fill("李四")
    page.get_by_label("自称与孩子的关系").fill("舅舅")
    with page.expect_navigation():
        page.get_by_role("button", name="签退", exact=True).click()
    refusal = page.get_by_test_id("refusal")
    assert "此人不在张小红的授权接送人名单上。" in refusal.inner_text()
    assert "请勿交接孩子" in refusal.inner_text()
    assert page.get_by_label("来接人的姓名").input_value() == "李四"
    assert "李四" in page.get_by_test_id("refused-list").inner_text()
    axe_check(page)

    # The printable roster and the children not collected.
    go(page, reverse("youth:roster_print", args=[d.session.pk]))
    assert "王秀英" in page.get_by_test_id("print-roster").inner_text()
    axe_check(page)
    go(page, reverse("youth:not_collected"))
    axe_check(page)

    # The guardian, on her phone: the refusal in her inbox, and the day on her child's page.
    sign_in(phone_page, d.mum.user)
    go(phone_page, reverse("notify:inbox"))
    assert "有人尝试接走张小红，未获授权" in phone_page.locator("main").inner_text()
    axe_check(phone_page)
    go(phone_page, reverse("youth:child_days", args=[d.child.pk]))
    day = phone_page.get_by_test_id("child-days").inner_text()
    assert "王秀英" in day
    axe_check(phone_page)
    go(phone_page, reverse("youth:child_days", args=[sister.pk]))
    assert "李四" in phone_page.get_by_test_id("day-refused").inner_text()
    axe_check(phone_page)
