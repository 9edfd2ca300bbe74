"""The staff's sessions journey, in Chinese: the Tuesday opera class gets its weekly schedule from December
2026 through 2027 (the 2027 春节 entered by staff; the preview shows the Tuesday it skips), then one session's
capacity is raised and the first family on the waitlist is offered the seat on her 我的预约 page. Every new
page is scanned by axe (also in elder mode and in English)."""

from __future__ import annotations

import datetime
import importlib

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from events.models import Registration, RegistrationStatus
from events.services.booking import booking_create
from portal.accounts.models import Role
from portal.holidays.models import CalendarDay, CalendarYear, DayKind, YearSource
from portal.notify.models import MessageTemplate
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go
from tests.community.factories import HouseholdFactory, PersonFactory
from tests.events.conftest import ensure_message_templates
from tests.events.factories import ActivityFactory

pytestmark = E2E

D = datetime.date
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def templates(db):
    ensure_message_templates()
    for data in importlib.import_module("events.migrations.0012_sessions").TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


def enter_2027():
    """2027 as staff entered it from the notice (test data): 春节 2-6..2-12 off, Saturday 2-20 worked."""
    year, _ = CalendarYear.objects.get_or_create(year=2027, defaults={"source": YearSource.STAFF})
    for n in range(7):
        CalendarDay.objects.create(
            year=year,
            date=D(2027, 2, 6) + datetime.timedelta(days=n),
            kind=DayKind.HOLIDAY,
            festival="spring_festival",
        )
    CalendarDay.objects.create(
        year=year, date=D(2027, 2, 20), kind=DayKind.WORKDAY, festival="spring_festival"
    )


def test_staff_schedule_the_opera_class_through_2027_and_a_raised_capacity_reaches_the_waitlist(
    page, open_page, sign_in, templates
):
    enter_2027()
    staff = UserFactory(phone="+8613912340061", name="陈善惠", role=Role.COMMUNITY_STAFF)
    opera = ActivityFactory(title="周二越剧班", organiser_user=staff, place="永兴社区活动室")

    sign_in(page, staff)
    go(page, reverse("events:manage", args=[opera.pk]))
    with page.expect_navigation():
        page.get_by_test_id("schedule-link").click()
    axe_check(page)
    page.get_by_label("开始日期").fill("2026-12-01")
    page.get_by_label("结束日期").fill("2027-12-31")
    page.get_by_label("星期二").check()
    page.get_by_label("每周", exact=True).check()
    page.get_by_label("开始时间").fill("09:00")
    page.get_by_label("结束时间").fill("11:00")
    page.get_by_label("名额").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()

    preview = page.get_by_test_id("schedule-preview")
    assert "预览：共 56 个场次" in preview.inner_text()
    assert "2027年2月9日（周二）春节，不上课" in page.get_by_test_id("skipped-dates").inner_text()
    assert "调休上班（春节）：是否加课？" in page.get_by_test_id("makeup-days").inner_text()
    assert not opera.sessions.exists()  # the preview saves nothing
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id("schedule-save").click()
    assert page.url.endswith(reverse("events:manage", args=[opera.pk])), page.url
    assert "已创建 56 个场次。" in page.locator("main").inner_text()
    assert opera.sessions.count() == 56
    days = {timezone.localtime(s.starts_at).date() for s in opera.sessions.all()}
    assert D(2027, 2, 9) not in days and D(2027, 2, 16) in days
    axe_check(page)

    # The first class fills up (two residents); a neighbour waits.
    first = opera.sessions.order_by("starts_at").first()
    for n, name in enumerate(["朱晓燕", "樊天英"]):
        user = UserFactory(phone=f"+861391234006{n + 2}", name=name)
        person = PersonFactory(name=name, user=user, household=HouseholdFactory(), birth_date=D(1958, 5, 1))
        booking_create(actor=user, activity=opera, session=first, persons=[person])
    neighbour_user = UserFactory(phone="+8613912340069", name="王强")
    neighbour = PersonFactory(
        name="王强", user=neighbour_user, household=HouseholdFactory(), birth_date=D(1955, 1, 1)
    )
    booking_create(actor=neighbour_user, activity=opera, session=first, persons=[neighbour])
    assert Registration.objects.get(person=neighbour).status == RegistrationStatus.WAITLISTED

    # Staff raise that session's capacity to 3.
    go(page, reverse("events:manage", args=[opera.pk]))
    row = page.locator(f"[data-session='{first.pk}']")
    with page.expect_navigation():
        row.get_by_test_id("session-edit-link").click()
    axe_check(page)
    page.get_by_label("名额").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="保存修改").click()
    assert page.url.endswith(reverse("events:manage", args=[opera.pk])), page.url
    assert Registration.objects.get(person=neighbour).status == RegistrationStatus.OFFERED

    # The neighbour sees the offered place on 我的预约.
    resident = open_page()
    sign_in(resident, neighbour_user)
    go(resident, reverse("events:my_bookings"))
    accept = resident.locator("form[action*='/offers/'] button").first
    assert accept.is_visible()
    assert "周二越剧班" in resident.get_by_test_id("bookings").inner_text()


def test_the_other_session_pages_pass_axe_and_add_drop_in_days(page, sign_in, templates):
    staff = UserFactory(phone="+8613912340071", name="顾春梅", role=Role.COMMUNITY_STAFF)
    clinic = ActivityFactory(title="卫生服务站义诊", organiser_user=staff, place="永兴社区卫生服务站")
    sign_in(page, staff)
    for name in ("events:session_add", "events:session_course"):
        go(page, reverse(name, args=[clinic.pk]))
        axe_check(page)
    go(page, reverse("events:session_dropin", args=[clinic.pk]))
    page.get_by_label("日期").fill("2026-12-05\n下周六")
    page.get_by_label("开始时间").fill("08:30")
    page.get_by_label("结束时间").fill("11:00")
    page.get_by_label("名额").fill("40")
    with page.expect_navigation():
        page.get_by_role("button", name="创建服务日").click()
    assert "“下周六”不是日期" in page.get_by_test_id("error-summary").inner_text()
    assert not clinic.sessions.exists()
    axe_check(page)
    page.get_by_label("日期").fill("2026-12-05\n2026-12-19")
    with page.expect_navigation():
        page.get_by_role("button", name="创建服务日").click()
    assert "已创建 2 个场次。" in page.locator("main").inner_text()
    assert clinic.sessions.count() == 2
