"""Factories and helpers of the core piece's tests."""

from __future__ import annotations

import datetime

from portal.accounts.models import Role
from portal.community.models import ConsentPurpose, Relation, RelationKind
from portal.community.services import consent_record_at_desk, sensitive_profile_update
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, HouseholdFactory, PersonFactory
from tests.elders.factories import ElderFactory, ElderProfileFactory  # noqa: F401

__all__ = [
    "ElderFactory",
    "ElderProfileFactory",
    "daughter_for",
    "grid_worker",
    "staff_user",
    "with_sensitive",
]


def staff_user(**kwargs):
    kwargs.setdefault("role", Role.COMMUNITY_STAFF)
    kwargs.setdefault("name", "陈善惠")
    return UserFactory(**kwargs)


def grid_worker(grid=None, **kwargs):
    return UserFactory(
        role=Role.GRID_WORKER, grid=grid or GridFactory(), name=kwargs.pop("name", "周敏"), **kwargs
    )


def daughter_for(elder, *, name="朱晓燕", phone=None):
    """A daughter with an account who acts for her mother (carer)."""
    user = UserFactory(name=name, **({"phone": phone} if phone else {}))
    daughter = PersonFactory(
        name=name, user=user, household=HouseholdFactory(), birth_date=datetime.date(1975, 6, 1)
    )
    Relation.objects.create(subject=daughter, relative=elder, kind=RelationKind.CARER)
    return user, daughter


def with_sensitive(elder, *, staff=None, **values):
    """Her health consent (at the desk) and a sensitive profile with these values."""
    staff = staff or staff_user(phone="+8613900009999")
    consent_record_at_desk(staff=staff, person=elder, purpose=ConsentPurpose.HEALTH)
    return sensitive_profile_update(actor=staff, person=elder, **values)
