"""One setting: elder mode and the language chosen on the browser are kept on the account, and the profile shows
what is in force (issue 9)."""

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, phone="13900000001"):
    response = client.post(reverse("account_login"), {"login": phone, "password": "correct-horse-42"})
    assert response.status_code == 302, response.content
    return response


def test_elder_mode_chosen_before_signing_in_is_saved_to_the_profile(client, settings):
    user = UserFactory(phone="+8613900000001", elder_mode=False)
    client.cookies[settings.ELDER_MODE_COOKIE] = "1"
    response = _sign_in(client)
    user.refresh_from_db()
    assert user.elder_mode is True
    assert response.cookies[settings.ELDER_MODE_COOKIE].value == "1"


def test_elder_mode_turned_off_before_signing_in_is_saved_too(client, settings):
    user = UserFactory(phone="+8613900000001", elder_mode=True)
    client.cookies[settings.ELDER_MODE_COOKIE] = "0"
    _sign_in(client)
    user.refresh_from_db()
    assert user.elder_mode is False


def test_without_a_choice_on_this_browser_the_account_setting_is_put_in_force(client, settings):
    UserFactory(phone="+8613900000001", elder_mode=True, language="en")
    response = _sign_in(client)
    assert response.cookies[settings.ELDER_MODE_COOKIE].value == "1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_profile_ticks_elder_mode_when_the_page_is_in_elder_mode(client, settings):
    user = UserFactory(elder_mode=False)
    client.force_login(user)
    client.cookies[settings.ELDER_MODE_COOKIE] = "1"
    response = client.get(reverse("accounts:profile"))
    assert 'class="elder-mode"' in response.content.decode()
    assert response.context["form"]["elder_mode"].value() is True


def test_the_profile_says_english_when_the_site_is_in_english_by_her_choice(client, settings):
    user = UserFactory(language="")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("accounts:profile"))
    assert response.context["form"]["language"].value() == "en"
    assert 'value="en" selected' in response.content.decode()


def test_choosing_a_language_in_the_switcher_while_signed_in_saves_it_to_the_profile(client, settings):
    user = UserFactory(language="")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"


def test_the_switcher_signed_out_changes_no_account(client):
    user = UserFactory(language="")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == ""


def test_a_language_chosen_before_signing_in_is_saved_to_the_profile(client, settings):
    user = UserFactory(phone="+8613900000001", language="zh-hans")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _sign_in(client)
    user.refresh_from_db()
    assert user.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_saving_the_profile_sets_both_cookies(client, settings):
    user = UserFactory(elder_mode=True, language="en")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"name": user.name, "language": "", "elder_mode": ""})
    assert response.status_code == 302
    assert response.cookies[settings.ELDER_MODE_COOKIE].value == "0"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted: follow the browser
