"""The dashboard's figures of the partners piece: elders served, person-times by service and by organisation,
the elders each organisation served (``elders.served_by_org.<pk>``), a grid's own figures, and a constant
number of queries."""

from __future__ import annotations

import datetime

import pytest

from elders.models import Service
from elders.selectors.stats_partners import figures
from portal.reports.registry import figures_for
from tests.community.factories import BuildingFactory, GridFactory, HouseholdFactory
from tests.elders._f_partners import DeliveryFactory, at, nursing_home, partner_staff, plans_for

pytestmark = pytest.mark.django_db

NOV = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


@pytest.fixture
def story(elders_data):
    """The nursing home serving five elders (two in the first grid), a canteen serving one."""
    home, canteen = nursing_home(), nursing_home("永兴助餐点")
    grid = GridFactory(name="第一网格")
    worker, cook = partner_staff(home), partner_staff(canteen, name="王师傅")
    care = Service.objects.get(code="daily-care")
    first_grid = plans_for(home, 2, household=HouseholdFactory(building=BuildingFactory(grid=grid)))
    others = plans_for(home, 3)
    (canteen_plan,) = plans_for(canteen, 1)
    (care_plan,) = plans_for(home, 1, service=care)
    care_plan.elder = first_grid[0].elder
    care_plan.save()
    for plan in first_grid + others:
        for day in (3, 4):
            DeliveryFactory(plan=plan, delivered_at=at(datetime.date(2026, 11, day)), delivered_by=worker)
    DeliveryFactory(plan=care_plan, delivered_at=at(datetime.date(2026, 11, 5)), delivered_by=worker)
    DeliveryFactory(plan=canteen_plan, delivered_at=at(datetime.date(2026, 11, 5)), delivered_by=cook)
    DeliveryFactory(plan=others[0], delivered_at=at(datetime.date(2026, 10, 31), 23, 59), delivered_by=worker)
    DeliveryFactory(plan=others[0], delivered_at=at(datetime.date(2026, 12, 1), 0, 0), delivered_by=worker)
    return {"home": home, "canteen": canteen, "grid": grid}


def _by_key(figs):
    return {f.key: f.value for f in figs}


def test_figures_of_a_month(story):
    values = _by_key(figures(start=NOV[0], end=NOV[1]))
    home, canteen = story["home"], story["canteen"]
    assert values["elders.served"] == 6
    assert values["elders.deliveries"] == 12
    assert values[f"elders.served_by_org.{home.pk}"] == 5
    assert values[f"elders.deliveries_by_org.{home.pk}"] == 11
    assert values[f"elders.served_by_org.{canteen.pk}"] == 1
    assert values["elders.deliveries_by_service.meal-delivery"] == 11
    assert values["elders.deliveries_by_service.daily-care"] == 1


def test_the_label_names_the_organisation(story):
    from django.utils import translation

    with translation.override("en"):
        labels = {f.key: f.label for f in figures(start=NOV[0], end=NOV[1])}
    assert labels[f"elders.served_by_org.{story['home'].pk}"] == "Elders served by 南通申丞小海护理院"


def test_a_grid_counts_only_its_residents(story):
    values = _by_key(figures(start=NOV[0], end=NOV[1], grid=story["grid"]))
    assert values["elders.served"] == 2
    assert values["elders.deliveries"] == 5
    assert f"elders.served_by_org.{story['canteen'].pk}" not in values


def test_the_dashboard_finds_them(story):
    keys = {f.key for f in figures_for(start=NOV[0], end=NOV[1]) if f.area == "elders"}
    assert f"elders.served_by_org.{story['home'].pk}" in keys


@pytest.mark.parametrize("more", [0, 20])
def test_three_queries_whatever_the_rows(story, more, django_assert_num_queries):
    if more:
        for plan in plans_for(story["home"], more):
            DeliveryFactory(plan=plan, delivered_at=at(datetime.date(2026, 11, 9)))
    with django_assert_num_queries(3):
        figures(start=NOV[0], end=NOV[1])
