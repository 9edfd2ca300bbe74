"""Elder classes and clinics (elders:classes) in a browser, in Chinese: a daughter finds the smartphone class
from the home page on her phone and reaches its booking page; staff read booked against checked in for the
sessions held and open a roster. Every page scanned with axe, also in elder mode at 390 px and in English
(``axe_check``)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from events.models import RegistrationScope
from events.services import booking_create_on_behalf, checkin_ticket
from portal.accounts.models import Role
from portal.community.models import Relation, RelationKind
from tests.accounts.factories import UserFactory
from tests.browser import E2E, assert_fits_width, axe_check, go, open_menu
from tests.community.factories import HouseholdFactory, OrganizationFactory, PersonFactory
from tests.elders.factories import ElderFactory
from tests.events.conftest import ensure_message_templates
from tests.events.factories import ActivityFactory, SessionFactory, in_days

pytestmark = E2E


def _zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


def _classes():
    """A smartphone course (two lessons held, one to come) and the health station's clinic (one held, one
    to come), with people booked and checked in through the engine."""
    ensure_message_templates()
    staff = UserFactory(phone="+8613912340071", name="陈善惠", role=Role.COMMUNITY_STAFF)
    centre = OrganizationFactory(name="中兴街道社区卫生服务中心")
    phone_class = ActivityFactory(
        title="智能助老课堂·手机移动支付",
        organiser_user=staff,
        area="elders",
        min_age=60,
        registration_scope=RegistrationScope.COURSE,
        capacity=20,
        booking_opens_at=in_days(-30),
        booking_closes_at=in_days(20),
    )
    clinic = ActivityFactory(
        title="便民服务驿站·健康义诊",
        organiser_org=centre,
        organiser_user=None,
        area="elders",
        min_age=60,
        place="永兴社区便民服务驿站",
        booking_opens_at=in_days(-60),
        booking_closes_at=in_days(40),
    )
    home = HouseholdFactory()
    elders = [ElderFactory(household=home, name=n) for n in ("郭玲", "王秀英", "周德胜")]
    # The lessons and the clinic are made in the future (the engine books only what is to come), then moved
    # back to when they took place.
    lessons = [SessionFactory(activity=phone_class, starts_at=in_days(d, hour=14)) for d in (1, 2, 9)]
    held_clinic = SessionFactory(activity=clinic, starts_at=in_days(3, hour=9), capacity=80)
    SessionFactory(activity=clinic, starts_at=in_days(12, hour=9), capacity=80)
    course_bookings = [
        booking_create_on_behalf(staff=staff, activity=phone_class, persons=[p], session=None) for p in elders
    ]
    clinic_booking = booking_create_on_behalf(
        staff=staff, activity=clinic, session=held_clinic, persons=elders[:2]
    )
    for booking in course_bookings[:2]:
        checkin_ticket(actor=staff, session=lessons[0], token=booking.token)
    checkin_ticket(actor=staff, session=lessons[1], token=course_bookings[0].token)
    checkin_ticket(actor=staff, session=held_clinic, token=clinic_booking.token)
    for session, days_ago in ((lessons[0], 14), (lessons[1], 7), (held_clinic, 20)):
        session.starts_at = timezone.now() - datetime.timedelta(days=days_ago)
        session.ends_at = session.starts_at + datetime.timedelta(hours=2)
        session.save(update_fields=["starts_at", "ends_at"])
    return staff, phone_class, clinic, lessons


def test_a_daughter_finds_the_smartphone_class_on_her_phone_and_reaches_its_booking(phone_page, sign_in):
    _staff, phone_class, clinic, _lessons = _classes()
    daughter = UserFactory(phone="+8613912340072", name="朱晓燕", role=Role.RESIDENT)
    me = PersonFactory(name="朱晓燕", user=daughter, birth_date=datetime.date(1988, 3, 1))
    mother = ElderFactory(name="王母")
    Relation.objects.create(subject=me, relative=mother, kind=RelationKind.CARER)
    page = phone_page
    # The suite's 10 s is for a quiet machine; this journey's first page (the home page, with the first
    # request of the live server) has timed out on a shared machine under heavy load.
    page.set_default_timeout(30_000)
    sign_in(page, daughter)
    go(page, "/")
    # The home page's Elders card leads into the area, and the area to its classes.
    with page.expect_navigation():
        page.get_by_test_id("service-elders").get_by_role("link").click()
    assert page.url.endswith(reverse("elders:index"))
    with page.expect_navigation():
        page.get_by_role("link", name=_zh("Classes and clinics")).first.click()
    assert page.url.endswith(reverse("elders:classes"))
    assert page.get_by_role("heading", level=1).inner_text() == _zh("Classes and clinics for elders")
    assert_fits_width(page)
    cards = page.get_by_test_id("elder-classes")
    assert cards.get_by_role("heading", name="智能助老课堂·手机移动支付").is_visible()
    assert cards.get_by_role("heading", name="便民服务驿站·健康义诊").is_visible()
    assert page.get_by_test_id("attendance").count() == 0  # a resident: no attendance
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id(f"book-{phone_class.pk}").click()
    assert page.url.endswith(reverse("events:detail", args=[phone_class.pk]))
    assert clinic.pk


def test_staff_read_booked_against_checked_in_and_open_a_roster(page, sign_in):
    staff, phone_class, _clinic, lessons = _classes()
    sign_in(page, staff)
    go(page, reverse("elders:classes"))
    open_menu(page)
    table = page.get_by_test_id("attendance-table")
    rows = table.get_by_test_id("attendance-row")
    assert rows.count() == 3  # two lessons and the clinic, latest first
    first = rows.nth(0)
    assert "智能助老课堂·手机移动支付" in first.inner_text()
    assert first.get_by_test_id("booked").inner_text() == "3"  # the course's places
    assert first.get_by_test_id("checked-in").inner_text() == "1"
    assert rows.nth(1).get_by_test_id("checked-in").inner_text() == "2"
    clinic_row = rows.nth(2)
    assert clinic_row.get_by_test_id("booked").inner_text() == "2"
    assert clinic_row.get_by_test_id("checked-in").inner_text() == "2"
    totals = page.get_by_test_id("attendance-totals").inner_text()
    assert "智能助老课堂·手机移动支付" in totals
    axe_check(page)
    with page.expect_navigation():
        first.get_by_role("link").click()
    assert page.url.endswith(reverse("events:roster", args=[lessons[1].pk]))
    assert phone_class.pk


def test_signed_out_in_english_the_page_lists_what_is_coming(page, live_server, settings):
    _classes()
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    go(page, reverse("elders:classes"))
    assert page.get_by_role("heading", level=1).inner_text() == "Classes and clinics for elders"
    assert (
        page.get_by_test_id("elder-classes").get_by_role("heading", name="便民服务驿站·健康义诊").is_visible()
    )
    axe_check(page)
