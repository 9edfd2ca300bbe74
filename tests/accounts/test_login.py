"""Signing in by mobile number or e-mail, with a password or a one-time code."""

import pytest
from django.urls import reverse

from portal.accounts.forms import INVALID_LOGIN
from tests.accounts.conftest import last_code
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # UserFactory's


def _login(client, login, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def _signed_in_as(client):
    from django.contrib.auth import get_user

    user = get_user(client)
    return user if user.is_authenticated else None


def test_login_page_renders(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert 'name="login"' in response.content.decode()


@pytest.mark.parametrize("typed", ["13900000001", "139 0000 0001", "+86 139-0000-0001"])
def test_login_by_phone_and_password(client, typed):
    user = UserFactory(phone="+8613900000001")
    response = _login(client, typed)
    assert response.status_code == 302
    assert _signed_in_as(client) == user


def test_login_by_email_and_password(client):
    user = UserFactory(email="zhang@example.com")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email="zhang@example.com", primary=True, verified=True)
    response = _login(client, "Zhang@Example.com")
    assert response.status_code == 302
    assert _signed_in_as(client) == user


def test_wrong_password_is_refused(client):
    UserFactory(phone="+8613900000001")
    response = _login(client, "13900000001", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert _signed_in_as(client) is None


def test_malformed_login_gets_an_error_at_the_field(client):
    from django.utils import translation

    with translation.override("en"):
        response = _login(client, "12345")
    assert response.status_code == 200
    assert response.context["form"].errors["login"] == [str(INVALID_LOGIN)]


def test_unknown_and_known_numbers_get_the_same_error(client):
    UserFactory(phone="+8613900000001")
    known = _login(client, "13900000001", "wrong-password")
    unknown = _login(client, "13900000002", "wrong-password")
    assert known.context["form"].errors == unknown.context["form"].errors


def test_login_by_sms_code(client, sms_outbox):
    user = UserFactory(phone="+8613900000001")
    response = client.post(reverse("account_request_login_code"), {"phone": "139 0000 0001"})
    assert response.status_code == 302
    code = last_code(sms_outbox, "+8613900000001")
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert _signed_in_as(client) == user


def test_expired_login_code_is_refused_at_the_field(client, sms_outbox, settings):
    import time
    from unittest import mock

    UserFactory(phone="+8613900000001")
    client.post(reverse("account_request_login_code"), {"phone": "13900000001"})
    code = last_code(sms_outbox)
    with mock.patch("time.time", return_value=time.time() + settings.ACCOUNT_CODE_VALIDITY + 60):
        response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["code"]] == ["expired"]
    assert _signed_in_as(client) is None


def test_login_code_for_unknown_number_sends_nothing_and_reveals_nothing(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    known = client.post(reverse("account_request_login_code"), {"phone": "13900000001"})
    other = client.__class__()
    unknown = other.post(reverse("account_request_login_code"), {"phone": "13900000002"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert [m["phone"] for m in sms_outbox] == ["+8613900000001"]


def test_login_codes_are_rate_limited_per_number(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_request_login_code"), {"phone": "13900000001"})
    again = client.__class__().post(reverse("account_request_login_code"), {"phone": "139 0000 0001"})
    assert again.status_code == 200
    assert again.context["form"].errors["phone"]
    assert len(sms_outbox) == 1
