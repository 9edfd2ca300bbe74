"""A small community: two grids, an estate per grid, and the people the scoping tests need."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from portal.community import services
from portal.community.models import RelationKind
from tests.community.factories import (
    BuildingFactory,
    EstateFactory,
    GridFactory,
    HouseholdFactory,
    OrganizationFactory,
    PersonFactory,
    RelationFactory,
    UserFactory,
)


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - datetime.timedelta(days=days)


@pytest.fixture
def world(db):
    grid1, grid2 = GridFactory(name="第一网格"), GridFactory(name="第二网格")
    estate1, estate2 = EstateFactory(name="和谐怡园佳苑"), EstateFactory(name="永兴新村")
    b3 = BuildingFactory(estate=estate1, number="3", grid=grid1)
    b7 = BuildingFactory(estate=estate2, number="7", grid=grid2)
    home = HouseholdFactory(building=b3, unit="1", room="502")
    neighbour_home = HouseholdFactory(building=b3, unit="1", room="601")
    far_home = HouseholdFactory(building=b7, unit="2", room="301")
    org = OrganizationFactory(name="永兴养老院")

    # 朱晓燕 lives at 和谐怡园佳苑 3-1-502 with her husband; she has a son and cares for her mother.
    mum_user = UserFactory(phone="+8613912345678", name="朱晓燕")
    mum = services.person_ensure_for_user(user=mum_user)
    mum.household = home
    mum.birth_date = datetime.date(1988, 3, 1)
    mum.save()
    husband = PersonFactory(name="张伟", household=home, phone="+8613700002222")
    son = PersonFactory(name="张小明", household=home, birth_date=years_ago(8))
    granny = PersonFactory(name="李秀英", household=neighbour_home, birth_date=datetime.date(1945, 1, 1))
    RelationFactory(subject=mum, relative=son, kind=RelationKind.GUARDIAN)
    RelationFactory(subject=mum, relative=granny, kind=RelationKind.CARER)
    neighbour = PersonFactory(name="赵敏", household=neighbour_home)
    stranger = PersonFactory(name="张三", household=far_home, phone="+8613600003333")
    stranger.served_by.add(org)

    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")
    grid1_worker = UserFactory(role=Role.GRID_WORKER, grid=grid1, name="网格员一")
    grid2_worker = UserFactory(role=Role.GRID_WORKER, grid=grid2, name="网格员二")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org, name="养老院员工")
    other_resident_user = UserFactory(name="钱七")
    return SimpleNamespace(**locals())
