"""The portal's own refusal pages in a real browser: "too many attempts" (429) and "page expired" (CSRF).

Each is reached the way a resident reaches it, in the portal's layout and in Chinese, in elder mode too, and
passes the axe scan.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go

pytestmark = E2E


def _try_password(page, phone: str, password: str):
    page.fill("#id_login", phone)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("elder_mode", [False, True], ids=["standard", "elder-mode"])
def test_too_many_sign_in_attempts_say_how_long_to_wait(page, live_server, settings, elder_mode):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "1/m/ip"}
    if elder_mode:
        page.context.add_cookies([{"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": live_server.url}])
    UserFactory(phone="+8613912340077")
    go(page, reverse("account_login"))
    _try_password(page, "13912340077", "not-her-password")
    with page.expect_response(lambda r: r.url.endswith(reverse("account_login"))) as answer:
        _try_password(page, "13912340077", "not-her-password")
    assert answer.value.status == 429
    text = page.locator("main").inner_text()
    assert "秒后再试" in text, text
    assert page.locator("nav.navbar").count() >= 1, "the portal's own layout"
    classes = (page.locator("body").get_attribute("class") or "").split()
    assert ("elder-mode" in classes) is elder_mode
    axe_check(page)


@pytest.mark.parametrize("elder_mode", [False, True], ids=["standard", "elder-mode"])
def test_a_form_sent_after_its_token_went_stale_gets_the_portals_page(page, live_server, elder_mode):
    UserFactory(phone="+8613912340078")
    go(page, reverse("account_login"))
    # The CSRF cookie is gone (cleared, another window signed out): the form's token no longer matches.
    page.context.clear_cookies()
    if elder_mode:
        page.context.add_cookies([{"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": live_server.url}])
    with page.expect_response(lambda r: r.url.endswith(reverse("account_login"))) as answer:
        _try_password(page, "13912340078", "whatever-it-is")
    assert answer.value.status == 403
    assert "页面已过期" in page.locator("h1").inner_text()
    classes = (page.locator("body").get_attribute("class") or "").split()
    assert ("elder-mode" in classes) is elder_mode
    axe_check(page)
