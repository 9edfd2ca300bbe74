import pytest

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English msgids (the default interface language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.COMMUNITY_STAFF, name="陈善惠")


@pytest.fixture
def partner(db):
    return UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())


@pytest.fixture
def resident(db):
    return UserFactory(role=Role.RESIDENT)
