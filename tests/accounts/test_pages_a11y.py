"""Every account page (allauth's included) in a real browser: it renders in the portal layout, passes the
axe scan (no serious or critical violations), and breaks no Content Security Policy rule."""

import pytest
from django.urls import reverse

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go

pytestmark = E2E


def _submit(page_, *, server_side_only=False):
    if server_side_only:  # skip the browser's own checks so that the server's error messages show
        page_.eval_on_selector_all("main form", "forms => forms.forEach(f => { f.noValidate = true; })")
    page_.locator("main form button[type=submit]").first.click()
    page_.wait_for_load_state()


@pytest.mark.parametrize(
    "url_name", ["account_login", "account_signup", "account_reset_password", "account_request_login_code"]
)
def test_entrance_pages_with_errors_shown(page, url_name):
    go(page, reverse(url_name))
    assert page.locator("h1").count() == 1
    axe_check(page)
    # Submit something malformed: the page comes back with errors next to the fields, still accessible.
    first_text = page.locator("main form input[type=text], main form input[type=tel]").first
    if first_text.count():
        first_text.fill("12345")
    _submit(page, server_side_only=True)
    assert page.locator(".invalid-feedback, .alert-danger, .alert-block").count() >= 1
    axe_check(page)


def test_signup_then_verify_phone_page(page):
    go(page, reverse("account_signup"))
    page.fill("#id_name", "王秀英")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_password1", "Quiet-river-2046")
    page.fill("#id_password2", "Quiet-river-2046")
    _submit(page)
    assert page.url.endswith(reverse("account_verify_phone")), page.url
    assert page.locator("h1").count() == 1
    axe_check(page)
    page.fill("#id_code", "000000")
    _submit(page)
    axe_check(page)


def test_confirm_reset_code_page(page):
    UserFactory(phone="+8613900000001")
    go(page, reverse("account_reset_password"))
    page.fill("#id_email", "13900000001")
    _submit(page)
    assert page.url.endswith(reverse("account_confirm_password_reset_code")), page.url
    axe_check(page)


@pytest.mark.parametrize(
    "url_name",
    [
        "accounts:profile",
        "account_change_password",
        "account_change_phone",
        "account_email",
        "mfa_index",
        "mfa_activate_totp",
    ],
)
def test_signed_in_account_pages(page, sign_in, url_name):
    user = sign_in(page, UserFactory(role=Role.COMMUNITY_STAFF, totp=False))
    go(page, reverse(url_name))
    if "reauthenticate" in page.url:  # allauth asks for the password before security changes
        axe_check(page)
        page.fill("#id_password", "correct-horse-42")
        _submit(page)
        assert "reauthenticate" not in page.url
    assert page.locator("h1").count() == 1
    axe_check(page)
    assert user.pk


@pytest.mark.parametrize("url_name", ["mfa_index", "mfa_view_recovery_codes", "mfa_deactivate_totp"])
def test_two_factor_pages_once_turned_on(page, sign_in, url_name):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from tests.community.factories import GridFactory

    user = UserFactory(role=Role.GRID_WORKER, grid=GridFactory())  # with TOTP turned on (the factory's)
    RecoveryCodes.activate(user)
    sign_in(page, user)
    go(page, reverse(url_name))
    if "reauthenticate" in page.url:
        page.fill("#id_password", "correct-horse-42")
        _submit(page)
    assert page.locator("h1").count() == 1
    axe_check(page)
