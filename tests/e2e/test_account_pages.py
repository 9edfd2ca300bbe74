"""The account pages in the browser: a wrong texted code, a new code asked for too soon, and a password reset by
SMS. The code leaves through the outbox after the page answered: the page says it is on its way."""

from __future__ import annotations

import re

from django.urls import reverse

from portal.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go, submit, texted_code

pytestmark = E2E


def test_a_wrong_code_is_refused_next_to_the_field_and_the_right_one_verifies(page, sms_outbox):
    go(page, reverse("account_signup"))
    page.fill("input[name=name]", "郭玲")
    page.fill("input[name=phone]", "139 1234 0021")
    page.fill("input[name=password1]", "Lantern-by-the-river-8")
    page.fill("input[name=password2]", "Lantern-by-the-river-8")
    submit(page, "password1")
    assert page.url.endswith(reverse("account_verify_phone")), page.url
    assert "139 **** 0021" in page.locator("[data-testid=code-on-its-way]").inner_text()
    axe_check(page)
    # The wait counts down in the page (static/js/portal.js), the number in the sentence with it.
    wait = page.locator("[data-testid=resend-wait]")
    first = int(wait.get_attribute("data-resend-after"))
    assert 30 <= first <= 60  # a minute, less the time the sign-up page took under load
    page.wait_for_function(
        "n => Number(document.querySelector('[data-testid=resend-wait]').dataset.resendAfter) < n", arg=first
    )
    left = int(wait.get_attribute("data-resend-after"))
    assert left < first and str(left) in wait.inner_text()

    # A new code within the minute: the button is there (no script needed), the server says how long to wait.
    with page.expect_navigation():
        page.locator("button[form=resend]").click()
    assert page.url.endswith(reverse("account_verify_phone")), page.url
    assert re.search(r"请\d+秒后再试", page.locator("main").inner_text())
    assert len(sms_outbox) == 1
    axe_check(page)

    code = texted_code(sms_outbox, "13912340021")
    wrong = "000000" if code != "000000" else "111111"
    page.fill("input[name=code]", wrong)
    submit(page, "code")
    assert page.url.endswith(reverse("account_verify_phone")), page.url
    assert error_for(page, "code")
    assert not User.objects.get(phone="+8613912340021").phone_verified
    axe_check(page)

    page.fill("input[name=code]", code)
    submit(page, "code")
    assert User.objects.get(phone="+8613912340021").phone_verified


def test_resident_resets_her_password_with_a_texted_code(page, sms_outbox):
    user = UserFactory(phone="+8613912340031", name="樊天英")
    go(page, reverse("account_reset_password"))
    page.fill("input[name=email]", "13912340031")
    submit(page, "email")
    assert page.url.endswith(reverse("account_confirm_password_reset_code")), page.url
    assert "139 **** 0031" in page.locator("[data-testid=code-on-its-way]").inner_text()
    axe_check(page)

    page.fill("input[name=code]", texted_code(sms_outbox, "+8613912340031"))
    submit(page, "code")
    assert page.url.endswith(reverse("account_complete_password_reset")), page.url
    axe_check(page)

    page.fill("input[name=password1]", "Opera-on-tuesday-61")
    page.fill("input[name=password2]", "Opera-on-tuesday-61")
    submit(page, "password1")
    axe_check(page)
    user.refresh_from_db()
    assert user.check_password("Opera-on-tuesday-61")


def test_signing_up_with_a_number_that_is_not_a_mainland_mobile_is_refused(page, sms_outbox):
    go(page, reverse("account_signup"))
    page.fill("input[name=name]", "郭玲")
    page.fill("input[name=phone]", "010 1234 5678")  # a Beijing landline
    page.fill("input[name=password1]", "Lantern-by-the-river-8")
    page.fill("input[name=password2]", "Lantern-by-the-river-8")
    submit(page, "password1")
    assert page.url.endswith(reverse("account_signup")), page.url
    assert error_for(page, "phone")
    assert page.locator("input[name=name]").input_value() == "郭玲", "what she typed is kept"
    axe_check(page)
    assert not User.objects.exists()
    assert sms_outbox == []
