"""Factories and a small community for the outreach tests: two grids, each with a leader and a grid worker;
a volunteer; elders with contact plans."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from elders import models as m
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import BuildingFactory, GridFactory, HouseholdFactory

from .factories import ContactPlanFactory, ElderFactory, ElderProfileFactory

DAY = datetime.date(2026, 11, 18)  # the suite's frozen day


def grid_with_people(name: str) -> SimpleNamespace:
    leader = UserFactory(name=f"{name}组长", role=Role.RESIDENT)
    grid = GridFactory(name=name, leader=leader)
    worker = UserFactory(name=f"{name}网格员", role=Role.GRID_WORKER, grid=grid)
    building = BuildingFactory(grid=grid)
    return SimpleNamespace(grid=grid, leader=leader, worker=worker, building=building)


def elder_in(place: SimpleNamespace, *, name: str | None = None, **person) -> m.ElderProfile:
    kwargs = {"household": HouseholdFactory(building=place.building), **person}
    if name:
        kwargs["name"] = name
    return ElderProfileFactory(person=ElderFactory(**kwargs)).person


def plan_for(elder, *, assigned_to=None, due_on=DAY, every_days=7, **fields) -> m.ContactPlan:
    return ContactPlanFactory(
        elder=elder, assigned_to=assigned_to, due_on=due_on, every_days=every_days, **fields
    )


def community() -> SimpleNamespace:
    one = grid_with_people("第一网格")
    two = grid_with_people("第二网格")
    volunteer = UserFactory(name="李欣怡", role=Role.VOLUNTEER, phone="+8613800000004")
    staff = UserFactory(name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True)
    return SimpleNamespace(one=one, two=two, volunteer=volunteer, staff=staff)
