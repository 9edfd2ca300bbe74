"""The issue's first journey, on a phone-sized screen.

A mother signs up with her mobile number and the code texted to her, adds her son on the "my family"
pages, switches the portal to English and to elder mode; every page she sees passes the axe scan.
"""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.models import User
from portal.community import models as cm
from tests.browser import E2E, assert_fits_width, axe_check, go, open_menu, submit, texted_code

pytestmark = E2E

PHONE = "13912345678"
PASSWORD = "Morning-and-evening-42"


def test_resident_signs_up_adds_a_child_and_switches_to_english_elder_mode(phone_page, sms_outbox):
    page = phone_page

    # The home page (in Chinese, the default), then "Sign up" from the (collapsed) menu.
    go(page, "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    axe_check(page)
    open_menu(page)
    with page.expect_navigation():
        page.locator(f'#mainNav a[href="{reverse("account_signup")}"]').click()
    axe_check(page)

    # Sign up with a mobile number and a password.
    page.fill("input[name=name]", "朱晓燕")
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    submit(page, "password1")

    # The phone verification page: the code is on its way by SMS (the outbox sends it after the page answered).
    assert page.url.endswith(reverse("account_verify_phone")), page.url
    assert "139 **** 5678" in page.locator("[data-testid=code-on-its-way]").inner_text()
    axe_check(page)
    page.fill("input[name=code]", texted_code(sms_outbox, "+86" + PHONE))
    submit(page, "code")
    user = User.objects.get(phone="+86" + PHONE)
    assert user.phone_verified
    # She is signed in: her name is in the menu.
    open_menu(page)
    assert page.locator(f'#mainNav a[href="{reverse("accounts:profile")}"]').inner_text().strip() == "朱晓燕"
    axe_check(page)

    # My family, from the menu: add a child.
    family_url = reverse("community:my_family")
    add_url = reverse("community:dependent_add")
    with page.expect_navigation():
        page.locator(f'#mainNav a[href="{family_url}"]').click()
    axe_check(page)
    with page.expect_navigation():
        page.locator(f'main a[href^="{add_url}"]').first.click()
    axe_check(page)
    page.check("input[name=kind][value=child]")
    page.fill("input[name=name]", "王小明")
    # The date of birth as year, month and day, each box found by its label (年/月/日).
    page.get_by_label("年", exact=True).fill("2016")
    page.get_by_label("月", exact=True).fill("7")
    page.get_by_label("日", exact=True).fill("1")
    # He is under 14: his details are kept only with her consent as his guardian (PIPL art. 31).
    page.check("input[name=minor_consent]")
    submit(page, "birth_date_year")
    assert page.url.endswith(family_url), page.url
    assert page.get_by_text("王小明").first.is_visible()
    assert_fits_width(page)
    axe_check(page)
    child = cm.Person.objects.get(name="王小明")
    assert cm.Relation.objects.filter(
        subject__user=user, relative=child, kind=cm.RelationKind.GUARDIAN
    ).exists()
    assert child.consents.active().filter(purpose=cm.ConsentPurpose.MINOR, given_as_guardian=True).exists()

    # English, then elder mode, from the navbar.
    open_menu(page)
    with page.expect_navigation():
        page.get_by_test_id("language-switch").click()
    assert page.locator("html").get_attribute("lang") == "en"
    open_menu(page)
    assert page.locator(f'#mainNav a.nav-link[href="{reverse("home")}"]').inner_text().strip() == "Home"
    assert page.locator("#mainNav").get_by_text("My family").is_visible()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_test_id("elder-mode-toggle").click()
    assert "elder-mode" in (page.locator("body").get_attribute("class") or "").split()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith(family_url), page.url
    user.refresh_from_db()
    assert user.elder_mode, "elder mode is remembered on her account"
    open_menu(page)
    assert page.locator("#mainNav").get_by_text("My family").is_visible()
    assert page.get_by_text("王小明").first.is_visible()
    assert_fits_width(page)
    axe_check(page)
