"""A staff member opens /admin/: she signs in through the portal's sign-in page, then with the code of her
authenticator app (TOTP), and reaches the admin index. The password alone does not get her in."""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory, totp_code
from tests.browser import E2E, axe_check, submit

pytestmark = E2E


def test_staff_signs_in_to_the_admin_with_her_authenticator_code(page, live_server):
    UserFactory(
        phone="+8613912340061", name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True
    )

    page.goto("/admin/")
    # The admin's own password-only form is gone: the portal's sign-in page, with the way back.
    assert page.url.startswith(live_server.url + reverse("account_login")), page.url
    assert "next=%2Fadmin%2F" in page.url
    axe_check(page)
    page.fill("input[name=login]", "139 1234 0061")
    page.fill("input[name=password]", "correct-horse-42")
    submit(page, "password")

    # The password is not enough: the code from her authenticator app.
    assert page.url == live_server.url + reverse("mfa_authenticate"), page.url
    axe_check(page)
    # Trying the admin again only leads back here.
    assert page.goto("/admin/").url == live_server.url + reverse("mfa_authenticate")
    page.fill("input[name=code]", totp_code())
    submit(page, "code")

    assert page.url == live_server.url + "/admin/", page.url
    assert page.locator("#site-name").is_visible()
    assert page.locator(f'a[href="{reverse("admin:accounts_user_changelist")}"]').count() >= 1
    axe_check(page)
