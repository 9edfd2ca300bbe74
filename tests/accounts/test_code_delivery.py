"""Codes by SMS never hold a web worker: every code the account pages send (sign-up, sign-in, a new number,
sign-in by code, password reset, the "account exists" notice) is an urgent outbox row, sent by the worker
after the page has answered, whatever the quiet hours; the pages say the code is on its way and when a new
one may be asked for, and the server refuses an earlier one with the wait (issue 8)."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from portal.accounts.models import User
from portal.accounts.sms import LocmemSMSBackend, SMSError
from portal.notify.models import Message, MessageStatus
from tests.accounts.conftest import last_code
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "Quiet-river-2046"
WAIT_ZH = re.compile(r"请(\d+)秒后再试")


def _signup(client, phone="139 1234 5678", **extra):
    data = {"name": "王秀英", "phone": phone, "email": "", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("account_signup"), data, **extra)


def _resend_after(html: str) -> int:
    match = re.search(r'data-resend-after="(\d+)"', html)
    assert match, f"the page says nothing about a new code: {html[:3000]}"
    return int(match.group(1))


def _later(seconds: float):
    """The clock moved on by ``seconds`` (and ticking from there)."""
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds), tick=True)


class _WatchedSMS(LocmemSMSBackend):
    """The test backend, noting whether each send happened while the test client's request was being
    answered (it must not: the code leaves through the outbox after the page has answered)."""

    in_request: list[bool] = []
    on_commit = None

    def send(self, **kwargs):
        _WatchedSMS.in_request.append(_WatchedSMS.on_commit.in_request)
        return super().send(**kwargs)


class _DeadSMS:
    def send(self, **kwargs):
        raise AssertionError("the provider was called while the page was being answered")


@pytest.fixture
def watched_sms(settings, on_commit):
    _WatchedSMS.in_request = []
    _WatchedSMS.on_commit = on_commit
    settings.SMS_BACKEND = "tests.accounts.test_code_delivery._WatchedSMS"
    return _WatchedSMS.in_request


@pytest.fixture
def published(monkeypatch):
    """(message id, queue) of every send task published."""
    from portal.notify.tasks import send_message

    seen = []
    original = send_message.apply_async

    def apply_async(args=None, kwargs=None, **options):
        seen.append((tuple(args or ())[0], options.get("queue")))
        return original(args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(send_message, "apply_async", apply_async)
    return seen


def _code_rows(**filters):
    return list(Message.objects.filter(urgent=True, **filters).order_by("id"))


# --- no provider call in the request ------------------------------------------------------------------


def test_signup_code_is_an_urgent_outbox_row_sent_by_the_task_after_the_page_answered(
    client, watched_sms, published, settings, sms_outbox
):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(phone="+8613912345678")
    [row] = _code_rows(user=user)
    assert row.channel == "sms" and row.address == "+8613912345678"
    assert row.key.startswith("account.code:")
    code = last_code(sms_outbox)
    assert code not in row.key  # the key never carries the code
    assert row.params == {"code": code} and code in row.body
    assert row.sms_template_code == settings.SMS_VERIFICATION_TEMPLATE_CODE
    validity = datetime.timedelta(seconds=settings.ACCOUNT_CODE_VALIDITY)
    assert abs(row.expires_at - (row.created_at + validity)) < datetime.timedelta(seconds=1)
    # Published to the fast lane's queue, and sent by the task: never while the page was being answered.
    assert published == [(row.pk, settings.NOTIFY_URGENT_QUEUE)]
    assert watched_sms == [False]
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT


def test_a_dead_provider_slows_no_page_and_the_page_says_the_code_is_on_its_way(client, settings, on_commit):
    settings.SMS_BACKEND = "tests.accounts.test_code_delivery._DeadSMS"
    on_commit.run = False  # the worker has not run yet: the page answers without it
    response = _signup(client, phone="138 0013 8000", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == reverse("account_verify_phone")
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "We are texting a 6-digit code to 138 **** 8000: it usually arrives within a few seconds." in html
    assert "13800138000" not in html.replace(" ", "")  # the number is shown masked
    assert "could not send" not in html
    [row] = _code_rows(user__phone="+8613800138000")
    assert row.status == MessageStatus.PENDING and row.attempts == 0


def test_a_provider_that_fails_leaves_the_code_row_for_its_retry(client, settings, on_commit):
    settings.SMS_BACKEND = "tests.accounts.test_code_delivery._DeadSMS"
    on_commit.run = False
    assert _signup(client).status_code == 302
    settings.SMS_BACKEND = f"{__name__}._FailingSMS"
    on_commit.run_pending()  # the worker runs once the page has answered; the provider fails
    [row] = _code_rows(user__phone="+8613912345678")
    assert row.status == MessageStatus.PENDING and row.attempts == 1 and not row.sent_at


class _FailingSMS:
    def send(self, **kwargs):
        raise SMSError("provider down", retryable=True)


# --- limits before anything is saved ------------------------------------------------------------------


def _assert_wait_page(response):
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="mainNav"' in html  # the portal's layout, translated
    match = WAIT_ZH.search(html)
    assert match and 0 < int(match.group(1)) <= 60, html[:2000]


def test_the_sixth_signup_from_one_address_within_a_minute_is_refused_before_anything_is_saved(client):
    for n in range(5):
        assert _signup(client.__class__(), phone=f"139 1234 000{n}").status_code == 302
    assert User.objects.count() == 5
    _assert_wait_page(_signup(client.__class__(), phone="139 1234 0005"))
    assert not User.objects.filter(phone="+8613912340005").exists()
    assert User.objects.count() == 5


def test_a_signup_whose_code_would_be_refused_saves_nothing(client, settings, sms_outbox):
    """The code limit of the address is used up (two codes already): the next sign-up is refused before
    its account is saved, whatever the sign-up limit says."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "verify_phone": "1/m/key,10/d/key,2/m/ip"}
    assert _signup(client.__class__(), phone="139 1234 0000").status_code == 302
    assert _signup(client.__class__(), phone="139 1234 0001").status_code == 302
    _assert_wait_page(_signup(client.__class__(), phone="139 1234 0002"))
    assert not User.objects.filter(phone="+8613912340002").exists()
    assert len(sms_outbox) == 2


