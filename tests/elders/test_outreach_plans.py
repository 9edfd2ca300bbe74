"""Contact plans follow the risk level (weekly / monthly / quarterly), the paired helper is responsible by
default (else her grid worker, else the grid leader), and a plan set by staff keeps what staff chose."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from elders.models import ContactPlan, RiskLevel
from elders.services.outreach import CONTACT_EVERY_DAYS, contact_plan_update, contact_plans_sync
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from ._f_outreach import DAY, community, elder_in

pytestmark = pytest.mark.django_db


def _set_risk(elder, level):
    profile = elder.elder_profile
    profile.risk_level = level
    profile.save()


def test_frequency_follows_the_effective_risk_level():
    c = community()
    high, medium, low = (elder_in(c.one) for _ in range(3))
    _set_risk(high, RiskLevel.HIGH)
    _set_risk(medium, RiskLevel.MEDIUM)
    assert contact_plans_sync(person_ids=[high.pk, medium.pk, low.pk], today=DAY) == 3
    every = dict(ContactPlan.objects.values_list("elder_id", "every_days"))
    assert every == {high.pk: 7, medium.pk: 30, low.pk: 90}
    assert CONTACT_EVERY_DAYS == {RiskLevel.HIGH: 7, RiskLevel.MEDIUM: 30, RiskLevel.LOW: 90}
    # a new plan is due at once (the first contact), nothing changes on a second sync
    assert set(ContactPlan.objects.values_list("due_on", flat=True)) == {DAY}
    assert contact_plans_sync(person_ids=[high.pk, medium.pk, low.pk], today=DAY) == 0


def test_a_staff_override_of_the_risk_changes_the_frequency_and_moves_the_due_date():
    c = community()
    elder = elder_in(c.one)
    contact_plans_sync(person_ids=[elder.pk], today=DAY)
    plan = ContactPlan.objects.get(elder=elder)
    plan.last_reached_at = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC)
    plan.due_on = datetime.date(2027, 2, 8)
    plan.save()
    profile = elder.elder_profile
    profile.risk_override, profile.risk_override_reason = RiskLevel.HIGH, "刚出院"
    profile.save()
    assert contact_plans_sync(person_ids=[elder.pk], today=DAY) == 1
    plan.refresh_from_db()
    assert plan.every_days == 7
    assert plan.due_on == datetime.date(2026, 11, 17)  # the last reached contact plus a week: overdue


def test_responsible_is_the_helper_else_the_grid_worker_else_the_leader():
    c = community()
    helper = UserFactory(role=Role.VOLUNTEER)
    with_helper, plain = elder_in(c.one), elder_in(c.one)
    profile = with_helper.elder_profile
    profile.helper = helper
    profile.save()
    c.two.worker.is_active = False
    c.two.worker.save()
    no_worker = elder_in(c.two)
    contact_plans_sync(person_ids=[with_helper.pk, plain.pk, no_worker.pk], today=DAY)
    owners = dict(ContactPlan.objects.values_list("elder_id", "assigned_to_id"))
    assert owners == {with_helper.pk: helper.pk, plain.pk: c.one.worker.pk, no_worker.pk: c.two.leader.pk}


def test_sync_is_batched_at_a_constant_number_of_queries(django_assert_max_num_queries):
    c = community()
    few = [elder_in(c.one).pk for _ in range(3)]
    many = [elder_in(c.two).pk for _ in range(30)]
    with django_assert_max_num_queries(8) as small:
        contact_plans_sync(person_ids=few, today=DAY)
    with django_assert_max_num_queries(8) as large:
        contact_plans_sync(person_ids=many, today=DAY)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert ContactPlan.objects.count() == 33


def test_a_plan_set_by_staff_keeps_its_frequency_and_person_until_given_back():
    c = community()
    elder = elder_in(c.one)
    contact_plans_sync(person_ids=[elder.pk], today=DAY)
    plan = ContactPlan.objects.get(elder=elder)
    younger = UserFactory(role=Role.RESIDENT, phone="+8613700000071", name="王阿姨")  # elders helping elders
    contact_plan_update(
        actor=c.staff,
        plan=plan,
        follow_risk=False,
        every_days=14,
        method="call",
        responsible_phone="13700000071",
    )
    plan.refresh_from_db()
    assert (plan.custom, plan.every_days, plan.method, plan.assigned_to) == (True, 14, "call", younger)
    _set_risk(elder, RiskLevel.HIGH)
    assert contact_plans_sync(person_ids=[elder.pk], today=DAY) == 0
    plan.refresh_from_db()
    assert (plan.every_days, plan.assigned_to) == (14, younger)

    contact_plan_update(actor=c.one.worker, plan=plan, follow_risk=True, method="visit")
    plan.refresh_from_db()
    assert (plan.custom, plan.every_days) == (False, 7)


def test_plan_edits_are_refused_to_others_and_for_unknown_numbers():
    c = community()
    elder = elder_in(c.one)
    contact_plans_sync(person_ids=[elder.pk], today=DAY)
    plan = ContactPlan.objects.get(elder=elder)
    with pytest.raises(PermissionDenied):
        contact_plan_update(actor=c.two.worker, plan=plan, follow_risk=False, every_days=3)
    with pytest.raises(PermissionDenied):
        contact_plan_update(actor=c.volunteer, plan=plan, follow_risk=False, every_days=3)
    with pytest.raises(ValidationError) as exc:
        contact_plan_update(
            actor=c.staff, plan=plan, follow_risk=False, every_days=3, responsible_phone="13999999999"
        )
    assert "responsible_phone" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        contact_plan_update(actor=c.staff, plan=plan, follow_risk=False, every_days=0)
    assert "every_days" in exc.value.error_dict
    plan.refresh_from_db()
    assert (plan.custom, plan.every_days) == (False, 90)
