"""``ContactPlan.elder_since`` (whether a plan's person is an elder, stored so that the roster's lists need
not test every person, issue 13): the day it gives is ``elder_q``'s answer on every day (29 February
included), and after a sequence of changes through every path that can make a person an elder or stop
her being one (deactivated and back, birth date edited (saved whole or by its fields),
profile removed and added again, plans made by the engine, by hand, or saved whole from a stale copy),
every stored value is the one recomputed from the people and profiles (the drift test), and the plans
the pages read on it are those the predicate on the person gives."""

import datetime

import pytest

from elders.models import ELDER_ALWAYS, ContactPlan, ElderProfile
from elders.selectors import outreach as sel
from elders.selectors.access import ELDER_AGE, _cutoff
from elders.services.outreach import contact_plans_elder_refresh, contact_plans_sync, elder_since
from portal.community.models import Person
from tests.community.factories import HouseholdFactory, PersonFactory

from ._f_outreach import DAY, community, elder_in, plan_for
from .factories import ElderProfileFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "born",
    [
        datetime.date(1964, 2, 29),
        datetime.date(2040, 2, 29),  # 60 years on, 2100 has no 29 February
        datetime.date(1966, 2, 28),
        datetime.date(1966, 3, 1),
        datetime.date(1966, 12, 31),
        datetime.date(1967, 1, 1),
    ],
)
def test_elder_since_is_the_predicate_on_every_day(born):
    since = elder_since(is_active=True, birth_date=born, has_profile=False)
    start = born.replace(year=born.year + ELDER_AGE - 1, day=28 if born.month == 2 else born.day)
    for n in range(800):
        day = start + datetime.timedelta(days=n)
        assert (since <= day) == (born <= _cutoff(ELDER_AGE, day)), (born, day)
    assert elder_since(is_active=True, birth_date=born, has_profile=True) == ELDER_ALWAYS
    assert elder_since(is_active=False, birth_date=born, has_profile=True) is None
    assert elder_since(is_active=True, birth_date=None, has_profile=False) is None


def _recomputed() -> dict[int, datetime.date | None]:
    with_profile = set(ElderProfile.objects.values_list("person_id", flat=True))
    return {
        plan.pk: elder_since(
            is_active=plan.elder.is_active,
            birth_date=plan.elder.birth_date,
            has_profile=plan.elder_id in with_profile,
        )
        for plan in ContactPlan.objects.select_related("elder")
    }


def _assert_no_drift(c):
    stored = dict(ContactPlan.objects.values_list("pk", "elder_since"))
    assert stored == _recomputed()
    # and the pages read the plans the predicate on the person gives
    page, counts = sel.responsible_page(viewer=c.volunteer, number=1, per_page=100, today=DAY)
    assert [r.plan.pk for r in page.object_list] == [
        p.pk for p in sel.responsible_plans(viewer=c.volunteer, today=DAY)
    ]
    assert counts == sel.responsible_counts(viewer=c.volunteer, today=DAY)
    _counts, overdue = sel.overdue_page(viewer=c.staff, number=1, per_page=100, today=DAY)
    assert [p.pk for p in overdue.object_list] == [p.pk for p in sel.overdue_plans(viewer=c.staff, today=DAY)]


def test_no_drift_after_a_sequence_of_changes(elders_data):
    c = community()
    v = c.volunteer
    late = DAY - datetime.timedelta(days=2)
    old = elder_in(c.one, name="老")
    plan_for(old, assigned_to=v, due_on=late)
    young = PersonFactory(
        household=HouseholdFactory(building=c.one.building), birth_date=datetime.date(1970, 1, 1)
    )
    profile = ElderProfileFactory(person=young)  # on the roster at 56
    plan_for(young, assigned_to=v, due_on=late)
    almost = PersonFactory(birth_date=datetime.date(1966, 11, 20))  # 60 in two days, no profile
    plan_for(almost, assigned_to=v, due_on=late)
    assert ContactPlan.objects.get(elder=almost).elder_since == datetime.date(2026, 11, 20)
    _assert_no_drift(c)

    old.is_active = False  # moved away
    old.save()
    _assert_no_drift(c)
    assert old.contact_plan.pk not in {
        r.plan.pk for r in sel.responsible_page(viewer=v, number=1, per_page=9, today=DAY)[0].object_list
    }
    old.is_active = True  # back
    old.save(update_fields=["is_active", "updated_at"])
    _assert_no_drift(c)

    profile.delete()  # off the roster at 56: no longer an elder
    _assert_no_drift(c)
    assert ContactPlan.objects.get(elder=young).elder_since == datetime.date(2030, 1, 1)
    ElderProfileFactory(person=young)  # back on it
    _assert_no_drift(c)

    old.birth_date = datetime.date(1990, 1, 1)  # a typo made her 36
    old.save()
    _assert_no_drift(c)
    old.birth_date = datetime.date(1944, 1, 1)
    old.save(update_fields=["birth_date"])
    _assert_no_drift(c)
    old.name = "老二"  # a change that says nothing of her age: no refresh needed
    old.save(update_fields=["name"])
    _assert_no_drift(c)

    stale = ContactPlan.objects.get(elder=young)
    young.is_active = False
    young.save()
    stale.every_days = 14  # a copy read before she moved away, saved whole (the admin)
    stale.save()
    _assert_no_drift(c)

    new = elder_in(c.two, name="新")  # the engine makes her plan (in bulk: no signal)
    contact_plans_sync(person_ids=[new.pk], today=DAY)
    ContactPlan.objects.filter(elder=new).update(assigned_to=v, due_on=late)
    _assert_no_drift(c)
    Person.objects.filter(pk=new.pk).delete()
    _assert_no_drift(c)
    assert contact_plans_elder_refresh(person_ids=[old.pk, young.pk, almost.pk]) == 0
