"""Sign-up by mobile number: an SMS code verifies the phone, and the resident record is created."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from portal.accounts.models import User
from portal.accounts.phone import INVALID_CN_MOBILE
from tests.accounts.conftest import last_code
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Quiet-river-2046"


def _signup(client, **overrides):
    data = {
        "name": "王秀英",
        "phone": "139 1234 5678",
        "email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), data)


def test_signup_page_asks_for_name_and_phone(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="name"' in html and 'name="phone"' in html and 'type="tel"' in html


def test_signup_with_phone_and_sms_code(client, sms_outbox):
    response = _signup(client)
    assert response.status_code == 302
    assert response.url == reverse("account_verify_phone")
    user = User.objects.get(phone="+8613912345678")
    assert user.name == "王秀英"
    assert user.phone_verified is False
    assert user.email == ""
    assert len(sms_outbox) == 1 and sms_outbox[0]["phone"] == "+8613912345678"
    code = last_code(sms_outbox)
    assert code.isdigit() and len(code) == 6
    assert code in sms_outbox[0]["text"]

    response = client.post(reverse("account_verify_phone"), {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified is True
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_signup_creates_the_resident_record(client, sms_outbox):
    from portal.community.models import Person

    _signup(client)
    user = User.objects.get(phone="+8613912345678")
    person = Person.objects.get(user=user)
    assert person.name == "王秀英"


def test_signup_with_optional_email(client, sms_outbox):
    _signup(client, email="Wang@Example.com")
    assert User.objects.get(phone="+8613912345678").email == "wang@example.com"


def test_wrong_code_is_refused_at_the_field(client, sms_outbox):
    _signup(client)
    code = last_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("account_verify_phone"), {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not User.objects.get(phone="+8613912345678").phone_verified


def test_used_code_cannot_be_reused(client, sms_outbox):
    _signup(client)
    code = last_code(sms_outbox)
    client.post(reverse("account_verify_phone"), {"code": code})
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_verify_phone"), {"code": code})
    # The verification is over: the page is gone (redirect), nothing is verified a second time.
    assert response.status_code == 302


def test_expired_code_is_refused_at_the_field(client, sms_outbox, settings):
    import time
    from unittest import mock

    from django.utils import translation

    _signup(client)
    code = last_code(sms_outbox)
    later = time.time() + settings.ACCOUNT_CODE_VALIDITY + 60
    with mock.patch("time.time", return_value=later), translation.override("en"):
        response = client.post(reverse("account_verify_phone"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        gettext("This code has expired. Please ask for a new one.")
    ]
    assert not User.objects.get(phone="+8613912345678").phone_verified


def test_code_long_past_its_time_ends_the_verification(client, sms_outbox, settings):
    import time
    from unittest import mock

    _signup(client)
    code = last_code(sms_outbox)
    with mock.patch("time.time", return_value=time.time() + settings.ACCOUNT_PHONE_VERIFICATION_TIMEOUT + 60):
        response = client.post(reverse("account_verify_phone"), {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert not User.objects.get(phone="+8613912345678").phone_verified


def test_superseded_code_is_refused_at_the_field(client, sms_outbox):
    import time
    from unittest import mock

    _signup(client)
    first = last_code(sms_outbox)
    with mock.patch("time.time", return_value=time.time() + 61):
        client.post(reverse("account_verify_phone"), {"action": "resend"})
    second = last_code(sms_outbox)
    if first == second:  # one chance in a million
        pytest.skip("the two random codes happen to be equal")
    response = client.post(reverse("account_verify_phone"), {"code": first})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not User.objects.get(phone="+8613912345678").phone_verified


@pytest.mark.parametrize("bad", ["12345", "0513-8512345", "+14155550123", "abcdefghijk"])
def test_bad_phone_format_gets_a_clear_error_at_the_field(client, bad):
    from django.utils import translation

    with translation.override("en"):
        response = _signup(client, phone=bad, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [str(INVALID_CN_MOBILE)]
    assert not User.objects.exists()


def test_phone_error_is_shown_next_to_the_field(client):
    response = _signup(client, phone="12345")
    assert response.status_code == 200
    html = response.content.decode()
    error = str(response.context["form"].errors["phone"][0])
    field_at = html.index('id="id_phone"')
    assert 'aria-describedby="id_phone_error"' in html
    assert error in html[field_at : field_at + 600]


def test_name_is_required(client):
    response = _signup(client, name="  ")
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not User.objects.exists()


def test_mismatched_passwords_save_nothing(client, sms_outbox):
    response = _signup(client, password2="something-else-99")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.exists()
    assert sms_outbox == []


def _page_shape(html: str) -> str:
    """The page with what differs between any two sign-ups blanked out: CSRF tokens, the number (also as
    the page shows it, 139 **** 5678)."""
    import re

    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)
    html = re.sub(r"1[3-9]\d \*{4} \d{4}", "NUMBER", html)
    html = re.sub(r'data-resend-after="\d+"', "WAIT", html)  # the countdown ticks between the two pages
    html = re.sub(r"\(in \d+ seconds?\)", "(WAIT)", html)
    html = re.sub(r"（\d+秒后）", "(WAIT)", html)
    return re.sub(r"\+?(86)?\s?1[3-9]\d[\d ]{8,10}", "NUMBER", html)


def test_signup_with_a_taken_phone_does_not_reveal_the_account(client, sms_outbox):
    UserFactory(phone="+8613912345678", name="李四")
    taken = _signup(client, phone="13912345678")
    fresh_client = client.__class__()
    fresh = _signup(fresh_client, phone="13912345679")
    # Same answer: on to "enter the code we sent", no error naming the taken number.
    assert taken.status_code == fresh.status_code == 302
    assert taken.url == fresh.url == reverse("account_verify_phone")
    # ... and the same page there (allauth offered "use a different number" only for the new account).
    taken_page = client.get(taken.url)
    fresh_page = fresh_client.get(fresh.url)
    assert taken_page.status_code == fresh_page.status_code == 200
    assert _page_shape(taken_page.content.decode()) == _page_shape(fresh_page.content.decode())
    assert User.objects.filter(phone="+8613912345678").count() == 1
    assert User.objects.get(phone="+8613912345678").name == "李四"
    # The owner of the existing account is told by SMS (no code in it); the new number gets its code.
    owner_sms, new_sms = sms_outbox
    assert owner_sms["phone"] == "+8613912345678" and not owner_sms["params"]
    assert new_sms["phone"] == "+8613912345679" and new_sms["params"]["code"]


def test_both_sign_ups_do_the_same_expensive_work(client, sms_outbox, monkeypatch):
    """Response time tells nothing: a taken number costs what a new one costs, one password hash and one
    SMS (the two things that take time), measured on each path in the same run."""
    from django.contrib.auth.hashers import get_hasher

    hasher_class = type(get_hasher())
    hashes = []
    original_encode = hasher_class.encode
    monkeypatch.setattr(
        hasher_class, "encode", lambda self, *a, **kw: hashes.append(1) or original_encode(self, *a, **kw)
    )
    UserFactory(phone="+8613912345678")

    work = {}
    for label, phone in (("taken", "13912345678"), ("new", "13912345679")):
        hashes.clear()
        sent_before = len(sms_outbox)
        response = _signup(client.__class__(), phone=phone)
        assert response.status_code == 302
        work[label] = (len(hashes), len(sms_outbox) - sent_before)
    assert work["taken"] == work["new"] == (1, 1)


def test_resending_the_code_is_rate_limited(client, sms_outbox):
    _signup(client)
    assert len(sms_outbox) == 1
    response = client.post(reverse("account_verify_phone"), {"action": "resend"})
    assert response.status_code == 302
    assert response.url == reverse("account_verify_phone")
    assert len(sms_outbox) == 1  # a second SMS within the minute is refused


def test_resending_after_the_cool_down_sends_a_new_code(client, sms_outbox):
    import time
    from unittest import mock

    _signup(client)
    first = last_code(sms_outbox)
    with mock.patch("time.time", return_value=time.time() + 61):
        client.post(reverse("account_verify_phone"), {"action": "resend"})
    assert len(sms_outbox) == 2
    second = last_code(sms_outbox)
    response = client.post(reverse("account_verify_phone"), {"code": second})
    assert response.status_code == 302
    assert User.objects.get(phone="+8613912345678").phone_verified
    assert first  # the first code was superseded by the second


def test_signup_with_a_taken_email_does_not_reveal_the_account(client, sms_outbox, mailoutbox):
    UserFactory(phone="+8613900000001", email="taken@example.com")
    taken = _signup(client, phone="13912345679", email="Taken@example.com")
    fresh = _signup(client.__class__(), phone="13912345670", email="free@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken.url == fresh.url == reverse("account_verify_phone")
    # The new account exists, without the address; its owner is told someone tried to use it.
    assert User.objects.get(phone="+8613912345679").email == ""
    assert User.objects.get(phone="+8613912345670").email == "free@example.com"
    assert User.objects.filter(email="taken@example.com").count() == 1
    assert "taken@example.com" in [to for m in mailoutbox for to in m.to]


class _BrokenSMS:
    def send(self, **kwargs):
        from portal.accounts.sms import SMSError

        raise SMSError("provider down", retryable=True)


def test_sms_failure_during_signup_is_not_a_500(client, settings):
    """The provider is down: the sign-up answers as usual and says the code is on its way (the outbox row
    waits for its retry); no "could not send" error, which the request can no longer know about."""
    from portal.notify.models import Message, MessageStatus

    settings.SMS_BACKEND = "tests.accounts.test_signup._BrokenSMS"
    response = _signup(client, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "We are texting a 6-digit code to 139 **** 5678" in page.content.decode()
    assert not any(m.level_tag == "error" for m in page.context["messages"])
    row = Message.objects.get(user__phone="+8613912345678", urgent=True)
    assert row.status == MessageStatus.PENDING and row.attempts == 1  # kept for its retry, not lost


def test_change_phone_with_a_code_to_the_new_number(client, sms_outbox):
    user = UserFactory(phone="+8613900000001")
    client.force_login(user)
    response = client.post(reverse("account_change_phone"), {"phone": "139 0000 0002", "action_add": ""})
    assert response.status_code == 302
    code = last_code(sms_outbox, "+8613900000002")
    response = client.post(reverse("account_verify_phone"), {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone.as_e164 == "+8613900000002"
    assert user.phone_verified


def test_change_phone_refuses_a_bad_number_at_the_field(client, sms_outbox):
    user = UserFactory(phone="+8613900000001")
    client.force_login(user)
    response = client.post(reverse("account_change_phone"), {"phone": "12345", "action_add": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert sms_outbox == []


def test_two_signups_racing_for_one_number_do_not_fail(client, sms_outbox, monkeypatch):
    """The second sign-up passed the form's check before the first one saved: the database decides."""
    from portal.accounts.adapter import AccountAdapter

    UserFactory(phone="+8613912345678", name="先到的人")
    monkeypatch.setattr(AccountAdapter, "get_user_by_phone", lambda self, phone: None)
    response = _signup(client)
    assert response.status_code == 302
    assert response.url == reverse("account_verify_phone")
    assert User.objects.get(phone="+8613912345678").name == "先到的人"
    # Answered as a sign-up for a taken number: its owner is told, no code is sent.
    assert [(m["phone"], m["params"]) for m in sms_outbox] == [("+8613912345678", {})]
