"""Missed deliveries: a plan short of its count in its last complete period is flagged and told once per
plan and period to the organisation's staff and to community staff; the flag clears once a later period is
complete without a shortfall. Days are given to the check (``today``); deliveries are dated explicitly."""

from __future__ import annotations

import datetime

import pytest

from elders.models import PlanPeriod, Service, ServicePlan
from elders.services.partners import MISSED_TEMPLATE, plans_check_missed
from portal.notify.models import Message
from tests.elders._f_partners import (
    DeliveryFactory,
    at,
    community_staff,
    nursing_home,
    partner_staff,
    plans_for,
)

pytestmark = pytest.mark.django_db

WED = datetime.date(2026, 11, 18)  # the suite's day
TUE = WED - datetime.timedelta(days=1)


@pytest.fixture
def meals(elders_data):
    return Service.objects.get(code="meal-delivery")


def _missed_messages():
    return Message.objects.filter(template__code=MISSED_TEMPLATE)


def test_a_daily_plan_without_yesterdays_meal_is_flagged_and_told_once(meals):
    org = nursing_home()
    worker = partner_staff(org)
    staff = community_staff()
    fed, missed = plans_for(org, 2)
    DeliveryFactory(plan=fed, delivered_at=at(TUE), delivered_by=worker)

    assert plans_check_missed(today=WED) == 1
    missed.refresh_from_db()
    fed.refresh_from_db()
    assert (missed.missed_flagged_on, missed.missed_count) == (WED, 1)
    assert fed.missed_flagged_on is None
    messages = _missed_messages()
    assert {m.user_id for m in messages} == {worker.pk, staff.pk}
    assert set(messages.filter(user=staff).values_list("channel", flat=True)) == {"inbox"}
    body = messages.filter(user=worker, channel="inbox").get().body
    assert missed.elder.name in body and "助餐送餐" in body and "2026-11-17" in body

    count = messages.count()
    assert plans_check_missed(today=WED) == 0  # the same day again: nothing new
    assert _missed_messages().count() == count
    missed.refresh_from_db()
    assert missed.missed_flagged_on == WED


def test_the_flag_clears_when_a_later_day_is_complete(meals):
    org = nursing_home()
    worker = partner_staff(org)
    (plan,) = plans_for(org, 1)
    plans_check_missed(today=WED)
    plan.refresh_from_db()
    assert plan.missed_flagged_on == WED
    DeliveryFactory(plan=plan, delivered_at=at(WED), delivered_by=worker)
    thu = WED + datetime.timedelta(days=1)
    assert plans_check_missed(today=thu) == 0
    plan.refresh_from_db()
    assert (plan.missed_flagged_on, plan.missed_count) == (None, 0)


def test_a_day_missed_again_is_a_new_period_told_again(meals):
    org = nursing_home()
    partner_staff(org)
    (plan,) = plans_for(org, 1)
    plans_check_missed(today=WED)
    first = _missed_messages().count()
    thu = WED + datetime.timedelta(days=1)
    assert plans_check_missed(today=thu) == 1
    plan.refresh_from_db()
    assert plan.missed_flagged_on == thu
    assert _missed_messages().count() == 2 * first


def test_a_weekly_plan_counts_monday_to_sunday(meals):
    org = nursing_home()
    worker = partner_staff(org)
    (short,) = plans_for(org, 1, period=PlanPeriod.WEEK, times=3)
    (full,) = plans_for(org, 1, period=PlanPeriod.WEEK, times=2)
    last_week = [datetime.date(2026, 11, 9) + datetime.timedelta(days=i) for i in range(7)]
    DeliveryFactory(plan=short, delivered_at=at(last_week[0]), delivered_by=worker)
    DeliveryFactory(plan=short, delivered_at=at(last_week[6], 20), delivered_by=worker)
    DeliveryFactory(
        plan=short, delivered_at=at(datetime.date(2026, 11, 16)), delivered_by=worker
    )  # this week
    DeliveryFactory(plan=full, delivered_at=at(last_week[1]), delivered_by=worker)
    DeliveryFactory(plan=full, delivered_at=at(last_week[3]), delivered_by=worker)
    for day in (16, 20):
        DeliveryFactory(plan=full, delivered_at=at(datetime.date(2026, 11, day)), delivered_by=worker)

    assert plans_check_missed(today=WED) == 1
    short.refresh_from_db()
    assert (short.missed_flagged_on, short.missed_count) == (WED, 1)
    # Every day of this week the last complete week is the same: nothing new, the flag stays.
    for day in (datetime.date(2026, 11, 19), datetime.date(2026, 11, 22)):
        assert plans_check_missed(today=day) == 0
    short.refresh_from_db()
    assert short.missed_flagged_on == WED
    # The next Monday the week of the 16th is complete: it had only one of three.
    assert plans_check_missed(today=datetime.date(2026, 11, 23)) == 1
    short.refresh_from_db()
    assert (short.missed_flagged_on, short.missed_count) == (datetime.date(2026, 11, 23), 2)


def test_a_monthly_plan_is_checked_on_last_month(meals):
    org = nursing_home()
    worker = partner_staff(org)
    (plan,) = plans_for(org, 1, period=PlanPeriod.MONTH, times=4)
    ServicePlan.objects.filter(pk=plan.pk).update(starts_on=datetime.date(2026, 9, 1))
    for day in (2, 9, 16, 30):
        DeliveryFactory(plan=plan, delivered_at=at(datetime.date(2026, 10, day)), delivered_by=worker)
    assert plans_check_missed(today=WED) == 0
    assert plans_check_missed(today=datetime.date(2026, 12, 1)) == 1  # November: none logged
    plan.refresh_from_db()
    assert plan.missed_count == 4


def test_a_plan_not_running_the_whole_period_is_not_flagged(meals):
    org = nursing_home()
    partner_staff(org)
    started_today, ended = plans_for(org, 2)
    ServicePlan.objects.filter(pk=started_today.pk).update(starts_on=WED)
    ServicePlan.objects.filter(pk=ended.pk).update(
        starts_on=datetime.date(2026, 10, 1), ends_on=datetime.date(2026, 11, 16)
    )
    assert plans_check_missed(today=WED) == 0
    assert not _missed_messages().exists()


def test_each_organisation_hears_only_of_its_own_plans(meals):
    home, clinic = nursing_home(), nursing_home("永兴助餐点")
    home_worker, clinic_worker = partner_staff(home), partner_staff(clinic, name="王芳")
    (home_plan,) = plans_for(home, 1)
    plans_for(clinic, 1)
    DeliveryFactory(
        plan=ServicePlan.objects.get(organization=clinic), delivered_at=at(TUE), delivered_by=clinic_worker
    )
    assert plans_check_missed(today=WED) == 1
    assert set(_missed_messages().values_list("user_id", flat=True)) == {home_worker.pk}
    assert home_plan.elder.name in _missed_messages().first().body


@pytest.mark.parametrize("n", [3, 30])
def test_the_check_costs_the_same_queries_at_3_and_30_plans(meals, n, django_assert_num_queries):
    org = nursing_home()
    for i in range(3):
        partner_staff(org, name=f"员工{i}")
    community_staff()
    plans_for(org, n)
    # the shortfall, the flag clearing, the flags written, the two recipient lists, the outbox batch
    # (templates, persons, preferences, keys, insert, rows read back) and the savepoints: 15 at any size.
    with django_assert_num_queries(_QUERIES):
        assert plans_check_missed(today=WED) == n


_QUERIES = 15
