"""An axe scan of every page of the accounts, community and notify work, as the role that uses it.

Each page is opened in a fresh browser context, signed out or signed in as its user, and must answer
200, show its one h1 (and, for pages with results, the expected row), and have no axe violation of
impact serious or critical and no Content Security Policy refusal.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse

from portal.accounts.models import Role
from portal.community import models as cm
from portal.community import services as community
from tests.accounts.factories import UserFactory
from tests.browser import E2E, assert_fits_width, axe_check, go
from tests.community.factories import GridFactory, HouseholdFactory, PersonFactory
from tests.notify.factories import InboxMessageFactory

pytestmark = E2E


@dataclass
class World:
    resident: object
    person: object
    child: object
    message: object
    grid_worker: object
    staff: object


@pytest.fixture
def world(db):
    """朱晓燕 lives in 炜建花苑 (grid 1) with her son; a grid worker and a community staff member."""
    grid = GridFactory(name="第一网格")
    household = HouseholdFactory(building__grid=grid, building__estate__name="炜建花苑", room="301")
    HouseholdFactory(building=household.building, room="302")
    resident = UserFactory(phone="+8613912340001", name="朱晓燕", email="zhu@example.cn")
    person = PersonFactory(name="朱晓燕", user=resident, household=household, phone="+8613912340001")
    child = community.dependent_add(
        actor=resident,
        kind=community.DependentKind.CHILD,
        name="王小明",
        gender=cm.Gender.MALE,
        birth_date=datetime.date(2016, 7, 1),
        minor_consent=True,
    )
    message = InboxMessageFactory(user=resident, subject="暑托班报名开始", body="暑期公益班下周一开始报名。")
    # Her claim for the flat next door waits for staff (it fills the claims page).
    community.household_claim_create(
        user=UserFactory(phone="+8613912340009", name="樊天英"),
        estate=household.building.estate,
        building_number=household.building.number,
        unit=household.unit,
        room="302",
    )
    grid_worker = UserFactory(phone="+8613912340002", name="陈网格", role=Role.GRID_WORKER, grid=grid)
    staff = UserFactory(
        phone="+8613912340003", name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True
    )
    return World(resident, person, child, message, grid_worker, staff)


# (test id, who is signed in, the path given the world, a text the page must show)
PAGES = [
    ("home", None, lambda w: reverse("home"), None),
    ("login", None, lambda w: reverse("account_login"), None),
    ("signup", None, lambda w: reverse("account_signup"), None),
    ("password-reset", None, lambda w: reverse("account_reset_password"), None),
    ("privacy-notice", None, lambda w: reverse("community:privacy_notice"), None),
    ("home-signed-in", "resident", lambda w: reverse("home"), None),
    ("profile", "resident", lambda w: reverse("accounts:profile"), None),
    ("phone-change", "resident", lambda w: reverse("account_change_phone"), None),
    ("password-change", "resident", lambda w: reverse("account_change_password"), None),
    ("email", "resident", lambda w: reverse("account_email"), None),
    ("my-family", "resident", lambda w: reverse("community:my_family"), "王小明"),
    ("claim-household", "resident", lambda w: reverse("community:claim_household"), None),
    ("add-dependent", "resident", lambda w: reverse("community:dependent_add"), None),
    ("person-edit", "resident", lambda w: reverse("community:person_edit", args=[w.child.pk]), None),
    ("consents", "resident", lambda w: reverse("community:consents", args=[w.child.pk]), None),
    (
        "emergency-contacts",
        "resident",
        lambda w: reverse("community:emergency_contacts", args=[w.person.pk]),
        None,
    ),
    ("health-details", "resident", lambda w: reverse("community:sensitive_edit", args=[w.person.pk]), None),
    ("inbox", "resident", lambda w: reverse("notify:inbox"), "暑托班报名开始"),
    ("inbox-message", "resident", lambda w: reverse("notify:message", args=[w.message.pk]), "暑期公益班"),
    ("notification-preferences", "resident", lambda w: reverse("notify:preferences"), None),
    ("mfa", "staff", lambda w: reverse("mfa_index"), None),
    ("mfa-totp-activate", "staff", lambda w: reverse("mfa_activate_totp"), None),
    ("workbench-search", "grid_worker", lambda w: reverse("community:workbench") + "?q=zhu", "朱晓燕"),
    (
        "person-detail",
        "grid_worker",
        lambda w: reverse("community:workbench_person", args=[w.person.pk]),
        "朱晓燕",
    ),
    ("claims", "staff", lambda w: reverse("community:claims"), "樊天英"),
    ("admin-index", "staff", lambda w: reverse("admin:index"), None),
    ("admin-person-changelist", "staff", lambda w: reverse("admin:community_person_changelist"), "朱晓燕"),
    (
        "admin-person-change",
        "staff",
        lambda w: reverse("admin:community_person_change", args=[w.person.pk]),
        None,
    ),
    ("admin-login", None, lambda w: reverse("admin:login"), None),
]


@pytest.mark.parametrize(("who", "path_for", "expect"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violations(page, sign_in, world, who, path_for, expect):
    if who:
        sign_in(page, getattr(world, who))
    path = path_for(world)
    go(page, path)
    if not path.startswith(reverse("admin:index")):  # Django's admin login page has no h1 of its own
        assert page.locator("h1").count() == 1, "a page has exactly one h1"
    if expect:
        assert page.locator("main").get_by_text(expect).first.is_visible(), f"{expect!r} is not on the page"
    axe_check(page)


# Elder mode (长辈版) on a phone: large type must not break contrast, labels or the layout (no sideways
# scrolling). The journey already covers "my family" in elder mode.
ELDER_PAGES = [
    ("home", None, lambda w: reverse("home")),
    ("signup", None, lambda w: reverse("account_signup")),
    ("add-dependent", "resident", lambda w: reverse("community:dependent_add")),
    ("consents", "resident", lambda w: reverse("community:consents", args=[w.child.pk])),
    ("inbox", "resident", lambda w: reverse("notify:inbox")),
]


@pytest.mark.parametrize(("who", "path_for"), [p[1:] for p in ELDER_PAGES], ids=[p[0] for p in ELDER_PAGES])
def test_page_in_elder_mode_on_a_phone_has_no_serious_accessibility_violations(
    phone_page, live_server, sign_in, world, who, path_for
):
    page = phone_page
    page.context.add_cookies([{"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": live_server.url}])
    if who:
        sign_in(page, getattr(world, who))
    go(page, path_for(world))
    assert "elder-mode" in (page.locator("body").get_attribute("class") or "").split()
    assert_fits_width(page)
    axe_check(page)


def test_error_pages_have_no_serious_accessibility_violations(page, sign_in, world):
    """What a resident sees when she follows a link she may not: the 404 and 403 pages pass axe too."""
    other = UserFactory(phone="+8613912340005", name="郭玲")
    sign_in(page, other)
    go(page, reverse("community:person_edit", args=[world.child.pk]), status=404)
    axe_check(page)
    go(page, reverse("community:workbench"), status=403)
    axe_check(page)