def test_a_taken_number_and_a_new_one_are_refused_alike(client, settings):
    """The per-number code limit: refused before saving for a new number and a taken one, the same page."""
    UserFactory(phone="+8613912340001")
    first_new = _signup(client.__class__(), phone="139 1234 0002")
    first_taken = _signup(client.__class__(), phone="139 1234 0001")
    assert first_new.status_code == first_taken.status_code == 302
    again_new = _signup(client.__class__(), phone="139 1234 0002")
    again_taken = _signup(client.__class__(), phone="139 1234 0001")
    _assert_wait_page(again_new)
    _assert_wait_page(again_taken)
    assert User.objects.filter(phone__in=["+8613912340001", "+8613912340002"]).count() == 2


def test_changing_to_a_number_whose_code_would_be_refused_keeps_the_old_number(client, settings):
    """The sign-up's "use a different number": allauth saved the new number, then refused its code."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "verify_phone": "1/m/key,10/d/key,2/m/ip"}
    assert _signup(client).status_code == 302
    changed = client.post(reverse("account_verify_phone"), {"action": "change", "phone": "139 1234 0001"})
    assert changed.status_code == 302
    user = User.objects.get(name="王秀英")
    assert user.phone.as_e164 == "+8613912340001"
    refused = client.post(reverse("account_verify_phone"), {"action": "change", "phone": "139 1234 0002"})
    _assert_wait_page(refused)
    user.refresh_from_db()
    assert user.phone.as_e164 == "+8613912340001"


# --- a new code after 60 seconds ----------------------------------------------------------------------


def test_a_new_code_is_refused_before_60_seconds_with_the_wait_and_sent_after(client, sms_outbox):
    _signup(client)
    page = client.get(reverse("account_verify_phone"))
    assert 50 < _resend_after(page.content.decode()) <= 60
    assert 'form="resend"' in page.content.decode()  # the button is there, also without JavaScript

    early = client.post(reverse("account_verify_phone"), {"action": "resend"}, follow=True)
    assert early.status_code == 200
    match = WAIT_ZH.search(early.content.decode())
    assert match and 0 < int(match.group(1)) <= 60
    assert len(sms_outbox) == 1 and len(_code_rows()) == 1

    with _later(61):
        page = client.get(reverse("account_verify_phone"))
        assert _resend_after(page.content.decode()) == 0
        client.post(reverse("account_verify_phone"), {"action": "resend"})
        assert len(sms_outbox) == 2 and len(_code_rows()) == 2
        second = last_code(sms_outbox)
        response = client.post(reverse("account_verify_phone"), {"code": second})
    assert response.status_code == 302
    assert User.objects.get(phone="+8613912345678").phone_verified


def test_the_countdown_says_when_in_english_too(client):
    _signup(client, HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        html = client.get(reverse("account_verify_phone"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"Send again \(in \d+ seconds?\)", html)


# --- quiet hours do not hold a code ---------------------------------------------------------------------


def test_an_elder_at_night_gets_her_code_at_once(client, sms_outbox):
    from tests.community.factories import PersonFactory

    today = timezone.localdate()
    user = UserFactory(phone="+8613900000080")
    PersonFactory(user=user, birth_date=today.replace(year=today.year - 80, day=min(today.day, 28)))
    night = datetime.datetime.combine(today, datetime.time(23, 0), tzinfo=SH)
    with time_machine.travel(night, tick=True):
        response = client.post(reverse("account_reset_password"), {"email": "139 0000 0080"})
        assert response.status_code == 302
        [row] = _code_rows(user=user)
        assert row.not_before is None
        assert row.status == MessageStatus.SENT
        assert last_code(sms_outbox, "+8613900000080")


# --- password reset, sign-in by code, a new number: through the outbox too ---------------------------


def test_password_reset_code_goes_through_the_outbox(client, sms_outbox, watched_sms, published, settings):
    user = UserFactory(phone="+8613900000001")
    response = client.post(reverse("account_reset_password"), {"email": "139 0000 0001"})
    assert response.status_code == 302
    [row] = _code_rows(user=user)
    assert row.key.startswith("account.reset_code:")
    code = last_code(sms_outbox, "+8613900000001")
    assert row.params == {"code": code} and code not in row.key
    assert published == [(row.pk, settings.NOTIFY_URGENT_QUEUE)] and watched_sms == [False]

    with translation.override("en"):
        page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "We are texting a 6-digit code to 139 **** 0001" in html
    assert 'form="resend-reset"' in html


def test_a_new_reset_code_is_refused_before_60_seconds_and_sent_after(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_reset_password"), {"email": "139 0000 0001"})
    page = client.get(reverse("account_confirm_password_reset_code")).content.decode()
    assert 50 < _resend_after(page) <= 60
    hidden = re.search(r'id="resend-reset".*?name="email" value="([^"]+)"', page, re.S).group(1)

    _assert_wait_page(client.post(reverse("account_reset_password"), {"email": hidden}))
    assert len(sms_outbox) == 1

    with _later(61):
        response = client.post(reverse("account_reset_password"), {"email": hidden})
        assert response.status_code == 302
        assert len(sms_outbox) == 2
        code = last_code(sms_outbox)
        confirmed = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("account_complete_password_reset")


def test_sign_in_code_goes_through_the_outbox_and_a_new_one_waits_a_minute(client, sms_outbox):
    user = UserFactory(phone="+8613900000001")
    client.post(reverse("account_request_login_code"), {"phone": "139 0000 0001"})
    [row] = _code_rows(user=user)
    assert row.status == MessageStatus.SENT
    with translation.override("en"):
        page = client.get(reverse("account_confirm_login_code"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We are texting a 6-digit code to 139 **** 0001" in page
    assert 50 < _resend_after(page) <= 60
    assert 'form="resend-request"' in page

    # "Request new code" ends this attempt and opens the request page again: there, within the minute,
    # the request is refused with the wait.
    again = client.post(reverse("account_logout"), {"next": reverse("account_request_login_code")})
    assert again.status_code == 302 and again.url == reverse("account_request_login_code")
    early = client.post(reverse("account_request_login_code"), {"phone": "139 0000 0001"})
    assert early.status_code == 200
    errors = " ".join(str(e) for e in early.context["form"].errors["phone"])
    match = WAIT_ZH.search(errors)
    assert match and 0 < int(match.group(1)) <= 60
    assert len(sms_outbox) == 1

    with _later(61):
        client.post(reverse("account_request_login_code"), {"phone": "139 0000 0001"})
        assert len(sms_outbox) == 2
        response = client.post(reverse("account_confirm_login_code"), {"code": last_code(sms_outbox)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_phone_change_code_goes_through_the_outbox(client, sms_outbox, watched_sms, published, settings):
    user = UserFactory(phone="+8613900000001")
    client.force_login(user)
    with translation.override("en"):
        form = client.get(reverse("account_change_phone"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We will text a 6-digit code to the new number: it usually arrives within a few seconds." in form
    response = client.post(reverse("account_change_phone"), {"phone": "139 0000 0002", "action_add": ""})
    assert response.status_code == 302
    [row] = _code_rows(user=user)
    assert row.address == "+8613900000002" and row.key.startswith("account.code:")
    assert published == [(row.pk, settings.NOTIFY_URGENT_QUEUE)] and watched_sms == [False]
    code = last_code(sms_outbox, "+8613900000002")
    with translation.override("en"):
        page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We are texting a 6-digit code to 139 **** 0002" in page
    assert client.post(reverse("account_verify_phone"), {"code": code}).status_code == 302
    user.refresh_from_db()
    assert user.phone.as_e164 == "+8613900000002" and user.phone_verified


def test_the_account_exists_notice_goes_through_the_outbox(client, sms_outbox):
    owner = UserFactory(phone="+8613912345678")
    assert _signup(client).status_code == 302
    [row] = _code_rows(user=owner)
    assert row.key.startswith("account.exists:") and row.params == {}
    assert row.status == MessageStatus.SENT
    assert [m["phone"] for m in sms_outbox] == ["+8613912345678"]


def test_masked_phone():
    from portal.accounts.templatetags.phones import phone_masked

    assert phone_masked("+8613800138000") == "138 **** 8000"
    assert phone_masked("138 0013 8000") == "138 **** 8000"
    assert phone_masked("12") == "**"
    assert phone_masked("") == ""


def test_once_no_new_code_is_offered_the_page_promises_none(client, sms_outbox):
    """allauth offers two new codes per verification: after them, no button and no countdown."""
    _signup(client)
    for n in (1, 2):
        with _later(61 * n):
            client.post(reverse("account_verify_phone"), {"action": "resend"})
    assert len(sms_outbox) == 3
    with _later(61 * 3):
        html = client.get(reverse("account_verify_phone")).content.decode()
    assert "data-resend-after" not in html and 'form="resend"' not in html
    assert 'data-testid="code-on-its-way"' in html
