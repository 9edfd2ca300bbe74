"""The health station in the browser, in Chinese: a nurse of the 中兴街道社区卫生服务中心 on a tablet (1024x768,
then 768x1024) enters the readings of a clinic at the 便民服务驿站 — a booked elder with an urgent blood pressure,
a walk-in found by her pinyin initials with a high fasting glucose, an impossible value refused at the field —
and sees the urgent and abnormal flags; the grid leader closes the follow-up; staff see an elder's chart and
edit a threshold. Every page is scanned by axe (also in elder mode at 390 px and in English)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from elders.models import FollowUp, FollowUpStatus, Reading, ReadingKind, Threshold
from elders.services.health import ReadingInput, readings_record
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go
from tests.elders._f_health import health_world, more_elder
from tests.elders.conftest import ensure_elders_data

pytestmark = E2E

TABLET = {"width": 1024, "height": 768}
TABLET_PORTRAIT = {"width": 768, "height": 1024}


@pytest.fixture
def world(db):
    ensure_elders_data()
    w = health_world()
    w.walkin = more_elder(w, "李桂兰")
    # 王秀英 booked this afternoon's clinic through the desk; the clinic is on now.
    w.session.capacity = 40
    w.session.save()
    from events.models import Booking, Registration, RegistrationStatus

    booking = Booking.objects.create(
        activity=w.activity, session=w.session, booked_by=w.staff, on_behalf=True
    )
    Registration.objects.create(
        booking=booking,
        activity=w.activity,
        session=w.session,
        person=w.elder,
        status=RegistrationStatus.CONFIRMED,
    )
    return w


def _record(page, **fields):
    for name, value in fields.items():
        page.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        page.get_by_role("button", name="保存测量结果").click()


def test_a_nurse_enters_a_clinics_readings_on_a_tablet_and_sees_the_flags(page, sign_in, world):
    page.set_viewport_size(TABLET)
    sign_in(page, world.nurse)
    go(page, reverse("elders:health"))
    assert page.get_by_role("heading", name="健康驿站").is_visible()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="录入检测结果").click()
    assert "本场老人：1位" in page.locator("main").inner_text()
    axe_check(page)

    # The booked elder: an urgent blood pressure.
    with page.expect_navigation():
        page.get_by_test_id("clinic-attendees").get_by_role("link", name="王秀英").click()
    _record(page, blood_pressure="186/95", heart_rate="72")
    alert = page.get_by_role("alert").filter(has_text="紧急")
    assert alert.is_visible()
    text = alert.inner_text()
    assert "收缩压 186 mmHg ≥ 180" in text and "120" in text
    assert "舒张压 95 mmHg ≥ 90" in page.get_by_test_id("abnormal-flags").inner_text()
    assert "已为王秀英保存2项检测结果" in page.locator("main").inner_text()
    axe_check(page)

    # An impossible value is refused at the field, in Chinese; nothing is saved.
    _record(page, blood_pressure="999/0", heart_rate="")
    assert "收缩压 999 mmHg 不可能" in error_for(page, "blood_pressure")
    assert Reading.objects.filter(elder=world.elder).count() == 2
    axe_check(page)

    # A walk-in, found by her pinyin initials: a high fasting glucose.
    page.set_viewport_size(TABLET_PORTRAIT)
    page.get_by_label("查找未预约、直接来的老人").fill("lgl")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    with page.expect_navigation():
        page.get_by_test_id("walkin-results").get_by_role("link", name="李桂兰").click()
    page.locator("[name=glucose]").fill("７．８")  # typed with a Chinese input method
    page.get_by_label("空腹", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存测量结果").click()
    flags = page.get_by_test_id("abnormal-flags").inner_text()
    assert "异常" in flags and "空腹血糖 7.8 mmol/L ≥ 7" in flags
    assert page.get_by_test_id("urgent-alert").count() == 0
    assert_fits_width(page)
    axe_check(page)

    glucose = Reading.objects.get(elder=world.walkin)
    assert glucose.kind == ReadingKind.GLUCOSE and glucose.unit == "mmol/L" and str(glucose.value) == "7.8"
    # Both came: two person-visits, two follow-ups.
    assert world.session.checkins.count() == 2
    assert FollowUp.objects.count() == 2


def test_the_grid_leader_closes_a_follow_up_and_staff_see_the_chart_and_edit_a_threshold(
    page, open_page, sign_in, world
):
    for days, (sys_, dia) in ((60, (150, 92)), (30, (142, 88)), (1, (186, 112))):
        readings_record(
            actor=world.staff,
            elder=world.elder,
            readings=[
                ReadingInput(ReadingKind.BLOOD_PRESSURE, sys_, dia),
                ReadingInput(ReadingKind.HEART_RATE, 76),
            ],
            taken_at=timezone.now() - datetime.timedelta(days=days),
        )
    assert FollowUp.objects.filter(assigned_to=world.leader).count() == 3

    # The grid leader, on her phone.
    phone = open_page(phone=True)
    sign_in(phone, world.leader)
    go(phone, reverse("elders:followups"))
    assert "王秀英" in phone.get_by_test_id("followups").inner_text()
    axe_check(phone)
    with phone.expect_navigation():
        phone.get_by_role("link", name="登记王秀英的随访情况").first.click()
    axe_check(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="完成随访").click()
    assert "请填写随访情况" in error_for(phone, "outcome")
    phone.locator("[name=outcome]").fill("已上门复测血压140/88，提醒按时服药")
    with phone.expect_navigation():
        phone.get_by_role("button", name="完成随访").click()
    assert FollowUp.objects.filter(status=FollowUpStatus.CLOSED).count() == 1
    go(phone, reverse("elders:followups") + "?show=closed")
    assert "已上门复测" in phone.locator("main").inner_text()
    axe_check(phone)

    # Staff: the elder's chart, with the same figures as a table.
    sign_in(page, world.staff)
    go(page, reverse("elders:readings", args=[world.elder.pk]))
    charts = page.get_by_role("img")
    assert charts.count() == 2
    assert page.locator("svg.reading-chart polyline").count() >= 3
    table = page.get_by_test_id("reading-table").first
    assert "186/112 mmHg" in table.inner_text() and "150/92 mmHg" in table.inner_text()
    assert page.locator("table caption").first.is_visible()
    axe_check(page)

    # Staff change a threshold (who and when are kept).
    go(page, reverse("elders:thresholds"))
    axe_check(page)
    t = Threshold.objects.get(measure="heart_rate", direction="high", level="abnormal")
    go(page, reverse("elders:threshold_edit", args=[t.pk]))
    axe_check(page)
    page.locator("[name=limit]").fill("105")
    with page.expect_navigation():
        page.get_by_role("button", name="保存界值").click()
    t.refresh_from_db()
    assert t.limit == 105 and t.updated_by == world.staff
    assert "陈善惠" in page.get_by_test_id("thresholds").inner_text()
