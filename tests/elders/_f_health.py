"""The health station's test world: the health centre, its nurse, a clinic on now (an elders-area activity run
by the centre), elders served by the centre with their health consent, a grid with its leader, staff."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from portal.accounts.models import Role
from portal.community.models import Consent, ConsentPurpose, OrganizationKind
from tests.accounts.factories import UserFactory
from tests.community.factories import BuildingFactory, GridFactory, HouseholdFactory, OrganizationFactory
from tests.elders.factories import ElderFactory, ElderProfileFactory
from tests.events.factories import ActivityFactory, SessionFactory


def give_health_consent(person, by):
    return Consent.objects.create(
        person=person, purpose=ConsentPurpose.HEALTH, notice_version="2026-1", given_by=by
    )


def clinic_session(activity, *, hours_ago: float = 1):
    """A clinic that started ``hours_ago`` (negative: starts later) and lasts four hours."""
    starts = timezone.now() - datetime.timedelta(hours=hours_ago)
    return SessionFactory(
        activity=activity,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=4),
        capacity=0,
        place="便民服务驿站",
    )


def health_world():
    centre = OrganizationFactory(name="中兴街道社区卫生服务中心", kind=OrganizationKind.HEALTH_CENTRE)
    nurse = UserFactory(role=Role.PARTNER_STAFF, organization=centre, name="刘护士", phone="+8613800000011")
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="陈善惠", phone="+8613800000012")
    grid = GridFactory(name="第一网格")
    leader = UserFactory(role=Role.GRID_WORKER, grid=grid, name="周敏", phone="+8613800000013")
    grid.leader = leader
    grid.save()
    doctor = UserFactory(role=Role.PARTNER_STAFF, organization=centre, name="张医生", phone="+8613800000014")
    activity = ActivityFactory(
        title="便民服务驿站健康义诊",
        area="elders",
        organiser_user=None,
        organiser_org=centre,
        min_age=60,
        place="便民服务驿站",
    )
    session = clinic_session(activity)
    building = BuildingFactory(grid=grid)
    elder = ElderFactory(name="王秀英", household=HouseholdFactory(building=building))
    elder.served_by.add(centre)
    give_health_consent(elder, staff)
    return SimpleNamespace(
        centre=centre,
        nurse=nurse,
        staff=staff,
        leader=leader,
        grid=grid,
        doctor=doctor,
        activity=activity,
        session=session,
        building=building,
        elder=elder,
    )


def more_elder(world, name, *, consent=True, doctor=None):
    elder = ElderFactory(name=name, household=HouseholdFactory(building=world.building))
    elder.served_by.add(world.centre)
    if consent:
        give_health_consent(elder, world.staff)
    if doctor is not None:
        ElderProfileFactory(person=elder, family_doctor=doctor)
    return elder
