"""Staff journey on a session's roster, in Chinese: reveal a no-show's full number to call her (logged),
cancel one place for a resident who phoned (with the reason), and see the freed seat offered to the
first on the waitlist. Every page of the journey passes axe (and the elder-mode check)."""

from __future__ import annotations

import importlib
import re

from django.urls import reverse

from events.models import Offer, RegistrationStatus
from events.services import booking_create, booking_create_on_behalf
from portal.accounts.models import Role
from portal.community.models import AccessLog
from portal.notify.models import Message, MessageTemplate
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go
from tests.community.factories import PersonFactory
from tests.events.conftest import ensure_message_templates
from tests.events.factories import ActivityFactory, SessionFactory

pytestmark = E2E


def _templates():
    ensure_message_templates()
    for data in importlib.import_module("events.migrations.0013_loose_ends").ROSTER_TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


def test_staff_reveal_a_number_cancel_for_a_caller_and_the_seat_goes_to_the_waitlist(page, sign_in):
    _templates()
    staff = UserFactory(phone="+8613912340071", name="陈善惠", role=Role.COMMUNITY_STAFF)
    activity = ActivityFactory(organiser_user=staff, title="竹编风铃手工课")
    session = SessionFactory(activity=activity, capacity=2)
    elder = PersonFactory(name="郭玲", phone="+8613912340072")
    caller_user = UserFactory(phone="+8613912340073", name="朱晓燕")
    caller = PersonFactory(name="朱晓燕", user=caller_user, phone="+8613912340073")
    waiting_user = UserFactory(phone="+8613912340074", name="王强")
    waiting = PersonFactory(name="王强", user=waiting_user, phone="+8613912340074")
    booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=[elder])
    booking_create(actor=caller_user, activity=activity, session=session, persons=[caller])
    booking_create(actor=waiting_user, activity=activity, session=session, persons=[waiting])
    assert waiting.registrations.get().status == RegistrationStatus.WAITLISTED

    sign_in(page, staff)
    go(page, reverse("events:roster", args=[session.pk]))
    roster = page.get_by_test_id("roster")
    elder_row = roster.locator("tr", has_text="郭玲")
    assert "1234 0072" not in elder_row.inner_text()  # masked
    axe_check(page)

    # 郭玲 did not come: reveal her number to call her.
    with page.expect_navigation():
        elder_row.get_by_role("button", name=re.compile("显示完整号码")).click()
    link = page.get_by_test_id("roster").locator("tr", has_text="郭玲").get_by_test_id("phone-full")
    assert link.inner_text().strip() == "139 1234 0072"
    assert link.get_attribute("href") == "tel:+8613912340072"
    log = AccessLog.objects.get(person=elder)
    assert log.user == staff and log.fields == "phone"

    # 朱晓燕 phoned to cancel her place.
    caller_row = page.get_by_test_id("roster").locator("tr", has_text="朱晓燕")
    with page.expect_navigation():
        caller_row.get_by_role("link", name=re.compile("代为取消")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "代居民取消预约"
    assert "工作人员随时可以代为取消" in page.get_by_test_id("cancel-note").inner_text()
    axe_check(page)
    reason = page.get_by_label("取消原因")
    assert reason.input_value() == "居民来电取消"
    reason.fill("居民来电取消，家中有事")
    with page.expect_navigation():
        page.get_by_role("button", name="取消该预约并通知居民").click()
    assert page.url.endswith(reverse("events:roster", args=[session.pk]))
    assert "已代为取消朱晓燕的预约" in page.locator("main").inner_text()

    # The freed seat is offered to the first on the waitlist, and shown so on the roster.
    waiting_row = page.get_by_test_id("roster").locator("tr", has_text="王强")
    assert "递补" in waiting_row.inner_text()
    registration = caller.registrations.get()
    assert registration.status == RegistrationStatus.CANCELLED and registration.cancelled_by == staff
    assert registration.cancel_reason == "居民来电取消，家中有事"
    offer = Offer.objects.get(booking__booked_by=waiting_user)
    assert Message.objects.filter(key__startswith=f"events.offer:{offer.pk}:").exists()
    told = Message.objects.filter(key__startswith=f"events.cancelled_on_behalf:{registration.pk}:").first()
    assert told is not None and "竹编风铃手工课" in told.body and told.user == caller_user


def test_the_offer_page_passes_axe_and_refuses_without_a_free_seat(page, sign_in):
    _templates()
    staff = UserFactory(phone="+8613912340081", name="陈善惠", role=Role.COMMUNITY_STAFF)
    activity = ActivityFactory(organiser_user=staff, title="戏曲班")
    session = SessionFactory(activity=activity, capacity=1)
    first = UserFactory(phone="+8613912340082", name="顾春梅")
    PersonFactory(name="顾春梅", user=first)
    second = UserFactory(phone="+8613912340083", name="李秀英")
    elder = PersonFactory(name="李秀英", user=second)
    booking_create(actor=first, activity=activity, session=session, persons=[first.person])
    booking_create(actor=second, activity=activity, session=session, persons=[elder])
    reg = elder.registrations.get()

    sign_in(page, staff)
    go(page, reverse("events:roster", args=[session.pk]))
    with page.expect_navigation():
        page.get_by_test_id("roster").locator("tr", has_text="李秀英").get_by_role(
            "link", name=re.compile("优先安排")
        ).click()
    axe_check(page)
    page.get_by_label("优先安排的原因").fill("行动不便，优先安排")
    with page.expect_navigation():
        page.get_by_role("button", name="安排递补名额并通知家庭").click()
    assert "没有空余名额" in page.locator("main").inner_text()
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.WAITLISTED and not Offer.objects.exists()
