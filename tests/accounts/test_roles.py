"""Role helpers on User: one test per property."""

import pytest

from portal.accounts.models import Role, User
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _user(role, **extra):
    if role == Role.GRID_WORKER:
        extra.setdefault("grid", GridFactory())
    if role == Role.PARTNER_STAFF:
        extra.setdefault("organization", OrganizationFactory())
    return UserFactory(role=role, **extra)


def _holders(prop):
    return {role for role in Role.values if getattr(_user(role), prop)}


def test_is_resident():
    assert _holders("is_resident") == {Role.RESIDENT}


def test_is_volunteer():
    assert _holders("is_volunteer") == {Role.VOLUNTEER}


def test_is_grid_worker():
    assert _holders("is_grid_worker") == {Role.GRID_WORKER}


def test_is_partner_staff():
    assert _holders("is_partner_staff") == {Role.PARTNER_STAFF}


def test_is_community_staff_includes_superusers():
    assert _holders("is_community_staff") == {Role.COMMUNITY_STAFF}
    assert UserFactory(role=Role.RESIDENT, is_superuser=True).is_community_staff


def test_works_for_community():
    assert _holders("works_for_community") == {Role.GRID_WORKER, Role.PARTNER_STAFF, Role.COMMUNITY_STAFF}


def test_can_use_mfa():
    assert _holders("can_use_mfa") == {Role.GRID_WORKER, Role.PARTNER_STAFF, Role.COMMUNITY_STAFF}
    assert UserFactory(role=Role.RESIDENT, is_staff=True).can_use_mfa


def test_inactive_users_hold_no_role():
    user = _user(Role.COMMUNITY_STAFF, is_active=False)
    assert not (
        user.is_community_staff
        or user.works_for_community
        or user.can_use_mfa
        or user.has_role(Role.COMMUNITY_STAFF)
    )


def test_has_role_accepts_several():
    user = _user(Role.VOLUNTEER)
    assert user.has_role(Role.RESIDENT, Role.VOLUNTEER)
    assert not user.has_role(Role.GRID_WORKER)


def test_role_label():
    assert _user(Role.GRID_WORKER).role_label == str(Role.GRID_WORKER.label)


def test_database_refuses_a_grid_worker_without_grid():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(phone="+8613900000077", password="x", role=Role.GRID_WORKER)


def test_create_superuser_is_community_staff():
    user = User.objects.create_superuser(phone="+8613900000078", password="pw-123456", name="管理员")
    assert user.is_community_staff and user.phone_verified and user.is_staff
