"""axe-core scan of the registry pages in Chromium: no serious or critical violations, no CSP errors."""

import pytest
from django.conf import settings
from django.urls import reverse

from portal.community import services
from tests.community.factories import SensitiveProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(chromium_browser, live_server):
    """A fresh context on the suite's one Chromium (tests/browser.py)."""
    context = chromium_browser.new_context()
    page = context.new_page()
    yield context, page
    context.close()


def _login(context, client, live_server, user):
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _scan(page, url):
    from axe_playwright_python.sync_playwright import Axe

    csp_errors = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    response = page.goto(url)
    assert response.status == 200, url
    # The scan covers this app's content (<main>); the shared navbar is scanned with the base layout.
    results = Axe().run(page, context="#main")
    bad = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert not bad, f"{url}: " + "; ".join(
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in bad
    )
    assert not csp_errors, csp_errors
    assert page.locator("h1").count() == 1, url


def test_resident_pages_pass_axe(world, client, live_server, browser_page):
    context, page = browser_page
    services.consent_grant(actor=world.mum_user, person=world.granny, purpose="health")
    _login(context, client, live_server, world.mum_user)
    for name, args in [
        ("my_family", []),
        ("claim_household", []),
        ("dependent_add", []),
        ("person_edit", [world.son.pk]),
        ("consents", [world.son.pk]),
        ("emergency_contacts", [world.granny.pk]),
        ("sensitive_edit", [world.granny.pk]),
        ("privacy_notice", []),
    ]:
        _scan(page, live_server.url + reverse(f"community:{name}", args=args))
    # a form with errors, and elder mode
    page.goto(live_server.url + reverse("community:dependent_add"))
    page.get_by_label("My child", exact=True).check()
    page.locator("#id_name").fill("小小")
    page.locator("#id_birth_date_0").fill("2999")  # year, month, day: three boxes
    page.locator("#id_birth_date_1").fill("1")
    page.locator("#id_birth_date_2").fill("1")
    page.locator("#main form [type=submit]").click()
    page.locator(".invalid-feedback").first.wait_for()  # the answer page, however slow the machine
    assert page.locator(".invalid-feedback").count() >= 1
    context.add_cookies([{"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": live_server.url}])
    _scan(page, live_server.url + reverse("community:my_family"))


def test_staff_pages_pass_axe(world, client, live_server, browser_page):
    context, page = browser_page
    SensitiveProfileFactory(person=world.granny)
    services.household_claim_create(
        user=world.other_resident_user, estate=world.estate1, building_number="3", unit="1", room="601"
    )
    _login(context, client, live_server, world.staff)
    _scan(page, live_server.url + reverse("community:workbench") + "?q=zhang")
    _scan(
        page, live_server.url + reverse("community:workbench_person", args=[world.granny.pk]) + "?sensitive=1"
    )
    _scan(page, live_server.url + reverse("community:claims"))
