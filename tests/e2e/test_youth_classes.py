"""Holiday classes in the browser, in Chinese: a guardian on her phone opens the area from the home page's
Children card, finds a parent-and-child class and books it for herself and her son on the activity's own
page; a staff member takes attendance. Every page passes axe, also in elder mode and in English."""

from __future__ import annotations

import pytest
from django.urls import reverse

from events.models import CheckIn, Registration
from tests.browser import E2E, axe_check, go
from tests.youth._f_classes import make_class, make_lecture, staff
from tests.youth.conftest import ensure_youth_data
from tests.youth.factories import ChildFactory, GuardianFactory
from youth.models import Audience

pytestmark = E2E


@pytest.fixture(autouse=True)
def _youth_data(transactional_db):
    ensure_youth_data()


def test_a_guardian_books_a_parent_and_child_class_from_the_home_page(phone_page, sign_in):
    page = phone_page
    mother = GuardianFactory(name="朱晓燕", user__phone="+8613800000001", user__name="朱晓燕")
    son = ChildFactory(name="张小明", guardian=mother)
    youth = make_class(audience=Audience.PARENT_CHILD, title="亲子剪纸课", min_age=5, max_age=10)
    make_lecture(title="家庭教育讲座：陪伴孩子度过暑假")
    sign_in(page, mother.user)

    go(page, "/")
    with page.expect_navigation():
        page.get_by_test_id("service-youth").get_by_role("link").click()
    assert page.url.endswith(reverse("youth:index"))
    assert page.get_by_role("heading", level=1).inner_text() == "儿童与家庭"
    assert page.get_by_test_id("my-children").is_visible()
    axe_check(page)

    with page.expect_navigation():
        page.get_by_test_id("link-lectures").click()
    assert "家庭教育讲座：陪伴孩子度过暑假" in page.get_by_test_id("youth-activities").inner_text()
    axe_check(page)

    go(page, reverse("youth:index"))
    with page.expect_navigation():
        page.get_by_test_id("link-classes").click()
    card = page.get_by_test_id(f"activity-{youth.activity_id}")
    assert "亲子剪纸课" in card.inner_text() and "家长陪同" in card.inner_text()
    assert "5至10岁" in card.inner_text()
    axe_check(page)

    with page.expect_navigation():
        page.get_by_test_id(f"book-{youth.activity_id}").click()
    page.get_by_label("朱晓燕").check()
    page.get_by_label("张小明").check()
    with page.expect_navigation():
        page.get_by_role("button", name="预约").click()
    booked = Registration.objects.filter(activity=youth.activity, status="confirmed")
    assert {r.person for r in booked} == {mother, son}
    axe_check(page)


def test_a_child_alone_in_a_parent_and_child_class_is_refused_with_the_reason(phone_page, sign_in):
    page = phone_page
    mother = GuardianFactory(name="朱晓燕")
    ChildFactory(name="张小明", guardian=mother)
    youth = make_class(audience=Audience.PARENT_CHILD, title="亲子剪纸课", min_age=5, max_age=10)
    sign_in(page, mother.user)
    go(page, reverse("events:detail", args=[youth.activity_id]))
    page.get_by_label("张小明").check()
    with page.expect_navigation():
        page.get_by_role("button", name="预约").click()
    assert "本课程为亲子课：请为张小明同时报名一位监护人。" in page.content()
    assert not Registration.objects.filter(activity=youth.activity).exists()
    axe_check(page)


def test_staff_take_attendance(page, sign_in):
    youth = make_class(audience=Audience.PARENT_CHILD, title="亲子剪纸课", min_age=5, max_age=10)
    child = ChildFactory(name="张小明")
    guardian = child.guardian_for_tests
    from events.services import booking_create

    booking = booking_create(actor=guardian.user, activity=youth.activity, persons=[guardian, child])
    reg = booking.registrations.get(person=child)
    session = youth.activity.sessions.order_by("starts_at").first()
    sign_in(page, staff(name="陈善惠"))
    go(page, reverse("youth:attendance", args=[session.pk]))
    assert "已到0人，共2人" in page.get_by_test_id("attendance-counts").inner_text()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id(f"tick-{reg.pk}").click()
    assert page.get_by_test_id(f"present-{reg.pk}").is_visible()
    assert "已到1人，共2人" in page.get_by_test_id("attendance-counts").inner_text()
    assert CheckIn.objects.filter(registration=reg, session=session).count() == 1
    axe_check(page)

    walk_in = ChildFactory(name="陈小雨")
    page.get_by_label("未报名直接来的？按姓名或手机号后4位查找").fill("陈小雨")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id(f"walk-in-{walk_in.pk}").click()
    assert "已到2人，共3人" in page.get_by_test_id("attendance-counts").inner_text()
    assert CheckIn.objects.filter(session=session, registration__person=walk_in).count() == 1

    go(page, reverse("youth:class_new"))
    axe_check(page)
