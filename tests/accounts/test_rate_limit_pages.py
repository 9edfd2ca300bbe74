"""Every rate limit a person can run into answers in the portal's layout, translated, saying how long to
wait ("请60秒后再试"), never with a 500. One test per allauth rate-limited action."""

import re

import pytest
from django.urls import reverse

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # UserFactory's
WAIT = re.compile(r"请(\d+)(秒|分钟|小时)后再试")


def _wait(text: str) -> tuple[int, str]:
    match = WAIT.search(text)
    assert match, f"no 'try again in ...' in: {text[:2000]}"
    return int(match.group(1)), match.group(2)


def _tighten(settings, **limits):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, **limits}


def _assert_wait_page(response, *, at_most: tuple[int, str]):
    """A 429 page in the portal layout, saying to wait no longer than the limit's window."""
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="mainNav"' in html  # the portal's layout
    amount, unit = _wait(html)
    assert unit == at_most[1] and 0 < amount <= at_most[0]


def _form_text(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _messages(response) -> str:
    from django.contrib.messages import get_messages

    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_login(client, settings):
    _tighten(settings, login="1/m/ip")
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_login"), {"login": "13900000001", "password": "wrong"})
    _assert_wait_page(
        client.post(reverse("account_login"), {"login": "13900000001", "password": PASSWORD}),
        at_most=(60, "秒"),
    )


def test_login_failed(client):
    UserFactory(phone="+8613900000001")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "13900000001", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": "13900000001", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert 'id="mainNav"' in response.content.decode()
    amount, unit = _wait(_form_text(response))
    assert unit == "分钟" and 0 < amount <= 5


def test_signup(client, settings):
    _tighten(settings, signup="1/m/ip")
    data = {
        "name": "王秀英",
        "phone": "139 1234 5678",
        "email": "",
        "password1": "Quiet-river-2046",
        "password2": "x",
    }
    client.post(reverse("account_signup"), data)
    _assert_wait_page(client.post(reverse("account_signup"), data), at_most=(60, "秒"))


def test_reset_password(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_reset_password"), {"email": "13900000001"})
    again = client.__class__().post(reverse("account_reset_password"), {"email": "139 0000 0001"})
    _assert_wait_page(again, at_most=(60, "秒"))
    assert len(sms_outbox) == 1


def test_request_login_code(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_request_login_code"), {"phone": "13900000001"})
    again = client.__class__().post(reverse("account_request_login_code"), {"phone": "13900000001"})
    assert again.status_code == 200
    amount, unit = _wait(_form_text(again))
    assert unit == "秒" and 0 < amount <= 60
    assert len(sms_outbox) == 1


def test_verify_phone_new_user_signs_in_again_before_entering_her_code(client, sms_outbox):
    """The 500 of the issue: allauth raised RateLimited from the phone-verification step."""
    data = {
        "name": "王秀英",
        "phone": "139 1234 5678",
        "email": "",
        "password1": "Quiet-river-2046",
        "password2": "Quiet-river-2046",
    }
    assert client.post(reverse("account_signup"), data).status_code == 302
    again = client.__class__()
    response = again.post(reverse("account_login"), {"login": "13912345678", "password": "Quiet-river-2046"})
    _assert_wait_page(response, at_most=(60, "秒"))
    assert len(sms_outbox) == 1


def test_verify_phone_resend(client, sms_outbox):
    data = {
        "name": "王秀英",
        "phone": "139 1234 5678",
        "email": "",
        "password1": "Quiet-river-2046",
        "password2": "Quiet-river-2046",
    }
    client.post(reverse("account_signup"), data)
    response = client.post(reverse("account_verify_phone"), {"action": "resend"}, follow=True)
    assert response.status_code == 200
    amount, unit = _wait(response.content.decode())
    assert unit == "秒" and 0 < amount <= 60
    assert len(sms_outbox) == 1


def test_change_phone(client, sms_outbox):
    client.force_login(UserFactory(phone="+8613900000001"))
    client.post(reverse("account_change_phone"), {"phone": "139 0000 0002", "action_add": ""})
    response = client.post(reverse("account_change_phone"), {"phone": "139 0000 0003", "action_add": ""})
    _assert_wait_page(response, at_most=(60, "秒"))


def test_confirm_email(client, mailoutbox):
    from allauth.account.models import EmailAddress

    user = UserFactory(phone="+8613900000001")
    client.force_login(user)
    client.post(reverse("account_email"), {"email": "wang@example.com", "action_add": ""})
    assert EmailAddress.objects.filter(user=user, email="wang@example.com").exists()
    sent = len(mailoutbox)
    response = client.post(
        reverse("account_email"), {"email": "wang@example.com", "action_send": ""}, follow=True
    )
    assert response.status_code == 200
    assert len(mailoutbox) == sent  # not sent again within the cool-down
    amount, unit = _wait(response.content.decode())
    assert unit == "分钟" and 0 < amount <= 3


def test_mfa_authenticate(client):
    UserFactory(phone="+8613900000009", role=Role.COMMUNITY_STAFF, is_staff=True)
    client.post(reverse("account_login"), {"login": "13900000009", "password": PASSWORD})
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000001"})
    response = client.post(reverse("mfa_authenticate"), {"code": "000001"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert 'id="mainNav"' in response.content.decode()
    amount, unit = _wait(_form_text(response))
    assert unit == "分钟" and 0 < amount <= 5


def test_wait_messages_in_english_too(settings):
    from django.utils import translation

    from portal.accounts.ratelimits import wait_message

    with translation.override("en"):
        assert wait_message(1) == "Please try again in 1 second."
        assert wait_message(60) == "Please try again in 60 seconds."
        assert wait_message(300) == "Please try again in 5 minutes."
        assert wait_message(86400) == "Please try again in 24 hours."
    with translation.override("zh-hans"):
        assert wait_message(60) == "请60秒后再试。"
