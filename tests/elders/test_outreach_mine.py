"""My visits and calls read date by date on the stored ``elder_since`` (``outreach.responsible_page``)
held to the ORM reads it stands for (``Paginator(responsible_plans(...)).get_page`` and
``responsible_counts``, the elder predicate tested on the person): every page, a page past the end or
not a number, dates with many plans of the same name (the order's ties) and dates of one plan, and the
plans the predicate leaves out (too young without a profile, no longer active, set aside, someone
else's)."""

import datetime

import pytest
from django.core.paginator import Paginator

from elders.selectors import outreach as sel
from tests.community.factories import HouseholdFactory, PersonFactory

from ._f_outreach import DAY, community, elder_in, plan_for
from .factories import ElderProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(elders_data):
    c = community()
    v = c.volunteer
    for i in range(9):  # one busy day, the same few names: ties broken by the plan
        plan_for(elder_in(c.one, name=f"同名{i % 3}"), assigned_to=v, due_on=DAY - datetime.timedelta(days=3))
    for i in range(5):  # a day each
        plan_for(elder_in(c.two, name=f"单{i}"), assigned_to=v, due_on=DAY + datetime.timedelta(days=i - 2))
    plan_for(elder_in(c.one, name="今天"), assigned_to=v, due_on=DAY)
    young = PersonFactory(
        household=HouseholdFactory(building=c.one.building), birth_date=datetime.date(1970, 1, 1)
    )
    ElderProfileFactory(person=young)  # on the roster at 56: an elder
    plan_for(young, assigned_to=v, due_on=DAY - datetime.timedelta(days=3))
    plan_for(PersonFactory(), assigned_to=v, due_on=DAY - datetime.timedelta(days=3))  # 46: not an elder
    plan_for(elder_in(c.one, is_active=False), assigned_to=v, due_on=DAY)  # moved away
    plan_for(elder_in(c.one), assigned_to=v, due_on=DAY, is_active=False)  # set aside
    plan_for(elder_in(c.one), assigned_to=c.one.worker, due_on=DAY)  # someone else's
    return c


def _expected(viewer, number, per_page):
    page = Paginator(sel.responsible_plans(viewer=viewer, today=DAY), per_page).get_page(number)
    counts = sel.responsible_counts(viewer=viewer, today=DAY)
    return [p.pk for p in page.object_list], page.number, page.paginator.count, counts


@pytest.mark.parametrize("per_page", [2, 4, 25])
@pytest.mark.parametrize("number", [1, 2, 3, "4", 5, 99, 0, -1, "x", None, 2**62])
def test_my_page_is_the_orm_reads(c, number, per_page):
    page, counts = sel.responsible_page(viewer=c.volunteer, number=number, per_page=per_page, today=DAY)
    want_ids, want_number, want_count, want_counts = _expected(c.volunteer, number, per_page)
    assert [r.plan.pk for r in page.object_list] == want_ids
    assert (page.number, page.paginator.count) == (want_number, want_count)
    assert counts == want_counts == {"total": 16, "due": 14, "overdue": 12}


def test_my_page_for_someone_with_no_plans_or_signed_out(c):
    from django.contrib.auth.models import AnonymousUser

    for viewer in (c.staff, AnonymousUser(), None):
        page, counts = sel.responsible_page(viewer=viewer, number=1, per_page=5, today=DAY)
        assert list(page.object_list) == [] and page.number == 1 and page.paginator.count == 0
        assert counts == {"total": 0, "due": 0, "overdue": 0}


def _shown(rows):
    return [
        (
            r.plan.pk,
            r.elder.pk,
            r.elder.name,
            r.elder.phone,
            r.elder.household_id,
            r.address,
            r.age_words,
            r.due_words,
            r.every_words,
            r.plan.get_method_display(),
            r.plan.last_contact_at,
            r.plan.unreached_in_row,
        )
        for r in rows
    ]


def test_my_page_rows_show_what_the_joined_plans_show(c, django_assert_num_queries):
    from django.utils import timezone

    plan = c.volunteer.contact_plans.order_by("pk").first()
    plan.last_contact_at, plan.unreached_in_row, plan.method = timezone.now(), 2, "call"
    plan.save()
    c.volunteer.contact_plans.filter(pk=plan.pk).update(due_on=DAY - datetime.timedelta(days=30))
    plan.elder.phone = "+8613800000999"
    plan.elder.save()
    with django_assert_num_queries(2):  # the counts by date, the page with its joins
        page, _counts = sel.responsible_page(viewer=c.volunteer, number=1, per_page=25, today=DAY)
        shown = _shown(page.object_list)  # nothing read later
    joined = sel.roster_rows(sel.responsible_plans(viewer=c.volunteer, today=DAY), today=DAY)
    assert shown == _shown(joined) and shown[0][0] == plan.pk and shown[0][9] == plan.get_method_display()
