"""The staff dashboard in a browser: staff open it from the menu, change the period and read the figures;
a grid worker reads her grid's figures on a phone; a reversed period is an error at the field."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import Area, CapacityUnit
from events.services import booking_create_on_behalf, checkin_ticket
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go, open_staff_menu, submit
from tests.community.factories import HouseholdFactory, PersonFactory
from tests.events.conftest import ensure_message_templates
from tests.events.factories import ActivityFactory, SessionFactory, in_days

pytestmark = E2E


def _marathon_with_attendance():
    """Two families from two grids came to a family activity 40 days ago (outside this month): booked and
    checked in, then the session is moved back (a session counts as held only once it has started)."""
    ensure_message_templates()
    staff = UserFactory(phone="+8613912340061", name="陈善惠", role=Role.COMMUNITY_STAFF)
    homes = [HouseholdFactory(), HouseholdFactory()]
    activity = ActivityFactory(
        organiser_user=staff, title="亲子迷你马拉松", capacity_unit=CapacityUnit.FAMILY, area=Area.COMMUNITY
    )
    session = SessionFactory(activity=activity, capacity=300, starts_at=in_days(40, hour=9))
    for home, size in zip(homes, (3, 2), strict=True):
        persons = [PersonFactory(household=home) for _ in range(size)]
        booking = booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=persons)
        checkin_ticket(actor=staff, session=session, token=booking.token)
    session.starts_at = in_days(-40, hour=9)
    session.ends_at = session.starts_at + datetime.timedelta(hours=3)
    session.save(update_fields=["starts_at", "ends_at"])
    return staff, homes, session


def _value(page, area: str, key: str) -> str:
    return (
        page.get_by_test_id(f"area-{area}")
        .get_by_test_id(f"figure-{key}")
        .get_by_test_id("value")
        .inner_text()
    )


def test_staff_open_the_dashboard_change_the_period_and_see_the_figures(page, sign_in):
    staff, _homes, session = _marathon_with_attendance()
    sign_in(page, staff)
    go(page, "/")
    with translation.override("zh-hans"):
        link_text = gettext("Dashboard")
        reversed_error = gettext("The end of the period cannot come before its start.")
    open_staff_menu(page)
    with page.expect_navigation():
        page.locator("nav").get_by_role("link", name=link_text).click()
    assert page.url.endswith(reverse("reports:dashboard"))
    axe_check(page)
    assert _value(page, "all", "events.attendance") == "0"  # this month: nothing held yet

    day = session.local_date.isoformat()
    page.fill("input[name=start]", day)
    page.fill("input[name=end]", day)
    submit(page, "start")
    assert _value(page, "all", "events.attendance") == "5"  # person-times: three and two
    assert _value(page, "community", "events.bookings") == "2"
    axe_check(page)

    page.fill("input[name=start]", day)
    page.fill("input[name=end]", (session.local_date - datetime.timedelta(days=3)).isoformat())
    submit(page, "end")
    assert reversed_error in error_for(page, "end")
    assert page.get_by_test_id("area-all").count() == 0
    axe_check(page)


def test_a_grid_worker_reads_her_grids_figures_on_a_phone(phone_page, sign_in):
    _staff, homes, session = _marathon_with_attendance()
    worker = UserFactory(
        phone="+8613912340062", name="周敏", role=Role.GRID_WORKER, grid=homes[1].building.grid
    )
    sign_in(phone_page, worker)
    go(phone_page, "/")
    open_staff_menu(phone_page)
    with translation.override("zh-hans"):
        link_text = gettext("Dashboard")
    with phone_page.expect_navigation():
        phone_page.locator("nav").get_by_role("link", name=link_text).click()
    day = session.local_date.isoformat()
    phone_page.fill("input[name=start]", day)
    phone_page.fill("input[name=end]", day)
    submit(phone_page, "start")
    assert phone_page.locator("select[name=grid]").count() == 0
    assert _value(phone_page, "all", "events.attendance") == "2"  # her grid's family only
    assert homes[1].building.grid.name in phone_page.get_by_test_id("dashboard-scope").inner_text()
    assert_fits_width(phone_page)
    axe_check(phone_page)
