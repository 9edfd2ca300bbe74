"""Signing in through the login page with a mobile number and a password."""

from __future__ import annotations

from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go

pytestmark = E2E


def _fill_login(page, login: str, password: str):
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    with page.expect_navigation():
        form.locator("[type=submit]").last.click()


def test_resident_signs_in_with_her_mobile_number(page, live_server):
    user = UserFactory(phone="+8613912340011", name="郭玲")
    go(page, reverse("account_login"))
    _fill_login(page, "139 1234 0011", "correct-horse-42")
    assert page.url == live_server.url + reverse("home")
    profile_link = page.locator(f'#mainNav a[href="{reverse("accounts:profile")}"]')
    assert profile_link.inner_text().strip() == user.name
    axe_check(page)


def test_wrong_password_is_refused_with_an_error_on_the_form(page):
    UserFactory(phone="+8613912340012")
    go(page, reverse("account_login"))
    _fill_login(page, "13912340012", "not-the-password")
    assert page.url.endswith(reverse("account_login")), page.url
    assert page.locator(".alert-danger, .invalid-feedback, .errorlist").first.is_visible()
    assert page.locator(f'a[href="{reverse("accounts:profile")}"]').count() == 0
    axe_check(page)
