"""Two-factor sign-in for staff: the admin signs in through allauth's flow (TOTP included), the sensitive
areas need TOTP turned on, and the two-factor pages are for the roles that may use them."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory, totp_code
from tests.community.factories import GridFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # UserFactory's


def _staff(role=Role.COMMUNITY_STAFF, **extra):
    if role == Role.GRID_WORKER:
        extra.setdefault("grid", GridFactory())
    if role == Role.PARTNER_STAFF:
        extra.setdefault("organization", OrganizationFactory())
    if role == Role.COMMUNITY_STAFF:
        extra.setdefault("is_staff", True)
    return UserFactory(role=role, **extra)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- the admin signs in through allauth ------------------------------------------------------------


def test_admin_login_page_does_not_take_a_password_alone(client):
    _staff(phone="+8613900000009", is_superuser=True)
    response = client.post(
        reverse("admin:login"), {"username": "13900000009", "password": PASSWORD, "next": "/admin/"}
    )
    assert not _signed_in(client)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302  # still not in


def test_admin_login_page_hands_over_to_allauth_with_the_way_back(client):
    response = client.get(reverse("admin:login"), {"next": "/admin/community/"})
    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2Fcommunity%2F"


def test_staff_with_totp_signs_in_for_the_admin_with_her_code(client):
    _staff(phone="+8613900000009", is_superuser=True)
    response = client.post(
        reverse("account_login"), {"login": "13900000009", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert not _signed_in(client)  # the password alone is not enough
    assert client.get("/admin/").status_code == 302

    wrong = client.post(
        reverse("mfa_authenticate"), {"code": "000000" if totp_code() != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert not _signed_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302 and response.url == "/admin/"
    assert _signed_in(client)
    assert client.get("/admin/").status_code == 200


# --- the sensitive areas need two-factor turned on ------------------------------------------------

SENSITIVE_PAGES = [
    "/admin/",
    "community:workbench",
    "community:claims",
    "reports:dashboard",
    "events:staff_activities",
]


def _url(page: str) -> str:
    return page if page.startswith("/") else reverse(page)


@pytest.mark.parametrize("page", SENSITIVE_PAGES)
@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.PARTNER_STAFF])
def test_staff_without_two_factor_are_led_to_set_it_up(client, role, page):
    from django.contrib.messages import get_messages

    client.force_login(_staff(role, totp=False, is_staff=True))
    response = client.get(_url(page))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    explanation = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("两步验证" in text for text in explanation), explanation


@pytest.mark.parametrize("page", SENSITIVE_PAGES)
def test_staff_with_two_factor_reach_the_sensitive_areas(client, page):
    staff = _staff(is_superuser=True)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    client.force_login(staff)
    assert client.get(_url(page)).status_code == 200


def test_health_details_need_two_factor_for_staff(client):
    from tests.community.factories import PersonFactory

    person = PersonFactory()
    client.force_login(_staff(totp=False))
    response = client.get(reverse("community:sensitive_edit", args=[person.pk]))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")


def test_residents_pages_are_not_held_up(client):
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert client.get(reverse("community:my_family")).status_code == 200
    assert client.get(reverse("community:workbench")).status_code == 403  # as before: not hers


def test_staff_without_two_factor_can_still_set_it_up_and_use_their_own_pages(client):
    client.force_login(_staff(totp=False))
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


# --- two-factor pages only for the roles that may use them ---------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "mfa_index",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
    ],
)
@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER])
def test_mfa_pages_are_not_found_for_residents(client, role, url_name):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse(url_name)).status_code == 404
    assert client.post(reverse(url_name), {"code": "123456"}).status_code == 404
    assert not Authenticator.objects.exists()


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.PARTNER_STAFF])
def test_mfa_pages_reachable_for_staff(client, role):
    client.force_login(_staff(role))
    profile = client.get(reverse("accounts:profile"))
    assert reverse("mfa_index") in profile.content.decode()
    assert client.get(reverse("mfa_index")).status_code == 200


def test_staff_can_turn_on_totp(client):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    user = _staff(totp=False)
    client.force_login(user)
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:  # allauth first asks for the password again (reauthentication)
        assert page.url.startswith(reverse("account_reauthenticate"))
        response = client.post(page.url, {"password": PASSWORD})
        assert response.status_code == 302
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("community:workbench")).status_code == 200


def test_residents_do_not_get_the_mfa_link(client):
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert reverse("mfa_index") not in client.get(reverse("accounts:profile")).content.decode()


def test_staff_cannot_turn_their_authenticator_off(client):
    staff = _staff()
    client.force_login(staff)
    response = client.post(reverse("mfa_deactivate_totp"))
    if response.status_code == 302:  # allauth first asks for the password again
        assert response.url.startswith(reverse("account_reauthenticate"))
        client.post(response.url, {"password": PASSWORD})
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_every_sensitive_area_names_a_real_page():
    """A renamed URL must not silently drop out of the two-factor requirement."""
    from django.urls import get_resolver

    from portal.accounts.middleware import SENSITIVE_AREAS

    resolver = get_resolver()
    for area in SENSITIVE_AREAS:
        namespace, _, name = area.partition(":")
        assert namespace in resolver.namespace_dict, area
        if name:
            assert name in resolver.namespace_dict[namespace][1].reverse_dict, area


@pytest.mark.urls("tests.accounts.urls_marked_view")
def test_a_view_marked_as_showing_personal_data_needs_two_factor(client):
    """A service area marks its staff pages with ``@shows_personal_data`` instead of editing the platform's
    list: the same rule holds for them."""
    client.force_login(_staff(Role.COMMUNITY_STAFF, totp=False))
    response = client.get("/care-plan/")
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    client.force_login(_staff(Role.COMMUNITY_STAFF))
    assert client.get("/care-plan/").content == b"care plan"
