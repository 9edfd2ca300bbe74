"""Browser journey: a volunteer checks in for a shift on a phone-sized screen, checks out, sees her
pending hours; staff approve them; she downloads her hours certificate. Axe on every page."""

import datetime
import io

from django.utils import timezone, translation
from django.utils.translation import gettext

from events.models import Shift, ShiftSignup
from portal.accounts.models import Role
from portal.volunteers.models import HoursEntry
from tests.browser import E2E, assert_fits_width, axe_check, go, open_menu
from tests.community.factories import PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory

from .factories import ActivityFactory, SessionFactory

pytestmark = E2E

H = datetime.timedelta(hours=1)


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


def test_volunteer_checks_in_for_a_shift_on_a_phone(phone_page, open_page, sign_in):
    from tests.events.conftest import ensure_message_templates

    ensure_message_templates()
    user = UserFactory(role=Role.VOLUNTEER, name="陈志愿")
    VolunteerProfileFactory(person=PersonFactory(name="陈志愿", user=user))
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")
    start = timezone.now() + 30 * datetime.timedelta(minutes=1)
    session = SessionFactory(
        activity=ActivityFactory(title="迷你马拉松", organiser_user=staff),
        starts_at=start,
        ends_at=start + 4 * H,
    )
    shift = Shift.objects.create(
        session=session, role="3号补给站", slots=4, starts_at=start, ends_at=start + 3 * H
    )

    page = phone_page
    sign_in(page, user)
    go(page, "/")
    open_menu(page)
    with page.expect_navigation():
        page.get_by_role("link", name=zh("Volunteering"), exact=True).click()
    assert page.locator("h1").count() == 1
    assert_fits_width(page)
    axe_check(page)

    # sign up for the open shift
    card = page.get_by_test_id(f"shift-{shift.pk}")
    assert "3号补给站" in card.inner_text()
    with page.expect_navigation():
        card.get_by_test_id("sign-up").click()
    signup = ShiftSignup.objects.get(shift=shift, volunteer__person__user=user)
    mine = page.get_by_test_id(f"signup-{signup.pk}")
    assert zh("Signed up") in mine.get_by_test_id("signup-status").inner_text()
    assert_fits_width(page)
    axe_check(page)

    # check in: the big button
    with page.expect_navigation():
        mine.get_by_test_id("check-in").click()
    assert zh("Checked in at %(time)s.").split("%")[0] in page.locator(".alert").first.inner_text()
    assert mine.get_by_test_id("check-out").is_visible()
    axe_check(page)

    # two hours go by (the shift and her check-in move back in time), then she checks out
    # (only the time within the shift counts: it started when she checked in)
    two_hours_ago = timezone.now() - 2 * H
    ShiftSignup.objects.filter(pk=signup.pk).update(checked_in_at=two_hours_ago)
    Shift.objects.filter(pk=shift.pk).update(starts_at=two_hours_ago, ends_at=two_hours_ago + 3 * H)
    with page.expect_navigation():
        mine.get_by_test_id("check-out").click()
    entry = HoursEntry.objects.get(volunteer__person__user=user)
    assert entry.status == "pending" and entry.hours == 2

    # her hours: pending, marked as such
    go(page, "/volunteers/hours/")
    assert page.locator("h1").count() == 1
    assert page.get_by_test_id("pending-total").inner_text() == "2.00"
    assert page.get_by_test_id(f"entry-{entry.pk}").get_by_test_id("entry-status").inner_text() == zh(
        "Pending approval"
    )
    assert_fits_width(page)
    axe_check(page)

    # staff approve (a second person, on a desktop)
    desk = open_page()
    sign_in(desk, staff)
    go(desk, "/volunteers/hours/pending/")
    assert desk.locator("h1").count() == 1
    axe_check(desk)
    with desk.expect_navigation():
        desk.get_by_test_id(f"approve-{entry.pk}").click()
    entry.refresh_from_db()
    assert entry.status == "approved"
    axe_check(desk)

    # she downloads her certificate
    page.reload()
    assert page.get_by_test_id("approved-total").inner_text() == "2.00"
    with page.expect_download() as info:
        page.locator("#certificate-form [type=submit]").click()
    from pathlib import Path

    from pypdf import PdfReader

    data = Path(info.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "陈志愿" in text and "3号补给站" in text and "2.00" in text
    axe_check(page)


def test_staff_see_a_sessions_shifts_and_reject_hours_with_a_note(page, sign_in):
    from portal.volunteers.services import hours_credit
    from tests.browser import error_for

    user = UserFactory(role=Role.VOLUNTEER, name="陈志愿")
    profile = VolunteerProfileFactory(person=PersonFactory(name="陈志愿", user=user))
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")
    session = SessionFactory(activity=ActivityFactory(title="迷你马拉松", organiser_user=staff))
    shift = Shift.objects.create(
        session=session, role="检录", slots=2, starts_at=session.starts_at, ends_at=session.starts_at + 2 * H
    )
    ShiftSignup.objects.create(shift=shift, volunteer=profile)
    entry = hours_credit(
        volunteer=profile,
        date=timezone.localdate(),
        hours=3,
        description="迷你马拉松 · 检录",
        flagged=True,
        flag_reason="自动签退",
    )

    sign_in(page, staff)
    go(page, f"/activities/{session.activity_id}/")
    with page.expect_navigation():
        page.get_by_test_id("shifts-link").first.click()
    assert page.locator("h1").count() == 1
    assert "陈志愿" in page.get_by_test_id(f"staff-shift-{shift.pk}").inner_text()
    axe_check(page)

    go(page, "/volunteers/hours/pending/")
    card = page.get_by_test_id(f"pending-{entry.pk}")
    assert zh("Needs review") in card.inner_text()
    with page.expect_navigation():
        card.locator("[type=submit][name=reject]").click()
    assert error_for(page, f"r{entry.pk}-note") == zh("Say why these hours are rejected.")
    axe_check(page)
    page.locator(f"[name=r{entry.pk}-note]").fill("当天未到岗")
    with page.expect_navigation():
        page.get_by_test_id(f"pending-{entry.pk}").locator("[type=submit][name=reject]").click()
    entry.refresh_from_db()
    assert entry.status == "rejected" and entry.decision_note == "当天未到岗"
    axe_check(page)


def test_shift_and_hours_pages_in_elder_mode_on_a_small_phone(phone_page, sign_in):
    from portal.volunteers.services import hours_credit

    user = UserFactory(role=Role.VOLUNTEER, name="陈志愿", elder_mode=True)
    profile = VolunteerProfileFactory(person=PersonFactory(name="陈志愿", user=user))
    start = timezone.now() + 20 * datetime.timedelta(minutes=1)
    session = SessionFactory(
        activity=ActivityFactory(title="迷你马拉松"), starts_at=start, ends_at=start + 3 * H
    )
    mine = Shift.objects.create(
        session=session, role="3号补给站", slots=2, starts_at=start, ends_at=start + 2 * H
    )
    Shift.objects.create(
        session=session,
        role="终点检录（长名称的岗位说明）",
        slots=6,
        starts_at=start + 2 * H,
        ends_at=start + 3 * H,
    )
    ShiftSignup.objects.create(shift=mine, volunteer=profile)
    hours_credit(volunteer=profile, date=timezone.localdate(), hours=2, description="迷你马拉松 · 3号补给站")

    page = phone_page
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, user)
    for path in ("/activities/shifts/", "/volunteers/hours/"):
        go(page, path)
        assert "elder-mode" in (page.locator("body").get_attribute("class") or "")
        assert page.locator("h1").count() == 1
        assert_fits_width(page)
        axe_check(page)
    go(page, "/activities/shifts/")
    assert page.get_by_test_id("check-in").is_visible()
