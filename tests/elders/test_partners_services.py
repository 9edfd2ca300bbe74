"""The partners piece's services: the catalogue, plans (the elder joins the organisation's clients), and
deliveries logged one by one or as a round (several at once, a double submit logging nothing twice,
another organisation's plan refusing the whole round)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from elders.models import Delivery, PlanPeriod, Service, ServicePlan
from elders.services import partners as svc
from portal.community.models import OrganizationKind
from tests.community.factories import OrganizationFactory
from tests.elders._f_partners import (
    DeliveryFactory,
    ElderFactory,
    ServicePlanFactory,
    at,
    community_staff,
    nursing_home,
    partner_staff,
    plans_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meals(elders_data):
    return Service.objects.get(code="meal-delivery")


def test_the_catalogue_ships_the_four_services(elders_data):
    assert list(Service.objects.filter(is_active=True).values_list("name", flat=True)) == [
        "助餐送餐",
        "生活照料",
        "康复理疗",
        "健康管理",
    ]


def test_staff_add_change_and_deactivate_a_service(elders_data):
    staff = community_staff()
    service = svc.service_create(actor=staff, name=" 助浴 服务 ", description="上门助浴", order=50)
    assert service.name == "助浴 服务" and service.code.startswith("service-")
    svc.service_update(actor=staff, service=service, name="上门助浴", description="", order=5)
    service.refresh_from_db()
    assert (service.name, service.order) == ("上门助浴", 5)
    svc.service_set_active(actor=staff, service=service, active=False)
    service.refresh_from_db()
    assert service.is_active is False


def test_a_service_name_already_in_the_catalogue_is_refused_at_the_field(elders_data):
    with pytest.raises(ValidationError) as exc:
        svc.service_create(actor=community_staff(), name="助餐送餐")
    assert "name" in exc.value.error_dict
    assert Service.objects.filter(name="助餐送餐").count() == 1


def test_only_community_staff_keep_the_catalogue(elders_data):
    org = nursing_home()
    with pytest.raises(PermissionDenied):
        svc.service_create(actor=partner_staff(org), name="理发")
    assert not Service.objects.filter(name="理发").exists()


def test_a_plan_makes_the_elder_a_client_of_the_organisation(meals):
    staff, org, elder = community_staff(), nursing_home(), ElderFactory()
    plan = svc.plan_create(
        actor=staff,
        elder=elder,
        service=meals,
        organization=org,
        times=1,
        period=PlanPeriod.DAY,
        starts_on=datetime.date(2026, 11, 1),
    )
    assert plan.created_by == staff and plan.ends_on is None
    assert list(elder.served_by.all()) == [org]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_on": datetime.date(2026, 10, 31)}, "ends_on"),
        ({"service": "inactive"}, "service"),
        ({"organization": "school"}, "organization"),
        ({"organization": "closed"}, "organization"),
        ({"notes": "很" * 10_000}, "notes"),
        ({"times": 0}, "times"),
    ],
)
def test_plan_refusals_are_at_the_field_and_nothing_is_saved(meals, change, field):
    elder = ElderFactory()
    data = {
        "service": meals,
        "organization": nursing_home(),
        "times": 1,
        "period": PlanPeriod.DAY,
        "starts_on": datetime.date(2026, 11, 1),
    }
    if change.get("service") == "inactive":
        change = {"service": Service.objects.create(code="old", name="旧服务", is_active=False)}
    elif change.get("organization") == "school":
        change = {"organization": OrganizationFactory(name="永兴小学", kind=OrganizationKind.SCHOOL)}
    elif change.get("organization") == "closed":
        change = {"organization": OrganizationFactory(name="已停业护理站", is_active=False)}
    data.update(change)
    with pytest.raises(ValidationError) as exc:
        svc.plan_create(actor=community_staff(), elder=elder, **data)
    assert field in exc.value.error_dict
    assert not ServicePlan.objects.exists()
    assert not elder.served_by.exists()


def test_a_second_plan_for_the_same_service_in_the_same_time_is_refused(meals):
    plan = ServicePlanFactory(service=meals, organization=nursing_home())
    with pytest.raises(ValidationError) as exc:
        svc.plan_create(
            actor=community_staff(),
            elder=plan.elder,
            service=meals,
            organization=plan.organization,
            times=2,
            period=PlanPeriod.WEEK,
            starts_on=datetime.date(2026, 11, 10),
        )
    assert "service" in exc.value.error_dict
    assert ServicePlan.objects.count() == 1


def test_partner_staff_cannot_create_plans(meals):
    org = nursing_home()
    with pytest.raises(PermissionDenied):
        svc.plan_create(
            actor=partner_staff(org),
            elder=ElderFactory(),
            service=meals,
            organization=org,
            times=1,
            period=PlanPeriod.DAY,
            starts_on=datetime.date(2026, 11, 1),
        )
    assert not ServicePlan.objects.exists()


def test_a_plan_cannot_end_before_its_last_delivery(meals):
    plan = ServicePlanFactory(service=meals, organization=nursing_home())
    DeliveryFactory(plan=plan, delivered_at=at(datetime.date(2026, 11, 10)))
    with pytest.raises(ValidationError) as exc:
        svc.plan_end(actor=community_staff(), plan=plan, ends_on=datetime.date(2026, 11, 9))
    assert "ends_on" in exc.value.error_dict
    svc.plan_end(actor=community_staff(), plan=plan, ends_on=datetime.date(2026, 11, 10))
    plan.refresh_from_db()
    assert plan.ends_on == datetime.date(2026, 11, 10)


def test_a_round_logs_one_delivery_per_ticked_elder_under_one_key(meals):
    org = nursing_home()
    worker = partner_staff(org)
    plans = plans_for(org, 3)
    written = svc.delivery_round_log(
        actor=worker, plan_ids=[p.pk for p in plans], what="午餐", notes="", round_key="a" * 32
    )
    assert len(written) == 3
    rows = Delivery.objects.order_by("elder_id")
    assert {d.round_key for d in rows} == {"a" * 32}
    assert [(d.elder_id, d.organization_id, d.service_id) for d in rows] == [
        (p.elder_id, org.pk, meals.pk) for p in sorted(plans, key=lambda p: p.elder_id)
    ]
    assert all(d.delivered_by == worker and d.what == "午餐" for d in rows)
    assert all(timezone.localtime(d.delivered_at).date() == timezone.localdate() for d in rows)


def test_the_same_round_submitted_twice_logs_nothing_twice(meals):
    org = nursing_home()
    worker = partner_staff(org)
    plans = plans_for(org, 3)
    ids = [p.pk for p in plans]
    svc.delivery_round_log(actor=worker, plan_ids=ids[:2], round_key="b" * 32)
    again = svc.delivery_round_log(actor=worker, plan_ids=ids, round_key="b" * 32)
    assert [d.plan_id for d in again] == [ids[2]]  # only the one not logged the first time
    assert Delivery.objects.count() == 3
    assert svc.delivery_round_log(actor=worker, plan_ids=ids, round_key="b" * 32) == []
    assert Delivery.objects.count() == 3


def test_a_plan_of_another_organisation_refuses_the_whole_round(meals):
    ours, theirs = nursing_home(), nursing_home("另一家护理站")
    worker = partner_staff(ours)
    mine = plans_for(ours, 2)
    other = plans_for(theirs, 1)
    with pytest.raises(ValidationError) as exc:
        svc.delivery_round_log(
            actor=worker, plan_ids=[mine[0].pk, mine[1].pk, other[0].pk], round_key="c" * 32
        )
    assert "plans" in exc.value.error_dict
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("forged", ["ended", "not_started", "missing", "elder_left_org"])
def test_plans_not_running_or_not_ours_are_refused(meals, forged):
    org = nursing_home()
    worker = partner_staff(org)
    (plan,) = plans_for(org, 1)
    plan_id = plan.pk
    if forged == "ended":
        ServicePlan.objects.filter(pk=plan.pk).update(
            ends_on=timezone.localdate() - datetime.timedelta(days=1)
        )
    elif forged == "not_started":
        ServicePlan.objects.filter(pk=plan.pk).update(
            starts_on=timezone.localdate() + datetime.timedelta(days=1)
        )
    elif forged == "missing":
        plan_id = plan.pk + 1000
    else:
        plan.elder.served_by.remove(org)
    with pytest.raises(ValidationError):
        svc.delivery_round_log(actor=worker, plan_ids=[plan_id])
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "when, field",
    [
        (lambda now: now + datetime.timedelta(hours=2), "when"),
        (lambda now: now - datetime.timedelta(days=1), "when"),
    ],
)
def test_a_delivery_time_must_be_today_and_not_later_than_now(meals, when, field):
    org = nursing_home()
    (plan,) = plans_for(org, 1)
    with pytest.raises(ValidationError) as exc:
        svc.delivery_round_log(actor=partner_staff(org), plan_ids=[plan.pk], when=when(timezone.now()))
    assert field in exc.value.error_dict
    assert not Delivery.objects.exists()


def test_long_notes_and_an_empty_round_are_refused(meals):
    org = nursing_home()
    (plan,) = plans_for(org, 1)
    worker = partner_staff(org)
    with pytest.raises(ValidationError) as exc:
        svc.delivery_round_log(actor=worker, plan_ids=[plan.pk], notes="x" * 10_000)
    assert "notes" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        svc.delivery_round_log(actor=worker, plan_ids=[])
    assert "plans" in exc.value.error_dict
    assert not Delivery.objects.exists()


def test_volunteers_and_grid_workers_log_nothing(meals):
    org = nursing_home()
    (plan,) = plans_for(org, 1)
    from portal.accounts.models import Role
    from tests.accounts.factories import UserFactory

    for role in (Role.VOLUNTEER, Role.RESIDENT):
        with pytest.raises(PermissionDenied):
            svc.delivery_round_log(actor=UserFactory(role=role), plan_ids=[plan.pk])
    assert not Delivery.objects.exists()


def test_community_staff_log_one_delivery_at_the_desk(meals):
    (plan,) = plans_for(nursing_home(), 1)
    staff = community_staff()
    delivery = svc.delivery_log(actor=staff, plan=plan, what="午餐（电话确认）", round_key="d" * 32)
    assert delivery.delivered_by == staff and delivery.organization_id == plan.organization_id
    assert svc.delivery_log(actor=staff, plan=plan, round_key="d" * 32) is None


@pytest.mark.parametrize(
    "period, day, bounds",
    [
        (
            PlanPeriod.DAY,
            datetime.date(2026, 11, 18),
            (datetime.date(2026, 11, 17), datetime.date(2026, 11, 17)),
        ),
        (
            PlanPeriod.WEEK,
            datetime.date(2026, 11, 18),
            (datetime.date(2026, 11, 9), datetime.date(2026, 11, 15)),
        ),
        (
            PlanPeriod.WEEK,
            datetime.date(2026, 11, 16),
            (datetime.date(2026, 11, 9), datetime.date(2026, 11, 15)),
        ),
        (
            PlanPeriod.MONTH,
            datetime.date(2026, 11, 18),
            (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)),
        ),
        (
            PlanPeriod.MONTH,
            datetime.date(2026, 3, 1),
            (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
        ),
        (
            PlanPeriod.MONTH,
            datetime.date(2027, 1, 5),
            (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31)),
        ),
    ],
)
def test_the_last_complete_period(period, day, bounds):
    assert svc.last_complete_period(period, day) == bounds
