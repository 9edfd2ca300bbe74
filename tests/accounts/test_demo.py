"""The demo's staff accounts come with two-factor sign-in on, from one published secret."""

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command

from portal.accounts import demo
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_staff_get_the_published_totp_secret(client):
    staff = UserFactory(phone="+8613800000001", role=Role.COMMUNITY_STAFF, is_staff=True, totp=False)
    resident = UserFactory(phone="+8613800000005", role=Role.RESIDENT)
    out = io.StringIO()
    demo.seed(stdout=out)
    demo.seed(stdout=out)  # idempotent
    authenticator = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    assert TOTP(authenticator).validate_code(demo.current_code())
    assert not Authenticator.objects.filter(user=resident).exists()
    assert demo.DEMO_TOTP_SECRET in out.getvalue()


def test_demo_totp_code_command_prints_the_current_code(settings):
    out = io.StringIO()
    call_command("demo_totp_code", stdout=out)
    assert out.getvalue().split()[0] == demo.current_code()
