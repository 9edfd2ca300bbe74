"""Failed sign-ins are counted per account and per client address, never for the whole site (allauth's
limits and django-axes' lockout alike), and the client address is right behind a reverse proxy."""

import pytest
from django.urls import reverse

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # UserFactory's
WAIT = "后再试"  # every "please wait" answer says how long: 请60秒后再试 / 请5分钟后再试


def _login(client, login, password, *, ip="203.0.113.1", **extra):
    return client.post(
        reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=ip, **extra
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _errors(response) -> str:
    return " ".join(response.context["form"].non_field_errors()) if response.context else ""


# --- allauth's failed-login limit ---------------------------------------------------------------


def test_wrong_passwords_for_made_up_numbers_lock_nobody_else_out(client):
    """Five wrong passwords for made-up numbers (allauth allows 5 per account in 5 minutes) used to fill
    one counter shared by every phone sign-in on the site."""
    UserFactory(phone="+8613900000001")
    for n in range(8):
        _login(client.__class__(), f"1390000010{n}", "guess", ip=f"198.51.100.{n + 1}")
    resident = client.__class__()
    response = _login(resident, "13900000001", PASSWORD, ip="203.0.113.7")
    assert response.status_code == 302, _errors(response)
    assert _signed_in(resident)


def test_one_account_is_limited_whatever_address_the_guesses_come_from(client):
    UserFactory(phone="+8613900000001")
    UserFactory(phone="+8613900000002")
    for n in range(5):
        refused = _login(client.__class__(), "139 0000 0001", "guess", ip=f"198.51.100.{n + 1}")
        assert refused.status_code == 200
    locked = _login(client, "13900000001", PASSWORD, ip="203.0.113.9")
    assert locked.status_code == 200 and not _signed_in(client)
    assert "登录失败次数过多" in _errors(locked) and WAIT in _errors(locked)
    # The other account is not concerned.
    other = client.__class__()
    assert _login(other, "13900000002", PASSWORD, ip="203.0.113.9").status_code == 302


def test_reauthentication_is_not_blocked_by_strangers_guessing_numbers(client):
    user = UserFactory(phone="+8613900000001")
    for n in range(8):
        _login(client.__class__(), f"1390000010{n}", "guess", ip=f"198.51.100.{n + 1}")
    client.force_login(user)
    response = client.post(
        reverse("account_reauthenticate"), {"password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response


# --- django-axes: a lockout per account and per address, with a cool-off ---------------------------


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def test_staff_account_locks_after_guesses_from_many_addresses(client, axes_on):
    UserFactory(phone="+8613900000009", role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True)
    for n in range(3):
        _login(client.__class__(), "13900000009", "guess", ip=f"198.51.100.{n + 1}")
    # From yet another address, even the right password is refused until the cool-off has passed.
    locked = _login(client, "13900000009", PASSWORD, ip="203.0.113.50")
    assert locked.status_code == 429
    assert not _signed_in(client)
    page = locked.content.decode()
    assert "请60分钟后再试" in page and 'id="mainNav"' in page


def test_the_lockout_ends_after_the_cool_off(client, axes_on):
    import datetime

    from axes.models import AccessAttempt

    UserFactory(phone="+8613900000009")
    for n in range(3):
        _login(client.__class__(), "13900000009", "guess", ip=f"198.51.100.{n + 1}")
    assert _login(client.__class__(), "13900000009", PASSWORD, ip="203.0.113.50").status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=61)
    )
    assert _login(client, "13900000009", PASSWORD, ip="203.0.113.50").status_code == 302
    assert _signed_in(client)


def test_failures_for_one_email_do_not_lock_email_sign_in_for_everyone(client, axes_on):
    from allauth.account.models import EmailAddress

    for n, email in enumerate(["a@example.com", "b@example.com"]):
        user = UserFactory(phone=f"+861390000002{n}", email=email)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    for n in range(3):
        _login(client.__class__(), "a@example.com", "guess", ip=f"198.51.100.{n + 1}")
    assert _login(client.__class__(), "A@example.com", PASSWORD, ip="203.0.113.50").status_code == 429
    other = client.__class__()
    assert _login(other, "b@example.com", PASSWORD, ip="203.0.113.51").status_code == 302


def test_the_phone_is_one_account_however_it_is_written(client, axes_on):
    UserFactory(phone="+8613900000009")
    for n, typed in enumerate(["13900000009", "139 0000 0009", "+86 139-0000-0009"]):
        _login(client.__class__(), typed, "guess", ip=f"198.51.100.{n + 1}")
    assert _login(client, "13900000009", PASSWORD, ip="203.0.113.50").status_code == 429


def test_an_address_is_locked_for_guessing_many_accounts(client, axes_on):
    UserFactory(phone="+8613900000009")
    for n in range(3):
        _login(client.__class__(), f"1390000010{n}", "guess", ip="198.51.100.1")
    assert _login(client.__class__(), "13900000009", PASSWORD, ip="198.51.100.1").status_code == 429
    assert _login(client, "13900000009", PASSWORD, ip="203.0.113.50").status_code == 302


def test_failures_are_not_counted_when_axes_is_off(client):
    UserFactory(phone="+8613900000009")
    for n in range(8):
        _login(client.__class__(), "13900000009", "wrong", ip=f"198.51.100.{n + 1}")
    # allauth's own limit (5 per account in 5 minutes) still holds; axes adds nothing.
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.exists()


# --- the client address behind a reverse proxy -----------------------------------------------------


def test_behind_a_proxy_clients_are_told_apart(client, axes_on):
    """One proxy in front (ZHAOXI_TRUSTED_PROXY_COUNT=1): every request comes from the proxy's address;
    the client is the address the proxy appended to X-Forwarded-For."""
    axes_on.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    UserFactory(phone="+8613900000009")
    proxy = {"ip": "10.0.0.2"}
    for n in range(3):
        _login(client.__class__(), f"1390000010{n}", "guess", HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert (
        _login(
            client.__class__(), "13900000009", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy
        ).status_code
        == 429
    )
    # Another resident behind the same proxy is not locked out.
    assert (
        _login(client, "13900000009", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code
        == 302
    )


def test_without_a_trusted_proxy_a_forged_header_changes_nothing(client, axes_on):
    UserFactory(phone="+8613900000009")
    for n in range(3):
        _login(
            client.__class__(),
            f"1390000010{n}",
            "guess",
            ip="198.51.100.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    locked = _login(client, "13900000009", PASSWORD, ip="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert locked.status_code == 429


def test_allauth_and_axes_see_the_same_client_address(rf, settings):
    from allauth.account.adapter import get_adapter
    from axes.helpers import get_client_ip_address

    for count, forwarded, expected in [
        (0, "192.0.2.1", "10.0.0.2"),  # the header is ignored: anyone can write it
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.66, 192.0.2.1", "192.0.2.1"),  # what the client wrote itself is not trusted
        (2, "192.0.2.66, 192.0.2.1, 10.0.0.1", "192.0.2.1"),
        (2, "192.0.2.1", "10.0.0.2"),  # the request skipped a proxy: counted under the proxy's address
    ]:
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
        request = rf.post("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
        assert get_adapter(request).get_client_ip(request) == expected, (count, forwarded)
        assert get_client_ip_address(request) == expected, (count, forwarded)


def test_the_proxy_count_setting_feeds_allauth(settings):
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
    assert settings.AXES_CLIENT_IP_CALLABLE == "portal.accounts.ratelimits.axes_client_ip"
