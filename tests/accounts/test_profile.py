"""The profile page at /me/: a user edits her own name, language and elder mode."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.accounts.models import Role
from portal.accounts.services import user_profile_update
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_needs_sign_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_profile_shows_account_and_links(client):
    user = UserFactory(email="w@example.com")
    client.force_login(user)
    response = client.get("/me/")
    assert response.status_code == 200
    html = response.content.decode()
    assert user.name in html and "w@example.com" in html
    for name in ("account_change_phone", "account_change_password", "account_email"):
        assert reverse(name) in html
    assert "/inbox/preferences/" in html


def test_profile_saves_name_language_and_elder_mode(client, settings):
    user = UserFactory(name="旧名字")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"), {"name": " 新名字 ", "language": "en", "elder_mode": "on"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.language, user.elder_mode) == ("新名字", "en", True)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert response.cookies[settings.ELDER_MODE_COOKIE].value == "1"
    assert 'class="elder-mode"' in client.get(reverse("accounts:profile")).content.decode()


def test_profile_rejects_bad_input_and_saves_nothing(client):
    user = UserFactory(name="王芳", language="")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"name": "", "language": "fr"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" in form.errors and "language" in form.errors
    user.refresh_from_db()
    assert (user.name, user.language) == ("王芳", "")


def test_service_refuses_an_empty_name():
    user = UserFactory(name="王芳")
    with pytest.raises(ValidationError):
        user_profile_update(user=user, name="  ")
    user.refresh_from_db()
    assert user.name == "王芳"


def test_login_applies_the_saved_language(client):
    UserFactory(phone="+8613900000001", language="en")
    response = client.post(reverse("account_login"), {"login": "13900000001", "password": "correct-horse-42"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_notification_preferences_link_uses_the_url_name_when_it_exists(client):
    from django.urls import NoReverseMatch

    client.force_login(UserFactory(role=Role.RESIDENT))
    html = client.get(reverse("accounts:profile")).content.decode()
    try:
        expected = reverse("notify:preferences")
    except NoReverseMatch:
        expected = "/inbox/preferences/"
    assert f'href="{expected}"' in html
