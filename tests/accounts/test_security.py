"""Brute force on the admin is locked out by django-axes; two-factor sign-in for staff."""

import pytest
from django.urls import reverse

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _admin_login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def test_admin_locks_out_after_repeated_failures(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(phone="+8613900000009", is_staff=True, is_superuser=True, role=Role.COMMUNITY_STAFF)

    for _ in range(2):
        response = _admin_login(client, "13900000009", "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = _admin_login(client, "13900000009", "wrong")
    assert locked.status_code == 429
    # Now even the right password is refused until the cool-off passes.
    after = _admin_login(client, "13900000009", "correct-horse-42")
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_works_without_failures(client, settings):
    settings.AXES_ENABLED = True
    UserFactory(phone="+8613900000009", is_staff=True, is_superuser=True, role=Role.COMMUNITY_STAFF)
    response = _admin_login(client, "13900000009", "correct-horse-42")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_failures_are_not_counted_when_axes_is_off(client):
    UserFactory(phone="+8613900000009", is_staff=True, is_superuser=True, role=Role.COMMUNITY_STAFF)
    for _ in range(8):
        _admin_login(client, "13900000009", "wrong")
    assert _admin_login(client, "13900000009", "correct-horse-42").status_code == 302


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.PARTNER_STAFF])
def test_mfa_pages_reachable_for_staff(client, role):
    from tests.community.factories import GridFactory, OrganizationFactory

    extra = {}
    if role == Role.GRID_WORKER:
        extra["grid"] = GridFactory()
    if role == Role.PARTNER_STAFF:
        extra["organization"] = OrganizationFactory()
    user = UserFactory(role=role, **extra)
    client.force_login(user)
    profile = client.get(reverse("accounts:profile"))
    assert reverse("mfa_index") in profile.content.decode()
    assert client.get(reverse("mfa_index")).status_code == 200
    activate = client.get(reverse("mfa_activate_totp"))
    # allauth may ask to confirm the password first (reauthentication); either way the page works.
    assert activate.status_code in (200, 302)


def test_staff_can_turn_on_totp(client):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import hotp_value, yield_hotp_counters_from_time

    user = UserFactory(role=Role.COMMUNITY_STAFF)
    client.force_login(user)
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:  # allauth first asks for the password again (reauthentication)
        assert page.url.startswith(reverse("account_reauthenticate"))
        response = client.post(page.url, {"password": "correct-horse-42"})
        assert response.status_code == 302
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    code = hotp_value(secret, next(yield_hotp_counters_from_time()))
    response = client.post(reverse("mfa_activate_totp"), {"code": f"{code:06d}"})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_residents_do_not_get_the_mfa_link(client):
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert reverse("mfa_index") not in client.get(reverse("accounts:profile")).content.decode()


def test_portal_login_failures_are_locked_out_too_without_a_500(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(phone="+8613900000009")
    statuses = [
        client.post(reverse("account_login"), {"login": "13900000009", "password": "wrong"}).status_code for _ in range(4)
    ]
    assert statuses[:2] == [200, 200]
    assert statuses[-1] == 429
    assert "_auth_user_id" not in client.session
