"""The overdue list's one statement (``outreach.overdue_page``: the counts by grid and a page of plans,
written as SQL once) held to the ORM reads it stands for, ``overdue_counts_by_grid`` and ``overdue_plans``:
every grid and one, a grid worker's own grid, each page, a page past the end, and the elders the
predicate leaves out (not old enough without a profile, no longer active, a plan set aside)."""

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
    for i in range(7):
        plan_for(elder_in(c.one), due_on=DAY - datetime.timedelta(days=1 + i % 3), unreached_in_row=i % 3)
    for _ in range(4):
        plan_for(elder_in(c.two), due_on=DAY - datetime.timedelta(days=2), assigned_to=c.two.worker)
    plan_for(elder_in(c.one), due_on=DAY)  # due today: not overdue
    plan_for(elder_in(c.one, household=None), due_on=DAY - datetime.timedelta(days=9))  # no address
    young = PersonFactory(
        household=HouseholdFactory(building=c.one.building), birth_date=datetime.date(1970, 1, 1)
    )
    ElderProfileFactory(person=young)  # on the roster at 56: an elder
    plan_for(young, due_on=DAY - datetime.timedelta(days=5))
    plan_for(
        PersonFactory(household=HouseholdFactory(building=c.one.building)),
        due_on=DAY - datetime.timedelta(days=5),
    )
    plan_for(elder_in(c.one, is_active=False), due_on=DAY - datetime.timedelta(days=5))  # moved away
    plan_for(elder_in(c.two), due_on=DAY - datetime.timedelta(days=5), is_active=False)  # set aside
    return c


def _expected(viewer, number, per_page, grid=None):
    counts = sel.overdue_counts_by_grid(viewer=viewer, today=DAY)
    plans = sel.overdue_plans(viewer=viewer, today=DAY, grid=grid)
    page = Paginator(plans, per_page).get_page(number)
    return counts, [p.pk for p in page.object_list], page.number, page.paginator.count


@pytest.mark.parametrize("number", [1, 2, 3, "4", 99, 0, -1, "x", None])
@pytest.mark.parametrize("one_grid", [False, True])
def test_overdue_page_is_the_orm_reads(c, number, one_grid):
    grid = c.one.grid if one_grid else None
    counts, page = sel.overdue_page(viewer=c.staff, number=number, per_page=4, today=DAY, grid=grid)
    want_counts, want_ids, want_number, want_count = _expected(c.staff, number, 4, grid)
    assert counts == want_counts
    assert [p.pk for p in page.object_list] == want_ids
    assert (page.number, page.paginator.count) == (want_number, want_count)


def test_overdue_page_of_a_grid_worker_is_her_grid(c):
    for number in (1, 2, 5):
        counts, page = sel.overdue_page(viewer=c.two.worker, number=number, per_page=3, today=DAY)
        want_counts, want_ids, want_number, want_count = _expected(c.two.worker, number, 3)
        assert counts == want_counts and [r["grid_id"] for r in counts] == [c.two.grid.pk]
        assert ([p.pk for p in page.object_list], page.number, page.paginator.count) == (
            want_ids,
            want_number,
            4,
        )


def test_overdue_page_counts_the_elders_the_predicate_keeps(c):
    counts, page = sel.overdue_page(viewer=c.staff, number=1, per_page=50, today=DAY)
    by_grid = {r["grid_id"]: (r["overdue"], r["unreached"]) for r in counts}
    # grid one: 7 overdue, 2 of them unreached twice, and the 56-year-old on the roster; no address: 1.
    assert by_grid == {c.one.grid.pk: (8, 2), c.two.grid.pk: (4, 0), None: (1, 0)}
    assert page.paginator.count == 13 == len(page.object_list)


def test_overdue_page_for_someone_who_may_not_see_it(c):
    counts, page = sel.overdue_page(viewer=c.volunteer, number=1, per_page=5, today=DAY)
    assert counts == [] and list(page.object_list) == [] and page.paginator.count == 0


def test_overdue_page_rows_are_the_joined_plans(c, django_assert_num_queries):
    from tests.accounts.factories import UserFactory

    nameless = UserFactory(name="", phone="+8613800000777")
    for plan in sel.overdue_plans(viewer=c.staff, today=DAY)[:3]:
        plan.assigned_to = nameless
        plan.save()
    with django_assert_num_queries(1):  # the counts, the page and what its rows show
        _counts, page = sel.overdue_page(viewer=c.staff, number=1, per_page=50, today=DAY)
        shown = [
            (r.plan.pk, r.elder.pk, r.elder.name, r.grid_name, r.due_text, r.days_late, r.assignee_name)
            + (r.plan.assigned_to_id, r.plan.last_contact_at, r.plan.unreached_in_row)
            for r in sel.roster_rows(page.object_list, today=DAY)
        ]
    joined = sel.roster_rows(sel.overdue_plans(viewer=c.staff, today=DAY), today=DAY)
    assert shown == [
        (r.plan.pk, r.elder.pk, r.elder.name, r.grid_name, r.due_text, r.days_late, r.assignee_name)
        + (r.plan.assigned_to_id, r.plan.last_contact_at, r.plan.unreached_in_row)
        for r in joined
    ]
    assert {r[6] for r in shown} >= {str(nameless.phone), ""}
