"""A form sent without a valid CSRF token gets the portal's own page: 403, in Chinese (or the visitor's
language), in the site's layout, in elder mode for those who chose it; not Django's English one."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import UserFactory

EXPIRED_ZH = "页面已过期"


@pytest.fixture
def strict():
    return Client(enforce_csrf_checks=True)


def test_a_post_without_a_token_gets_the_portals_page_in_chinese(strict, db):
    response = strict.post(reverse("elder_mode"), {"on": "1"})
    assert response.status_code == 403
    html = response.content.decode()
    assert EXPIRED_ZH in html and "请返回上一页，刷新页面后重新提交" in html
    assert 'lang="zh-Hans"' in html and 'id="main"' in html  # the portal's layout
    assert "CSRF verification failed" not in html and "Forbidden" not in html
    assert "elder-mode" not in html.split("<body", 1)[1].split(">", 1)[0]
    assert response["Cache-Control"] == "no-store"


def test_the_page_keeps_elder_mode(strict, db):
    strict.cookies[settings.ELDER_MODE_COOKIE] = "1"
    response = strict.post(reverse("elder_mode"), {"on": "0"})
    assert response.status_code == 403
    body_tag = response.content.decode().split("<body", 1)[1].split(">", 1)[0]
    assert 'class="elder-mode"' in body_tag


def test_a_signed_in_elder_gets_elder_mode_from_her_account(strict, db):
    strict.force_login(UserFactory(elder_mode=True))
    response = strict.post(reverse("elder_mode"), {"on": "1"})
    assert response.status_code == 403
    assert 'class="elder-mode"' in response.content.decode().split("<body", 1)[1].split(">", 1)[0]


def test_the_page_speaks_the_visitors_language(strict, db):
    strict.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = strict.post(reverse("elder_mode"), {"on": "1"})
    assert response.status_code == 403
    assert "The page has expired" in response.content.decode()


def test_a_sign_in_without_a_token_is_refused_with_the_same_page(strict, db):
    response = strict.post(reverse("account_login"), {"login": "13800000001", "password": "x"})
    assert response.status_code == 403
    assert EXPIRED_ZH in response.content.decode()


def test_a_post_with_its_token_still_goes_through(strict, db):
    strict.get(reverse("home"))
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    response = strict.post(reverse("elder_mode"), {"on": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
