"""Password reset by a code sent by SMS or by e-mail; the answer never reveals whether an account exists."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from portal.accounts.forms import INVALID_LOGIN
from portal.accounts.models import User
from tests.accounts.conftest import last_code
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Bright-lantern-77"


def _request_reset(client, login):
    return client.post(reverse("account_reset_password"), {"email": login})


def _finish_reset(client, code):
    response = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert response.status_code == 302, response.content
    assert response.url == reverse("account_complete_password_reset")
    return client.post(
        reverse("account_complete_password_reset"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )


def _normalised(response, phone):
    from portal.accounts.templatetags.phones import phone_masked

    html = response.content.decode().replace(phone, "PHONE").replace(phone_masked(phone), "PHONE")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_reset_page_renders(client):
    response = client.get(reverse("account_reset_password"))
    assert response.status_code == 200


def test_reset_by_phone_code(client, sms_outbox):
    user = UserFactory(phone="+8613900000001")
    response = _request_reset(client, "139 0000 0001")
    assert response.status_code == 302
    assert response.url == reverse("account_confirm_password_reset_code")
    code = last_code(sms_outbox, "+8613900000001")
    assert code.isdigit() and len(code) == 6
    assert mail.outbox == []

    page = client.get(reverse("account_confirm_password_reset_code"))
    assert page.status_code == 200
    assert "+8613900000001" in page.content.decode()

    response = _finish_reset(client, code)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # and the new password signs in by phone
    client.logout()
    response = client.post(reverse("account_login"), {"login": "13900000001", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_reset_by_email_code(client, sms_outbox):
    from allauth.account.models import EmailAddress

    user = UserFactory(email="li@example.com")
    EmailAddress.objects.create(user=user, email="li@example.com", primary=True, verified=True)
    response = _request_reset(client, "li@example.com")
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@example.com"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    assert sms_outbox == []
    _finish_reset(client, code)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_wrong_reset_code_is_refused_at_the_field(client, sms_outbox):
    user = UserFactory(phone="+8613900000001")
    _request_reset(client, "13900000001")
    code = last_code(sms_outbox)
    response = client.post(
        reverse("account_confirm_password_reset_code"), {"code": "000000" if code != "000000" else "111111"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    user.refresh_from_db()
    assert user.check_password("correct-horse-42")


def test_reset_code_cannot_be_used_twice(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    _request_reset(client, "13900000001")
    code = last_code(sms_outbox)
    _finish_reset(client, code)
    client.logout()
    response = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("account_login")


def test_expired_reset_code_is_refused_at_the_field(client, sms_outbox, settings):
    import time
    from unittest import mock

    user = UserFactory(phone="+8613900000001")
    _request_reset(client, "13900000001")
    code = last_code(sms_outbox)
    with mock.patch("time.time", return_value=time.time() + settings.ACCOUNT_CODE_VALIDITY + 60):
        response = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["code"]] == ["expired"]
    user.refresh_from_db()
    assert user.check_password("correct-horse-42")


def test_malformed_reset_login_gets_an_error_at_the_field(client, sms_outbox):
    from django.utils import translation

    with translation.override("en"):
        response = _request_reset(client, "12345")
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [str(INVALID_LOGIN)]
    assert sms_outbox == []


def test_reset_for_unknown_phone_reveals_nothing_and_sends_nothing(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    known = _request_reset(client, "13900000001")
    other = client.__class__()
    unknown = _request_reset(other, "13900000002")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    page_known = client.get(known.url)
    page_unknown = other.get(unknown.url)
    assert page_known.status_code == page_unknown.status_code == 200
    assert _normalised(page_known, "+8613900000001") == _normalised(page_unknown, "+8613900000002")
    assert [m["phone"] for m in sms_outbox] == ["+8613900000001"]


def test_reset_for_unknown_email_reveals_nothing(client):
    known_user = UserFactory(email="li@example.com")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=known_user, email="li@example.com", primary=True, verified=True)
    known = _request_reset(client, "li@example.com")
    unknown = _request_reset(client.__class__(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert User.objects.count() == 1


def test_reset_requests_are_rate_limited_per_number(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    _request_reset(client, "13900000001")
    second = _request_reset(client.__class__(), "13900000001")
    assert second.status_code == 429
    assert len(sms_outbox) == 1
